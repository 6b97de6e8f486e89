#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# cache.sh IPTLOAD - the apply cache (cache.h): a reapply whose inputs and
# kernel tables are those the last apply left builds and commits nothing,
# and says so with -v ("FILE: cached: ..."); changing any one input makes
# it take the full path, which commits the change: an included file, a
# -D value, an interface's address, a rule changed behind iptload's back
# with iptables-legacy, a table of the other family, a preserved chain.
# So do a change in the directory of the iptables extensions, a record
# that is not root's alone, a corrupt one, --no-cache, a pending apply
# --confirm;
# and a second network namespace never uses the first one's record.  The
# config is dual-stack (family both), reads address(veth0) of a veth
# pair (this kernel has no dummy driver) and includes a file by pattern.
# Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"

# links: veth0 with one address of each family.
links() {
	ip link set lo up
	ip link add veth0 type veth peer name veth1 || return 1
	ip addr add 198.51.100.9/24 dev veth0
	ip -6 addr add 2001:db8:9::9/64 dev veth0 nodad
}
export -f links

# setup DIR: the config in $work/DIR (main.conf and inc/web.conf).
setup() {
	mkdir -p "$work/$1/inc"
	chmod 700 "$work/$1"
	conf "$1/main.conf" <<'CONF'
PUB = address(veth0)
PORT = 22
family both
*filter
preserve f2b-*
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -d $PUB -p tcp --dport $PORT -j ACCEPT
include "inc/*.conf"
COMMIT
CONF
	conf "$1/inc/web.conf" <<'CONF'
-A INPUT -p tcp --dport 80 -j ACCEPT
CONF
}
export -f setup

# apply_v DIR [OPTION...]: apply -v DIR's config under strace (sockets
# and sockopts, in $work/strace); its stdout in $work/out, stderr in
# $work/err, exit status in $work/rc.
apply_v() {
	local d=$1 rc=0
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=socket,setsockopt,getsockopt \
		-o "$work/strace" -- "$IPTLOAD" apply -v "$@" \
		"$work/$d/main.conf" >"$work/out" 2>"$work/err" || rc=$?
	echo "$rc" >"$work/rc"
}
export -f apply_v

# cached: the last apply_v took the cached path (and committed nothing,
# opened no libiptc handle).  full: it did not.
cached() {
	grep -q ": cached: " "$work/out" && [ "$(cat "$work/rc")" = 0 ] &&
		! grep -qE 'IP6?T_SO_SET_REPLACE' "$work/strace"
}
full() {
	! grep -q ": cached: " "$work/out" && [ "$(cat "$work/rc")" = 0 ] &&
		grep -q ": committed [0-9]* tables\?, " "$work/out"
}
export -f cached full

# why: the output, for a failed check.
why() {
	cat "$work/out" "$work/err" >"$work/why" 2>/dev/null
}
export -f why

# start DIR: links, the config, a first apply and a cached second one.
start() {
	# A scenario before may have left the directory open to others.
	chmod 700 "$IPTLOAD_CACHE_DIR" 2>/dev/null
	links || return 1
	setup "$1"
	"$IPTLOAD" apply "$work/$1/main.conf" 2>"$work/why" || return 1
	apply_v "$1"
	cached
}
export -f start

# Applied once, again: cached; nothing is committed and no table read
# through libiptc (strace: the raw reads' sockets have SOCK_CLOEXEC).
unchanged() {
	local before
	start a || { echo "not ok - the second apply is cached"; why; return; }
	echo "ok - the second apply is cached"
	before=$(state)
	apply_v a
	why
	check "a third one too, with no table commit" cached
	check "and no libiptc read (only raw ones)" \
		test "$(grep -cE 'socket\(AF_INET6?, SOCK_RAW, IPPROTO_RAW\)' \
			"$work/strace")" = 0
	check "the tables are as they were" test "$(state)" = "$before"
	apply_v a --no-cache
	why
	check "--no-cache takes the full path" full
}
export -f unchanged

