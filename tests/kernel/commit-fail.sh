#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# commit-fail.sh IPTLOAD SHIM [both=]CONFIG... - all or nothing across tables and
# families, by fault injection.  For each CONFIG: a clean apply in a fresh
# namespace, under strace, shows which tables of which family iptload
# commits (IPT_SO_SET_REPLACE at SOL_IP, IP6T_SO_SET_REPLACE at SOL_IPV6).
# Then, for each of those tables in turn, a namespace preloaded in both
# families (cases/preload.save, preload.save6) gets an apply in which the
# SHIM (commit/fail_replace.so, LD_PRELOAD) makes that one table's commit
# fail: iptload must exit 3 and leave both families byte for byte as they
# were, whatever it had committed before the failure, and say which
# table of which family was refused ("filter" or "filter (IPv6)").  A
# config with IPv4 and IPv6 tables thus fails each family's first and last
# commit.
# A CONFIG written both=CONFIG must commit tables of both families.
# Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -lt 3 ]; then
	echo "usage: $0 IPTLOAD SHIM [both=]CONFIG..." >&2
	exit 64
fi
skip_unless_netns
IPTLOAD=$(realpath "$1")
SHIM=$(realpath "$2")
shift 2
find_dump_table "$IPTLOAD" || exit 1
export IPTLOAD SHIM

work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-commitfail.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

if ! command -v strace >/dev/null; then
	echo "1..1"
	echo "not ok 1 - strace is not installed"
	exit 1
fi

# commits CONFIG OUT: in the current (fresh) namespace, apply CONFIG under
# strace and write to OUT the tables it replaced, "ip4/T" or "ip6/T", one
# a line in commit order; OUT.rc gets the exit status.
commits() {
	local rc=0
	strace -f -qq -e trace=setsockopt -o "$2.log" \
		"$IPTLOAD" $(iptload_family "$1") apply "$1" \
		>"$2.out" 2>&1 || rc=$?
	echo $rc >"$2.rc"
	sed -n -e 's/.*SOL_IP, IPT_SO_SET_REPLACE, "\([a-z]*\)\\0.*/ip4\/\1/p' \
		-e 's/.*SOL_IPV6, IP6T_SO_SET_REPLACE, "\([a-z]*\)\\0.*/ip6\/\1/p' \
		"$2.log" >"$2"
}

# failed_apply CONFIG ITEM PREFIX: preload both families, snapshot, apply
# CONFIG with ITEM's commit failing (IPTLOAD_FAIL), snapshot again.  Every
# table of both families is made to exist before: reading a table to roll
# it back instantiates it, empty and accepting, and no program can remove
# a table again, so a table that did not exist cannot be proved unchanged
# byte for byte.
failed_apply() {
	local rc=0 t
	iptables-legacy-restore <"$PRELOAD" &&
		ip6tables-legacy-restore <"$PRELOAD6" || {
		echo 99 >"$3.rc"
		return 1
	}
	for t in raw mangle nat filter security; do
		iptables-legacy -t $t -S >/dev/null &&
			ip6tables-legacy -t $t -S >/dev/null || {
			echo 99 >"$3.rc"
			return 1
		}
	done
	snapshot "$3.before"
	IPTLOAD_FAIL="$2:EPERM" LD_PRELOAD="$SHIM" \
		"$IPTLOAD" $(iptload_family "$1") apply "$1" >"$3.out" \
		2>"$3.err" || rc=$?
	echo $rc >"$3.rc"
	snapshot "$3.after"
}
export -f commits failed_apply

# The shim names IPv4 tables without a prefix.
shim_item() {
	case $1 in
	ip4/*) echo "${1#ip4/}" ;;
	*) echo "$1" ;;
	esac
}

total=0
for arg; do
	config=${arg#both=}
	base=$work/$(basename "$config")
	in_fresh_netns commits "$config" "$base.commits"
	total=$((total + 1 + $(wc -l <"$base.commits")))
done
echo "1..$total"

n=0
failed=0
for arg; do
	config=${arg#both=}
	base=$work/$(basename "$config")
	n=$((n + 1))
	name=$(basename "$config")
	if [ "$(cat "$base.commits.rc")" != 0 ] || [ ! -s "$base.commits" ]; then
		echo "not ok $n - $name: a clean apply commits tables" \
			"# exit $(cat "$base.commits.rc")"
		tap_diag 30 <"$base.commits.out"
		failed=1
		# Keep the plan: the tables it did commit are not tried.
		while read -r table; do
			n=$((n + 1))
			echo "not ok $n - $name: $table not tried"
		done <"$base.commits"
		continue
	fi
	if [ "$arg" != "$config" ] && ! { grep -q '^ip4/' "$base.commits" &&
		grep -q '^ip6/' "$base.commits"; }; then
		echo "not ok $n - $name: a clean apply commits both families," \
			"not only $(tr '\n' ' ' <"$base.commits")"
		failed=1
	else
		echo "ok $n - $name: a clean apply commits" \
			"$(tr '\n' ' ' <"$base.commits")"
	fi
	while read -r table; do
		n=$((n + 1))
		p=$work/case.$n
		: >"$p.diag"
		in_fresh_netns failed_apply "$config" "$(shim_item "$table")" "$p"
		ok=1
		rc=$(cat "$p.rc" 2>/dev/null || echo none)
		if [ "$rc" != 3 ]; then
			{ echo "iptload exited $rc, expected 3"; cat "$p.err"; } \
				>>"$p.diag"
			ok=0
		fi
		# The refusal names the table with its family.
		case $table in
		ip6/*) said="the kernel refused table '${table#ip6/}' (IPv6)" ;;
		*) said="the kernel refused table '${table#ip4/}':" ;;
		esac
		if ! grep -qF "$said" "$p.err"; then
			{ echo "stderr does not say: $said"; cat "$p.err"; } \
				>>"$p.diag"
			ok=0
		fi
		if ! diff -u --label before --label after "$p.before.save" \
			"$p.after.save" >>"$p.diag" ||
		   ! diff -u --label 'dump before' --label 'dump after' \
			"$p.before.dump" "$p.after.dump" >>"$p.diag"; then
			echo "the namespace changed although the commit failed" \
				>>"$p.diag"
			ok=0
		fi
		if [ $ok = 1 ]; then
			echo "ok $n - $name: $table refused and named, both families as they were"
		else
			echo "not ok $n - $name: $table refused and named, both families as they were"
			tap_diag 60 <"$p.diag"
			failed=1
		fi
	done <"$base.commits"
done
exit $failed
