# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""The action plugin against a fake host: every exit status of every
iptload command it runs, a lost connection, a late confirmation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from ansible.template import Templar
from ansible.parsing.dataloader import DataLoader

from ansible_collections.iptload.iptload.plugins.action import iptload as act

TMPDIR = '/home/admin/.ansible/tmp/ansible-tmp-42'
UPLOAD = TMPDIR + '/candidate.conf'
STAGED = '/tmp/iptload-ansible.Ab12Cd'
CANDIDATE = STAGED + '/candidate.conf'
PREVIOUS = STAGED + '/previous.conf'
CONFIG = '*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n'
MARKER = re.compile(r'--iptload-stderr-[0-9a-f]+--')
COMMANDS = ('check', 'diff', 'print', 'save', 'apply', 'confirm')


class FakeHost:
    """Answers the action's shell commands.  outcome[step] is a list of
    (rc, stdout, stderr) or exceptions, used in turn (the last one stays);
    step is an iptload command, 'diff-previous', 'cmp' or 'install'."""

    def __init__(self, **outcome):
        self.outcome = {
            'check': [(0, '', '')],
            'diff': [(1, '*filter\n+ -A INPUT -i lo -j ACCEPT\n', '')],
            'diff-previous': [(0, '', '')],
            'print': [(0, '# by iptload\n' + CONFIG, '')],
            'save': [(0, '# by iptload\n*filter\n:INPUT ACCEPT [5:6]\n'
                         'COMMIT\n*nat\nCOMMIT\n', '')],
            'apply': [(0, '', '')],
            'confirm': [(0, '', 'iptload: confirmed\n')],
            'cmp': [(1, '', '')],
            'install': [(0, '', '')],
        }
        self.outcome.update(outcome)
        self.log = []

    def step_of(self, cmd):
        if cmd.startswith('cmp -s '):
            return 'cmp'
        if cmd.startswith('sh -c '):
            return 'install'
        words = cmd.split()
        for w in words:
            if w in COMMANDS:
                if w == 'diff' and PREVIOUS in words:
                    return 'diff-previous'
                return w
        raise AssertionError('unexpected command: %s' % cmd)

    def __call__(self, cmd, sudoable=True, **kwargs):
        if 'mktemp -d /tmp/iptload-ansible.' in cmd:
            self.log.append(('stage', cmd))
            answer = self.outcome.get('stage', (0, STAGED + '\r\n', ''))
            return dict(rc=answer[0], stdout=answer[1], stderr=answer[2])
        if cmd.startswith('rm -rf -- '):
            self.log.append(('cleanup', cmd))
            return dict(rc=0, stdout='', stderr='')
        marker = MARKER.search(cmd).group(0)
        inner = cmd.split(' 2>')[0]
        step = self.step_of(inner)
        self.log.append((step, inner))
        answers = self.outcome[step]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        rc, out, err = answer
        # As over ssh -tt: one stream, CR LF line ends.
        text = out + '\n' + marker + '\n' + err
        return dict(rc=rc, stdout=text.replace('\n', '\r\n'), stderr='')

    def steps(self):
        """The iptload (and cmp, install) steps, without staging and
        clean-up (see test_staged_in_a_root_directory)."""
        return [step for step, cmd in self.log
                if step not in ('stage', 'cleanup')]

    def command(self, step):
        return [c for s, c in self.log if s == step]


