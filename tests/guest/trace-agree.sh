#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/guest/trace-agree.sh IPTLOAD CONFDIR [COUNT] - TAP: the kernel
# agreement test of iptload trace (tests/kernel/trace/agree.sh) with a
# real ESP tunnel, in a QEMU guest whose kernel has ESP (tests/guest/run):
# vpn-router.conf and its variants with seeded mistakes (MASQUERADE and
# return-path ones too, whose lints' witnesses need a real SA), COUNT
# packets each (default 1000), some out of the tunnel (traced with
# --ipsec-in) and every one the router sends from the LAN to the VPN
# network into it (--ipsec-out).  Where no guest can boot here the plan
# is a SKIP saying why.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${IPTLOAD_IN_GUEST:-}" = 1 ]; then
	# Inside the guest: its namespaces are ours alone.
	AGREE_IPSEC=1 exec "$here/../kernel/trace/agree.sh" "$@"
fi

[ $# -ge 2 ] || { echo "usage: $0 IPTLOAD CONFDIR [COUNT]" >&2; exit 2; }
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
errf=$(mktemp "${TMPDIR:-/tmp}/trace-agree-guest.XXXXXX")
out=$("$here/run" --timeout 3300 --env IPTLOAD_TRACE_PACKETS -- \
	"$here/trace-agree.sh" \
	"${args[@]}" 2>"$errf")
rc=$?
err=$(cat "$errf")
rm -f "$errf"
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
