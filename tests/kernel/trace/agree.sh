#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# agree.sh IPTLOAD CONFDIR COUNT - iptload trace agrees with the kernel.
# For each conf/ config and for variants of vpn-router.conf with seeded
# mistakes, agree.py (in a fresh network namespace holding the ruleset,
# with peer namespaces behind veth pairs) traces COUNT packets offline and
# sends them for real; every packet's verdict and set of moved counters
# must be the trace's.  Each variant's mistake must be found by
# `iptload check` (its lint), and the lint's witness is one of the packets
# sent.  The conf/ configs must get no warning at all.
#
# Packets are NEW, INVALID, ESTABLISHED and RELATED (agree.py opens a real
# connection for each of the last two before the config is loaded).
# The IPsec cases need real SAs (ESP), which this kernel lacks: they are
# not run here but in a QEMU guest (tests/guest/trace-agree.sh,
# AGREE_IPSEC=1; doc/testing-ipsec.md).
set -u
[ -x /usr/bin/python3 ] || { echo "1..0 # SKIP /usr/bin/python3 not found"; exit 0; }
. "$(dirname "$0")/../lib.sh"
test_setup trace-agree "$1"
confdir=$2
count=${IPTLOAD_TRACE_PACKETS:-${3:-1000}}
here=$(cd "$(dirname "$0")" && pwd)

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }

# The variants: vpn-router.conf with one mistake each.
/usr/bin/python3 "$here/variants.py" "$confdir/vpn-router.conf" "$work" \
	"$confdir/home-router.conf" || not_ok "variants.py"

topo_vpn='{"extif": {"addrs": ["203.0.113.7"], "nets": ["0.0.0.0/0"],
 "hints": ["10.0.2.0/24", "198.51.100.0/24"]},
 "wirif": {"addrs": ["10.0.1.1"], "nets": ["10.0.1.0/24"]}}'
topo_rw='{"eth0": {"addrs": ["192.0.2.10"], "nets": ["0.0.0.0/0"],
 "hints": ["10.10.10.0/24", "203.0.113.5/32", "203.0.113.6/32"]}}'
topo_home='{"ppp0": {"addrs": ["100.64.0.2"], "nets": ["0.0.0.0/0"]},
 "br-lan": {"addrs": ["192.168.1.1"], "nets": ["192.168.1.0/24"],
  "hints": ["192.168.1.50/32"]},
 "wlan-guest": {"addrs": ["192.168.2.1"], "nets": ["192.168.2.0/24"]}}'

# check_lints FILE LINT...: `iptload check` warns with exactly these lints
# (none: no warning at all); prints the witnesses to $work/witnesses.
check_lints() {
	local file=$1 want got rc=0
	shift
	"$IPTLOAD" "${check_defs[@]}" check -q "$file" >/dev/null \
		2>"$work/check.err" || rc=$?
	got=$(sed -n 's/.*warning: .*\[\([a-z-]*\)\]$/\1/p' "$work/check.err" |
		sort -u | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u | tr '\n' ' ')
	sed -n "s|.*witness: iptload trace [^ ]* \(.*\); to silence.*|\1|p" \
		"$work/check.err" >"$work/witnesses"
	if [ "$rc" != 0 ]; then
		not_ok "check $(basename "$file"): exit $rc"
		sed 's/^/# /' "$work/check.err"
	elif [ "$got" = "$want" ]; then
		ok "check $(basename "$file"): lints '${want% }'"
	else
		not_ok "check $(basename "$file"): lints '${got% }', want '${want% }'"
		sed 's/^/# /' "$work/check.err"
	fi
}

# agree NAME FILE TOPO [COUNT]: the packets of one config, in a fresh
# namespace.
agree() {
	local line
	mapfile -t wit <"$work/witnesses"
	line=$(in_fresh_netns /usr/bin/python3 "$here/agree.py" "$IPTLOAD" \
		"$2" "$1" "${4:-$count}" 7 "$3" "${wit[@]}" 2>"$work/agree.err")
	printf '%s\n' "$line" >"$work/agree.out"
	case $line in
	ok*) ok "$(printf '%s\n' "${line#ok 1 - }" | head -n 1)" ;;
	*)
		not_ok "$(printf '%s\n' "${line#not ok 1 - }" | head -n 1)"
		[ -z "$line" ] && sed 's/^/# /' "$work/agree.err"
		;;
	esac
	printf '%s\n' "$line" | sed -n '2,$p'
}

