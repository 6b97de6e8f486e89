#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# restrictions.sh IPTLOAD LIST - the kernel's limits on where an extension
# may be used, as iptload knows them (xtadapter_check_entry) against what
# the kernel does.  Prints TAP, one test point per line of LIST.
#
# LIST holds "NAME|RULE" lines: RULE is the rule part of an iptables
# command (matches and target).  For every built-in chain of every table,
# iptables-legacy-restore tries the rule in a fresh network namespace,
# where the kernel decides; "iptload check" decides without any kernel
# call, once with the rule in the chain itself (the builder's check) and
# once in a user chain the built-in chain jumps to (the validator's).  All
# must agree; the test fails when the kernel or iptload's table of limits
# (xtadapter.c) changes.
#
# Exit: 0 all agree (or skipped where network namespaces are unavailable),
# 1 a disagreement.
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -ne 2 ]; then
	echo "usage: $0 IPTLOAD LIST" >&2
	exit 64
fi
skip_unless_netns
IPTLOAD=$(realpath "$1")
list=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-restrictions.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"

# oracle RULE: for every table and built-in chain, "TABLE CHAIN D D": the
# kernel's verdict (y/n) on RULE appended to the chain, twice.  The kernel
# checks a rule in a user chain against the hooks of the chains that reach
# it (e->comefrom), so its verdict through a user chain is the same one;
# the refused *via* cases in cases/ show it on real tables.  One fresh
# namespace per rule; each try is one iptables-legacy-restore of the whole
# table, so that a single commit empties the table and tries the rule.
oracle() {
	in_fresh_netns bash -c '
		for tc in $2; do
			t=${tc%:*} c=${tc#*:} d=n
			printf "*%s\n-A %s %s\nCOMMIT\n" $t $c "$1" |
				iptables-legacy-restore >/dev/null 2>&1 && d=y
			echo "$t $c $d $d"
		done' oracle "$1" "$chains"
}

# The built-in chains, as "table:chain" in the order oracle() tries them.
chains="raw:PREROUTING raw:OUTPUT mangle:PREROUTING mangle:INPUT
mangle:FORWARD mangle:OUTPUT mangle:POSTROUTING nat:PREROUTING nat:INPUT
nat:OUTPUT nat:POSTROUTING filter:INPUT filter:FORWARD filter:OUTPUT
security:INPUT security:FORWARD security:OUTPUT"

# failed_lines FILE: the line numbers "iptload check FILE" reports errors
# at, on one line with spaces around each; " all " when it failed without
# saying where (or crashed), so that nothing counts as accepted by mistake.
failed_lines() {
	local out rc=0 lines
	out=$("$IPTLOAD" -q check "$1" 2>&1 >/dev/null) || rc=$?
	lines=$(sed -n "s|^$1:\([0-9]*\):[0-9]*: error:.*|\1|p" <<<"$out")
	if [ $rc = 0 ]; then
		echo " "
	elif [ $rc = 2 ] && [ -n "$lines" ]; then
		echo " $(echo $lines) "
	else
		echo " all "
	fi
}

# mine RULE: the same verdicts from iptload check, in the same order.  The
# direct tries share one file, a line each: the builder reports every bad
# line.  The tries through user chains take a file per table, a chain each:
# the validator only runs on files the builder accepted, and a builder
# error there (table, protocol) is one for every chain of the table.
mine() {
	local tc t c d v vt vline line=0 bad_direct
	local -A direct via bad_via
	: >"$work/direct.cmds"
	for tc in $chains; do
		t=${tc%:*} c=${tc#*:}
		line=$((line + 1))
		printf -- '-t %s -A %s %s\n' "$t" "$c" "$1" >>"$work/direct.cmds"
		direct[$tc]=$line
	done
	bad_direct=$(failed_lines "$work/direct.cmds")
	for t in raw mangle nat filter security; do
		: >"$work/via-$t.cmds"
		line=0
		for tc in $chains; do
			[ "${tc%:*}" = "$t" ] || continue
			c=${tc#*:}
			printf -- '-t %s -N p-%s\n-t %s -A p-%s %s\n-t %s -A %s -j p-%s\n' \
				"$t" "$c" "$t" "$c" "$1" "$t" "$c" "$c" \
				>>"$work/via-$t.cmds"
			via[$tc]="$t $((line + 2))"
			line=$((line + 3))
		done
		bad_via[$t]=$(failed_lines "$work/via-$t.cmds")
	done
	for tc in $chains; do
		t=${tc%:*} c=${tc#*:}
		vt=${via[$tc]% *} vline=${via[$tc]#* } d=y v=y
		case $bad_direct in *" ${direct[$tc]} "* | " all ") d=n ;; esac
		case ${bad_via[$vt]} in *" $vline "* | " all ") v=n ;; esac
		echo "$t $c $d $v"
	done
}

n=0
failures=0
total=$(grep -c '^[^#]' "$list")
echo "1..$total"
while IFS='|' read -r name rule; do
	case $name in
	'' | '#'*) continue ;;
	esac
	n=$((n + 1))
	oracle "$rule" >"$work/kernel"
	mine "$rule" >"$work/iptload"
	allowed=$(awk '$3 == "y" { printf " %s/%s", $1, $2 }' "$work/kernel")
	if cmp -s "$work/kernel" "$work/iptload"; then
		echo "ok $n - $name"
		echo "# allowed in:${allowed:- nowhere}"
	else
		echo "not ok $n - $name"
		echo "# TABLE CHAIN DIRECT VIA-USER-CHAIN (y: allowed)"
		diff --label kernel --label iptload -u "$work/kernel" \
			"$work/iptload" | sed 's/^/# /'
		failures=$((failures + 1))
	fi
done <"$list"
[ $failures = 0 ]
