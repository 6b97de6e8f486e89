#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# noop.sh IPTLOAD CASE... - applying what the kernel already holds commits
# nothing.  For every good oracle case (tests/kernel/cases): apply it in a
# fresh namespace (with -6 for an IPv6 case), then `diff` says identical
# (exit 0, no output) and a second apply makes no IPT_SO_SET_REPLACE nor
# IP6T_SO_SET_REPLACE at all (strace) and changes no byte of either
# family (--no-cache: the committer's own no-op, not the apply cache's);
# a third apply is taken by the apply cache (-v says "cached").  Also:
# diff and save instantiate no table; a change to one table commits that
# table only.  Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 IPTLOAD CASE..." >&2; exit 64; }
ops_init "$1"
shift

# One case: load, diff, reload.
noop_case() {
	local name=${1##*/} n fam
	fam=$(iptload_family "$1")
	# shellcheck disable=SC2086 # one word or none
	if ! "$IPTLOAD" $fam apply "$1" >/dev/null 2>"$work/why"; then
		echo "not ok - $name: the first apply failed"
		sed 's/^/# /' "$work/why"
		return
	fi
	state >"$work/before"
	# shellcheck disable=SC2086
	"$IPTLOAD" $fam diff "$1" >"$work/diff" 2>"$work/why"
	local drc=$?
	# shellcheck disable=SC2086
	n=$(replaces "$IPTLOAD" $fam apply --no-cache "$1")
	state >"$work/after"
	if [ "$drc" = 0 ] && [ ! -s "$work/diff" ] && [ "$n" = 0 ] &&
		[ "$(cat "$work/rc")" = 0 ] && cmp -s "$work/before" "$work/after"; then
		echo "ok - $name: diff says identical, reapply commits nothing"
	else
		echo "not ok - $name: diff exit $drc, $n replace call(s), apply exit $(cat "$work/rc")"
		sed 's/^/# /' "$work/diff" "$work/err" | head -40
		diff -u "$work/before" "$work/after" | sed 's/^/# /' | head -40
	fi
	# shellcheck disable=SC2086
	"$IPTLOAD" $fam apply -v "$1" >"$work/out" 2>"$work/why"
	check "$name: a third apply is cached" \
		grep -q "^$1: cached: " "$work/out"
}
export -f noop_case

# diff and save read only the tables the kernel holds: in a fresh
# namespace neither may instantiate one.
reading_instantiates_nothing() {
	conf all.conf <<'CONF'
*raw
COMMIT
*filter
:INPUT DROP [0:0]
COMMIT
CONF
	local rc=0
	"$IPTLOAD" diff "$work/all.conf" >"$work/diff" 2>"$work/why" || rc=$?
	check "diff in a fresh namespace exits 1 (tables not loaded yet)" \
		test "$rc" = 1
	check "diff says the tables are not loaded yet" \
		grep -qx '# filter: not loaded yet, 1 policy changed' "$work/diff"
	"$IPTLOAD" save >"$work/save" 2>"$work/why"
	"$IPTLOAD" save -t nat >>"$work/save" 2>"$work/why"
	check "diff, save and save -t instantiate no table" \
		test -z "$(cat /proc/net/ip_tables_names)"
	check "save of nothing prints no table" \
		test "$(grep -c '^\*' "$work/save")" = 0
}
export -f reading_instantiates_nothing

# Two tables named, one changed: one commit, of that table.
one_table_changed() {
	conf two.conf <<'CONF'
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
*filter
-A INPUT -s 10.0.0.0/8 -j ACCEPT
COMMIT
CONF
	sed 's|10.0.0.0/8 -j RETURN|10.1.0.0/16 -j RETURN|' "$work/two.conf" |
		conf two-b.conf
	"$IPTLOAD" apply "$work/two.conf" 2>"$work/why"
	local n
	n=$(replaces "$IPTLOAD" apply "$work/two-b.conf")
	check "changing nat only commits once" test "$n" = 1
	check "and that commit is nat's" \
		grep -q 'IPT_SO_SET_REPLACE, "nat\\0' "$work/strace"
	"$IPTLOAD" apply -v --no-cache "$work/two-b.conf" >"$work/out" 2>&1
	check "apply -v reports both tables unchanged" \
		grep -q 'committed 0 tables, 2 unchanged' "$work/out"
}
export -f one_table_changed

{
	for c in "$@"; do
		in_fresh_netns noop_case "$(realpath "$c")"
	done
	in_fresh_netns reading_instantiates_nothing
	in_fresh_netns one_table_changed
} | ops_finish
