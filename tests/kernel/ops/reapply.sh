#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# reapply.sh IPTLOAD - the committer's fast path for an unchanged table
# (commit.c reads the kernel's table raw and compares it with the model,
# without libiptc) must not take a changed table for an unchanged one.
# For each change of exactly one thing (a port, a policy, a chain's name,
# the chain a rule jumps to, a goto for a jump, one rule more or fewer, a
# chain more or fewer), applying the changed config over the base commits
# that table once, after which diff says identical.  Applying the same
# config again commits nothing, reads each table once (one
# IPT_SO_GET_ENTRIES: never through libiptc), keeps the counters, and
# reports as before.  Prints TAP.
#
# reapply.sh IPTLOAD 6 runs the same in IPv6 (the same ruleset under
# "family ipv6", IPv6 prefixes for the IPv4 ones): the fast path reads
# ip6_tables raw too.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"
UDP_ECHO="$OPS_BUILD/udp_echo"
export UDP_ECHO
# What strace shows of the family's sockets and sockopts, and how -v
# names its tables.
if [ "${2:-4}" = 6 ]; then
	FAM=6 SO=IP6T_SO AF=AF_INET6 SUFFIX=' (IPv6)' NAMES=ip6_tables_names
else
	FAM=4 SO=IPT_SO AF=AF_INET SUFFIX='' NAMES=ip_tables_names
fi
export FAM SO AF SUFFIX NAMES

# A config of the test's family: IPv6 gets a family line and IPv6
# prefixes in place of the IPv4 ones.
to_family() {
	if [ "$FAM" = 6 ]; then
		echo "family ipv6"
		sed -e 's|10\.0\.0\.0/8|2001:db8::/32|g' \
			-e 's|10\.0\.0\.0/9|2001:db8::/33|g'
	else
		cat
	fi
}
export -f to_family

