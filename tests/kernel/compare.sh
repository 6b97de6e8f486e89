#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# compare.sh IPTLOAD CASE... - the kernel oracle: iptload against
# iptables-legacy and ip6tables-legacy, each in its own fresh network
# namespace.  Prints TAP.
#
# CASE kinds, by name (the family switch is the suffix; see lib.sh,
# oracle_load and iptload_family):
#   X.rules         iptables-save text; oracle: iptables-legacy-restore < X
#   X.cmds          one iptables command a line; oracle: iptables-legacy,
#                   line by line.  iptload takes the same file as its config.
#   X.rules6        ip6tables-save text; iptload -6 apply X; oracle:
#                   ip6tables-legacy-restore < X
#   X.cmds6         one ip6tables command a line; iptload -6 apply X;
#                   oracle: ip6tables-legacy, line by line
#   X.cmds46        iptables and ip6tables lines (or -4 and -6 lines)
#                   mixed; iptload apply X; oracle: each line with the
#                   program it names
#   X.rules46       restore text with -4 and -6 rule lines; iptload apply
#                   X; oracle: iptables-legacy-restore < X, then
#                   ip6tables-legacy-restore < X
#   X.bad.KIND      both must refuse (KIND one of the above): iptload exits
#                   2 or 3, says "error", and leaves a namespace preloaded
#                   in both families byte for byte as it was; the oracle
#                   fails too.
#   X.strict.KIND   the oracle accepts it, iptload deliberately refuses it:
#                   iptload exits 2 and leaves the namespace unchanged.
#   X.escaped.KIND  a good case whose strings hold what iptload's print and
#                   save escape ($, quotes): their text is compared with
#                   iptables-legacy-save's without those escapes.
#   CONFIG=ORACLE   iptload loads CONFIG, the oracle loads ORACLE (a case
#                   file above, or several joined by "+": a.rules+a.rules6);
#                   they must give the same state.
# Snapshots always hold both families, so a v4 case also proves that
# iptload left IPv6 alone, and the other way round.
# A good case passes when iptload exits 0 and both namespaces then give the
# same iptables-legacy-save text AND the same raw table bytes (dump_table).
#
# Option: -O (first argument) runs only the oracle side of each case, to
# check the cases themselves before iptload exists.
#
# Environment: DUMP_TABLE, the dump_table program (meson sets it).
# Exit: 0 all ok (or skipped: "1..0 # SKIP" where network namespaces are
# unavailable), 1 something failed.
set -u

. "$(dirname "$0")/lib.sh"

oracle_only=0
if [ "${1:-}" = -O ]; then
	oracle_only=1
	shift
fi
if [ $# -lt 2 ]; then
	echo "usage: $0 [-O] IPTLOAD CASE..." >&2
	exit 64
fi
skip_unless_netns
IPTLOAD=$(realpath "$1")
export IPTLOAD
shift
find_dump_table "$IPTLOAD" || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"
IPTLOAD=$(wrap_iptload "$IPTLOAD" "$work")

n=0
failures=0

# result NAME OK DIAGFILE: print one TAP line and its diagnostics.
result() {
	n=$((n + 1))
	if [ "$2" = 1 ]; then
		echo "ok $n - $1"
		[ -s "$3" ] && tap_diag 20 <"$3"
	else
		echo "not ok $n - $1"
		failures=$((failures + 1))
		tap_diag 80 <"$3"
	fi
}

# rc_of PREFIX: the exit status a side recorded, or "none" if it died first.
rc_of() {
	cat "$1.rc" 2>/dev/null || echo none
}

# same WHAT A B DIAG: append a labelled diff of A and B to DIAG, return 1
# if they differ.
same() {
	if ! diff -u --label "$1 (iptload)" --label "$1 (iptables-legacy)" \
		"$2" "$3" >"$4.part"; then
		cat "$4.part" >>"$4"
		return 1
	fi
	return 0
}

# Oracle-only mode: good cases must load, bad cases must be refused.
check_oracle() {
	local name=$1 kind=$2 file=$3 dir=$4 diag=$4/diag rc ok=1
	in_fresh_netns side_load oracle "$file" "$dir/b"
	rc=$(rc_of "$dir/b")
	case $kind in
	good)
		[ "$rc" = 0 ] || ok=0 ;;
	bad)
		[ "$rc" != 0 ] || ok=0 ;;
	strict)
		# The oracle may accept or refuse; record which.
		echo "oracle exit $rc" >>"$diag" ;;
	esac
	if [ $ok = 0 ]; then
		{ echo "oracle exit $rc (kind $kind)"; cat "$dir/b.err"; } >>"$diag"
	fi
	result "$name (oracle only)" $ok "$diag"
}

