#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: iptload maintainers
# GNU General Public License v2.0 or later (so version 3 or later too),
# see COPYING at the top of the iptload source tree.
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iptload
short_description: Check, diff and apply an iptables ruleset with iptload, with a confirmed roll-back
version_added: 0.1.0
description:
  - Loads an IPv4 iptables ruleset on the host with C(iptload), atomically,
    from a template on the controller (I(src)) or from I(content).
  - The candidate goes to a temporary file on the host, never straight to
    I(dest), in a new directory of the become user under C(/tmp) (iptload
    reads a config only from a path that root owns). C(iptload check) validates it; on errors the task fails with
    I(errors), each naming the template, line and column, and nothing
    changes.
  - C(iptload diff) decides whether anything happens. When the kernel holds
    the ruleset already the task reports C(changed=false) and loads nothing
    (the file at I(dest) is still updated if only its text differs). With
    C(--diff) the task shows the kernel's tables before and the candidate
    after, as iptables-save text. Check mode stops here, so it reports
    exactly what a real run would change.
  - Otherwise C(iptload apply --confirm) I(confirm_timeout) loads it, and the
    controller drops its connection and runs C(iptload confirm) over a new
    one. If the new ruleset keeps the controller out, the host's watchdog
    puts the previous tables back by itself; the action waits
    I(confirm_timeout) plus 10 seconds, reconnects, proves with
    C(iptload diff) that the previous ruleset is back and fails with
    C(rolled_back=true).
  - Only after the confirmation is the candidate moved to I(dest), by a
    rename in I(dest)'s directory, so the file on the host and the kernel
    never disagree.
  - The work is done by the action plugin of the same name on the
    controller; the host needs C(iptload) and a POSIX shell, no Python.
author:
  - iptload maintainers (!UNKNOWN)
options:
  src:
    description:
      - A Jinja2 template on the controller, found and rendered as
        M(ansible.builtin.template) does (in C(templates/) beside the
        playbook or role).
      - Diagnostics name this file. Their line numbers are those of the
        rendered text, which are the template's wherever Jinja2 blocks do
        not add or remove lines.
      - Exactly one of I(src) and I(content) is required.
    type: path
  content:
    description:
      - The config text itself, instead of I(src). Diagnostics name it
        C(content).
    type: str
  dest:
    description:
      - Where the config is installed on the host once the kernel holds it
        and it is confirmed (the file C(iptload apply) reads at boot).
    type: path
    default: /etc/iptload/iptload.conf
  defines:
    description:
      - Variables passed to every iptload run as C(-D NAME=VALUE); they win
        over the config's own values. Booleans become C(yes) and C(no).
    type: dict
    default: {}
  confirm_timeout:
    description:
      - Seconds the host's watchdog waits for the confirmation before it
        puts the previous tables back.
      - C(0) applies without a confirmation (no watchdog, no roll-back).
    type: int
    default: 60
  lock_wait:
    description:
      - Seconds to wait for the xtables lock (C(iptload --wait)); C(-1)
        waits as long as it takes. Unset, iptload tries once and the task
        fails if another program holds the lock.
    type: int
  family:
    description:
      - The address family of the ruleset. iptload loads IPv4 tables only;
        the option makes a playbook say so.
    type: str
    default: ipv4
    choices: [ ipv4 ]
  executable:
    description:
      - The iptload program on the host (a name looked up in C(PATH), or a
        path).
    type: str
    default: iptload
notes:
  - Run it as root (C(become=true)), since iptload needs C(CAP_NET_ADMIN).
  - The confirmation goes over a new connection. With the C(ssh)
    connection the action stops the ControlMaster first
    (C(ssh -O stop)), so a ruleset that keeps the established session but
    refuses new ones is caught. Set C(ServerAliveInterval) in
    C(ansible_ssh_common_args) so that a ruleset that cuts the established
    session too is noticed before TCP gives up.
  - For a fleet, roll out with C(serial) and C(max_fail_percentage=0), so
    that a ruleset that locks hosts out stops after the first batch.
  - Exit statuses of iptload become failures that say what happened, for
    config errors (2), kernel refused (3, with the refused rule), xtables
    lock busy (4), a roll-back that failed (7), another apply --confirm
    waiting for its confirmation (8).
