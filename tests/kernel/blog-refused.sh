#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# blog-refused.sh IPTLOAD [BLOG_CONF] - the blog's rules, pasted verbatim
# with their typos (cases/blog-verbatim.conf), must be refused:
#   - iptload apply exits 2 (config error);
#   - an error at the line of "--source  0.0.0.0/" (empty mask);
#   - an error at the line of the stray "}";
#   - an error at the line of "--source $10.0.1.1/24" (no variable $1...);
#   - a warning at the line of "--destination 10.0.1.1/24" (host bits set
#     under the mask: the rule means the /24, not the host);
#   - the namespace, preloaded with a ruleset, is unchanged.
# The line numbers come from the file itself, so editing it cannot make the
# test pass by accident.  Runs in a fresh network namespace.  Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -lt 1 ]; then
	echo "usage: $0 IPTLOAD [BLOG_CONF]" >&2
	exit 64
fi
skip_unless_netns
IPTLOAD=$(realpath "$1")
export IPTLOAD
CONF=${2:-$KERNEL_TESTS_DIR/cases/blog-verbatim.conf}
find_dump_table "$IPTLOAD" || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-blog.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"
IPTLOAD=$(wrap_iptload "$IPTLOAD" "$work")

n=0
failed=0
# tap OK DESCRIPTION [DIAGFILE]
tap() {
	n=$((n + 1))
	if [ "$1" = 1 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
		[ $# -lt 3 ] || tap_diag 60 <"$3"
	fi
}

# line_of ERE: the number of the one line of $CONF matching ERE, or empty
# if there is not exactly one.
line_of() {
	local lines
	lines=$(grep -nE -- "$1" "$CONF" | cut -d: -f1)
	[ "$(printf '%s\n' "$lines" | grep -c .)" = 1 ] && echo "$lines"
}

empty_mask=$(line_of '--source +0\.0\.0\.0/ *$')
stray_brace=$(line_of '^}')
dollar_ten=$(line_of '--source +\$10\.0\.1\.1/24')
host_bits=$(line_of '--destination +10\.0\.1\.1/24')

echo "1..6"
in_fresh_netns side_refuse "$CONF" "$work/a"
rc=$(cat "$work/a.rc" 2>/dev/null || echo none)
ok=0
[ "$rc" = 2 ] && ok=1
tap $ok "iptload apply exits 2 (got $rc)" "$work/a.err"

# expect KIND LINE WHAT: stderr has "blog-verbatim.conf:LINE:[COL:] KIND".
expect() {
	local base
	base=$(basename "$CONF")
	if [ -z "$2" ]; then
		echo "the $3 line is not in $CONF exactly once" >"$work/diag"
		tap 0 "$1 for $3" "$work/diag"
	elif grep -qE "(^|/)${base//./\\.}:$2:([0-9]+:)? *$1" "$work/a.err"; then
		tap 1 "$1 at line $2 ($3)"
	else
		tap 0 "$1 at line $2 ($3)" "$work/a.err"
	fi
}
expect error "$empty_mask" '--source  0.0.0.0/'
expect error "$stray_brace" 'stray }'
expect error "$dollar_ten" '--source $10.0.1.1/24'
expect warning "$host_bits" '--destination 10.0.1.1/24'

ok=0
diff -u --label 'save before' --label 'save after' \
	"$work/a.before.save" "$work/a.after.save" >"$work/diag" 2>&1 &&
	diff -u --label 'dump before' --label 'dump after' \
		"$work/a.before.dump" "$work/a.after.dump" >>"$work/diag" 2>&1 &&
	ok=1
tap $ok "the preloaded namespace is unchanged" "$work/diag"
exit $failed
