#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# usage.sh - README.md's "Usage" and "iptload --help" name the same
# commands and the same options, so that they cannot drift apart: every
# command and option of --help is in README's Usage (its command block and
# option table), and every one there is in --help.
set -u

src=${IPTLOAD_SOURCE_ROOT:?}
iptload=${IPTLOAD:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-usage.XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! "$iptload" --help >"$work/help" 2>"$work/err"; then
	echo "1..1"
	echo "not ok 1 - iptload --help"
	sed 's/^/# /' "$work/err"
	exit 0
fi

python3 - "$work/help" "$src/README.md" <<'EOF'
import re
import sys

help_text = open(sys.argv[1]).read()
readme = open(sys.argv[2]).read()
OPT = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])')


def block(text, start, stop):
    """The lines of text from the line matching start to the one matching stop."""
    m = re.search(start, text, re.M)
    if not m:
        return None
    rest = text[m.end():]
    n = re.search(stop, rest, re.M)
    return rest[:n.start()] if n else rest


# --help: "Commands:" lines start with two spaces and the command; the
# "Options:" lines that start with a dash name options before the first
# run of two spaces (the description).
h_cmds = block(help_text, r'^Commands:$', r'^\S')
h_opts = block(help_text, r'^Options:$', r'^\S')
# README: the Usage section up to its first subsection.
usage = block(readme, r'^## Usage$', r'^##')

results = []


def check(ok, name, detail=''):
    results.append((ok, name, detail))


check(h_cmds is not None and h_opts is not None,
      '--help has a Commands: and an Options: block')
check(usage is not None, 'README.md has a "## Usage" section')
if h_cmds is None or h_opts is None or usage is None:
    h_cmds = h_opts = usage = ''

help_cmds = set(re.findall(r'^  ([a-z]+)\b', h_cmds, re.M))
help_opts = set()
for line in h_opts.splitlines():
    if line.lstrip().startswith('-'):
        help_opts |= set(OPT.findall(re.split(r'(?<=\S)\s{2,}', line.strip())[0] + ' '))

code = block(usage, r'^```$', r'^```$') or ''
readme_cmds = set(re.findall(r'^iptload (?:\[OPTIONS\] )?([a-z]+)\b', code, re.M))
table_opts = set()
for line in usage.splitlines():
    if line.startswith('| `'):
        table_opts |= set(OPT.findall(line.split('|')[1]))
named_opts = set(OPT.findall(usage))

check(len(help_cmds) >= 5 and len(help_opts) >= 10,
      'the parse finds the commands and options of --help',
      'commands %s, options %s' % (sorted(help_cmds), sorted(help_opts)))
check(help_cmds == readme_cmds,
      "README's Usage shows every command of --help, and no other",
      'only in --help: %s; only in README: %s' % (
          sorted(help_cmds - readme_cmds), sorted(readme_cmds - help_cmds)))
check(help_opts == table_opts,
      "README's option table has every option of --help, and no other",
      'only in --help: %s; only in README: %s' % (
          sorted(help_opts - table_opts), sorted(table_opts - help_opts)))
help_words = set(OPT.findall(help_text))
check(named_opts <= help_words,
      "every option README's Usage names is in --help",
      'not in --help: %s' % sorted(named_opts - help_words))

print('1..%d' % len(results))
for i, (ok, name, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
    if detail and not ok:
        print('# ' + detail)
EOF
