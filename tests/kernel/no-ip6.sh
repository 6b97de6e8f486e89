#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# no-ip6.sh IPTLOAD CONFIG... - an IPv4-only config never reaches IPv6:
# under strace -f, iptload apply (into a fresh namespace), apply again (the
# no-op reapply), check and diff of each CONFIG make no AF_INET6 socket, no
# SOL_IPV6 get/setsockopt (IP6T_SO_*) and open no ip6_tables file.  A host
# without IPv6 firewalling, or with ip6_tables owned by another tool, must
# be able to run iptload for IPv4 alone.  Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -lt 2 ]; then
	echo "usage: $0 IPTLOAD CONFIG..." >&2
	exit 64
fi
skip_unless_netns
IPTLOAD=$(realpath "$1")
shift
export IPTLOAD

work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-noip6.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"
# LeakSanitizer cannot run under ptrace (see no-exec.sh).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

if ! command -v strace >/dev/null; then
	echo "1..1"
	echo "not ok 1 - strace is not installed"
	exit 1
fi

# What an IPv6 firewall call looks like in strace's decoding; proved to
# match by the last test, which runs ip6tables-legacy under the same trace.
IP6_CALLS='AF_INET6|SOL_IPV6|IP6T_SO_|ip6_tables'
TRACE='trace=socket,setsockopt,getsockopt,open,openat'

# traced_ops CONFIG LOG: in the current (fresh) namespace, apply, apply,
# check and diff CONFIG under strace, appending to LOG; the exit statuses
# go to LOG.rc, one a line.
traced_ops() {
	local op
	for op in apply apply check diff; do
		strace -f -qq -e "$TRACE" -o "$2.$op" \
			"$IPTLOAD" "$op" "$1" >>"$2.out" 2>&1
		echo "$op $?" >>"$2.rc"
		cat "$2.$op" >>"$2"
	done
}
export -f traced_ops
export TRACE

echo "1..$(($# + 1))"
n=0
failed=0
for config; do
	n=$((n + 1))
	log=$work/log.$n
	: >"$log"
	: >"$log.rc"
	in_fresh_netns traced_ops "$config" "$log"
	name="$(basename "$config"): apply, reapply, check, diff"
	# diff exits 0 (no difference) after the apply.
	if grep -qv ' 0$' "$log.rc"; then
		echo "not ok $n - $name # an operation failed"
		{ cat "$log.rc"; cat "$log.out"; } | tap_diag 40
		failed=1
	elif grep -E "$IP6_CALLS" "$log" >"$log.ip6"; then
		echo "not ok $n - $name make IPv6 calls"
		tap_diag 20 <"$log.ip6"
		failed=1
	else
		echo "ok $n - $name make no IPv6 call"
	fi
done

# The pattern is not vacuous: ip6tables-legacy under the same trace
# matches it.
n=$((n + 1))
in_fresh_netns strace -f -qq -e "$TRACE" -o "$work/oracle" \
	ip6tables-legacy -A INPUT -j ACCEPT >/dev/null 2>&1
if grep -qE "$IP6_CALLS" "$work/oracle"; then
	echo "ok $n - ip6tables-legacy's calls match the pattern"
else
	echo "not ok $n - ip6tables-legacy's calls do not match the pattern"
	tap_diag 20 <"$work/oracle"
	failed=1
fi
exit $failed
