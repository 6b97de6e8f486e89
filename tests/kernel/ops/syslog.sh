#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# syslog.sh IPTLOAD - every apply that changes something logs one line to
# syslog: the tables with the rules added and removed, the config file and
# who ran it (uid, and SUDO_USER); an apply that changes nothing logs
# nothing; the confirm watchdog logs its roll-back.  A dual-stack apply
# names each table with its family ("filter (IPv6)").  apply --boot that
# finds the pending roll-back of a killed watchdog says so.
#
# Runs in a new mount and network namespace whose /dev is a private tmpfs
# (the real device nodes bound back in), where logsink binds /dev/log and
# collects what syslog(3) sends.  The host's /dev/log is never touched.
# Control bytes in the fields (a file name, SUDO_USER) are escaped.
# Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"
# /dev is a private tmpfs in a mount namespace of its own.
skip_unless_mountns
LOGSINK="$OPS_BUILD/logsink"
export LOGSINK

# A /dev of our own, with the nodes the commands here use.
private_dev() {
	local n
	mkdir -p "$work/hostdev"
	mount --bind /dev "$work/hostdev" || return 1
	mount -t tmpfs -o mode=755 tmpfs /dev || return 1
	for n in null zero full random urandom; do
		touch "/dev/$n" && mount --bind "$work/hostdev/$n" "/dev/$n" ||
			return 1
	done
	ln -s /proc/self/fd /dev/fd
}
export -f private_dev

# What runs with logsink listening on /dev/log.
applies() {
	conf a.conf <<'CONF'
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
CONF
	conf b.conf <<'CONF'
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 2222 -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
COMMIT
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
CONF
	conf d.conf <<'CONF'
# Both families: filter in each, a mixed list split between them.
LAN = { 10.0.1.0/24 2001:db8:1::/64 }
family both
*filter
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -s $LAN -j ACCEPT
COMMIT
CONF
	# A file name and a SUDO_USER with a newline: one line each, escaped.
	cp -p "$work/b.conf" "$work/"$'c\nforged: x.conf'
	"$IPTLOAD" apply "$work/a.conf"
	"$IPTLOAD" apply "$work/a.conf"
	SUDO_USER=alice "$IPTLOAD" apply "$work/b.conf"
	"$IPTLOAD" apply "$work/b.conf"
	"$IPTLOAD" apply "$work/a.conf"
	SUDO_USER=$'eve\nforged' "$IPTLOAD" apply "$work/"$'c\nforged: x.conf'
	# Wait for the watchdog: its descriptor closes when it is done.
	IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 1 "$work/a.conf" \
		3>&1 >/dev/null | cat >/dev/null
	IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 1 "$work/d.conf" \
		3>&1 >/dev/null | cat >/dev/null
}
export -f applies

# An apply --confirm whose watchdog is killed, then apply --boot: the
# boot loads the tables it replaced, and says so in syslog.
boot_after_kill() {
	local line
	export IPTLOAD_STATE_DIR="$work/state"
	"$IPTLOAD" apply "$work/a.conf"
	exec 4< <(IPTLOAD_WATCHDOG_FD=3 "$IPTLOAD" apply --confirm 60 \
		"$work/b.conf" 3>&1 >/dev/null)
	read -r line <&4
	kill -KILL "${line#armed }"
	cat <&4 >/dev/null # EOF: the watchdog is gone
	exec 4<&-
	"$IPTLOAD" apply --boot "$work/b.conf" 2>/dev/null
}
export -f boot_after_kill

logs() {
	if [ "$(readlink /proc/self/ns/net)" = "$HOST_NETNS" ]; then
		echo "not ok - refusing to run outside a private netns"
		return
	fi
	if ! private_dev 2>"$work/why"; then
		echo "not ok - cannot make a private /dev"
		sed 's/^/# /' "$work/why"
		return
	fi
	"$LOGSINK" /dev/log bash -c applies >"$work/log" 2>"$work/why"
	local a=$work/a.conf b=$work/b.conf d=$work/d.conf
	check "eight lines for six changing applies and two roll-backs" \
		test "$(grep -c 'iptload\[[0-9]*\]: ' "$work/log")" = 8
	check "no line forged by a newline in a file name or SUDO_USER" \
		test "$(grep -c 'forged' "$work/log")" = 1
	check "control bytes escaped as \\xNN" \
		grep -qF "applied $work/c\\x0aforged: x.conf: filter: +2 -1 rules; by uid 0 (sudo from eve\\x0aforged)" \
		"$work/log"
	sed 's/^/# /' "$work/log"
	check "the first apply: table, rules, file, uid" \
		grep -qE "^<37>.* iptload\[[0-9]+\]: applied $a: filter: not loaded before, \+2 -0 rules, 1 policy changed; by uid 0$" \
		"$work/log"
	check "under sudo: both tables, and who sudo was run by" \
		grep -qE "iptload\[[0-9]+\]: applied $b: nat: not loaded before, \+1 -0 rules; filter: \+2 -1 rules; by uid 0 \(sudo from alice\)$" \
		"$work/log"
	check "apply --confirm says it waits" \
		grep -qE "iptload\[[0-9]+\]: applied $a: filter: \+1 -2 rules; by uid 0; rolled back in 1 s unless confirmed$" \
		"$work/log"
	check "and the watchdog logs the roll-back" \
		grep -qE "^<36>.* iptload\[[0-9]+\]: rolled back the ruleset applied from $a: not confirmed within 1 s \(filter: \+2 -1 rules\)$" \
		"$work/log"
	check "a dual-stack apply names the family of each table" \
		grep -qE "iptload\[[0-9]+\]: applied $d: filter: \+1 -2 rules; filter \(IPv6\): not loaded before, \+2 -0 rules, 1 policy changed; by uid 0; rolled back in 1 s unless confirmed$" \
		"$work/log"
	check "so does its roll-back (the IPv6 table put back empty)" \
		grep -qE "iptload\[[0-9]+\]: rolled back the ruleset applied from $d: not confirmed within 1 s \(filter: \+2 -1 rules; filter \(IPv6\): \+0 -2 rules, 1 policy changed\)$" \
		"$work/log"
	"$LOGSINK" /dev/log bash -c boot_after_kill >"$work/log" 2>"$work/why"
	sed 's/^/# /' "$work/log"
	check "apply --boot after a killed watchdog says in syslog that it loads the previous tables" \
		grep -qF "boot: the apply --confirm of $b was never confirmed and its watchdog is gone; loading the tables it replaced ($work/state/confirm-previous.rules) instead of $b" \
		"$work/log"
}
export -f logs

unshare -m -n bash -c logs | ops_finish
