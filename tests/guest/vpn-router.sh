#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/guest/vpn-router.sh IPTLOAD CONF ORACLE_RULES [COUNT] - TAP: real
# ESP packets through CONF (conf/vpn-router.conf) loaded by IPTLOAD, in a
# QEMU guest whose kernel has ESP (tests/guest/run), compared with
# ORACLE_RULES loaded by iptables-legacy-restore.  The guest sets up the
# namespaces of tests/guest/tunnel.sh and runs tests/guest/vpn-router.py,
# whose TAP this prints.  Where no guest can boot here the plan is a SKIP
# saying why.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${IPTLOAD_IN_GUEST:-}" = 1 ]; then
	# Inside the guest: the guest is ours alone, its namespaces too.
	. "$here/tunnel.sh"
	if ! err=$(tunnel_up 2>&1); then
		echo "1..1"
		echo "not ok 1 - the tunnel namespaces are set up"
		printf '%s\n' "$err" | sed 's/^/# /'
		exit 1
	fi
	tunnel_env
	python3 "$here/vpn-router.py" "$@"
	rc=$?
	tunnel_down
	exit $rc
fi

[ $# -ge 3 ] || { echo "usage: $0 IPTLOAD CONF ORACLE_RULES [COUNT]" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP not root: the guest needs root for 9p and namespaces"
	exit 0
fi
if ! reason=$("$here/prepare" 2>&1); then
	case $reason in
	*SKIP:*)
		echo "1..0 # SKIP no guest can boot here: ${reason##*SKIP: }"
		exit 0
		;;
	esac
	echo "1..1"
	echo "not ok 1 - the guest is prepared"
	printf '%s\n' "$reason" | sed 's/^/# /'
	exit 1
fi

args=()
for a in "$@"; do
	case $a in
	*/*) args+=("$(realpath "$a")") ;;
	*) args+=("$a") ;;
	esac
done
start=$(date +%s)
out=$("$here/run" -- "$here/vpn-router.sh" "${args[@]}" 2>"${TMPDIR:-/tmp}/vpn-router-guest.$$")
rc=$?
err=$(cat "${TMPDIR:-/tmp}/vpn-router-guest.$$")
rm -f "${TMPDIR:-/tmp}/vpn-router-guest.$$"
if [ $rc -eq 125 ] || [ $rc -eq 126 ]; then
	# The guest did not run the test to its end: a failure, with what
	# the guest printed (a boot that is possible here must work).
	echo "1..1"
	echo "not ok 1 - the guest runs the test to its end (run exit $rc)"
	printf '%s\n%s\n' "$out" "$err" | sed 's/^/# /'
	exit 1
fi
printf '%s\n' "$out"
[ -n "$err" ] && printf '%s\n' "$err" | sed 's/^/# stderr: /'
echo "# guest run: $(($(date +%s) - start)) s"
exit $rc
