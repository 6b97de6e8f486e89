#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# resolve.sh IPTLOAD - host names in addresses.  Without --resolve they
# are refused (exit 2, the error says why and names --resolve) and nothing
# is loaded; with it iptload looks them up once and loads what
# iptables-legacy-restore loads from the same file (iptables-legacy-save
# text and raw entries).  Each side runs in a fresh network namespace
# inside a private mount namespace whose /etc/hosts is resolve/hosts
# (bind-mounted: the host's own file is not touched), so that a name with
# two addresses needs no DNS.  Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 IPTLOAD" >&2; exit 64; }
skip_unless_netns
# /etc/hosts is bind-mounted in a private mount namespace.
skip_unless_mountns
IPTLOAD=$(realpath "$1")
DIR=$(cd "$(dirname "$0")/resolve" && pwd)
export IPTLOAD DIR
find_dump_table "$IPTLOAD" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-resolve.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"

# with_hosts CMD [ARG...]: CMD in a fresh network namespace and a private
# mount namespace that sees resolve/hosts as /etc/hosts.
with_hosts() {
	unshare -n -m --propagation private bash -c '
		if [ "$(readlink /proc/self/ns/net)" = "$HOST_NETNS" ]; then
			echo "refusing to run outside a private netns" >&2
			exit 99
		fi
		mount --bind "$DIR/hosts" /etc/hosts || exit 99
		"$@"' with_hosts "$@"
}

# load SIDE OUT [IPTLOAD-OPTION...]: load names.rules, snapshot OUT.
# SIDE oracle6 and iptload6 load names6.rules in IPv6 instead.
load() {
	local side=$1 out=$2 rc=0
	shift 2
	case $side in
	oracle)
		iptables-legacy-restore <"$DIR/names.rules" >"$out.out" \
			2>"$out.err" || rc=$? ;;
	oracle6)
		ip6tables-legacy-restore <"$DIR/names6.rules" >"$out.out" \
			2>"$out.err" || rc=$? ;;
	iptload6)
		"$IPTLOAD" -6 "$@" apply "$DIR/names6.rules" >"$out.out" \
			2>"$out.err" || rc=$? ;;
	*)
		"$IPTLOAD" "$@" apply "$DIR/names.rules" >"$out.out" \
			2>"$out.err" || rc=$? ;;
	esac
	echo "$rc" >"$out.rc"
	snapshot "$out"
}
export -f load

# apply_conf OUT CONF: iptload --resolve apply CONF, snapshot OUT.
apply_conf() {
	local rc=0
	"$IPTLOAD" --resolve apply "$DIR/$2" >"$1.out" 2>"$1.err" || rc=$?
	echo "$rc" >"$1.rc"
	snapshot "$1"
}
export -f apply_conf

n=0
check() {
	local what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
	fi
}

with_hosts load oracle "$work/oracle"
with_hosts load iptload "$work/resolved" --resolve
with_hosts load iptload "$work/refused"
with_hosts bash -c '"$IPTLOAD" --resolve check "$DIR/unknown.rules"' \
	>"$work/unknown.out" 2>"$work/unknown.err"
echo $? >"$work/unknown.rc"
with_hosts load oracle6 "$work/oracle6"
with_hosts load iptload6 "$work/resolved6" --resolve
with_hosts load iptload6 "$work/refused6"
with_hosts apply_conf "$work/both" both.conf
with_hosts apply_conf "$work/v4only" v4only.conf

echo "1..14"
check "iptables-legacy-restore loads the names (exit $(cat "$work/oracle.rc"))" \
	test "$(cat "$work/oracle.rc")" = 0
check "the oracle made two rules of two.test's two addresses" \
	grep -q -- '-s 198.51.100.2/32 -d 10.2.2.2/32' "$work/oracle.save"
check "--resolve loads them (exit $(cat "$work/resolved.rc"))" \
	test "$(cat "$work/resolved.rc")" = 0
check "--resolve: the same iptables-legacy-save text and raw entries" \
	bash -c 'cmp -s "$1.save" "$2.save" && cmp -s "$1.dump" "$2.dump" ||
		{ diff "$1.save" "$2.save" >&2; false; }' \
	_ "$work/oracle" "$work/resolved"
check "without --resolve: refused (exit 2), naming --resolve" \
	bash -c '[ "$(cat "$1.rc")" = 2 ] &&
		grep -q "invalid IPv4 address .gw.test." "$1.err" &&
		grep -q -- "--resolve" "$1.err"' _ "$work/refused"
check "without --resolve: nothing was loaded" \
	test ! -s "$work/refused.save"
check "--resolve with a name that has no address: exit 2, located error" \
	bash -c '[ "$(cat "$1.rc")" = 2 ] &&
		grep -q "unknown.rules:2:.*cannot resolve host name .nosuch.invalid." "$1.err"' \
	_ "$work/unknown"
check "IPv6: ip6tables-legacy-restore loads the names (exit $(cat "$work/oracle6.rc"))" \
	test "$(cat "$work/oracle6.rc")" = 0
check "IPv6: the oracle made two rules of two6.test's two addresses" \
	grep -q -- '-s 2001:db8:2::2/128 -d 2001:db8:7::7/128' "$work/oracle6.save"
check "IPv6: -6 --resolve loads them (exit $(cat "$work/resolved6.rc"))" \
	test "$(cat "$work/resolved6.rc")" = 0
check "IPv6: the same ip6tables-legacy-save text and raw entries" \
	bash -c 'cmp -s "$1.save" "$2.save" && cmp -s "$1.dump" "$2.dump" ||
		{ diff "$1.save" "$2.save" >&2; false; }' \
	_ "$work/oracle6" "$work/resolved6"
check "IPv6: without --resolve: refused (exit 2), naming --resolve, nothing loaded" \
	bash -c '[ "$(cat "$1.rc")" = 2 ] &&
		grep -q "invalid IPv6 address .gw6.test." "$1.err" &&
		grep -q -- "--resolve" "$1.err" && ! grep -q -- "^-A" "$1.save"' \
	_ "$work/refused6"
check "family both: each family's rule takes that family's address of both.test" \
	bash -c '[ "$(cat "$1.rc")" = 0 ] &&
		grep -q -- "-A INPUT -s 192.0.2.9/32 -p tcp -m tcp --dport 22 -j ACCEPT" "$1.save" &&
		grep -q -- "-A INPUT -s 2001:db8::9/128 -p tcp -m tcp --dport 22 -j ACCEPT" "$1.save"' \
	_ "$work/both"
check "family both: a name with no IPv6 address: exit 2, located, nothing loaded" \
	bash -c '[ "$(cat "$1.rc")" = 2 ] &&
		grep -q "v4only.conf:2:13: error: cannot resolve host name .gw.test. in IPv6" "$1.err" &&
		! grep -q -- "^-A" "$1.save"' _ "$work/v4only"
