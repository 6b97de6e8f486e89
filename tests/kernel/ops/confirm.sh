#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# confirm.sh IPTLOAD - apply --confirm SECONDS: unconfirmed, the previous
# tables come back (exactly, counters included) when the time runs out,
# also after SIGHUP of the applying process and after SIGKILL of its
# whole process group; `iptload confirm` keeps the new ones; nothing else
# may be applied while a confirmation is pending.
#
# No sleeps: the watchdog writes its progress to $IPTLOAD_WATCHDOG_FD
# ("armed PID", then "kept" or "rolled back") and keeps that descriptor
# open until it exits, so reading it to EOF waits exactly for the
# watchdog.  The 1-2 s windows are the feature's own parameter.  Prints
# TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"

confirm_setup() {
	# nat is loaded (empty) before: a table once loaded stays, so only
	# then can "exactly as before" include it.
	conf old.conf <<'CONF'
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
*nat
COMMIT
CONF
	conf new.conf <<'CONF'
# A typo locks the admin out: port 2 instead of 22.
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 2 -j ACCEPT
COMMIT
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
CONF
	"$IPTLOAD" apply "$work/old.conf" 2>"$work/why"
	# Counters that a roll-back must bring back exactly.
	iptables-legacy-save -c | sed 's/^\[0:0\] -A INPUT -p tcp/[5:300] -A INPUT -p tcp/' |
		iptables-legacy-restore -c
	state >"$work/before"
}
export -f confirm_setup