class Clock:
    """time.monotonic and time.sleep that only count."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(act.time, 'monotonic', c.monotonic)
    monkeypatch.setattr(act.time, 'sleep', c.sleep)
    return c


class Task:
    """What the action reads of a task."""

    def __init__(self, args, diff=False):
        self.args = args
        self.diff = diff
        self.async_val = 0
        self.action = 'iptload.iptload.iptload'
        self.check_mode = False

    def get_search_path(self):
        return []


def run(host, check_mode=False, diff=False, **args):
    """Run the action against HOST with task ARGS; return (result,
    action)."""
    args.setdefault('content', CONFIG)
    pc = PlayContext()
    pc.check_mode = check_mode
    conn = connection_loader.get('local', pc, None)
    conn._shell.tmpdir = TMPDIR
    resets = []
    conn.reset = lambda: resets.append(True)
    loader = DataLoader()
    action = act.ActionModule(Task(args, diff), conn, pc, loader,
                              Templar(loader=loader), None)
    action._low_level_execute_command = host
    action._transfer_data = lambda path, data: path
    action._fixup_perms2 = lambda paths: None
    action._remove_tmp_path = lambda path: None
    action.resets = resets
    result = action.run(task_vars={'inventory_hostname': 'r1'})
    return result, action


def test_unchanged_kernel_and_file_does_nothing(clock):
    host = FakeHost(diff=[(0, '', '')], cmp=[(0, '', '')])
    result, dummy = run(host)
    assert not result.get('failed')
    assert result['changed'] is False
    assert host.steps() == ['check', 'diff', 'cmp']


def test_only_the_file_differs(clock):
    host = FakeHost(diff=[(0, '', '')])
    result, action = run(host)
    assert result['changed'] is True
    assert result['file_changed'] is True
    assert result['kernel_changed'] is False
    assert host.steps() == ['check', 'diff', 'cmp', 'install']
    assert action.resets == []


def test_apply_confirm_over_a_new_connection_then_install(clock):
    host = FakeHost()
    result, action = run(host, defines={'LAN': '10.0.1.0/24'},
                         confirm_timeout=30, lock_wait=5)
    assert not result.get('failed')
    assert result['changed'] is True and result['confirmed'] is True
    assert host.steps() == ['check', 'diff', 'cmp', 'save', 'apply',
                            'confirm', 'install']
    assert host.command('apply') == [
        'iptload -q --wait=5 -D LAN=10.0.1.0/24 apply --confirm 30 ' +
        CANDIDATE]
    assert host.command('save') == ['iptload -q --wait=5 save > ' + PREVIOUS]
    assert host.command('confirm') == ['iptload -q --wait=5 confirm']
    assert action.resets == [True]
    assert result['changes'] == '*filter\n+ -A INPUT -i lo -j ACCEPT\n'
    assert clock.slept == []


def test_confirm_timeout_zero_applies_without_watchdog(clock):
    host = FakeHost()
    result, action = run(host, confirm_timeout=0)
    assert result['changed'] is True
    assert host.steps() == ['check', 'diff', 'cmp', 'apply', 'install']
    assert host.command('apply') == ['iptload -q apply ' + CANDIDATE]
    assert action.resets == []


def test_check_mode_with_diff_stops_after_diff(clock):
    host = FakeHost()
    result, dummy = run(host, check_mode=True, diff=True)
    assert result['changed'] is True
    assert host.steps() == ['check', 'diff', 'print', 'save', 'cmp']
    assert result['diff'] == [{
        'before': '*filter\n:INPUT ACCEPT [5:6]\nCOMMIT\n',
        'after': CONFIG,
        'before_header': 'kernel (iptload save)', 'after_header': 'content'}]


def test_check_mode_unchanged(clock):
    host = FakeHost(diff=[(0, '', '')], cmp=[(0, '', '')])
    result, dummy = run(host, check_mode=True, diff=True)
    assert result['changed'] is False
    assert 'diff' not in result


ERR = CANDIDATE + ":3:13: error: unknown protocol 'tcpx' for -p\n" \
    "  -A INPUT -p tcpx -j DROP\n" \
    "              ^~~~\n" \
    "iptload: 1 error in " + CANDIDATE + "; nothing was changed\n"


def test_config_errors_name_the_source(clock):
    host = FakeHost(check=[(2, '', ERR)])
    result, dummy = run(host)
    assert result['failed'] is True
    assert result['step'] == 'check' and result['rc'] == 2
    assert result['errors'] == [{
        'file': 'content', 'line': 3, 'col': 13,
        'message': "unknown protocol 'tcpx' for -p",
        'text': '-A INPUT -p tcpx -j DROP'}]
    assert CANDIDATE not in result['msg'] + result['stderr']
    assert "content:3:13: unknown protocol 'tcpx' for -p" in result['msg']
    assert host.steps() == ['check']


def test_template_errors_name_the_template(clock, tmp_path):
    tmpl = tmp_path / 'fw.conf.j2'
    tmpl.write_text(u'*filter\n-A INPUT -p {{ proto }} -j DROP\nCOMMIT\n')
    host = FakeHost(check=[(2, '', ERR)])
    args = dict(src=str(tmpl))
    pc = PlayContext()
    conn = connection_loader.get('local', pc, None)
    conn._shell.tmpdir = TMPDIR
    loader = DataLoader()
    action = act.ActionModule(Task(args), conn, pc, loader,
                              Templar(loader=loader), None)
    action._low_level_execute_command = host
    sent = {}
    action._transfer_data = lambda path, data: sent.update({path: data})
    action._fixup_perms2 = lambda paths: None
    action._remove_tmp_path = lambda path: None
    action._find_needle = lambda kind, name: name
    result = action.run(task_vars={'proto': 'tcpx',
                                   'inventory_hostname': 'r1'})
    assert sent == {UPLOAD: '*filter\n-A INPUT -p tcpx -j DROP\nCOMMIT\n'}
    assert result['errors'][0]['file'] == str(tmpl)
    assert result['errors'][0]['line'] == 3


@pytest.mark.parametrize('rc', [1, 3, 4, 5, 6, 7, 8, 64, 126, 127])
def test_check_failures(clock, rc):
    host = FakeHost(check=[(rc, '', 'iptload: something\n')])
    result, dummy = run(host)
    assert result['failed'] is True and result['rc'] == rc
    assert result['msg'].startswith('iptload check failed: ')
    assert host.steps() == ['check']


@pytest.mark.parametrize('rc', [2, 3, 4, 5, 6, 7, 8, 64])
def test_diff_failures(clock, rc):
    host = FakeHost(diff=[(rc, '', 'iptload: something\n')])
    result, dummy = run(host)
    assert result['failed'] is True and result['rc'] == rc
    assert result['step'] == 'diff'
    assert 'apply' not in host.steps()


@pytest.mark.parametrize('rc, words', [
    (1, 'unexpected exit status 1'),
    (2, 'config has errors'),
    (3, 'kernel refused'),
    (4, 'lock is busy'),
    (5, 'wait for a value'),
    (6, 'lockdown'),
    (7, 'holds a mix'),
    (8, 'waiting for its confirmation'),
    (64, 'usage error'),
])
def test_apply_failures_install_nothing(clock, rc, words):
    refused = CANDIDATE + ":2:1: error: the kernel refused this rule\n"
    host = FakeHost(apply=[(rc, '', refused)])
    result, action = run(host)
    assert result['failed'] is True and result['rc'] == rc
    assert result['step'] == 'apply'
    assert words in result['msg']
    assert result['errors'][0]['file'] == 'content'
    assert 'install' not in host.steps() and 'confirm' not in host.steps()
    assert action.resets == []


def test_save_failure_stops_before_apply(clock):
    host = FakeHost(save=[(4, '', '')])
    result, dummy = run(host)
    assert result['failed'] is True and result['step'] == 'save'
    assert 'apply' not in host.steps()


def test_unreachable_after_apply_is_rolled_back(clock):
    lost = AnsibleConnectionFailure('Connection timed out')
    host = FakeHost(confirm=[lost])
    result, action = run(host, confirm_timeout=20)
    assert result['failed'] is True
    assert result['rolled_back'] is True
    assert 'put the previous tables back' in result['msg']
    assert host.steps() == ['check', 'diff', 'cmp', 'save', 'apply',
                            'confirm', 'diff-previous']
    assert host.command('diff-previous') == ['iptload -q diff ' + PREVIOUS]
    assert clock.slept == [20 + act.ROLLBACK_MARGIN]
    assert action.resets == [True, True]


def test_confirm_too_late_is_rolled_back(clock):
    host = FakeHost(confirm=[(1, '', 'iptload: nothing waits\n')])
    result, dummy = run(host, confirm_timeout=5)
    assert result['rolled_back'] is True and result['failed'] is True
    assert 'install' not in host.steps()


def test_connection_lost_during_apply_is_rolled_back(clock):
    host = FakeHost(apply=[AnsibleConnectionFailure('broken pipe')])
    result, dummy = run(host, confirm_timeout=5)
    assert result['rolled_back'] is True and result['failed'] is True
    assert host.steps()[-1] == 'diff-previous'
    assert 'confirm' not in host.steps()


def test_rollback_that_did_not_happen_says_so(clock):
    lost = AnsibleConnectionFailure('Connection timed out')
    host = FakeHost(confirm=[lost],
                    **{'diff-previous': [(1, '+ -A INPUT -j DROP\n', '')]})
    result, dummy = run(host)
    assert result['failed'] is True
    assert result['rolled_back'] is False
    assert 'does NOT hold the previous ruleset' in result['msg']


def test_host_that_stays_away_is_unreachable(clock):
    lost = AnsibleConnectionFailure('Connection timed out')
    host = FakeHost(confirm=[lost], **{'diff-previous': [lost]})
    result, dummy = run(host)
    assert result['unreachable'] is True
    assert result['rolled_back'] is None
    assert not result.get('failed')
    assert host.steps().count('diff-previous') == act.RECONNECT_TRIES


def test_reconnects_until_the_host_answers(clock):
    lost = AnsibleConnectionFailure('Connection timed out')
    host = FakeHost(confirm=[lost],
                    **{'diff-previous': [lost, (0, '', '')]})
    result, dummy = run(host)
    assert result['rolled_back'] is True
    assert host.steps().count('diff-previous') == 2


@pytest.mark.parametrize('rc', [2, 4, 64])
def test_confirm_failures(clock, rc):
    host = FakeHost(confirm=[(rc, '', 'iptload: no\n')])
    result, dummy = run(host)
    assert result['failed'] is True and result['step'] == 'confirm'
    assert 'install' not in host.steps()


def test_install_failure(clock):
    host = FakeHost(install=[(1, '', 'mv: read-only file system\n')])
    result, dummy = run(host)
    assert result['failed'] is True and result['step'] == 'install'
    assert 'read-only file system' in result['msg']


def test_src_and_content_are_exclusive(clock):
    host = FakeHost()
    with pytest.raises(Exception):
        run(host, src='fw.j2')


def test_staged_in_a_root_directory(clock):
    host = FakeHost()
    result, dummy = run(host)
    assert not result.get('failed')
    stage, cleanup = host.log[0], host.log[-1]
    assert stage[0] == 'stage' and UPLOAD in stage[1]
    assert cleanup == ('cleanup', 'rm -rf -- ' + STAGED)
    assert all(CANDIDATE in c for s, c in host.log
               if s in ('check', 'diff', 'apply'))
    assert all(UPLOAD not in c for s, c in host.log[1:])


def test_staging_failure(clock):
    host = FakeHost(stage=(1, 'mktemp: failed\r\n', ''))
    result, dummy = run(host)
    assert result['failed'] is True and result['step'] == 'stage'
    assert 'mktemp: failed' in result['msg']
    assert host.steps() == []
