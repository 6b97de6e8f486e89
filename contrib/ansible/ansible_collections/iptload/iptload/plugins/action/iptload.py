# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
"""The iptload action: check, diff, apply --confirm, confirm over a new
connection, and only then install the config at dest.

Everything on the host is done with iptload itself and a few POSIX shell
commands (no Python needed there): the candidate goes to a temporary file,
``iptload check`` and ``iptload diff`` decide whether anything happens, and
``iptload apply --confirm T`` arms the host's watchdog.  The controller then
drops its connection and confirms over a new one: a ruleset that locks the
controller out cannot be confirmed, and the watchdog puts the previous
tables back by itself.  The action waits for that, reconnects, proves with
``iptload diff`` that the previous ruleset is back, and fails with
``rolled_back: true``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shlex
import time
import uuid

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure, \
    AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.template import generate_ansible_template_vars
from ansible.utils.display import Display

from ansible_collections.iptload.iptload.plugins.module_utils.iptload import (
    EXIT_CONFIG, EXIT_DIFFERS, EXIT_OK, build_command, failure_message,
    format_diagnostic, parse_diagnostics, replace_path, select_tables,
    strip_comments, tables_of)

display = Display()

# Seconds waited past confirm_timeout before the action looks whether the
# watchdog has put the previous tables back.
ROLLBACK_MARGIN = 10
# Connections tried after that wait before the host counts as lost.
RECONNECT_TRIES = 3

ARGUMENT_SPEC = dict(
    src=dict(type='path'),
    content=dict(type='str'),
    dest=dict(type='path', default='/etc/iptload/iptload.conf'),
    defines=dict(type='dict', default={}),
    confirm_timeout=dict(type='int', default=60),
    lock_wait=dict(type='int'),
    family=dict(type='str', default='ipv4', choices=['ipv4']),
    executable=dict(type='str', default='iptload'),
)


class _Failed(Exception):
    """A step failed; RESULT says how (merged into the task's result)."""

    def __init__(self, result):
        super(_Failed, self).__init__(result.get('msg'))
        self.result = result


class ActionModule(ActionBase):
    """See the module's documentation (plugins/modules/iptload.py)."""

    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    # -- helpers ----------------------------------------------------------

    def _shell(self, cmd):
        """Run CMD on the host (with become, if the task asks for it);
        return (rc, stdout, stderr).

        With become, the ssh connection runs commands on a terminal
        (ssh -tt), which merges standard error into standard output and
        ends lines with CR LF.  So CMD's standard error goes to a file
        that is printed after a marker, and the two are split here.
        """
        marker = '--iptload-stderr-%s--' % uuid.uuid4().hex
        err = shlex.quote(self._connection._shell.join_path(
            self._tmpdir, 'stderr'))
        wrapped = ('%s 2>%s; rc=$?; printf "\\n%%s\\n" %s; cat %s; '
                   'exit $rc') % (cmd, err, marker, err)
        res = self._low_level_execute_command(wrapped, sudoable=True)
        text = (res.get('stdout', '') + res.get('stderr', '')).replace(
            '\r\n', '\n')
        out, sep, err = text.partition('\n' + marker + '\n')
        if not sep:
            # The marker never came: the shell itself failed.
            return res['rc'], '', text
        return res['rc'], out, err

    def _iptload(self, command, path=None, extra=None, redirect=None):
        """Run iptload COMMAND on PATH with the task's defines and lock
        wait; return (rc, stdout, stderr)."""
        a = self._args
        cmd = build_command(a['executable'], command, path,
                            defines=a['defines'], lock_wait=a['lock_wait'],
                            extra=extra)
        if redirect:
            cmd += ' > ' + shlex.quote(redirect)
        return self._shell(cmd)

    def _fail(self, step, rc, out, err, **extra):
        """Raise the failure of iptload STEP (exit status RC)."""
        errors, warnings = parse_diagnostics(err, self._candidate, self._name)
        msg = failure_message(step, rc)
        if errors:
            msg += ': ' + '; '.join(format_diagnostic(e) for e in errors)
        result = dict(msg=msg, rc=rc, step=step,
                      stdout=replace_path(out, self._candidate, self._name),
                      stderr=replace_path(err, self._candidate, self._name),
                      errors=errors)
        if warnings:
            result['iptload_warnings'] = warnings
        result.update(extra)
        raise _Failed(result)

    def _render(self, task_vars):
        """The candidate's text and the name diagnostics should show."""
        a = self._args
        if a['content'] is not None:
            return a['content'], 'content'
        try:
            source = self._find_needle('templates', a['src'])
        except AnsibleError as e:
            raise AnsibleActionFail(to_text(e))
        with open(source, 'rb') as f:
            data = to_text(f.read(), errors='surrogate_or_strict')
        searchpath = list(task_vars.get('ansible_search_path', []))
        searchpath += [self._loader._basedir, os.path.dirname(source)]
        paths = []
        for p in searchpath:
            paths += [os.path.join(p, 'templates'), p]
        tvars = task_vars.copy()
        tvars.update(generate_ansible_template_vars(a['src'], source,
                                                    a['dest']))
        templar = self._templar.copy_with_new_env(searchpath=paths,
                                                  available_variables=tvars)
        text = templar.do_template(data, preserve_trailing_newlines=True,
                                   escape_backslashes=False)
        return to_text(text), source

    # -- the steps --------------------------------------------------------

    def _stage(self, upload):
        """Copy the uploaded candidate into a new directory of the become
        user (root) under /tmp.

        iptload reads a config only if it and every directory on its path
        belong to root (or the user running it) and nobody else may write
        them, as sshd's StrictModes; the upload sits in the login user's
        remote tmp dir, which need not be root's.
        """
        script = ('set -e; umask 077; d=$(mktemp -d /tmp/iptload-ansible.XXXXXX); '
                  'cat "$1" > "$d/candidate.conf"; printf "%s\\n" "$d"')
        res = self._low_level_execute_command(
            'sh -c %s sh %s' % (shlex.quote(script), shlex.quote(upload)),
            sudoable=True)
        lines = res.get('stdout', '').replace('\r', '').strip().splitlines()
        if res['rc'] != 0 or not lines or \
                not lines[-1].startswith('/tmp/iptload-ansible.'):
            raise _Failed(dict(msg='could not stage the candidate on the '
                                   'host: %s' % (res.get('stderr', '') or
                                                 res.get('stdout', '')).strip(),
                               rc=res['rc'], step='stage'))
        join = self._connection._shell.join_path
        self._tmpdir = lines[-1]
        self._staged = lines[-1]
        self._candidate = join(self._staged, 'candidate.conf')
        self._previous = join(self._staged, 'previous.conf')

    def _cleanup(self):
        """Remove the staged directory and Ansible's remote tmp dir."""
        try:
            if self._staged:
                self._low_level_execute_command(
                    'rm -rf -- %s' % shlex.quote(self._staged), sudoable=True)
            self._remove_tmp_path(self._connection._shell.tmpdir)
        except AnsibleError:
            pass

    def _check(self):
        rc, out, err = self._iptload('check', self._candidate)
        if rc != EXIT_OK:
            self._fail('check', rc, out, err)
        warnings = parse_diagnostics(err, self._candidate, self._name)[1]
        for w in warnings:
            self._display_warnings.append(format_diagnostic(w))

    def _diff(self):
        """True when the kernel differs from the candidate; records what
        differs (and before/after for --diff)."""
        rc, out, err = self._iptload('diff', self._candidate)
        if rc == EXIT_OK:
            return False
        if rc != EXIT_DIFFERS:
            self._fail('diff', rc, out, err)
        self._result['changes'] = out
        if self._want_diff:
            rc, after, err = self._iptload('print', self._candidate)
            if rc != EXIT_OK:
                self._fail('print', rc, after, err)
            rc, before, err = self._shell(build_command(
                self._args['executable'], 'save',
                lock_wait=self._args['lock_wait']))
            if rc != EXIT_OK:
                self._fail('save', rc, before, err)
            after = strip_comments(after)
            before = select_tables(strip_comments(before), tables_of(after))
            self._diffs.append(dict(before=before, after=after,
                                    before_header='kernel (iptload save)',
                                    after_header=self._name))
        return True

    def _file_differs(self):
        """True when dest does not hold the candidate's text already."""
        rc = self._shell('cmp -s %s %s' % (
            shlex.quote(self._candidate), shlex.quote(self._args['dest'])))[0]
        return rc != 0

    def _install(self):
        """Move the candidate to dest atomically (rename in dest's
        directory), keeping dest's mode and owner where it exists."""
        dest = shlex.quote(self._args['dest'])
        cand = shlex.quote(self._candidate)
        script = (
            'set -e; d=$(dirname %(dest)s); mkdir -p "$d"; '
            't=$(mktemp "$d/.iptload.XXXXXX"); '
            'trap \'rm -f "$t"\' EXIT; cat %(cand)s > "$t"; '
            'if [ -e %(dest)s ]; then '
            'chmod "$(stat -c %%a %(dest)s)" "$t"; '
            'chown "$(stat -c %%u:%%g %(dest)s)" "$t"; '
            'else chmod 0644 "$t"; fi; '
            'mv -f "$t" %(dest)s; trap - EXIT'
        ) % dict(dest=dest, cand=cand)
        rc, out, err = self._shell('sh -c %s' % shlex.quote(script))
        if rc != 0:
            raise _Failed(dict(msg='could not install %s: %s' % (
                self._args['dest'], err.strip()), rc=rc, step='install'))

    def _reconnect_and_run(self, command, path=None):
        """Drop the connection and run iptload COMMAND (on PATH, without
        the defines: they belong to the candidate) over a new one.

        reset() stops an SSH ControlMaster, so the command goes over a new
        TCP connection, as a new login would: a ruleset that lets the
        established session live but refuses new ones is caught here.
        Returns None when the host cannot be reached.
        """
        try:
            self._connection.reset()
        except AnsibleError as e:
            display.vvv('iptload: reset failed: %s' % to_text(e))
        try:
            return self._shell(build_command(
                self._args['executable'], command, path,
                lock_wait=self._args['lock_wait']))
        except AnsibleConnectionFailure as e:
            display.vvv('iptload: %s over a new connection: %s' % (
                command, to_text(e)))
            return None

    def _rolled_back(self, why, started):
        """The host could not confirm: wait for its watchdog, reconnect,
        and prove that the previous ruleset is back.  Returns the failure
        to raise."""
        deadline = started + self._args['confirm_timeout'] + ROLLBACK_MARGIN
        delay = deadline - time.monotonic()
        if delay > 0:
            display.display('%s: %s; waiting %d s for the watchdog to put '
                            'the previous tables back' % (
                                self._task_host, why, int(delay) + 1))
            time.sleep(delay)
        for dummy in range(RECONNECT_TRIES):
            res = self._reconnect_and_run('diff', self._previous)
            if res is not None:
                break
        else:
            return _Failed(dict(
                unreachable=True, rolled_back=None,
                msg='%s, and the host is still unreachable %d s after '
                    'confirm_timeout: its watchdog should have put the '
                    'previous tables back; check the host' % (
                        why, ROLLBACK_MARGIN)))
        rc, out, err = res
        if rc == EXIT_OK:
            return _Failed(dict(
                rolled_back=True, rc=rc,
                msg='%s; the watchdog put the previous tables back (iptload '
                    'diff against the saved ruleset: no difference); %s was '
                    'not changed' % (why, self._args['dest'])))
        return _Failed(dict(
            rolled_back=False, rc=rc, changes=out, stderr=err,
            msg='%s, and the kernel does NOT hold the previous ruleset (iptload '
                'diff exit %d); check the host' % (why, rc)))

    def _apply(self):
        """apply --confirm T, confirm over a new connection; True when the
        new ruleset is kept."""
        timeout = self._args['confirm_timeout']
        if timeout <= 0:
            rc, out, err = self._iptload('apply', self._candidate)
            if rc != EXIT_OK:
                self._fail('apply', rc, out, err)
            return
        # What to prove is back if the confirmation never comes.
        rc, out, err = self._shell(build_command(
            self._args['executable'], 'save',
            lock_wait=self._args['lock_wait']) + ' > ' +
            shlex.quote(self._previous))
        if rc != EXIT_OK:
            self._fail('save', rc, out, err)
        started = time.monotonic()
        try:
            rc, out, err = self._iptload('apply', self._candidate,
                                         extra=['--confirm', str(timeout)])
        except AnsibleConnectionFailure as e:
            # The new ruleset cut even the established session.
            why = 'the connection was lost during apply (%s)' % (
                to_text(e).strip())
            raise self._rolled_back(why, started)
        if rc != EXIT_OK:
            self._fail('apply', rc, out, err)
        res = self._reconnect_and_run('confirm')
        if res is None:
            raise self._rolled_back(
                'no new connection to the host after apply', started)
        rc, out, err = res
        if rc == EXIT_DIFFERS:
            raise self._rolled_back(
                'the confirmation came too late (nothing waited for it)',
                started)
        if rc != EXIT_OK:
            self._fail('confirm', rc, out, err)
        self._result['confirmed'] = True

    # -- the task ---------------------------------------------------------

    def run(self, tmp=None, task_vars=None):
        if task_vars is None:
            task_vars = dict()
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        self._result = result
        self._diffs = []
        self._display_warnings = []
        self._candidate = None
        self._previous = None
        self._staged = None
        self._tmpdir = None
        self._name = None
        self._args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            mutually_exclusive=[('src', 'content')],
            required_one_of=[('src', 'content')])[1]
        self._task_host = task_vars.get('inventory_hostname', 'host')
        self._want_diff = bool(self._task.diff)
        result.update(changed=False, kernel_changed=False,
                      file_changed=False, rolled_back=False, errors=[])

        text, self._name = self._render(task_vars)
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        self._tmpdir = tmpdir
        upload = self._connection._shell.join_path(tmpdir, 'candidate.conf')
        try:
            self._transfer_data(upload, text)
            self._fixup_perms2((tmpdir, upload))
            self._stage(upload)
            self._check()
            kernel = self._diff()
            files = self._file_differs()
            result.update(changed=kernel or files, kernel_changed=kernel,
                          file_changed=files)
            if not self._play_context.check_mode:
                if kernel:
                    self._apply()
                if kernel or files:
                    self._install()
        except _Failed as e:
            result.update(e.result)
            if not result.get('unreachable'):
                result['failed'] = True
        finally:
            if not result.get('unreachable'):
                self._cleanup()
        if self._diffs:
            result['diff'] = self._diffs
        if self._display_warnings:
            result['warnings'] = self._display_warnings
        return result
