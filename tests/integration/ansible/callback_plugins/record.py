# SPDX-License-Identifier: GPL-2.0-or-later
"""Test helper: append every task result, as one JSON line, to the file
named by $IPTLOAD_RECORD, so that ansible.sh can assert on them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
    name: record
    type: aggregate
    short_description: write each task result to $IPTLOAD_RECORD
    description: A helper of the iptload end-to-end test.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'record'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        line = dict(host=result._host.get_name(),
                    task=result._task.get_name(), status=status,
                    result=result._result)
        with open(os.environ['IPTLOAD_RECORD'], 'a') as f:
            f.write(json.dumps(line, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_on_unreachable(self, result):
        self._write('unreachable', result)