attributes:
  check_mode:
    description: Check mode runs check and diff and reports what a real run would change; nothing is applied or installed.
    support: full
  diff_mode:
    description: With C(--diff) the task returns the kernel's tables before and the candidate after, as iptables-save text.
    support: full
'''

EXAMPLES = r'''
- name: Load the firewall of a router, confirmed over a new connection
  iptload.iptload.iptload:
    src: firewall.conf.j2
    defines:
      LAN: 10.0.1.0/24
    confirm_timeout: 60
  become: true

- name: Roll out to a fleet one host at a time; stop at the first failure
  hosts: routers
  serial: 1
  max_fail_percentage: 0
  tasks:
    - iptload.iptload.iptload:
        src: firewall.conf.j2
      become: true

- name: A ruleset given inline, waiting up to 10 s for the xtables lock
  iptload.iptload.iptload:
    content: |
      *filter
      :INPUT DROP [0:0]
      -A INPUT -i lo -j ACCEPT
      -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
      -A INPUT -p tcp --dport 22 -j ACCEPT
      COMMIT
    lock_wait: 10
  become: true
'''

RETURN = r'''
kernel_changed:
  description: The kernel's tables differed from the candidate (and were loaded, unless in check mode).
  returned: always
  type: bool
file_changed:
  description: The text at I(dest) differed from the candidate (and was replaced, unless in check mode).
  returned: always
  type: bool
rolled_back:
  description:
    - C(true) when the new ruleset could not be confirmed and the host's
      watchdog put the previous tables back (proved with C(iptload diff)).
    - C(null) when the host stayed unreachable, so nothing could be proved.
  returned: always
  type: bool
confirmed:
  description: The new ruleset was confirmed over a new connection.
  returned: when the kernel changed and I(confirm_timeout) is not 0
  type: bool
errors:
  description: The errors iptload found, the temporary file named as the template (or C(content)).
  returned: always
  type: list
  elements: dict
  contains:
    file:
      description: The template (or C(content), or an included file).
      type: str
    line:
      description: The line in the rendered config.
      type: int
    col:
      description: The column.
      type: int
    message:
      description: What is wrong.
      type: str
    hint:
      description: How to fix it, where iptload knows.
      type: str
    text:
      description: The offending line, as iptload quoted it.
      type: str
  sample: [{file: firewall.conf.j2, line: 9, col: 13, message: "missing prefix length after '/' in '0.0.0.0/'"}]
changes:
  description: What C(iptload diff) printed (what the kernel would gain and lose).
  returned: when the kernel differs
  type: str
step:
  description: The iptload command that failed (check, diff, print, save, apply, confirm, install).
  returned: on failure
  type: str
rc:
  description: The exit status of the iptload command that failed.
  returned: on failure
  type: int
'''

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path'),
            content=dict(type='str'),
            dest=dict(type='path', default='/etc/iptload/iptload.conf'),
            defines=dict(type='dict', default={}),
            confirm_timeout=dict(type='int', default=60),
            lock_wait=dict(type='int'),
            family=dict(type='str', default='ipv4', choices=['ipv4']),
            executable=dict(type='str', default='iptload'),
        ),
        mutually_exclusive=[('src', 'content')],
        required_one_of=[('src', 'content')],
        supports_check_mode=True,
    )
    # The action plugin of the same name does the work: only it can drop
    # the connection and confirm over a new one.
    module.fail_json(msg='iptload.iptload.iptload runs through its action '
                         'plugin; call it as a task, not as a bare module')


if __name__ == '__main__':
    main()