timeout_rolls_back() {
	confirm_setup
	local progress
	progress=$(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 1 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	check "apply says how to confirm" \
		grep -q "Run 'iptload confirm' within 1 second to keep it" "$work/out"
	check "the watchdog armed, then rolled back (progress: $(echo $progress))" \
		bash -c "[[ \"$progress\" =~ ^armed\ [0-9]+$'\n'rolled\ back$ ]]"
	state >"$work/after"
	check "unconfirmed: the previous tables are back, counters included" \
		same "$work/before" "$work/after"
}
export -f timeout_rolls_back

confirm_keeps() {
	confirm_setup
	local line rc
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	state >"$work/new"
	check "the new ruleset is loaded while it waits" \
		grep -q -- '--dport 2 -j ACCEPT' "$work/new"

	rc=0
	"$IPTLOAD" apply "$work/old.conf" >/dev/null 2>"$work/err" || rc=$?
	check "a plain apply is refused while a confirmation is pending (exit 8)" \
		bash -c "[ $rc = 8 ] && grep -q 'an apply --confirm is waiting for its confirmation' '$work/err'"
	rc=0
	"$IPTLOAD" apply --confirm 5 "$work/old.conf" >/dev/null 2>"$work/err" || rc=$?
	state >"$work/still"
	check "so is a second apply --confirm, and nothing changed" \
		bash -c "[ $rc = 8 ] && cmp -s '$work/new' '$work/still'"

	rc=0
	"$IPTLOAD" confirm >"$work/out" 2>"$work/err" || rc=$?
	check "iptload confirm (exit 0)" test "$rc" = 0
	line=$(cat <&4)
	exec 4<&-
	check "the watchdog kept it and left" test "$line" = kept
	state >"$work/after"
	check "the new tables stay" same "$work/new" "$work/after"
	rc=0
	"$IPTLOAD" confirm >/dev/null 2>"$work/err" || rc=$?
	check "a second confirm finds nothing to confirm (exit 1)" \
		test "$rc" = 1
}
export -f confirm_keeps

# Make stdout (fd 5, a fifo nobody reads) full, so that apply blocks in
# its last write after the watchdog is armed: it is alive when signalled.
fill_pipe() {
	rm -f "$work/full"
	mkfifo "$work/full"
	exec 5<>"$work/full"
	# Through a descriptor of their own: O_NONBLOCK must not reach the
	# one apply writes to.  Page-sized writes until no page is free,
	# then bytes until the last page is full too.
	dd if=/dev/zero of="$work/full" bs=4096 count=4096 oflag=nonblock \
		2>/dev/null
	dd if=/dev/zero of="$work/full" bs=1 count=8192 oflag=nonblock \
		2>/dev/null
	return 0
}
export -f fill_pipe

# signal_rolls_back SIG: kill -SIG the applying process's whole process
# group (it has its own: setsid) while apply still runs.
signal_rolls_back() {
	local sig=$1 pid line rc progress
	confirm_setup
	fill_pipe
	rm -f "$work/notify"
	mkfifo "$work/notify"
	# Job control gives the background apply a process group of its own,
	# whose id is its pid, whatever group this shell leads (setsid would
	# fork, and $! be the wrong process, when the child leads one).
	# env --default-signal: under nohup (SIGHUP ignored from the start,
	# which no shell can undo) the SIGHUP case must still kill apply.
	set -m
	IPTLOAD_WATCHDOG_FD=3 env --default-signal=HUP "$IPTLOAD" apply \
		--confirm 1 "$work/new.conf" >&5 2>"$work/err" 3>"$work/notify" &
	pid=$!
	set +m
	exec 6<"$work/notify"
	read -r line <&6
	check "SIG$sig: the watchdog is armed while apply still runs" \
		kill -0 "$pid"
	kill -"$sig" -- -"$pid"
	rc=0
	wait "$pid" || rc=$?
	check "SIG$sig killed apply and its process group (exit $rc)" \
		test "$rc" -gt 128
	progress=$(cat <&6)
	exec 6<&- 5<&-
	check "SIG$sig: the watchdog lives on and rolls back" \
		test "$progress" = "rolled back"
	state >"$work/after"
	check "SIG$sig: the previous tables are back, counters included" \
		same "$work/before" "$work/after"
}
export -f signal_rolls_back

nothing_to_confirm() {
	confirm_setup
	local progress rc=0
	progress=$(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/old.conf" 3>&1 >"$work/out" 2>"$work/err") || rc=$?
	check "apply --confirm of what is loaded: nothing to confirm, no watchdog left" \
		bash -c "[ $rc = 0 ] && [ '$progress' = 'nothing to do' ] && grep -q 'nothing changed, nothing to confirm' '$work/out'"
	rc=0
	"$IPTLOAD" apply "$work/old.conf" 2>"$work/err" || rc=$?
	check "and apply works again at once" test "$rc" = 0
}
export -f nothing_to_confirm

# The abstract name iptload once listened on, held by a program of user
# nobody that never accepts: it plays no part any more.
squatter() {
	local sq line rc progress
	confirm_setup
	# nobody must reach the helper: a copy in a directory it may enter.
	chmod 711 "$work"
	cp "$OPS_BUILD/unix_listen" "$work/unix_listen"
	chmod 755 "$work/unix_listen"
	exec 7< <(exec setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$work/unix_listen" @iptload-confirm)
	sq=$!
	read -r line <&7
	check "user nobody holds @iptload-confirm ($line)" test "$line" = ready
	rc=0
	"$IPTLOAD" apply "$work/new.conf" >/dev/null 2>"$work/err" || rc=$?
	check "a plain apply is not blocked by it (exit $rc)" test "$rc" = 0
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/old.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	check "apply --confirm arms its watchdog ($line)" \
		bash -c "[[ '$line' == 'armed '* ]]"
	rc=0
	"$IPTLOAD" confirm >/dev/null 2>"$work/why" || rc=$?
	progress=$(cat <&4)
	exec 4<&-
	check "and iptload confirm reaches it (exit $rc, $progress)" \
		test "$rc" = 0 -a "$progress" = kept
	kill "$sq"
	exec 7<&-
}
export -f squatter

# The socket directory must be root's, mode 0700: one owned by another
# user, one that its group may enter, or a symlink is refused by apply
# --confirm (exit 3, nothing changed), and neither blocks a plain apply
# nor is asked to confirm.
untrusted_dir() {
	local rc dir what
	confirm_setup
	state >"$work/before"
	mkdir -p "$work/good" "$work/nobody" "$work/group"
	chmod 700 "$work/good" "$work/nobody"
	chown 65534 "$work/nobody"
	chmod 770 "$work/group"
	ln -sfn "$work/good" "$work/link"
	for what in "nobody:owned by uid 65534, not by root" \
		"group:has mode 0770, not 0700" "link:is not a directory"; do
		dir=$work/${what%%:*}
		rc=0
		IPTLOAD_CONFIRM_DIR=$dir "$IPTLOAD" apply --confirm 5 \
			"$work/new.conf" >/dev/null 2>"$work/err" || rc=$?
		state >"$work/after"
		cp "$work/err" "$work/why"
		check "${what%%:*}: apply --confirm refuses the directory (exit $rc), changing nothing" \
			bash -c "[ $rc = 3 ] && grep -q 'refusing the confirm socket: .*${what#*:}' '$work/err' && cmp -s '$work/before' '$work/after'"
		rc=0
		IPTLOAD_CONFIRM_DIR=$dir "$IPTLOAD" confirm >/dev/null \
			2>"$work/err" || rc=$?
		cp "$work/err" "$work/why"
		check "${what%%:*}: iptload confirm does not use it (exit $rc)" \
			bash -c "[ $rc = 1 ] && grep -q '${what#*:}' '$work/err'"
	done
	rc=0
	IPTLOAD_CONFIRM_DIR=$work/group "$IPTLOAD" apply "$work/new.conf" \
		>/dev/null 2>"$work/why" || rc=$?
	check "a plain apply is not blocked by such a directory (exit $rc)" \
		test "$rc" = 0
}
export -f untrusted_dir

# The socket file of a watchdog that died (nobody listens on it) is
# replaced by the next apply --confirm, which then works as usual and
# removes its socket file when it is done.
stale_socket_replaced() {
	local sock line pid rc progress
	confirm_setup
	mkdir -m 700 "$IPTLOAD_CONFIRM_DIR"
	sock=$IPTLOAD_CONFIRM_DIR/confirm-$(stat -L -c %i /proc/self/ns/net).sock
	exec 8< <(exec "$OPS_BUILD/unix_listen" "$sock")
	pid=$!
	read -r line <&8
	kill -KILL "$pid"
	cat <&8 >/dev/null # EOF: it is gone
	exec 8<&-
	check "a dead listener left its socket file" test -S "$sock"
	rc=0
	"$IPTLOAD" apply "$work/new.conf" >/dev/null 2>"$work/why" || rc=$?
	check "a plain apply takes it for no pending confirm (exit $rc)" \
		test "$rc" = 0
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/old.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	cp "$work/err" "$work/why"
	check "apply --confirm replaces it and arms ($line)" \
		bash -c "[[ '$line' == 'armed '* ]]"
	rc=0
	"$IPTLOAD" confirm >/dev/null 2>"$work/why" || rc=$?
	progress=$(cat <&4)
	exec 4<&-
	check "iptload confirm reaches the new watchdog (exit $rc, $progress)" \
		test "$rc" = 0 -a "$progress" = kept
	check "which removed its socket file when done" test ! -e "$sock"
}
export -f stale_socket_replaced

# Two network namespaces, one socket directory: each has a pending
# confirmation of its own, and a confirm in one keeps only that one.
namespaces_apart() {
	local line inner outer rc progress
	confirm_setup
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	outer=$(awk '{print $2}' <<<"$line")
	exec 5< <(IPTLOAD_WATCHDOG_FD=3 unshare -n "$IPTLOAD" apply \
		--confirm 30 "$work/new.conf" 3>&1 >"$work/out2" 2>"$work/err2")
	read -r line <&5
	inner=$(awk '{print $2}' <<<"$line")
	cp "$work/err2" "$work/why"
	check "an apply --confirm in another namespace arms too ($line)" \
		test -n "$inner"
	check "with a socket of its own" \
		test "$(ls "$IPTLOAD_CONFIRM_DIR" | grep -c '\.sock$')" = 2
	rc=0
	nsenter -t "$inner" -n "$IPTLOAD" confirm >/dev/null 2>"$work/why" || rc=$?
	progress=$(cat <&5)
	exec 5<&-
	check "confirmed there (exit $rc, $progress)" \
		test "$rc" = 0 -a "$progress" = kept
	rc=0
	"$IPTLOAD" apply "$work/old.conf" >/dev/null 2>"$work/err" || rc=$?
	check "here it still waits: a plain apply is refused (exit $rc)" \
		test "$rc" = 8
	"$IPTLOAD" confirm >/dev/null 2>"$work/why"
	progress=$(cat <&4)
	exec 4<&-
	check "and is confirmed on its own ($progress)" test "$progress" = kept
}
export -f namespaces_apart

# pause_setup: FIFOs for pause_at.so; pause_env prints the environment
# that makes one command pause at $1 (flock or replace).
pause_setup() {
	rm -f "$work/pause-out" "$work/pause-in" "$work/pause-in.taken"
	mkfifo "$work/pause-out" "$work/pause-in"
}
export -f pause_setup

# A confirm sent while the new tables are not committed yet is refused at
# once, not queued and honoured once they are: the time runs out and the
# previous tables come back.
early_confirm_refused() {
	local progress line rc
	confirm_setup
	pause_setup
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 PAUSE_AT=replace \
		PAUSE_OUT="$work/pause-out" PAUSE_IN="$work/pause-in" \
		LD_PRELOAD="$OPS_BUILD/pause_at.so" "$IPTLOAD" apply \
		--confirm 1 "$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <"$work/pause-out"
	rc=0
	"$IPTLOAD" confirm >"$work/cout" 2>"$work/cerr" || rc=$?
	echo go >"$work/pause-in"
	progress=$(cat <&4)
	exec 4<&-
	check "a confirm before the commit: refused (exit $rc)" \
		bash -c "[ $rc = 1 ] && grep -q 'has not committed its tables yet' '$work/cerr'"
	check "and not honoured later: armed, then rolled back ($(echo $progress))" \
		bash -c "[[ \"$progress\" =~ ^armed\ [0-9]+$'\n'rolled\ back$ ]]"
	state >"$work/after"
	check "the previous tables are back" same "$work/before" "$work/after"
}
export -f early_confirm_refused

# A plain apply that has not taken the lock yet when an apply --confirm
# starts and commits: it is refused (exit 8) under the lock, not
# committed into the pending confirmation (whose roll-back would undo
# it).
plain_apply_checks_under_lock() {
	local line rc pid progress
	confirm_setup
	pause_setup
	PAUSE_AT=flock PAUSE_OUT="$work/pause-out" PAUSE_IN="$work/pause-in" \
		LD_PRELOAD="$OPS_BUILD/pause_at.so" "$IPTLOAD" apply \
		"$work/old.conf" >/dev/null 2>"$work/plain-err" &
	pid=$!
	read -r line <"$work/pause-out"
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	echo go >"$work/pause-in"
	rc=0
	wait "$pid" || rc=$?
	check "the plain apply is refused under the lock (exit $rc)" \
		bash -c "[ $rc = 8 ] && grep -q 'an apply --confirm is waiting' '$work/plain-err'"
	line=$(awk '{print $2}' <<<"$line")
	# Lowering it needs CAP_SYS_RESOURCE, which some sandboxes lack even
	# for root: then the watchdog keeps 0, and this cannot be seen here.
	if (echo -1000 >/proc/self/oom_score_adj) 2>/dev/null; then
		check "the watchdog is the last the OOM killer picks" \
			test "$(cat "/proc/$line/oom_score_adj")" = -1000
	else
		echo "ok - oom_score_adj of the watchdog # SKIP this system lets no process lower its oom_score_adj"
	fi
	"$IPTLOAD" confirm >/dev/null 2>&1
	progress=$(cat <&4)
	exec 4<&-
	check "confirmed: the watchdog kept it" test "$progress" = kept
}
export -f plain_apply_checks_under_lock

# The roll-back must wait for the xtables lock (another program holds
# it): the watchdog keeps its socket, answers "rolling back", so that
# neither a late confirm nor a plain apply gets in, and tries again until
# it is done.
rollback_waits_for_lock() {
	local line pid rc holder progress
	confirm_setup
	rm -f "$work/held" "$work/hold"
	mkfifo "$work/held" "$work/hold"
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 60 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	pid=$(awk '{print $2}' <<<"$line")
	flock -x "$XTABLES_LOCKFILE" sh -c 'echo held >"$1"; cat "$2" >/dev/null' \
		_ "$work/held" "$work/hold" &
	holder=$!
	read -r line <"$work/held"
	kill -TERM "$pid"
	# A guard against a hang, not a timing assertion.
	line=
	read -r -t 60 line <&4
	check "the roll-back waits for the lock, and says so ($line)" \
		bash -c "[[ '$line' == 'roll-back waits: '*'xtables lock'* ]]"
	rc=0
	"$IPTLOAD" confirm >/dev/null 2>"$work/cerr" || rc=$?
	check "a confirm now is too late (exit $rc)" \
		bash -c "[ $rc = 1 ] && grep -q 'too late' '$work/cerr'"
	rc=0
	"$IPTLOAD" -w 0 apply "$work/old.conf" >/dev/null 2>"$work/perr" || rc=$?
	check "a plain apply is refused while it rolls back (exit $rc)" \
		test "$rc" = 8
	echo go >"$work/hold"
	wait "$holder"
	progress=$(cat <&4)
	exec 4<&-
	check "then it rolls back ($progress)" test "$progress" = "rolled back"
	state >"$work/after"
	check "the previous tables are back after the wait" \
		same "$work/before" "$work/after"
}
export -f rollback_waits_for_lock

# A chain the config preserves (fail2ban's) that its program deletes while
# apply --confirm waits: the roll-back cannot put back the jump to it.  It
# drops that jump with a warning and puts back everything else, rather
# than failing.  apply is paused once it has committed, before the
# watchdog's time starts (pause_at.so, "committed"): the chain goes then,
# and the time runs out.
preserved_chain_vanishes() {
	local line progress
	conf pold.conf <<'CONF'
*filter
preserve f2b-*
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
CONF
	conf pnew.conf <<'CONF'
*filter
preserve f2b-*
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 2 -j ACCEPT
COMMIT
CONF
	"$IPTLOAD" apply "$work/pold.conf" 2>"$work/why"
	iptables-legacy -N f2b-sshd &&
		iptables-legacy -A f2b-sshd -s 192.0.2.9/32 -j DROP &&
		iptables-legacy -A f2b-sshd -j RETURN &&
		iptables-legacy -I INPUT 1 -p tcp --dport 22 -j f2b-sshd
	state >"$work/before"
	pause_setup
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 PAUSE_AT=committed \
		PAUSE_OUT="$work/pause-out" PAUSE_IN="$work/pause-in" \
		LD_PRELOAD="$OPS_BUILD/pause_at.so" "$IPTLOAD" apply \
		--confirm 1 "$work/pnew.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <"$work/pause-out"
	state >"$work/new"
	check "committed: the new rules, and fail2ban's chain kept" \
		bash -c "grep -q -- '--dport 2 -j ACCEPT' '$work/new' && grep -q -- '-j f2b-sshd' '$work/new'"
	# fail2ban stops its jail meanwhile.
	iptables-legacy -D INPUT -p tcp --dport 22 -j f2b-sshd &&
		iptables-legacy -F f2b-sshd && iptables-legacy -X f2b-sshd
	echo go >"$work/pause-in"
	# A guard against a roll-back retried for ever, not a timing
	# assertion.
	timeout 60 cat <&4 >"$work/progress"
	exec 4<&-
	# A roll-back that still retries is left in no namespace.
	line=$(awk '/^armed /{print $2}' "$work/progress")
	[ -n "$line" ] && kill -9 "$line" 2>/dev/null
	progress=$(cat "$work/progress")
	check "the roll-back warns that it leaves out the jump to the vanished chain ($(echo $progress))" \
		grep -qxF "warning: filter: the roll-back leaves out the jump from INPUT to chain 'f2b-sshd', which is gone" "$work/progress"
	check "and rolls back" test "$(tail -n1 "$work/progress")" = "rolled back"
	grep -v f2b "$work/before" >"$work/expected"
	state >"$work/after"
	check "the previous tables are back, without the vanished chain" \
		same "$work/expected" "$work/after"
}
export -f preserved_chain_vanishes

# rules: the kernel's tables without counters (a roll-back loaded at boot
# comes from a file: the counters start again).
rules() {
	state | sed -E 's/ ?\[[0-9]+:[0-9]+\]//g'
}
export -f rules

# The pending roll-back survives the watchdog: apply --confirm writes the
# tables it replaces and a marker into $IPTLOAD_STATE_DIR (made 0700)
# before it commits; the watchdog killed with SIGKILL (or a reboot), the
# next apply --boot loads those tables, not the unconfirmed config, says
# so, and removes the marker.
watchdog_killed_boot_loads_previous() {
	local line pid rc
	export IPTLOAD_STATE_DIR="$work/state"
	confirm_setup
	rules >"$work/before-rules"
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 60 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	pid=$(awk '{print $2}' <<<"$line")
	check "the state directory is made, mode 0700 ($(stat -c %a "$IPTLOAD_STATE_DIR" 2>&1))" \
		test "$(stat -c %a "$IPTLOAD_STATE_DIR" 2>&1)" = 700
	check "it holds the marker, naming the config" \
		grep -qx "config $work/new.conf" "$IPTLOAD_STATE_DIR/confirm-pending"
	check "and the previous tables as iptables-save text" \
		bash -c "grep -qx -- '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT' '$IPTLOAD_STATE_DIR/confirm-previous.rules'"
	kill -KILL "$pid"
	# The watchdog holds the progress descriptor until it is gone.
	cat <&4 >/dev/null
	exec 4<&-
	rules >"$work/unconfirmed"
	check "killed: the unconfirmed tables stay loaded" \
		grep -q -- '--dport 2 -j ACCEPT' "$work/unconfirmed"
	rc=0
	"$IPTLOAD" apply --boot "$work/new.conf" >"$work/out" 2>"$work/err" || rc=$?
	check "apply --boot loads the tables apply --confirm replaced (exit $rc)" \
		bash -c "[ $rc = 0 ] && grep -q 'the apply --confirm of $work/new.conf was never confirmed and its watchdog is gone: loading the tables it replaced' '$work/err'"
	cp "$work/err" "$work/why"
	rules >"$work/after"
	check "the kernel holds the previous tables, not the unconfirmed config" \
		same "$work/before-rules" "$work/after"
	check "and the marker and the saved tables are gone" \
		test ! -e "$IPTLOAD_STATE_DIR/confirm-pending" -a \
		! -e "$IPTLOAD_STATE_DIR/confirm-previous.rules"
	rc=0
	"$IPTLOAD" apply --boot "$work/new.conf" >"$work/out" 2>"$work/err" || rc=$?
	rules >"$work/after"
	check "the next boot loads the config again (exit $rc)" \
		bash -c "[ $rc = 0 ] && ! grep -q 'never confirmed' '$work/err' && grep -q -- '--dport 2 -j ACCEPT' '$work/after'"
}
export -f watchdog_killed_boot_loads_previous

# Confirmed or rolled back, the pending roll-back is gone from the disk.
done_leaves_no_marker() {
	local line progress
	export IPTLOAD_STATE_DIR="$work/state"
	confirm_setup
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 30 \
		"$work/new.conf" 3>&1 >"$work/out" 2>"$work/err")
	read -r line <&4
	check "while it waits, the marker is there" \
		test -s "$IPTLOAD_STATE_DIR/confirm-pending"
	"$IPTLOAD" confirm >/dev/null 2>"$work/why"
	progress=$(cat <&4)
	exec 4<&-
	check "confirmed ($progress): no marker, no saved tables left" \
		bash -c "[ '$progress' = kept ] && [ -z \"\$(ls -A '$IPTLOAD_STATE_DIR')\" ]"
	progress=$(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 1 \
		"$work/old.conf" 3>&1 >"$work/out" 2>"$work/err")
	check "rolled back ($(echo $progress)): no marker, no saved tables left" \
		bash -c "[[ \"$(echo $progress)\" == *'rolled back' ]] && [ -z \"\$(ls -A '$IPTLOAD_STATE_DIR')\" ]"
}
export -f done_leaves_no_marker

# A boot with no marker loads the config, as always; a state directory
# that others may write into is refused by apply --confirm, which then
# changes nothing.
boot_without_marker() {
	local rc
	export IPTLOAD_STATE_DIR="$work/state"
	confirm_setup
	mkdir -p "$IPTLOAD_STATE_DIR"
	rc=0
	"$IPTLOAD" apply --boot "$work/new.conf" >"$work/out" 2>"$work/err" || rc=$?
	rules >"$work/after"
	check "no marker: apply --boot loads the config (exit $rc)" \
		bash -c "[ $rc = 0 ] && ! grep -q 'never confirmed' '$work/err' && grep -q -- '--dport 2 -j ACCEPT' '$work/after'"
	printf 'watchdog 1\nconfig x\n' >"$IPTLOAD_STATE_DIR/confirm-pending"
	cp "$work/new.conf" "$IPTLOAD_STATE_DIR/confirm-previous.rules"
	rc=0
	"$IPTLOAD" apply "$work/old.conf" >"$work/out" 2>"$work/why" || rc=$?
	check "a plain apply removes a marker whose watchdog is gone (exit $rc)" \
		test "$rc" = 0 -a ! -e "$IPTLOAD_STATE_DIR/confirm-pending"
	chmod 770 "$IPTLOAD_STATE_DIR"
	state >"$work/before"
	rc=0
	"$IPTLOAD" apply --confirm 30 "$work/old.conf" >"$work/out" 2>"$work/err" || rc=$?
	state >"$work/after"
	check "a group-writable state directory is refused (exit $rc), nothing changed" \
		bash -c "[ $rc = 3 ] && grep -q 'the state directory $IPTLOAD_STATE_DIR may be written by others' '$work/err' && cmp -s '$work/before' '$work/after'"
}
export -f boot_without_marker

{
	in_fresh_netns squatter
	in_fresh_netns untrusted_dir
	in_fresh_netns stale_socket_replaced
	in_fresh_netns namespaces_apart
	in_fresh_netns timeout_rolls_back
	in_fresh_netns confirm_keeps
	in_fresh_netns signal_rolls_back HUP
	in_fresh_netns signal_rolls_back KILL
	in_fresh_netns nothing_to_confirm
	in_fresh_netns early_confirm_refused
	in_fresh_netns plain_apply_checks_under_lock
	in_fresh_netns rollback_waits_for_lock
	in_fresh_netns preserved_chain_vanishes
	in_fresh_netns watchdog_killed_boot_loads_previous
	in_fresh_netns done_leaves_no_marker
	in_fresh_netns boot_without_marker
} | ops_finish