# witness_went NAME WHAT: the last agree's witness agreed, and the kernel
# did WHAT with it ("DROP", "ACCEPT (tunnel)", "ACCEPT (clear) from A").
witness_went() {
	if grep -qF ": agrees, kernel $2" "$work/agree.out" &&
		[ "$(grep -c '^# witness ' "$work/agree.out")" = 1 ]; then
		ok "$1: the witness, traced and sent: kernel $2"
	else
		not_ok "$1: the witness, traced and sent: kernel $2"
		grep '^# witness ' "$work/agree.out"
	fi
}

check_defs=()
if [ "${AGREE_IPSEC:-}" = 1 ]; then
	# In the QEMU guest (tests/guest/trace-agree.sh): vpn-router.conf and
	# its variants, with packets through a real ESP tunnel.
	export AGREE_IPSEC
	check_lints "$confdir/vpn-router.conf"
	agree vpn-router "$confdir/vpn-router.conf" "$topo_vpn"
	for v in nopolicy:spoofable polnone:spoofable "shadowed:shadowed ike" \
		no4500:ike "shadowunion:shadowed ike"; do
		# shellcheck disable=SC2086 # the lints are words
		check_lints "$work/${v%%:*}.conf" ${v#*:}
		agree "vpn-${v%%:*}" "$work/${v%%:*}.conf" "$topo_vpn"
	done
	# The lints whose witnesses need a real SA, with half the packets
	# each (the test's time): a MASQUERADE that takes tunnel-bound
	# traffic out of the tunnel (the witness leaves NATed, in the clear);
	# the same with its exemption (no lint; the same witness goes through
	# the tunnel); no way back into the tunnel (the ESTABLISHED answer is
	# dropped; with vpn-router.conf's --dir out rule it goes into the
	# tunnel).
	check_lints "$work/masquerade.conf" masquerade
	cp "$work/witnesses" "$work/masquerade.witnesses"
	agree vpn-masquerade "$work/masquerade.conf" "$topo_vpn" $((count / 2))
	witness_went vpn-masquerade "ACCEPT (clear) from 203.0.113.7"
	check_lints "$work/masqexempt.conf"
	cp "$work/masquerade.witnesses" "$work/witnesses"
	agree vpn-masqexempt "$work/masqexempt.conf" "$topo_vpn" $((count / 2))
	witness_went vpn-masqexempt "ACCEPT (tunnel)"
	check_lints "$work/returnpath.conf" return-path
	agree vpn-returnpath "$work/returnpath.conf" "$topo_vpn" $((count / 2))
	witness_went vpn-returnpath "DROP"
	agree vpn-router-answer "$confdir/vpn-router.conf" "$topo_vpn" \
		$((count / 10))
	witness_went vpn-router-answer "ACCEPT (tunnel)"
	echo "1..$n"
	exit 0
fi
check_lints "$confdir/vpn-router.conf"
agree vpn-router "$confdir/vpn-router.conf" "$topo_vpn"
check_lints "$confdir/road-warrior.conf"
agree road-warrior "$confdir/road-warrior.conf" "$topo_rw"
check_lints "$confdir/home-router.conf"
agree home-router "$confdir/home-router.conf" "$topo_home"
check_lints "$work/nopolicy.conf" spoofable
agree vpn-nopolicy "$work/nopolicy.conf" "$topo_vpn"
check_lints "$work/polnone.conf" spoofable
agree vpn-polnone "$work/polnone.conf" "$topo_vpn"
check_lints "$work/masquerade.conf" masquerade
agree vpn-masquerade "$work/masquerade.conf" "$topo_vpn"
# (Their witnesses need a real SA: sent in the guest only.)
check_lints "$work/masqexempt.conf"
check_lints "$work/returnpath.conf" return-path
check_lints "$work/shadowed.conf" shadowed ike
agree vpn-shadowed "$work/shadowed.conf" "$topo_vpn"
check_lints "$work/no4500.conf" ike
agree vpn-no4500 "$work/no4500.conf" "$topo_vpn"
check_lints "$work/shadowunion.conf" shadowed ike
agree vpn-shadowunion "$work/shadowunion.conf" "$topo_vpn"
# The router's addresses from address(IFACE): trace is given no --local
# (AGREE_ADDRESS), must decide every packet, and agree.  Outside the
# router namespace the interfaces do not exist: check takes -D values.
check_defs=(-D ROUTER=192.168.1.1 -D WAN_IP=100.64.0.2 -D GUEST_IP=192.168.2.1)
check_lints "$work/address.conf"
AGREE_ADDRESS=1 agree home-address "$work/address.conf" "$topo_home"
check_lints "$work/notrack.conf"
agree home-notrack "$work/notrack.conf" "$topo_home"
echo "1..$n"
