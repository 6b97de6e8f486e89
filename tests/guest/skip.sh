#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/guest/skip.sh IPTLOAD CONF ORACLE_RULES - TAP: where no guest can
# boot (here: no QEMU, by IPTLOAD_GUEST_QEMU naming a missing program), run
# says so with exit 126 and "SKIP: reason", and the guest tests print a
# valid TAP skip plan with the reason and exit 0 (never 77 under TAP):
# vpn-router.sh and trace-agree.sh.
# Boots nothing.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export IPTLOAD_GUEST_QEMU=/nonexistent/qemu-system-x86_64
echo "1..4"

err=$("$here/run" -- true 2>&1)
rc=$?
if [ $rc -eq 126 ] &&
   [ "$(printf '%s\n' "$err" | tail -n 1)" = "SKIP: $IPTLOAD_GUEST_QEMU not installed (package qemu-system-x86)" ]; then
	echo "ok 1 - run: exit 126 and the reason"
else
	echo "not ok 1 - run: exit 126 and the reason"
	printf 'exit %s\n%s\n' "$rc" "$err" | sed 's/^/# /'
fi

out=$("$here/vpn-router.sh" "$@" 2>&1)
rc=$?
want="1..0 # SKIP no guest can boot here: $IPTLOAD_GUEST_QEMU not installed (package qemu-system-x86)"
if [ "$(id -u)" -ne 0 ]; then
	want="1..0 # SKIP not root: the guest needs root for 9p and namespaces"
fi
if [ $rc -eq 0 ] && [ "$out" = "$want" ]; then
	echo "ok 2 - vpn-router.sh: a skip plan with the reason, exit 0"
else
	echo "not ok 2 - vpn-router.sh: a skip plan with the reason, exit 0"
	printf 'exit %s\n%s\n' "$rc" "$out" | sed 's/^/# /'
fi

if [ "${out#1..0 \# SKIP }" != "$out" ]; then
	echo "ok 3 - the plan is a TAP skip"
else
	echo "not ok 3 - the plan is a TAP skip"
fi

out=$("$here/trace-agree.sh" "$1" "$(dirname "$2")" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$out" = "$want" ]; then
	echo "ok 4 - trace-agree.sh: a skip plan with the reason, exit 0"
else
	echo "not ok 4 - trace-agree.sh: a skip plan with the reason, exit 0"
	printf 'exit %s\n%s\n' "$rc" "$out" | sed 's/^/# /'
fi
