#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# boot-fail.sh IPTLOAD FAIL_REPLACE LOCKDOWN_RULES - apply --boot fails
# closed whatever goes wrong, each case in a fresh network namespace:
#  1. the kernel refuses a table (fail_replace.so: nat EINVAL): exit 6,
#     the lockdown is loaded, the message says the kernel refused;
#  2. a table is refused and putting back another fails (a mixed result):
#     exit 6, the lockdown is loaded, the message says so;
#  3. the xtables lock is held past --wait: exit 6 once the holder lets
#     go, the lockdown waiting for the lock as long as it takes.  The
#     holder lets go when iptload has said that its apply gave up on the
#     lock (read from its stderr): no sleeping;
#  4. the shipped lockdown.rules (iptload-lockdown.service's) loads the
#     very tables iptload's built-in lockdown does.
# Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || { echo "usage: $0 IPTLOAD FAIL_REPLACE LOCKDOWN_RULES" >&2; exit 64; }
test_setup boot-fail "$1"
FAIL_REPLACE=$(realpath "$2")
LOCKDOWN_RULES=$(realpath "$3")
export FAIL_REPLACE LOCKDOWN_RULES

cat >"$work/fw.conf" <<'CONF'
*filter
:INPUT DROP [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
CONF
chmod 600 "$work/fw.conf"

# The lockdown as iptables-legacy-save prints it, filter table only.
lockdown_filter() {
	iptables-legacy-save -t filter | grep -v '^#'
}
export -f lockdown_filter

# verdict N DESCRIPTION RC TEXT: ok when iptload exited 6, said TEXT and
# the filter table is the lockdown.
verdict() {
	local got
	got=$(lockdown_filter)
	if [ "$3" = 6 ] && grep -qF -- "$4" "$work/err" &&
		[ "$got" = "$(printf '%s\n' '*filter' ':INPUT DROP [0:0]' \
			':FORWARD DROP [0:0]' ':OUTPUT DROP [0:0]' \
			'-A INPUT -i lo -j ACCEPT' '-A OUTPUT -o lo -j ACCEPT' \
			'COMMIT')" ]; then
		echo "ok $1 - $2"
	else
		echo "not ok $1 - $2 (exit $3)"
		sed 's/^/# /' "$work/err"
		printf '%s\n' "$got" | sed 's/^/# /'
	fi
}
export -f verdict

refused() {
	local rc=0
	LD_PRELOAD=$FAIL_REPLACE IPTLOAD_FAIL=nat:EINVAL \
		"$IPTLOAD" apply --boot "$work/fw.conf" 2>"$work/err" || rc=$?
	verdict 1 "a table the kernel refuses: the lockdown is loaded" "$rc" \
		"fw.conf: the kernel refused the ruleset; loaded the lockdown ruleset"
}
export -f refused

mixed() {
	local rc=0
	# nat goes in first; filter is refused, and nat's roll-back fails.
	LD_PRELOAD=$FAIL_REPLACE IPTLOAD_FAIL=filter:EINVAL:1:1,nat:EIO:2:1 \
		"$IPTLOAD" apply --boot "$work/fw.conf" 2>"$work/err" || rc=$?
	verdict 2 "a mixed result: the lockdown is loaded" "$rc" \
		"fw.conf: the kernel refused a table and putting back the others failed; loaded the lockdown ruleset"
}
export -f mixed

locked() {
	local rc=0 line
	# The holder keeps the lock until it reads a line.
	coproc HOLDER { flock "$XTABLES_LOCKFILE" sh -c 'echo held; read x'; }
	read -r line <&"${HOLDER[0]}"
	mkfifo "$work/stderr"
	"$IPTLOAD" --wait=0 apply --boot "$work/fw.conf" 2>"$work/stderr" &
	local pid=$!
	: >"$work/err"
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$work/err"
		case $line in
		*"holding the xtables lock"*) echo go >&"${HOLDER[1]}" ;;
		esac
	done <"$work/stderr"
	wait "$pid" || rc=$?
	verdict 3 "a lock held past --wait: the lockdown waits for it" "$rc" \
		"fw.conf: the xtables lock was not free in time; loaded the lockdown ruleset"
}
export -f locked

shipped() {
	local rc=0
	"$IPTLOAD" apply --boot "$work/missing.conf" 2>"$work/err" || rc=$?
	"$DUMP_TABLE" >"$work/ours" 2>&1 || rc=99
	iptables-legacy-restore <"$LOCKDOWN_RULES" || rc=98
	"$DUMP_TABLE" >"$work/shipped" 2>&1 || rc=97
	if [ "$rc" = 6 ] && cmp -s "$work/ours" "$work/shipped"; then
		echo "ok 4 - lockdown.rules loads the same filter table as the built-in lockdown"
	else
		echo "not ok 4 - lockdown.rules differs from the built-in lockdown (rc=$rc)"
		diff "$work/ours" "$work/shipped" | sed 's/^/# /' | head -20
	fi
}
export -f shipped

find_dump_table "$1" || exit 0
export DUMP_TABLE
echo "1..4"
in_fresh_netns refused
in_fresh_netns mixed
in_fresh_netns locked
in_fresh_netns shipped
