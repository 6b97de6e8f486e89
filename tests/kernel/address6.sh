#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# address6.sh IPTLOAD - address() and network() over both families, in one
# fresh network namespace with a veth interface (no dummy links here):
#  1. in family both, address(extif) gives the IPv4 rule the primary IPv4
#     address and the IPv6 rule each global IPv6 address (not the
#     link-local one); network(extif) their prefixes;
#  2. in family both, a DROP on address(extif) of an interface without an
#     IPv6 address is refused (it would fail open in IPv6), nothing changes;
#  3. an IPv4 rule on an interface with IPv6 addresses only: apply refuses
#     (exit 2), apply --boot leaves the rule out and exits 5;
#  4. an IPv4 config (no family line) takes the IPv4 values only and never
#     touches ip6_tables.
# Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 IPTLOAD" >&2; exit 64; }
test_setup address6 "$1"

cat >"$work/both.conf" <<'CONF'
PUB = address(extif)
NET = network(extif)
family both
*filter
:INPUT DROP [0:0]
-A INPUT -i extif -d $PUB -p udp --dport 500 -j ACCEPT
-A FORWARD -s $NET -j ACCEPT
COMMIT
CONF
sed '/^family both$/d' "$work/both.conf" >"$work/v4.conf"
cat >"$work/drop.conf" <<'CONF'
PUB = address(extif)
family both
-A INPUT -d $PUB -j DROP
CONF
chmod 644 "$work"/*.conf

n=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		sed 's/^/# /' "$work/err"
	fi
}
v4() { iptables-legacy-save | grep -v '^#'; }
v6() { ip6tables-legacy-save | grep -v '^#'; }
export -f result v4 v6

scenario() {

	rc=0; "$IPTLOAD" apply "$work/both.conf" 2>"$work/err" || rc=$?
	v4 >"$work/v4"; v6 >"$work/v6"
	[ $rc = 0 ] &&
		grep -qx -- '-A INPUT -d 198.51.100.9/32 -i extif -p udp -m udp --dport 500 -j ACCEPT' "$work/v4" &&
		grep -qx -- '-A INPUT -d 2001:db8:9::9/128 -i extif -p udp -m udp --dport 500 -j ACCEPT' "$work/v6" &&
		grep -qx -- '-A FORWARD -s 198.51.100.0/24 -j ACCEPT' "$work/v4" &&
		grep -qx -- '-A FORWARD -s 2001:db8:9::/64 -j ACCEPT' "$work/v6" &&
		[ "$(grep -c '^-A' "$work/v4")" = 2 ] &&
		[ "$(grep -c '^-A' "$work/v6")" = 2 ] &&
		! grep -q fe80 "$work/v6"
	result $? "family both: each family's rule gets its own addresses (rc=$rc)"
}

scenario_v4() {
	rc=0; "$IPTLOAD" apply "$work/v4.conf" 2>"$work/err" || rc=$?
	[ $rc = 0 ] &&
		iptables-legacy-save | grep -qx -- '-A INPUT -d 198.51.100.9/32 -i extif -p udp -m udp --dport 500 -j ACCEPT' &&
		[ -z "$(cat /proc/net/ip6_tables_names)" ]
	result $? "an IPv4 config takes the IPv4 values, touches no IPv6 table (rc=$rc)"
}

scenario_no_v6() {
	ip -6 addr flush dev extif
	iptables-legacy-save >"$work/before4"
	rc=0; "$IPTLOAD" apply "$work/drop.conf" 2>"$work/err" || rc=$?
	iptables-legacy-save >"$work/after4"
	[ $rc = 2 ] &&
		grep -q 'drop.conf:3:1: error: in family both, this rule is loaded in IPv4 only: its address() value leaves it without addresses in IPv6' "$work/err" &&
		diff -q <(grep -v '^#' "$work/before4") <(grep -v '^#' "$work/after4") >/dev/null
	result $? "a DROP on address() with no IPv6 address is refused, nothing changes (rc=$rc)"
}

scenario_v6_only() {
	ip addr flush dev extif
	ip -6 addr add 2001:db8:9::9/64 dev extif nodad
	rc=0; "$IPTLOAD" apply "$work/v4.conf" 2>"$work/err" || rc=$?
	[ $rc = 2 ] &&
		grep -q "v4.conf:5:22: error: this interface value has no IPv4 address (only 2001:db8:9::9)" "$work/err"
	result $? "an IPv4 rule whose interface has IPv6 addresses only is refused (rc=$rc)"
	rc=0; "$IPTLOAD" apply --boot "$work/v4.conf" 2>"$work/err" || rc=$?
	[ $rc = 5 ] && [ "$(grep -c 'warning: left out:' "$work/err")" = 2 ] &&
		iptables-legacy-save | grep -qx ':INPUT DROP \[0:0\]' &&
		[ -z "$(iptables-legacy-save | grep -- '^-A')" ]
	result $? "apply --boot leaves both rules out, loads the rest, exits 5 (rc=$rc)"
}

setup() {
	ip link add extif type veth peer name extif-peer || exit 99
	ip addr add 198.51.100.9/24 dev extif
	ip addr add 198.51.100.10/24 dev extif # a secondary
	ip -6 addr add 2001:db8:9::9/64 dev extif nodad
	ip -6 addr add fe80::9/64 dev extif nodad
}

first() {
	setup
	scenario
	scenario_no_v6
	scenario_v6_only
}
second() {
	n=4
	setup
	scenario_v4
}
export -f setup scenario scenario_v4 scenario_no_v6 scenario_v6_only first second

echo "1..5"
in_fresh_netns first
# A namespace of its own: the first made IPv6 tables.
in_fresh_netns second
