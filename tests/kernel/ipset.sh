#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ipset.sh IPTLOAD CASE... - the kernel oracle for the set match and the
# SET target: like compare.sh, but each fresh namespace gets the ipsets
# the cases use before anything is loaded, since the extension looks the
# set up by name (in that namespace) while it parses the rule.  A case
# named *.bad.* must be refused by both, iptload with exit 2 and an error;
# any other must load the same state.  Prints TAP; skips (a TAP plan) without
# network namespaces or without the ipset tool.
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -lt 2 ]; then
	echo "usage: $0 IPTLOAD CASE..." >&2
	exit 64
fi
skip_unless_netns
command -v ipset >/dev/null || {
	tap_skip "the ipset tool is not installed"
}
IPTLOAD=$(realpath "$1")
export IPTLOAD
shift
find_dump_table "$IPTLOAD" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-ipset.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"

# make_sets: the sets the cases name, in the current namespace.
make_sets() {
	ipset create vpn-peers hash:ip &&
		ipset create blocklist hash:net counters &&
		ipset create seen hash:ip timeout 3600 &&
		ipset create ssh-tries hash:ip &&
		ipset create peer-ports hash:ip,port &&
		ipset create peer-marks hash:ip skbinfo &&
		ipset create v6-peers hash:net family inet6
}
export -f make_sets

n=0
failures=0
# With TEST_ENCODE_MATCH (tests/unit's test_encode_match), one more test:
# its set cases, native bytes against the adapter's, over these sets.
plan=$#
[ -z "${TEST_ENCODE_MATCH-}" ] || plan=$((plan + 1))
echo "1..$plan"
if [ -n "${TEST_ENCODE_MATCH-}" ]; then
	n=1
	if in_fresh_netns bash -c 'make_sets && IPTLOAD_TEST_IPSETS=1 "$1"' \
		sets "$TEST_ENCODE_MATCH" >"$work/unit.out" 2>&1; then
		echo "ok 1 - test_encode_match over the sets"
	else
		echo "not ok 1 - test_encode_match over the sets"
		tap_diag 60 <"$work/unit.out"
		failures=1
	fi
fi
for file; do
	n=$((n + 1))
	dir=$(mktemp -d "$work/case.XXXXXX")
	in_fresh_netns bash -c 'make_sets && side_load iptload "$1" "$2"' \
		sets "$file" "$dir/a"
	in_fresh_netns bash -c 'make_sets && side_load oracle "$1" "$2"' \
		sets "$file" "$dir/b"
	ok=1
	: >"$dir/diag"
	case $file in
	*.bad.*)
		[ "$(cat "$dir/a.rc")" = 2 ] && grep -q error "$dir/a.err" || {
			echo "iptload exited $(cat "$dir/a.rc"), expected 2:" \
				>>"$dir/diag"
			ok=0
		}
		cat "$dir/a.err" >>"$dir/diag"
		[ "$(cat "$dir/b.rc")" != 0 ] || {
			echo "iptables-legacy accepted it" >>"$dir/diag"
			ok=0
		}
		;;
	*)
		for side in a b; do
			if [ "$(cat "$dir/$side.rc")" != 0 ]; then
				echo "side $side exited $(cat "$dir/$side.rc"):" \
					>>"$dir/diag"
				cat "$dir/$side.err" >>"$dir/diag"
				ok=0
			fi
		done
		diff -u --label "save (iptload)" \
			--label "save (iptables-legacy)" \
			"$dir/a.save" "$dir/b.save" >>"$dir/diag" || ok=0
		diff -u --label "dump (iptload)" \
			--label "dump (iptables-legacy)" \
			"$dir/a.dump" "$dir/b.dump" >>"$dir/diag" || ok=0
		;;
	esac
	if [ $ok = 1 ]; then
		echo "ok $n - $(basename "$file")"
		tap_diag 3 <"$dir/diag"
	else
		echo "not ok $n - $(basename "$file")"
		tap_diag 60 <"$dir/diag"
		failures=$((failures + 1))
	fi
done
[ $failures = 0 ]
