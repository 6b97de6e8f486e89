#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dualstack.sh IPTLOAD CONFIG - the day-to-day commands over both families,
# with CONFIG a dual-stack config (family both, mixed lists):
#  1. apply --boot with a config that cannot be read loads the lockdown in
#     IPv6 too: DROP policies, loopback allowed, exit 6 (a fail-closed boot
#     must not leave IPv6 open).
#  2. after apply, diff says identical and a second apply commits no table
#     of either family; save prints a config that applies with no commit
#     where it was taken, and that gives both families byte for byte the
#     same tables in a fresh namespace.
# Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
[ $# -eq 2 ] || { echo "usage: $0 IPTLOAD CONFIG" >&2; exit 64; }
ops_init "$1"
CONFIG=$(realpath "$2")
export CONFIG

# The lockdown in one family's filter table: DROP everywhere, loopback
# in and out, nothing else.
lockdown_in() {
	grep -qx ':INPUT DROP \[0:0\]' "$1" &&
		grep -qx ':FORWARD DROP \[0:0\]' "$1" &&
		grep -qx ':OUTPUT DROP \[0:0\]' "$1" &&
		grep -qx -- '-A INPUT -i lo -j ACCEPT' "$1" &&
		grep -qx -- '-A OUTPUT -o lo -j ACCEPT' "$1" &&
		[ "$(grep -c '^-A' "$1")" = 2 ]
}
export -f lockdown_in

# Whether the namespace has ip6_tables tables (a /proc file's size is 0
# whatever it holds: test -s cannot tell).
has_ip6_tables() {
	[ -n "$(cat /proc/net/ip6_tables_names 2>/dev/null)" ]
}
export -f has_ip6_tables

boot_lockdown() {
	local rc=0
	: >"$work/v6"
	"$IPTLOAD" apply --boot "$work/missing.conf" >"$work/out" \
		2>"$work/err" || rc=$?
	iptables-legacy-save -t filter >"$work/v4" 2>&1
	has_ip6_tables &&
		ip6tables-legacy-save -t filter >"$work/v6" 2>&1
	check "--boot with an unreadable config exits 6" test "$rc" = 6
	check "the IPv4 lockdown: DROP, loopback only" lockdown_in "$work/v4"
	check "the IPv6 lockdown: DROP, loopback only" lockdown_in "$work/v6"
}
export -f boot_lockdown

noop_and_save() {
	local n
	if ! "$IPTLOAD" apply "$CONFIG" >"$work/out" 2>"$work/why"; then
		echo "not ok - apply $(basename "$CONFIG")"
		sed 's/^/# /' "$work/why"
		return
	fi
	check "the config fills both families" has_ip6_tables
	state >"$work/applied"
	"$IPTLOAD" diff "$CONFIG" >"$work/why" 2>&1
	check "diff after apply: identical (exit 0, no output)" \
		test $? = 0 -a ! -s "$work/why"
	n=$(replaces "$IPTLOAD" apply "$CONFIG")
	check "a second apply commits no table of either family" \
		test "$n" = 0 -a "$(cat "$work/rc")" = 0
	"$IPTLOAD" save >"$work/saved.conf" 2>"$work/why"
	chmod 600 "$work/saved.conf"
	n=$(replaces "$IPTLOAD" apply "$work/saved.conf")
	check "save's output applies with no commit where it was taken" \
		test "$n" = 0 -a "$(cat "$work/rc")" = 0
	state >"$work/after"
	check "and changes nothing" same "$work/applied" "$work/after"
}
export -f noop_and_save

# save's output, loaded in a fresh namespace, rebuilds both families.
save_elsewhere() {
	"$IPTLOAD" apply "$work/saved.conf" >"$work/out" 2>"$work/why"
	check "save's output applies in a fresh namespace" test $? = 0
	state >"$work/rebuilt"
	check "and rebuilds both families as they were" \
		same "$work/applied" "$work/rebuilt"
}
export -f save_elsewhere

{
	in_fresh_netns boot_lockdown
	in_fresh_netns noop_and_save
	in_fresh_netns save_elsewhere
} | ops_finish
