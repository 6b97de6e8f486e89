# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""The pure helpers: command lines, exit statuses, diagnostics."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.iptload.iptload.plugins.module_utils import iptload as u

TMP = '/root/.ansible/tmp/ansible-tmp-1/candidate.conf'

STDERR = (
    TMP + ":4:13: error: missing prefix length after '/' in '1.2.3.4/'\n"
    "  -A INPUT -s 1.2.3.4/ -j DROP\n"
    "              ^~~~~~~~\n"
    "  hint: write 1.2.3.4/32 for one host, or 1.2.3.4/LEN for a network\n"
    "inc/other.conf:2:1: error: unknown option '--foo'\n"
    "  --foo\n"
    "  ^~~~~\n"
    + TMP + ":7:20: warning: host bits set, it matches the network 10.0.1.0/24\n"
    "  -A INPUT -d 10.0.1.1/24 -j ACCEPT\n"
    "                   ^~~~~~~~~~~\n"
    "iptload: 2 errors in " + TMP + "; nothing was changed\n")


def test_command_line_quotes_and_sorts():
    cmd = u.build_command('/usr/sbin/iptload', 'apply', '/tmp/a b.conf',
                          defines={'Z': 'x y', 'A': 1, 'ON': True},
                          lock_wait=5, extra=['--confirm', '60'])
    assert cmd == ("/usr/sbin/iptload -q --wait=5 -D A=1 -D ON=yes "
                   "-D 'Z=x y' apply --confirm 60 '/tmp/a b.conf'")


def test_command_line_wait_forever_and_no_file():
    assert u.build_command('iptload', 'confirm', lock_wait=-1) == \
        'iptload -q --wait confirm'
    assert u.build_command('iptload', 'save') == 'iptload -q save'


def test_diagnostics_are_mapped_to_the_template():
    errors, warnings = u.parse_diagnostics(STDERR, TMP, 'templates/fw.j2')
    assert errors == [
        {'file': 'templates/fw.j2', 'line': 4, 'col': 13,
         'message': "missing prefix length after '/' in '1.2.3.4/'",
         'text': '-A INPUT -s 1.2.3.4/ -j DROP',
         'hint': 'write 1.2.3.4/32 for one host, or 1.2.3.4/LEN for a '
                 'network'},
        {'file': 'inc/other.conf', 'line': 2, 'col': 1,
         'message': "unknown option '--foo'", 'text': '--foo'},
    ]
    assert warnings == [
        {'file': 'templates/fw.j2', 'line': 7, 'col': 20,
         'message': 'host bits set, it matches the network 10.0.1.0/24',
         'text': '-A INPUT -d 10.0.1.1/24 -j ACCEPT'}]
    assert u.format_diagnostic(errors[0]) == \
        "templates/fw.j2:4:13: missing prefix length after '/' in '1.2.3.4/'"


def test_diagnostic_without_column():
    errors = u.parse_diagnostics('x.conf:3: error: too long\n')[0]
    assert errors == [{'file': 'x.conf', 'line': 3, 'col': None,
                       'message': 'too long'}]
    assert u.format_diagnostic(errors[0]) == 'x.conf:3: too long'


@pytest.mark.parametrize('rc, words', [
    (2, 'config has errors'),
    (3, 'kernel refused'),
    (4, 'lock is busy'),
    (5, 'wait for a value'),
    (6, 'lockdown'),
    (7, 'holds a mix'),
    (8, 'waiting for its confirmation'),
    (64, 'usage error'),
    (126, 'permission denied'),
    (127, 'not found'),
    (99, 'unexpected exit status 99'),
])
def test_every_exit_status_has_a_message(rc, words):
    assert words in u.failure_message('apply', rc)
    assert u.failure_message('apply', rc).startswith('iptload apply failed: ')


def test_before_lines_up_with_after():
    saved = ('# saved by iptload\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n'
             '*filter\n:INPUT ACCEPT [3:4]\n-A INPUT -j DROP\nCOMMIT\n')
    after = '*filter\n:INPUT DROP [0:0]\nCOMMIT\n*mangle\nCOMMIT\n'
    assert u.tables_of(after) == ['filter', 'mangle']
    assert u.select_tables(u.strip_comments(saved), u.tables_of(after)) == \
        '*filter\n:INPUT ACCEPT [3:4]\n-A INPUT -j DROP\nCOMMIT\n'
    assert u.replace_path('in /t/c.conf: x', '/t/c.conf', 'fw.j2') == \
        'in fw.j2: x'
