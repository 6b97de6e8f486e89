#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# no-exec.sh IPTLOAD [CONFIG] - iptload loads a ruleset without starting
# any other program: under strace -f, the only execve is iptload's own (no
# iptables, no modprobe, no shell).  CONFIG defaults to the seed ruleset.
# Runs in a fresh network namespace.  Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -lt 1 ]; then
	echo "usage: $0 IPTLOAD [CONFIG]" >&2
	exit 64
fi
skip_unless_netns
IPTLOAD=$(realpath "$1")
CONFIG=${2:-$KERNEL_TESTS_DIR/cases/seed-vpn-router.cmds}

work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-noexec.XXXXXX")
trap 'rm -rf "$work"' EXIT
private_lock "$work"

echo "1..2"
if ! command -v strace >/dev/null; then
	echo "not ok 1 - iptload apply under strace # strace is not installed"
	echo "not ok 2 - exactly one execve"
	exit 1
fi

# LeakSanitizer cannot run under ptrace: in a sanitizer build it would
# abort iptload at exit.  Leaks are checked by every other test.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# -qq keeps attach/exit notices out of the log: only system calls remain.
rc=0
in_fresh_netns strace -f -qq -e trace=execve -o "$work/log" \
	"$IPTLOAD" apply "$CONFIG" >"$work/out" 2>"$work/err" || rc=$?
failed=0
if [ $rc = 0 ]; then
	echo "ok 1 - iptload apply under strace"
else
	echo "not ok 1 - iptload apply under strace # exit $rc"
	tap_diag 40 <"$work/err"
	failed=1
fi

# Every execve attempt counts, failed ones too (a PATH search shows as
# several ENOENT attempts).  A call interrupted by another process's output
# shows as "execve(... <unfinished ...>" then "<... execve resumed>": only
# the first half matches 'execve("'.
grep 'execve("' "$work/log" >"$work/execs" || true
count=$(wc -l <"$work/execs")
if [ "$count" = 1 ] && grep -qF "execve(\"$IPTLOAD\"" "$work/execs"; then
	echo "ok 2 - exactly one execve (iptload itself)"
else
	echo "not ok 2 - exactly one execve (iptload itself), saw $count"
	tap_diag 40 <"$work/log"
	failed=1
fi
exit $failed
