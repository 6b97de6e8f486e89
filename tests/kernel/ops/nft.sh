#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# nft.sh IPTLOAD - when nf_tables holds base chains at the hooks the
# config's tables use (what nft or iptables-nft loaded): ip or inet chains
# for its IPv4 tables, ip6 or inet chains for its IPv6 tables, check, diff
# and apply warn that both rulesets filter packets, naming the nft tables
# and the families; no warning otherwise.  nft runs in the test only
# (iptload asks nf_tables over netlink itself).  Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"
if ! command -v nft >/dev/null; then
	tap_skip "nft is not installed"
fi

nft_warns() {
	conf filter.conf <<'CONF'
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
CONF
	conf raw.conf <<'CONF'
*raw
-A PREROUTING -s 192.0.2.0/24 -j DROP
COMMIT
CONF
	conf filter6.conf <<'CONF'
family ipv6
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
CONF
	conf raw6.conf <<'CONF'
-6 -t raw -A PREROUTING -s 2001:db8::/32 -j DROP
CONF
	conf both.conf <<'CONF'
family both
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
CONF
	local cmd rc
	"$IPTLOAD" check "$work/filter.conf" >/dev/null 2>"$work/err"
	check "no nft tables: no warning" test ! -s "$work/err"

	nft add table ip t &&
		nft add chain ip t c '{ type filter hook input priority 0; }' &&
		nft add table inet fw &&
		nft add chain inet fw out '{ type filter hook output priority 0; }' &&
		nft add chain inet fw plain &&
		nft add table ip6 six &&
		nft add chain ip6 six c '{ type filter hook input priority 0; }' &&
		nft add chain ip6 six o '{ type filter hook output priority 0; }' ||
		echo "not ok - nft could not make its tables"
	for cmd in check diff apply; do
		rc=0
		"$IPTLOAD" "$cmd" "$work/filter.conf" >/dev/null 2>"$work/err" ||
			rc=$?
		check "$cmd warns, naming table ip t (input) and inet fw (output)" \
			grep -q "warning: nf_tables also filters IPv4 packets at the hooks of this ruleset: table ip t (input), table inet fw (output); packets there go through both rulesets" \
			"$work/err"
		check "$cmd does not name the ip6 table" \
			bash -c "! grep -q six '$work/err'"
	done
	check "apply still applied" \
		bash -c "iptables-legacy-save -t filter | grep -q -- '-A INPUT -i lo -j ACCEPT'"
	"$IPTLOAD" check "$work/raw.conf" >/dev/null 2>"$work/err"
	check "a config of raw (prerouting, output) is warned about fw's output chain only" \
		grep -q "table inet fw (output); packets" "$work/err"

	for cmd in check diff apply; do
		rc=0
		"$IPTLOAD" "$cmd" "$work/filter6.conf" >/dev/null \
			2>"$work/err" || rc=$?
		cp "$work/err" "$work/why"
		check "$cmd of an IPv6 filter table warns, naming inet fw and ip6 six, not ip t" \
			grep -q "warning: nf_tables also filters IPv6 packets at the hooks of this ruleset: table inet fw (output), table ip6 six (input, output); packets there go through both rulesets" \
			"$work/err"
	done
	check "apply still applied the IPv6 table" \
		bash -c "ip6tables-legacy-save -t filter | grep -q -- '-A INPUT -i lo -j ACCEPT'"
	"$IPTLOAD" check "$work/raw6.conf" >/dev/null 2>"$work/err"
	cp "$work/err" "$work/why"
	check "an IPv6 raw table (prerouting, output): six's output chain, though its input chain comes first" \
		grep -q "IPv6 packets at the hooks of this ruleset: table inet fw (output), table ip6 six (output); packets" \
		"$work/err"
	"$IPTLOAD" check "$work/both.conf" >/dev/null 2>"$work/err"
	cp "$work/err" "$work/why"
	check "family both: IPv4 and IPv6 packets, every table named" \
		grep -q "warning: nf_tables also filters IPv4 and IPv6 packets at the hooks of this ruleset: table ip t (input), table inet fw (output), table ip6 six (input, output); packets" \
		"$work/err"
}
export -f nft_warns

in_fresh_netns nft_warns | ops_finish
