#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dualstack.sh IPTLOAD CONFIG - the day-to-day commands over both families,
# with CONFIG a dual-stack config (family both, mixed lists):
#  1. apply --boot with a config that cannot be read loads the lockdown in
#     IPv6 too: DROP policies, loopback allowed, exit 6 (a fail-closed boot
#     must not leave IPv6 open).
#  2. after apply, diff says identical and a second apply commits no table
#     of either family; save prints a config that applies with no commit
#     where it was taken, and that gives both families byte for byte the
#     same tables in a fresh namespace.  apply -v names each table with
#     its family ("filter", "filter (IPv6)").
#  3. apply --confirm: unconfirmed, both families come back exactly as
#     they were (iptables-legacy-save and ip6tables-legacy-save text with
#     counters, and the raw table bytes of dump_table); confirmed, both
#     families keep the new tables, the same as a plain apply gives.
#  4. check --kernel trial-loads the IPv6 tables too: a rule only the
#     kernel refuses, in IPv6 only (eui64 in OUTPUT), is named at its line
#     as a rule of "filter (IPv6)", and the namespace stays untouched.
#  5. apply of that config, which drops the config's text and the model
#     while it commits, still names the table at its line, the rule at
#     its line and a warning at its line, each with its source line (also
#     in an included file); when
#     the file changes while it commits, the refused rule is looked for
#     only if the file still builds the same ruleset.
# Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
[ $# -eq 2 ] || { echo "usage: $0 IPTLOAD CONFIG" >&2; exit 64; }
ops_init "$1"
CONFIG=$(realpath "$2")
find_dump_table "$IPTLOAD" || exit 1
export CONFIG

# The lockdown in one family's filter table: DROP everywhere, loopback
# in and out, nothing else.
lockdown_in() {
	grep -qx ':INPUT DROP \[0:0\]' "$1" &&
		grep -qx ':FORWARD DROP \[0:0\]' "$1" &&
		grep -qx ':OUTPUT DROP \[0:0\]' "$1" &&
		grep -qx -- '-A INPUT -i lo -j ACCEPT' "$1" &&
		grep -qx -- '-A OUTPUT -o lo -j ACCEPT' "$1" &&
		[ "$(grep -c '^-A' "$1")" = 2 ]
}
export -f lockdown_in

# Whether the namespace has ip6_tables tables (a /proc file's size is 0
# whatever it holds: test -s cannot tell).
has_ip6_tables() {
	[ -n "$(cat /proc/net/ip6_tables_names 2>/dev/null)" ]
}
export -f has_ip6_tables

boot_lockdown() {
	local rc=0
	: >"$work/v6"
	"$IPTLOAD" apply --boot "$work/missing.conf" >"$work/out" \
		2>"$work/err" || rc=$?
	iptables-legacy-save -t filter >"$work/v4" 2>&1
	has_ip6_tables &&
		ip6tables-legacy-save -t filter >"$work/v6" 2>&1
	check "--boot with an unreadable config exits 6" test "$rc" = 6
	check "the IPv4 lockdown: DROP, loopback only" lockdown_in "$work/v4"
	check "the IPv6 lockdown: DROP, loopback only" lockdown_in "$work/v6"
}
export -f boot_lockdown

noop_and_save() {
	local n
	if ! "$IPTLOAD" -v apply "$CONFIG" >"$work/out" 2>"$work/why"; then
		echo "not ok - apply $(basename "$CONFIG")"
		sed 's/^/# /' "$work/why"
		return
	fi
	check "the config fills both families" has_ip6_tables
	cp "$work/out" "$work/why"
	check "apply -v: the IPv4 filter table as 'filter'" \
		grep -qF "$CONFIG: filter: committed: " "$work/out"
	cp "$work/out" "$work/why"
	check "apply -v: the IPv6 filter table as 'filter (IPv6)'" \
		grep -qF "$CONFIG: filter (IPv6): committed: " "$work/out"
	state >"$work/applied"
	"$IPTLOAD" diff "$CONFIG" >"$work/why" 2>&1
	check "diff after apply: identical (exit 0, no output)" \
		test $? = 0 -a ! -s "$work/why"
	n=$(replaces "$IPTLOAD" apply "$CONFIG")
	check "a second apply commits no table of either family" \
		test "$n" = 0 -a "$(cat "$work/rc")" = 0
	"$IPTLOAD" save >"$work/saved.conf" 2>"$work/why"
	chmod 600 "$work/saved.conf"
	n=$(replaces "$IPTLOAD" apply "$work/saved.conf")
	check "save's output applies with no commit where it was taken" \
		test "$n" = 0 -a "$(cat "$work/rc")" = 0
	state >"$work/after"
	check "and changes nothing" same "$work/applied" "$work/after"
}
export -f noop_and_save

# save's output, loaded in a fresh namespace, rebuilds both families.
save_elsewhere() {
	"$IPTLOAD" apply "$work/saved.conf" >"$work/out" 2>"$work/why"
	check "save's output applies in a fresh namespace" test $? = 0
	state >"$work/rebuilt"
	check "and rebuilds both families as they were" \
		same "$work/applied" "$work/rebuilt"
}
export -f save_elsewhere

# The tables before an apply --confirm: both families' preload rulesets,
# with counters a roll-back must bring back, and every table of both
# families instantiated (a table the apply creates cannot be removed again,
# so only then can "exactly as before" hold byte for byte).
confirm_before() {
	local t
	sed 's/^-A INPUT -i lo/[7:420] -A INPUT -i lo/' "$PRELOAD" |
		iptables-legacy-restore -c &&
		sed 's/^-A INPUT -i lo/[9:640] -A INPUT -i lo/' "$PRELOAD6" |
		ip6tables-legacy-restore -c || return 1
	for t in raw mangle nat filter security; do
		iptables-legacy -t $t -S >/dev/null &&
			ip6tables-legacy -t $t -S >/dev/null || return 1
	done
	state >"$work/$1.state"
	"$DUMP_TABLE" >"$work/$1.dump"
}
export -f confirm_before

# The IPv6 part of a state file.
v6_part() {
	sed -n '/^# --- ipv6 ---$/,$p' "$1"
}
export -f v6_part

confirm_rolls_back_both() {
	local progress
	confirm_before before ||
		{ echo "not ok - preload both families"; return; }
	progress=$(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 1 \
		"$CONFIG" 3>&1 >"$work/out" 2>"$work/why")
	check "apply --confirm 1: armed, then rolled back ($(echo $progress))" \
		bash -c "[[ \"$progress\" =~ ^armed\ [0-9]+$'\n'rolled\ back$ ]]"
	state >"$work/after.state"
	"$DUMP_TABLE" >"$work/after.dump"
	check "unconfirmed: IPv4 and IPv6 saved text as before, counters included" \
		same "$work/before.state" "$work/after.state"
	check "unconfirmed: the raw tables of both families as before" \
		same "$work/before.dump" "$work/after.dump"
}
export -f confirm_rolls_back_both

# A plain apply over the same tables, in a namespace of its own: what a
# confirmed apply must keep.
plain_apply() {
	confirm_before plain >/dev/null 2>&1 &&
		"$IPTLOAD" apply "$CONFIG" >/dev/null 2>&1 &&
		state >"$work/plain.state" && "$DUMP_TABLE" >"$work/plain.dump"
}
export -f plain_apply

confirm_keeps_both() {
	local line rc=0
	confirm_before before ||
		{ echo "not ok - preload both families"; return; }
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 60 \
		"$CONFIG" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	state >"$work/waiting.state"
	v6_part "$work/before.state" >"$work/before.v6"
	v6_part "$work/waiting.state" >"$work/waiting.v6"
	check "while it waits, the IPv6 tables hold the new ruleset" \
		bash -c "! cmp -s '$work/before.v6' '$work/waiting.v6'"
	"$IPTLOAD" confirm >"$work/out" 2>"$work/why" || rc=$?
	check "iptload confirm (exit $rc)" test "$rc" = 0
	line=$(cat <&4)
	exec 4<&-
	check "the watchdog kept it and left" test "$line" = kept
	state >"$work/kept.state"
	"$DUMP_TABLE" >"$work/kept.dump"
	check "confirmed: both families keep what the apply loaded" \
		same "$work/waiting.state" "$work/kept.state"
	check "confirmed: saved text of both families as a plain apply's" \
		same "$work/plain.state" "$work/kept.state"
	check "confirmed: raw tables of both families as a plain apply's" \
		same "$work/plain.dump" "$work/kept.dump"
}
export -f confirm_keeps_both

check_kernel_v6() {
	local rc=0
	conf k.conf <<'CONF'
family both
*filter
:INPUT DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-6 -A OUTPUT -m eui64 -j ACCEPT
-A OUTPUT -p tcp --dport 22 -j ACCEPT
COMMIT
CONF
	"$IPTLOAD" check "$work/k.conf" >"$work/out" 2>"$work/why"
	check "check without --kernel: ok (only the kernel refuses it)" \
		test $? = 0
	"$IPTLOAD" check --kernel "$work/k.conf" >"$work/out" \
		2>"$work/err" || rc=$?
	cp "$work/err" "$work/why"
	check "check --kernel: exit 3, the IPv6 rule at its line (exit $rc)" \
		bash -c "[ $rc = 3 ] && grep -qxF '$work/k.conf:7:1: error: the kernel refuses table filter (IPv6) with this rule in it (rule 2 of OUTPUT)' '$work/err'"
	check "and no table was made here, in either family" \
		bash -c "[ -z \"\$(cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null)\" ]"
}
export -f check_kernel_v6

# followed_by FILE LINE NEXT: FILE has LINE with NEXT on the line after it.
followed_by() {
	awk -v a="$2" -v b="$3" 'prev == a && $0 == b { found = 1 }
		{ prev = $0 } END { exit !found }' "$1"
}
export -f followed_by

# apply drops the config's text and the model's entries while libiptc
# commits: a refusal is still reported at the table's line, the refused
# rule (found by the trial load, on the model built again) at its line,
# and a warning found before the commit, each with its source line.
apply_kernel_v6_conf() {
	conf k.conf <<'CONF'
family both
*filter
:INPUT DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-6 -A OUTPUT -m eui64 -j ACCEPT
-A OUTPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -d 10.0.1.1/24 -j ACCEPT
COMMIT
CONF
}
export -f apply_kernel_v6_conf

apply_kernel_v6() {
	local rc=0 e
	apply_kernel_v6_conf
	"$IPTLOAD" apply "$work/k.conf" >"$work/out" 2>"$work/err" || rc=$?
	state >"$work/state.after"
	e=$work/k.conf
	cp "$work/err" "$work/why"
	check "apply: exit 3, the table refused at its line (exit $rc)" \
		bash -c "[ $rc = 3 ] && grep -q \"^$e:2:1: error: the kernel refused table 'filter' (IPv6): \" '$work/err' && followed_by '$work/err' \"\$(grep \"^$e:2:1: error\" '$work/err')\" '  *filter'"
	cp "$work/err" "$work/why"
	check "apply: the refused rule at its line, with its text" \
		followed_by "$work/err" "$e:7:1: error: the kernel refuses table filter (IPv6) with this rule in it (rule 2 of OUTPUT)" "  -6 -A OUTPUT -m eui64 -j ACCEPT"
	cp "$work/err" "$work/why"
	check "apply: the warning before the commit, with its text" \
		followed_by "$work/err" "$e:9:13: warning: '10.0.1.1/24' has host bits set: it matches the network 10.0.1.0/24" "  -A INPUT -d 10.0.1.1/24 -j ACCEPT"
	cp "$work/state.after" "$work/why"
	check "apply: no rule of it stays in either family" \
		bash -c "! grep -q '^-A' '$work/state.after'"
}
export -f apply_kernel_v6

# The same with the rules in an included file, whose text apply drops too.
apply_kernel_v6_included() {
	local rc=0 e=$work/rules.d/a.conf
	mkdir -p "$work/rules.d"
	conf main.conf <<'CONF'
family both
*filter
:INPUT DROP [0:0]
:OUTPUT ACCEPT [0:0]
include "rules.d/*.conf"
COMMIT
CONF
	conf rules.d/a.conf <<'CONF'
-A INPUT -i lo -j ACCEPT
-6 -A OUTPUT -m eui64 -j ACCEPT
-A INPUT -d 10.0.1.1/24 -j ACCEPT
CONF
	"$IPTLOAD" apply "$work/main.conf" >"$work/out" 2>"$work/err" || rc=$?
	cp "$work/err" "$work/why"
	check "included: exit 3, the refused rule at its line, with its text (exit $rc)" \
		bash -c "[ $rc = 3 ] && followed_by '$work/err' \"$e:2:1: error: the kernel refuses table filter (IPv6) with this rule in it (rule 1 of OUTPUT)\" '  -6 -A OUTPUT -m eui64 -j ACCEPT'"
	cp "$work/err" "$work/why"
	check "included: the warning before the commit, with its text" \
		followed_by "$work/err" "$e:3:13: warning: '10.0.1.1/24' has host bits set: it matches the network 10.0.1.0/24" "  -A INPUT -d 10.0.1.1/24 -j ACCEPT"
}
export -f apply_kernel_v6_included

# apply_changed_meanwhile EDIT: apply the config of apply_kernel_v6,
# paused before its first commit (pause_at.so), and EDIT (a sed script)
# made to the file meanwhile, in place (the same inode), or, with a
# second argument "rename", by sed -i (a new file renamed over it);
# stderr in $work/err, the exit status in $work/rc.
apply_changed_meanwhile() {
	local sp line rc=0
	apply_kernel_v6_conf
	rm -f "$work/pause-out" "$work/pause-in" "$work/pause-in.taken"
	mkfifo "$work/pause-out" "$work/pause-in"
	PAUSE_AT=replace PAUSE_OUT="$work/pause-out" \
		PAUSE_IN="$work/pause-in" LD_PRELOAD="$OPS_BUILD/pause_at.so" \
		"$IPTLOAD" apply "$work/k.conf" >"$work/out" 2>"$work/err" &
	sp=$!
	read -r line <"$work/pause-out"
	if [ "${2:-}" = rename ]; then
		sed -i "$1" "$work/k.conf"
	else
		sed "$1" "$work/k.conf" >"$work/k.new"
		cat "$work/k.new" >"$work/k.conf"
	fi
	echo go >"$work/pause-in"
	wait "$sp" || rc=$?
	echo "$rc" >"$work/rc"
}
export -f apply_changed_meanwhile

# The config changes while apply commits it, then the kernel refuses it:
# the refused rule is looked for in the model built again only when the
# file still builds the same ruleset (here: a comment more, so the rule
# is at its new line), and otherwise the reason is said.  A file renamed
# over the config is no change: apply reads the one it opened.
apply_changed_during_commit() {
	local e=$work/k.conf
	apply_changed_meanwhile '1i # a comment'
	cp "$work/err" "$work/why"
	check "changed by a comment: exit 3, the refused rule at its new line" \
		bash -c "[ \$(cat '$work/rc') = 3 ] && followed_by '$work/err' \"$e:8:1: error: the kernel refuses table filter (IPv6) with this rule in it (rule 2 of OUTPUT)\" '  -6 -A OUTPUT -m eui64 -j ACCEPT'"
	apply_changed_meanwhile 's/--dport 22/--dport 23/'
	cp "$work/err" "$work/why"
	check "changed in a rule: exit 3, no rule named, the reason said" \
		bash -c "[ \$(cat '$work/rc') = 3 ] && ! grep -q 'with this rule' '$work/err' && grep -qxF 'iptload: warning: cannot look for the rule the kernel refused: $e builds another ruleset than it did at the start of this apply' '$work/err'"
	apply_changed_meanwhile '2a preserve f2b-*'
	cp "$work/err" "$work/why"
	check "changed in a preserve line: exit 3, no rule named, the reason said" \
		bash -c "[ \$(cat '$work/rc') = 3 ] && ! grep -q 'with this rule' '$work/err' && grep -qxF 'iptload: warning: cannot look for the rule the kernel refused: $e builds another ruleset than it did at the start of this apply' '$work/err'"
	apply_changed_meanwhile 's/--dport 22/--dport 23/' rename
	cp "$work/err" "$work/why"
	check "another file renamed over it: the rule at its line as read" \
		bash -c "[ \$(cat '$work/rc') = 3 ] && followed_by '$work/err' \"$e:7:1: error: the kernel refuses table filter (IPv6) with this rule in it (rule 2 of OUTPUT)\" '  -6 -A OUTPUT -m eui64 -j ACCEPT'"
}
export -f apply_changed_during_commit

# Both families' rules and policies, counters left out (a roll-back
# loaded at boot starts them at zero).
rules_both() {
	local t
	for t in $(sort /proc/net/ip_tables_names); do
		iptables-legacy-save -t "$t" | grep -v '^#'
	done
	echo '# --- ipv6 ---'
	for t in $(sort /proc/net/ip6_tables_names); do
		ip6tables-legacy-save -t "$t" | grep -v '^#'
	done | sed 's/\[[0-9]*:[0-9]*\]$/[0:0]/'
}
export -f rules_both

# The pending roll-back survives its watchdog in both families: killed
# while it waits, the next apply --boot loads what apply --confirm
# replaced, IPv4 and IPv6, not the unconfirmed config.
watchdog_killed_boot_both() {
	local line pid rc=0
	export IPTLOAD_STATE_DIR="$work/state"
	confirm_before before ||
		{ echo "not ok - preload both families"; return; }
	rules_both | sed 's/\[[0-9]*:[0-9]*\]$/[0:0]/' >"$work/before.rules"
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 60 \
		"$CONFIG" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	pid=$(awk '{print $2}' <<<"$line")
	check "the saved roll-back holds both families" \
		bash -c "grep -qx 'family ipv6' '$IPTLOAD_STATE_DIR/confirm-previous.rules'"
	kill -KILL "$pid"
	cat <&4 >/dev/null
	exec 4<&-
	"$IPTLOAD" apply --boot "$CONFIG" >"$work/out" 2>"$work/err" || rc=$?
	cp "$work/err" "$work/why"
	check "apply --boot after the watchdog died loads the replaced tables (exit $rc)" \
		bash -c "[ $rc = 0 ] && grep -q 'was never confirmed' '$work/err'"
	rules_both | sed 's/\[[0-9]*:[0-9]*\]$/[0:0]/' >"$work/after.rules"
	check "both families hold what they held before the apply --confirm" \
		same "$work/before.rules" "$work/after.rules"
}
export -f watchdog_killed_boot_both

# The same with the config's TCPMSS rules left out: the previous IPv6
# mangle table (the preload's) still holds one, and its options must be
# saved although no rule parsed here loaded the extension before the
# lock was taken.
watchdog_killed_boot_unused_target() {
	grep -v TCPMSS "$CONFIG" | conf no-tcpmss.conf
	grep -q TCPMSS "$PRELOAD6" ||
		{ echo "not ok - the IPv6 preload holds a TCPMSS rule"; return; }
	CONFIG="$work/no-tcpmss.conf" watchdog_killed_boot_both
}
export -f watchdog_killed_boot_unused_target

{
	in_fresh_netns boot_lockdown
	in_fresh_netns noop_and_save
	in_fresh_netns save_elsewhere
	in_fresh_netns confirm_rolls_back_both
	in_fresh_netns plain_apply
	in_fresh_netns confirm_keeps_both
	in_fresh_netns watchdog_killed_boot_both
	in_fresh_netns watchdog_killed_boot_unused_target
	in_fresh_netns check_kernel_v6
	in_fresh_netns apply_kernel_v6
	in_fresh_netns apply_kernel_v6_included
	in_fresh_netns apply_changed_during_commit
} | ops_finish