# change NAME SETUP-COMMAND EXPECTED-RULE [OPTION...]: from a cached
# state, run SETUP-COMMAND (one change); the next apply takes the full
# path, and then the kernel holds EXPECTED-RULE (iptables-save words, in
# either family's save, or "" for none).
change() {
	local name=$1 cmd=$2 rule=$3
	shift 3
	start c || { echo "not ok - $name: the start is not cached"; why; return; }
	eval "$cmd" || { echo "not ok - $name: the change failed"; return; }
	apply_v c "$@"
	why
	check "$name: the full path is taken" full
	case $rule in
	'') ;;
	6:*)
		check "$name: and the kernel holds the change" \
			bash -c "ip6tables-legacy-save | grep -qx -- '${rule#6:}'" ;;
	*)
		check "$name: and the kernel holds the change" \
			bash -c "{ iptables-legacy-save; ip6tables-legacy-save; } | grep -qx -- '$rule'" ;;
	esac
	apply_v c "$@"
	why
	check "$name: then the same apply is cached again" cached
}
export -f change

# The record, tampered with: the full path, whatever it says.
record() {
	local name=$1 cmd=$2 rec
	start r || { echo "not ok - $name: the start is not cached"; why; return; }
	rec=$IPTLOAD_CACHE_DIR/apply-$(stat -L -c %i /proc/self/ns/net)
	eval "$cmd"
	apply_v r
	why
	check "$name: the full path is taken" full
	check "$name: -v says why (not cached: ...)" \
		grep -q ": not cached: " "$work/out"
}
export -f record

# A second network namespace, holding the same tables (applied there
# with --no-cache, which writes no record), has no record of its own: its
# apply takes the full path, never the first one's record.
second_netns() {
	start n || { echo "not ok - the first namespace's apply is cached"; why; return; }
	unshare -n bash -c '
		links || exit 1
		# A dead namespace of a scenario before may have had our inode:
		# its record goes (the cookie would tell it from ours anyway).
		rec=$IPTLOAD_CACHE_DIR/apply-$(stat -L -c %i /proc/self/ns/net)
		rm -f "$rec"
		"$IPTLOAD" apply --no-cache "$work/n/main.conf" || exit 1
		check "--no-cache writes no record" test ! -e "$rec"
		apply_v n
		why
		check "a second namespace with the same tables takes the full path" full
		apply_v n
		check "and then has a record of its own" cached'
	check "one record per namespace" \
		test "$(ls "$IPTLOAD_CACHE_DIR" | grep -c '^apply-[0-9]*$')" -ge 2
}
export -f second_netns

# An apply --confirm pending, the kernel's tables put back as the record
# says: the cached path must not answer for it; the full path refuses
# (exit 8) as without the record.
pending_confirm() {
	start p || { echo "not ok - pending confirm: the start is not cached"; why; return; }
	iptables-legacy-save >"$work/p/save4"
	ip6tables-legacy-save >"$work/p/save6"
	if ! "$IPTLOAD" apply --confirm 60 -D PORT=2222 "$work/p/main.conf" \
		>"$work/why" 2>&1; then
		echo "not ok - pending confirm: apply --confirm failed"
		return
	fi
	iptables-legacy-restore <"$work/p/save4"
	ip6tables-legacy-restore <"$work/p/save6"
	apply_v p
	why
	check "with an apply --confirm pending, the full path refuses (exit 8)" \
		test "$(cat "$work/rc")" = 8
	"$IPTLOAD" confirm >/dev/null 2>&1
}
export -f pending_confirm

# The iptables extensions changed (a package upgrade, say): a copy of
# their directory, one file added to it.
extensions_changed() {
	cp -a "$(pkg-config --variable=xtlibdir xtables 2>/dev/null ||
		echo /usr/lib/x86_64-linux-gnu/xtables)" "$work/xt" || return
	export XTABLES_LIBDIR=$work/xt
	start x || { echo "not ok - extensions: the start is not cached"; why; return; }
	cp "$work/xt/libxt_udp.so" "$work/xt/libxt_new.so"
	apply_v x
	why
	check "an extension added to the extensions' directory: the full path is taken" full
}
export -f extensions_changed

# Without preserve, a table found unchanged by the committer's fast path
# is recorded from that same read: nat is read by the cache's check and
# by the committer, not a third time; filter (changed behind iptload's
# back) is committed and read again for the record; the record matches.
fast_path() {
	mkdir -p "$work/f"
	conf f/main.conf <<'CONF'
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
COMMIT
CONF
	"$IPTLOAD" apply "$work/f/main.conf" 2>"$work/why"
	iptables-legacy -A INPUT -j DROP
	apply_v f
	why
	check "fast path: a rule added behind iptload's back takes the full path" full
	check "fast path: nat is read by the cache's check and the committer only, not again for the record" \
		test "$(grep -c 'IPT_SO_GET_ENTRIES, "nat' "$work/strace")" = 2
	apply_v f
	why
	check "fast path: then the same apply is cached" cached
}
export -f fast_path

