#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# counters.sh IPTLOAD - packet and byte counters survive an apply: real
# UDP traffic on lo (udp_echo) through an ACCEPT rule in INPUT and OUTPUT's
# policy, then an apply that changes other rules: the rules that stay and
# the built-in policies keep their counts exactly, and go on counting; a
# rule that only moved keeps its counts too.  Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"
UDP_ECHO="$OPS_BUILD/udp_echo"
export UDP_ECHO

# The counters of the line of `iptables-legacy-save -c` matching $1.
counters_of() {
	iptables-legacy-save -c -t filter | grep -F -- "$1" | head -1 |
		sed -n 's/^\[\([0-9]*:[0-9]*\)\].*/\1/p; s/^:[A-Z]* [A-Z]* \[\([0-9]*:[0-9]*\)\]$/\1/p'
}
export -f counters_of

traffic() {
	ip link set lo up
	conf one.conf <<'CONF'
*filter
:INPUT DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -i lo -p udp --dport 9999 -j ACCEPT
-A INPUT -p tcp --dport 443 -j ACCEPT
COMMIT
CONF
	# Another rule changes, one is added before ours, one goes.
	conf two.conf <<'CONF'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 2222 -j ACCEPT
-A INPUT -s 192.0.2.1 -j DROP
-A INPUT -i lo -p udp --dport 9999 -j ACCEPT
COMMIT
CONF
	# Our rule moves to the top: the two others stay, so it is the one
	# deleted and inserted again.
	conf three.conf <<'CONF'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -p udp --dport 9999 -j ACCEPT
-A INPUT -p tcp --dport 2222 -j ACCEPT
-A INPUT -s 192.0.2.1 -j DROP
COMMIT
CONF
	local rule='-A INPUT -i lo -p udp -m udp --dport 9999 -j ACCEPT'
	local r1 p1 r2 p2 r3 r4
	"$IPTLOAD" apply "$work/one.conf" 2>"$work/why"
	"$UDP_ECHO" 5 9999 2>"$work/why"
	r1=$(counters_of "$rule")
	p1=$(counters_of ':OUTPUT ACCEPT')
	check "traffic counted: rule $r1 (5 datagrams of 128 bytes), OUTPUT policy $p1" \
		test "$r1" = 5:640 -a "$p1" = 5:640
	"$IPTLOAD" apply "$work/two.conf" 2>"$work/why"
	r2=$(counters_of "$rule")
	p2=$(counters_of ':OUTPUT ACCEPT')
	check "an apply that changes other rules keeps the rule's counters ($r2)" \
		test "$r2" = "$r1"
	check "and the OUTPUT policy's counters ($p2)" test "$p2" = "$p1"
	check "the new rule starts at zero" \
		test "$(counters_of '-A INPUT -s 192.0.2.1/32 -j DROP')" = 0:0
	"$UDP_ECHO" 3 9999 2>"$work/why"
	check "and they go on counting" \
		test "$(counters_of "$rule")" = 8:1024 -a \
		"$(counters_of ':OUTPUT ACCEPT')" = 8:1024
	"$IPTLOAD" apply -v "$work/three.conf" >"$work/out" 2>"$work/why"
	r3=$(counters_of "$rule")
	check "a rule that moves keeps its counters ($r3)" \
		test "$r3" = 8:1024 -a "$(iptables-legacy-save -t filter |
			grep -m1 -- '-A INPUT')" = "$rule"
	check "it was deleted and inserted, not left alone" \
		grep -q 'committed: +1 -1 rules' "$work/out"
	"$IPTLOAD" apply "$work/three.conf" 2>"$work/why"
	r4=$(counters_of "$rule")
	check "a no-op apply keeps them ($r4)" test "$r4" = 8:1024
}
export -f traffic

in_fresh_netns traffic | ops_finish
