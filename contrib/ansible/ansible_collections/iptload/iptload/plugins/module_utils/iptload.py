# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the iptload action plugin needs to know about iptload itself.

Pure functions: command lines, the meaning of each exit status, and the
parsing of iptload's diagnostics (``file:line:col: error: message``).  They
run on the controller and touch nothing, so the unit tests can drive every
exit status without a kernel.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import shlex

# The exit statuses of iptload (see iptload --help and iptload(8)).
EXIT_OK = 0
EXIT_DIFFERS = 1            # diff: the kernel differs; confirm: nothing waits
EXIT_CONFIG = 2             # errors in the config; nothing changed
EXIT_KERNEL = 3             # the kernel refused a table; nothing changed
EXIT_LOCK = 4               # the xtables lock was busy; nothing changed
EXIT_BOOT_PARTIAL = 5       # --boot only
EXIT_BOOT_LOCKDOWN = 6      # --boot only
EXIT_MIXED = 7              # refused, and the roll-back failed too
EXIT_PENDING = 8            # an apply --confirm waits for its confirmation
EXIT_USAGE = 64

# What a failing exit status means, said once for every step.
_FAILURES = {
    EXIT_CONFIG: 'the config has errors; nothing was changed',
    EXIT_KERNEL: 'the kernel refused the ruleset; nothing was changed',
    EXIT_LOCK: 'the xtables lock is busy (another iptables or iptload holds '
               'it; see lock_wait); nothing was changed',
    EXIT_BOOT_PARTIAL: 'iptload loaded the ruleset without the rules that '
                       'wait for a value (exit 5)',
    EXIT_BOOT_LOCKDOWN: 'iptload loaded its lockdown ruleset (exit 6)',
    EXIT_MIXED: 'the kernel refused a table and putting back the tables '
                'already committed failed too: the kernel holds a mix of '
                'the old and the new ruleset',
    EXIT_PENDING: 'another apply --confirm is waiting for its confirmation '
                  '(someone else is changing this firewall); nothing was '
                  'changed',
    EXIT_USAGE: 'iptload refused its command line (usage error); is it too '
                'old for this collection?',
    126: 'iptload could not be run (permission denied: become root?)',
    127: 'iptload was not found on the host (see the executable option)',
}

# A diagnostic line: "FILE:LINE:COL: error: MESSAGE" (COL may be missing).
_DIAG = re.compile(r'^(?P<file>.+?):(?P<line>\d+):(?:(?P<col>\d+):)?\s*'
                   r'(?P<level>error|warning): (?P<message>.*)$')
_HINT = re.compile(r'^\s+hint: (?P<hint>.*)$')


def failure_message(step, rc):
    """Say what exit status RC of the iptload command STEP means."""
    what = _FAILURES.get(rc)
    if what is None:
        what = 'unexpected exit status %d' % rc
    return 'iptload %s failed: %s' % (step, what)


def build_command(executable, command, path=None, defines=None,
                  lock_wait=None, extra=None):
    """The shell command that runs iptload COMMAND on PATH.

    DEFINES (a dict) become -D NAME=VALUE, sorted so that the command line
    is the same on every run; LOCK_WAIT (seconds, or -1 for as long as it
    takes) becomes --wait.  EXTRA is a list of further arguments placed
    after the command (e.g. ['--confirm', '60']).
    """
    argv = [executable, '-q']
    if lock_wait is not None:
        if lock_wait < 0:
            argv.append('--wait')
        else:
            argv.append('--wait=%d' % lock_wait)
    for name in sorted(defines or {}):
        value = defines[name]
        if isinstance(value, bool):
            value = 'yes' if value else 'no'
        argv += ['-D', '%s=%s' % (name, value)]
    argv.append(command)
    argv += list(extra or [])
    if path is not None:
        argv.append(path)
    return ' '.join(shlex.quote(str(a)) for a in argv)


def parse_diagnostics(text, path=None, name=None):
    """Split iptload's standard error into errors and warnings.

    Returns (errors, warnings): lists of dicts with file, line, col,
    message (and hint and text where iptload printed them).  A diagnostic
    about PATH (the temporary candidate on the host) is reported as NAME
    (the template or 'content'), so that the user sees the file they wrote.
    """
    errors = []
    warnings = []
    last = None
    for raw in (text or '').splitlines():
        m = _DIAG.match(raw)
        if m:
            fname = m.group('file')
            if path is not None and name is not None and fname == path:
                fname = name
            last = {
                'file': fname,
                'line': int(m.group('line')),
                'col': int(m.group('col')) if m.group('col') else None,
                'message': m.group('message'),
            }
            if m.group('level') == 'error':
                errors.append(last)
            else:
                warnings.append(last)
            continue
        if last is None:
            continue
        h = _HINT.match(raw)
        if h:
            last['hint'] = h.group('hint')
        elif 'text' not in last and raw.startswith('  ') and \
                raw.strip() and not raw.strip().startswith('^'):
            # The source line iptload quotes under the diagnostic.
            last['text'] = raw[2:]
    return errors, warnings


def format_diagnostic(diag):
    """One diagnostic as the compiler-style line iptload printed."""
    where = '%s:%d' % (diag['file'], diag['line'])
    if diag.get('col') is not None:
        where += ':%d' % diag['col']
    return '%s: %s' % (where, diag['message'])


def replace_path(text, path, name):
    """TEXT with every mention of the temporary PATH replaced by NAME."""
    if not text or not path:
        return text
    return text.replace(path, name)


def strip_comments(text):
    """iptables-save text without its comment lines (they carry the
    version and a date, which would make every diff differ)."""
    return ''.join(line for line in (text or '').splitlines(True)
                   if not line.startswith('#'))


def tables_of(text):
    """The tables (in order) that iptables-save TEXT names."""
    tables = []
    for line in (text or '').splitlines():
        if line.startswith('*') and line[1:].strip() not in tables:
            tables.append(line[1:].strip())
    return tables


def select_tables(text, tables):
    """The blocks of iptables-save TEXT whose table is in TABLES, in the
    order of TABLES (so that 'before' lines up with 'after')."""
    blocks = {}
    current = None
    for line in (text or '').splitlines(True):
        if line.startswith('*'):
            current = line[1:].strip()
            blocks[current] = [line]
        elif current is not None:
            blocks[current].append(line)
            if line.strip() == 'COMMIT':
                current = None
    return ''.join(''.join(blocks[t]) for t in tables if t in blocks)