# A good case: iptload and the oracle must give the same kernel state.
check_good() {
	local name=$1 config=$2 oracle=$3 dir=$4 diag=$4/diag ok=1
	in_fresh_netns side_load iptload "$config" "$dir/a"
	in_fresh_netns side_load oracle "$oracle" "$dir/b"
	if [ "$(rc_of "$dir/b")" != 0 ]; then
		{ echo "the oracle refused $oracle (the case is wrong):"
		  cat "$dir/b.err"; } >>"$diag"
		ok=0
	fi
	if [ "$(rc_of "$dir/a")" != 0 ]; then
		# Its diagnostics say why; a diff against an empty namespace
		# would only bury them.
		{ echo "iptload apply exited $(rc_of "$dir/a"):"
		  cat "$dir/a.err"; } >>"$diag"
		ok=0
	else
		same save "$dir/a.save" "$dir/b.save" "$diag" || ok=0
		same dump "$dir/a.dump" "$dir/b.dump" "$diag" || ok=0
	fi
	result "$name" $ok "$diag"
}

# A bad or strict case: iptload must refuse with the expected status, say
# "error", and change nothing; for a bad case the oracle must refuse too.
check_refused() {
	local name=$1 kind=$2 file=$3 dir=$4 diag=$4/diag ok=1 rc
	in_fresh_netns side_refuse "$file" "$dir/a"
	rc=$(rc_of "$dir/a")
	case $kind:$rc in
	bad:2 | bad:3 | strict:2) ;;
	*)
		{ echo "iptload apply exited $rc, expected" \
			"$([ "$kind" = bad ] && echo "2 or 3" || echo 2)"
		  cat "$dir/a.err"; } >>"$diag"
		ok=0
		;;
	esac
	if ! grep -q 'error' "$dir/a.err"; then
		echo "iptload printed no error on stderr" >>"$diag"
		ok=0
	fi
	if ! diff -u --label 'save before' --label 'save after' \
		"$dir/a.before.save" "$dir/a.after.save" >>"$diag" ||
	   ! diff -u --label 'dump before' --label 'dump after' \
		"$dir/a.before.dump" "$dir/a.after.dump" >>"$diag"; then
		echo "iptload changed the namespace although it refused" >>"$diag"
		ok=0
	fi
	in_fresh_netns side_load oracle "$file" "$dir/b"
	# On success, show what iptload said, so the log documents it.
	[ $ok = 0 ] || grep -m1 'error' "$dir/a.err" >>"$diag"
	if [ "$kind" = strict ]; then
		echo "iptables-legacy exit $(rc_of "$dir/b") (may accept it)" >>"$diag"
	elif [ "$(rc_of "$dir/b")" = 0 ]; then
		echo "iptables-legacy accepted it (the case is wrong?)" >>"$diag"
		ok=0
	fi
	result "$name" $ok "$diag"
}

# readable_all FILE[+FILE...]: every file of an oracle is readable.
readable_all() {
	local f
	for f in ${1//+/ }; do
		[ -r "$f" ] || return 1
	done
}

echo "1..$#"
for arg; do
	config=${arg%%=*}
	oracle=${arg#*=}
	name=$(basename "$config")
	[ "$config" = "$arg" ] || name="$name = $(echo "$oracle" | sed "s#[^+]*/##g")"
	case $(basename "$config") in
	*.bad.*) kind=bad ;;
	*.strict.*) kind=strict ;;
	*) kind=good ;;
	esac
	dir=$(mktemp -d "$work/case.XXXXXX")
	: >"$dir/diag"
	if [ ! -r "$config" ] || ! readable_all "$oracle"; then
		echo "missing case file: $arg" >"$dir/diag"
		result "$name" 0 "$dir/diag"
	elif [ $oracle_only = 1 ]; then
		check_oracle "$name" $kind "$oracle" "$dir"
	elif [ $kind = good ]; then
		check_good "$name" "$config" "$oracle" "$dir"
	else
		check_refused "$name" $kind "$config" "$dir"
	fi
	rm -rf "$dir"
done
[ $failures = 0 ]
