#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# boot.sh IPTLOAD - run-time values and --boot, in one fresh network
# namespace with veth interfaces (this kernel has no dummy links):
#  1. extif without an address: plain apply refuses (exit 2), nothing changes;
#  2. apply --boot loads the policies and the loopback rules, leaves out the
#     rule that needs $PUBLIC_IP, names it, and exits 5 (partial);
#  3. once extif has its address, apply loads the rule with that address;
#  4. a changed address is picked up by the next apply;
#  5. network(wirif) gives the interface's prefix;
#  6. --boot with a config that cannot be read loads the lockdown (exit 6).
# Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 IPTLOAD" >&2; exit 64; }
test_setup boot "$1"

cat >"$work/boot.conf" <<'CONF'
PUBLIC_IP = address(extif)
LAN = network(wirif)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A INPUT -i extif -p udp -d $PUBLIC_IP --dport 500 -j ACCEPT
-A INPUT -i wirif -s $LAN -j ACCEPT
COMMIT
CONF
chmod 644 "$work/boot.conf"

scenario() {
	n=0
	ok() { n=$((n + 1)); echo "ok $n - $1"; }
	not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$work/err"; }
	save() { iptables-legacy-save | grep -v '^#'; }
	ip link add extif type veth peer name extif-peer || exit 99
	ip link add wirif type veth peer name wirif-peer || exit 99
	ip addr add 10.0.1.1/24 dev wirif
	ip addr add 10.0.1.200/24 dev wirif # a secondary: not the network

	save >"$work/before"
	rc=0; "$IPTLOAD" apply "$work/boot.conf" 2>"$work/err" || rc=$?
	save >"$work/after"
	if [ $rc = 2 ] && grep -q 'boot.conf:9:.*PUBLIC_IP is not known yet: extif has no address' "$work/err" &&
	   cmp -s "$work/before" "$work/after"; then
		ok "without extif's address plain apply refuses and changes nothing"
	else
		not_ok "without extif's address plain apply refuses (rc=$rc)"
	fi

	rc=0; "$IPTLOAD" apply --boot "$work/boot.conf" 2>"$work/err" || rc=$?
	save >"$work/after"
	if [ $rc = 5 ] && grep -q 'boot.conf:9:1: warning: left out: \$PUBLIC_IP is not known yet' "$work/err" &&
	   grep -qx ':INPUT DROP \[0:0\]' "$work/after" &&
	   grep -qx -- '-A INPUT -i lo -j ACCEPT' "$work/after" &&
	   grep -qx -- '-A INPUT -s 10.0.1.0/24 -i wirif -j ACCEPT' "$work/after" &&
	   ! grep -q -- '--dport 500' "$work/after"; then
		ok "--boot loads policies and loopback, leaves out the rule (exit 5)"
	else
		not_ok "--boot partial load (rc=$rc)"
	fi

	ip addr add 203.0.113.7/24 dev extif
	rc=0; "$IPTLOAD" apply "$work/boot.conf" 2>"$work/err" || rc=$?
	if [ $rc = 0 ] && save | grep -qx -- '-A INPUT -d 203.0.113.7/32 -i extif -p udp -m udp --dport 500 -j ACCEPT'; then
		ok "with the address, apply loads the rule with it"
	else
		not_ok "with the address, apply loads the rule (rc=$rc)"
	fi

	ip addr flush dev extif
	ip addr add 198.51.100.9/24 dev extif
	rc=0; "$IPTLOAD" apply "$work/boot.conf" 2>"$work/err" || rc=$?
	if [ $rc = 0 ] && save | grep -qx -- '-A INPUT -d 198.51.100.9/32 -i extif -p udp -m udp --dport 500 -j ACCEPT' &&
	   ! save | grep -q 203.0.113.7; then
		ok "a changed address is picked up by the next apply"
	else
		not_ok "a changed address is picked up (rc=$rc)"
	fi

	if save | grep -qx -- '-A INPUT -s 10.0.1.0/24 -i wirif -j ACCEPT'; then
		ok "network(wirif) is the primary address's prefix"
	else
		not_ok "network(wirif)"
	fi

	rc=0; "$IPTLOAD" apply --boot "$work/missing.conf" 2>"$work/err" || rc=$?
	save >"$work/after"
	if [ $rc = 6 ] && grep -qx ':FORWARD DROP \[0:0\]' "$work/after" &&
	   grep -qx -- '-A INPUT -i lo -j ACCEPT' "$work/after" &&
	   grep -qx -- '-A OUTPUT -o lo -j ACCEPT' "$work/after" &&
	   [ "$(grep -c '^-A' "$work/after")" = 2 ]; then
		ok "--boot with an unreadable config loads the lockdown (exit 6)"
	else
		not_ok "--boot lockdown (rc=$rc)"
	fi
}
export -f scenario

echo "1..7"
in_fresh_netns scenario
# interfaces: what the hooks ask; needs no kernel and no interface.
if [ "$("$IPTLOAD" interfaces "$work/boot.conf" 2>&1)" = "$(printf 'extif\nwirif')" ]; then
	echo "ok 7 - interfaces lists extif and wirif, sorted"
else
	echo "not ok 7 - interfaces lists extif and wirif"
fi
