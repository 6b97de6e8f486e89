#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ansible-collection.sh - ansible-test units and ansible-test sanity on the
# iptload.iptload collection (contrib/ansible), with Debian's packages
# (contrib/ansible/scripts/ansible-test-offline: no pip).  Runs on a copy,
# so that ansible-test's output stays out of the source tree, with a
# private HOME for its virtual environments.
#
# TAP; "1..0 # SKIP reason" (exit 0) where ansible-test is missing.
set -u

command -v ansible-test >/dev/null ||
	{ echo "1..0 # SKIP ansible-test not found (install ansible-core)"; exit 0; }
/usr/bin/python3 -c 'import pytest, xdist, pytest_forked, pytest_mock' 2>/dev/null ||
	{ echo "1..0 # SKIP pytest plugins missing (python3-pytest-xdist, -forked, -mock)"; exit 0; }
/usr/bin/python3 -c 'import voluptuous, pylint, yamllint, pycodestyle' 2>/dev/null ||
	{ echo "1..0 # SKIP sanity tools missing (python3-voluptuous, pylint, yamllint, python3-pycodestyle)"; exit 0; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${IPTLOAD_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-collection.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ansible_collections/iptload" "$work/home"
cp -r "$src/contrib/ansible/ansible_collections/iptload/iptload" \
	"$work/ansible_collections/iptload/"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
export HOME=$work/home
offline=$src/contrib/ansible/scripts/ansible-test-offline
py=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cd "$work/ansible_collections/iptload/iptload" || exit 1

echo "1..3"
n=0
run() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >"$work/out" 2>&1 </dev/null; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		grep -v '^Running sanity test' "$work/out" | tail -n 60 | sed 's/^/# /'
		failed=1
	fi
}
failed=0
run "ansible-test units (every iptload exit status mocked)" \
	"$offline" units --python "$py" --color no
run "ansible-test sanity" "$offline" sanity --python "$py" --color no
# The playbooks of the collection's README parse, with the collection.
readme_playbooks() {
	/usr/bin/python3 - README.md "$work" <<'PY' || return 1
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r'```yaml\n(.*?)```', text, re.S)
assert len(blocks) >= 2, 'no playbooks found'
for i, block in enumerate(blocks):
    open('%s/readme-%d.yml' % (sys.argv[2], i), 'w').write(block)
PY
	printf '*filter\nCOMMIT\n' >"$work/firewall.conf.j2"
	printf '[routers]\nr1\n' >"$work/inventory"
	ANSIBLE_COLLECTIONS_PATH=$work ansible-playbook -i "$work/inventory" \
		--syntax-check "$work"/readme-*.yml
}
run "the README's playbooks pass ansible-playbook --syntax-check" \
	readme_playbooks
exit $failed
