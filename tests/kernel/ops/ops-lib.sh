# SPDX-License-Identifier: GPL-2.0-or-later
# ops-lib.sh - shared by the tests of iptload's day-to-day commands (diff,
# no-op apply, counters, save, preserve, the nf_tables warning, apply
# --confirm, syslog).  Sourced by bash, never run.
#
# Each script calls ops_init IPTLOAD, then runs its scenarios with
# `in_fresh_netns NAME` (lib.sh): every scenario starts in a brand-new
# network namespace.  Scenarios print "ok - ..." / "not ok - ..." lines;
# ops_finish numbers them and prints the TAP plan.

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# ops_init IPTLOAD: check namespaces, make the work directory and a
# private xtables lock, export what scenarios need.
ops_init() {
	[ $# -eq 1 ] || { echo "usage: $0 IPTLOAD" >&2; exit 64; }
	skip_unless_netns
	IPTLOAD=$(realpath "$1")
	OPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	OPS_BUILD=$(dirname "$IPTLOAD")/../tests/kernel/ops
	work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-ops.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	private_lock "$work"
	# apply --confirm's sockets in a private directory, never /run.
	IPTLOAD_CONFIRM_DIR="$work/run"
	export IPTLOAD OPS_DIR OPS_BUILD work IPTLOAD_CONFIRM_DIR
	OPS_RESULTS="$work/results"
	: >"$OPS_RESULTS"
}

# check DESCRIPTION COMMAND...: run COMMAND; "ok" if it succeeds.  On
# failure show $work/why (if any) as diagnostics.
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		[ -s "$work/why" ] && sed 's/^/# /' "$work/why" | head -60
	fi
	rm -f "$work/why"
	return 0
}

# conf NAME < TEXT: write a config file only root may write.
conf() {
	cat >"$work/$1"
	chmod 600 "$work/$1"
}

# state: every table the kernel holds, with counters, sorted by table name,
# without the dated comments, the IPv4 ones then the IPv6 ones; never
# instantiates a table.
state() {
	local t
	if [ -r /proc/net/ip_tables_names ]; then
		for t in $(sort /proc/net/ip_tables_names); do
			iptables-legacy-save -c -t "$t" | grep -v '^#'
		done
	fi
	if [ -n "$(cat /proc/net/ip6_tables_names 2>/dev/null)" ]; then
		echo '# --- ipv6 ---'
		for t in $(sort /proc/net/ip6_tables_names); do
			ip6tables-legacy-save -c -t "$t" | grep -v '^#'
		done
	fi
}

# replaces COMMAND...: run COMMAND under strace and print how many
# IPT_SO_SET_REPLACE and IP6T_SO_SET_REPLACE calls (table commits, of
# either family) it made; its exit status is in
# $work/rc, its stdout and stderr in $work/out and $work/err.
# LeakSanitizer cannot run under ptrace: an ASan build checks leaks
# everywhere but here.
replaces() {
	local rc=0
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=setsockopt -o "$work/strace" -- "$@" \
		>"$work/out" 2>"$work/err" || rc=$?
	echo "$rc" >"$work/rc"
	grep -cE 'IP6?T_SO_SET_REPLACE' "$work/strace" || true
}

# same FILE1 FILE2: true when equal; the diff goes to $work/why.
same() {
	diff -u "$1" "$2" >"$work/why"
}

export -f check conf state replaces same

# ops_finish < RESULTS: number the "ok"/"not ok" lines, print the plan.
# A script that ran no scenario at all (its namespace could not be made,
# say) fails: a run that checked nothing is not a pass.
ops_finish() {
	awk '
		/^(not )?ok - / { n++; sub(/ - /, " " n " - "); print; next }
		{ print }
		END {
			if (n == 0) {
				print "not ok 1 - no scenario ran"
				n = 1
			}
			print "1.." n
		}'
}