# The base ruleset: built-in and user chains, a jump, a goto, RETURN, a
# fall-through rule, an empty chain, and a second table.
base_conf() {
	cat <<'CONF'
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:zeta - [0:0]
:alpha - [0:0]
:beta - [0:0]
:empty - [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -i lo -j alpha
-A INPUT -s 10.0.0.0/8 -g beta
-A INPUT -p udp --dport 53
-A INPUT -j zeta
-A alpha -p udp --dport 9999 -j ACCEPT
-A alpha -j RETURN
-A beta -j DROP
-A zeta -p tcp --dport 80 -j ACCEPT
COMMIT
CONF
}
export -f base_conf

# getsockopt calls that read a table's entries, from $work/strace.
entry_reads() {
	grep -c "${SO}_GET_ENTRIES" "$work/strace" || true
}
export -f entry_reads

# Raw reads and libiptc's, from $work/strace: the fast path opens its
# socket with SOCK_CLOEXEC, iptc_init without (it sets FD_CLOEXEC with
# fcntl afterwards).  With entry_reads they tell that each table was read
# raw and not again through iptc_init.
raw_reads() {
	grep -c "socket($AF, SOCK_RAW|SOCK_CLOEXEC, IPPROTO_RAW)" \
		"$work/strace" || true
}
libiptc_reads() {
	grep -c "socket($AF, SOCK_RAW, IPPROTO_RAW)" "$work/strace" || true
}
export -f raw_reads libiptc_reads

# replaces_read COMMAND...: as replaces (ops-lib.sh), tracing the reads
# too.
replaces_read() {
	local rc=0
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=socket,setsockopt,getsockopt \
		-o "$work/strace" -- "$@" >"$work/out" 2>"$work/err" || rc=$?
	echo "$rc" >"$work/rc"
	grep -c "${SO}_SET_REPLACE" "$work/strace" || true
}
export -f replaces_read

# One change: NAME, then a sed script that makes it from the base.
one_change() {
	local name=$1 script=$2 n drc
	base_conf | to_family | conf base.conf
	base_conf | sed -e "$script" | to_family | conf changed.conf
	if cmp -s "$work/base.conf" "$work/changed.conf"; then
		echo "not ok - $name: the sed script changed nothing"
		return
	fi
	if ! "$IPTLOAD" apply "$work/base.conf" 2>"$work/why"; then
		echo "not ok - $name: the base does not load"
		sed 's/^/# /' "$work/why"
		return
	fi
	n=$(replaces "$IPTLOAD" apply "$work/changed.conf")
	"$IPTLOAD" diff "$work/changed.conf" >"$work/diff" 2>&1
	drc=$?
	if [ "$n" = 1 ] && [ "$(cat "$work/rc")" = 0 ] && [ "$drc" = 0 ] &&
		grep -q "${SO}_SET_REPLACE, \"filter\\\\0" "$work/strace"; then
		echo "ok - $name: committed (filter only), then diff says identical"
	else
		echo "not ok - $name: $n replace call(s), apply exit $(cat "$work/rc"), diff exit $drc"
		sed 's/^/# /' "$work/err" "$work/diff" | head -20
	fi
}
export -f one_change

# The same config again: nothing committed, read once, counters kept.
identical() {
	local n before after
	ip link set lo up
	base_conf | to_family | conf base.conf
	"$IPTLOAD" apply "$work/base.conf" 2>"$work/why"
	before=$(state)
	if [ "$FAM" = 4 ]; then # udp_echo speaks IPv4
		"$UDP_ECHO" 4 9999 2>"$work/why"
		before=$(state)
		check "traffic was counted" \
			grep -q '^\[4:512\] -A alpha -p udp -m udp --dport 9999 -j ACCEPT' \
			<<<"$before"
	fi
	# --no-cache: the committer's fast path, not the apply cache's
	# (cache.sh), which would take this reapply before it.
	n=$(replaces_read "$IPTLOAD" apply -v --no-cache "$work/base.conf")
	after=$(state)
	check "an identical reapply commits nothing" \
		test "$n" = 0 -a "$(cat "$work/rc")" = 0
	check "and reads each of its 2 tables once, raw, not with libiptc" \
		test "$(entry_reads)" = 2 -a "$(raw_reads)" = 2 -a \
		"$(libiptc_reads)" = 0
	check "rule and policy counters stay as they were" \
		test "$before" = "$after"
	cat >"$work/expected" <<TEXT
$work/base.conf: nat$SUFFIX: unchanged, not committed
$work/base.conf: filter$SUFFIX: unchanged, not committed
$work/base.conf: committed 0 tables, 2 unchanged, 0 retries
TEXT
	check "apply -v reports both tables unchanged" \
		same "$work/expected" "$work/out"
	"$IPTLOAD" apply "$work/base.conf" >"$work/out" 2>&1
	check "a quiet identical reapply prints nothing" test ! -s "$work/out"
}
export -f identical

# A table the kernel does not hold yet is loaded, never compared (the raw
# read would instantiate it).
not_loaded_yet() {
	printf '*raw\nCOMMIT\n' | to_family | conf raw.conf
	"$IPTLOAD" apply -v "$work/raw.conf" >"$work/out" 2>"$work/why"
	check "a table not loaded yet is loaded (empty)" \
		grep -qx "$work/raw.conf: raw$SUFFIX: loaded, empty" "$work/out"
	check "and the kernel holds it now" \
		grep -qx raw /proc/net/$NAMES
	"$IPTLOAD" apply -v --no-cache "$work/raw.conf" >"$work/out" 2>"$work/why"
	check "applied again, it is unchanged" \
		grep -qx "$work/raw.conf: raw$SUFFIX: unchanged, not committed" \
		"$work/out"
}
export -f not_loaded_yet

{
	in_fresh_netns one_change "a different port" 's/--dport 9999/--dport 9998/'
	in_fresh_netns one_change "a different policy" 's/^:INPUT DROP/:INPUT ACCEPT/'
	in_fresh_netns one_change "a different policy on an unused chain" \
		's/^:FORWARD ACCEPT/:FORWARD DROP/'
	in_fresh_netns one_change "a chain renamed" 's/beta/gamma/g'
	in_fresh_netns one_change "a jump to another chain, same rule bytes" \
		's/-i lo -j alpha/-i lo -j zeta/'
	in_fresh_netns one_change "a goto made a jump" 's/-g beta/-j beta/'
	in_fresh_netns one_change "a fall-through given a verdict" \
		's/--dport 53$/--dport 53 -j ACCEPT/'
	in_fresh_netns one_change "one rule more" '/^-A beta -j DROP$/i -A beta -j LOG'
	in_fresh_netns one_change "one rule fewer" '/^-A alpha -j RETURN$/d'
	in_fresh_netns one_change "two rules swapped" \
		'/^-A alpha -p udp/{h;d};/^-A alpha -j RETURN$/G'
	in_fresh_netns one_change "one chain more" '/^:empty/a :other - [0:0]'
	in_fresh_netns one_change "one chain fewer" '/^:empty/d'
	in_fresh_netns one_change "RETURN made DROP" 's/^-A alpha -j RETURN$/-A alpha -j DROP/'
	in_fresh_netns one_change "an address prefix" 's|-s 10.0.0.0/8 -g|-s 10.0.0.0/9 -g|'
	in_fresh_netns identical
	in_fresh_netns not_loaded_yet
} | ops_finish