{
	in_fresh_netns unchanged
	in_fresh_netns change "an included file changed" \
		'echo "-A INPUT -p tcp --dport 443 -j ACCEPT" >>"$work/c/inc/web.conf"' \
		'-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT'
	in_fresh_netns change "a file added to an include pattern" \
		'conf c/inc/mail.conf <<<"-A INPUT -p tcp --dport 25 -j ACCEPT"' \
		'-A INPUT -p tcp -m tcp --dport 25 -j ACCEPT'
	in_fresh_netns change "a -D value" ':' \
		'-A INPUT -d 198.51.100.9/32 -p tcp -m tcp --dport 2222 -j ACCEPT' \
		-D PORT=2222
	in_fresh_netns change "the top file changed" \
		'sed -i "s/--dport 80/--dport 8080/" "$work/c/main.conf"; sed -i "s/--dport 80/--dport 8080/" "$work/c/inc/web.conf"' \
		'-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT'
	in_fresh_netns change "an interface address (IPv4)" \
		'ip addr flush dev veth0 && ip addr add 198.51.100.77/24 dev veth0' \
		'-A INPUT -d 198.51.100.77/32 -p tcp -m tcp --dport 22 -j ACCEPT'
	in_fresh_netns change "an interface address (IPv6)" \
		'ip -6 addr add 2001:db8:7::7/64 dev veth0 nodad' \
		'-A INPUT -d 2001:db8:7::7/128 -p tcp -m tcp --dport 22 -j ACCEPT'
	in_fresh_netns change "a rule deleted behind its back (iptables-legacy)" \
		'iptables-legacy -D INPUT -p tcp --dport 80 -j ACCEPT' \
		'-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT'
	in_fresh_netns change "a rule added behind its back (iptables-legacy)" \
		'iptables-legacy -A INPUT -j DROP' ''
	in_fresh_netns change "the other family's table changed (ip6tables-legacy)" \
		'ip6tables-legacy -R INPUT 3 -p tcp --dport 81 -j ACCEPT' \
		'6:-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT'
	in_fresh_netns change "a preserved chain added behind its back" \
		'iptables-legacy -N f2b-sshd && iptables-legacy -I INPUT -p tcp --dport 22 -j f2b-sshd' \
		'-A INPUT -p tcp -m tcp --dport 22 -j f2b-sshd'
	# Preserved already, then changed inside: the rule stays (preserve),
	# but what the record says the kernel holds is no longer true.
	in_fresh_netns change "a preserved chain's rules changed behind its back" \
		'iptables-legacy -N f2b-sshd && iptables-legacy -I INPUT -p tcp --dport 22 -j f2b-sshd && "$IPTLOAD" apply "$work/c/main.conf" && "$IPTLOAD" apply -v "$work/c/main.conf" | grep -q ": cached: " && iptables-legacy -A f2b-sshd -s 192.0.2.1 -j REJECT' \
		'-A f2b-sshd -s 192.0.2.1/32 -j REJECT --reject-with icmp-port-unreachable'
	in_fresh_netns record "a record owned by another user" \
		'chown 1000 "$rec"'
	in_fresh_netns record "a record others may write" \
		'chmod 666 "$rec"'
	in_fresh_netns record "a record directory others may write" \
		'chmod 777 "$IPTLOAD_CACHE_DIR"'
	in_fresh_netns record "a corrupt record (one digest changed)" \
		'sed -i "0,/^f /s/^f [0-9a-f]*/f 00000000000000000000000000000000/" "$rec"'
	# The words of a line changed, its digest kept: only the record's
	# own digest (its last line) tells.
	in_fresh_netns record "a corrupt record (a key changed)" \
		'sed -i "s/^\(k [0-9a-f]*\) -$/\1 +/" "$rec"'
	in_fresh_netns record "a record cut short" \
		'truncate -s -10 "$rec"'
	in_fresh_netns second_netns
	in_fresh_netns fast_path
	in_fresh_netns extensions_changed
	in_fresh_netns pending_confirm
} | ops_finish
