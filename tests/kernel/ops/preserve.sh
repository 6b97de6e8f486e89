#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# preserve.sh IPTLOAD - `preserve GLOB` keeps other tools' chains: a
# fail2ban-style chain made with iptables-legacy, and the jump to it at
# the top of INPUT, survive an apply that rewrites INPUT, at the same
# place and with their counters; without preserve they go.  A config
# chain that a glob matches is an error; so is a kept chain that jumps to
# a chain the config drops.  Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"

# What fail2ban does for its sshd jail, with iptables-legacy.
fail2ban() {
	iptables-legacy -N f2b-sshd &&
		iptables-legacy -A f2b-sshd -s 192.0.2.9/32 -j DROP &&
		iptables-legacy -A f2b-sshd -j RETURN &&
		iptables-legacy -I INPUT 1 -p tcp --dport 22 -j f2b-sshd &&
		iptables-legacy -Z INPUT &&
		iptables-legacy -t filter -L f2b-sshd >/dev/null
}
export -f fail2ban

keeps_fail2ban() {
	conf base.conf <<'CONF'
*filter
preserve f2b-*
:INPUT DROP [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
CONF
	conf new.conf <<'CONF'
# The admin's ruleset, changed: fail2ban's chain must stay.
*filter
preserve f2b-*
:INPUT DROP [0:0]
-N svc
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -j svc
-A svc -p tcp --dport 443 -j ACCEPT
COMMIT
CONF
	"$IPTLOAD" apply "$work/base.conf" 2>"$work/why"
	fail2ban 2>"$work/why"
	# Counters on the jump, to see that it is kept, not re-made.
	iptables-legacy -t filter -Z INPUT 1
	iptables-legacy-save -c | grep -v '^#' |
		sed 's/^\[0:0\] -A INPUT -p tcp -m tcp --dport 22 -j f2b-sshd$/[3:180] &/; s/^\[3:180\] \[0:0\]/[3:180]/' \
			>"$work/with-counters"
	iptables-legacy-restore -c <"$work/with-counters" 2>"$work/why"
	local rc=0
	"$IPTLOAD" diff "$work/new.conf" >"$work/diff" 2>"$work/why" || rc=$?
	check "diff shows only the admin's changes, not fail2ban's chain" \
		bash -c "[ $rc = 1 ] && ! grep -q f2b '$work/diff'"
	"$IPTLOAD" apply "$work/new.conf" 2>"$work/why"
	iptables-legacy-save -c -t filter | grep -v '^#' >"$work/after"
	cat >"$work/expected" <<'TEXT'
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:f2b-sshd - [0:0]
:svc - [0:0]
[3:180] -A INPUT -p tcp -m tcp --dport 22 -j f2b-sshd
[0:0] -A INPUT -i lo -j ACCEPT
[0:0] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
[0:0] -A INPUT -j svc
[0:0] -A f2b-sshd -s 192.0.2.9/32 -j DROP
[0:0] -A f2b-sshd -j RETURN
[0:0] -A svc -p tcp -m tcp --dport 443 -j ACCEPT
COMMIT
TEXT
	check "the chain, its rules, and the jump at the top of INPUT (with its counters) stay" \
		same "$work/expected" "$work/after"
	rc=0
	"$IPTLOAD" diff "$work/new.conf" >"$work/diff" 2>"$work/why" || rc=$?
	check "diff then says identical" test "$rc" = 0 -a ! -s "$work/diff"

	grep -v preserve "$work/new.conf" | conf nopreserve.conf
	"$IPTLOAD" apply "$work/nopreserve.conf" 2>"$work/why"
	check "without preserve, apply removes the chain and the jump" \
		bash -c '! iptables-legacy-save -t filter | grep -q f2b'
}
export -f keeps_fail2ban

# A jump elsewhere than the top keeps its place after the same rule.
keeps_place() {
	conf mid.conf <<'CONF'
*filter
preserve DOCKER*
-A FORWARD -s 10.0.0.0/8 -j ACCEPT
-A FORWARD -s 10.9.0.0/16 -j DROP
COMMIT
CONF
	conf mid2.conf <<'CONF'
*filter
preserve DOCKER*
-A FORWARD -p udp -j DROP
-A FORWARD -s 10.0.0.0/8 -j ACCEPT
-A FORWARD -s 10.9.0.0/16 -j DROP
-A FORWARD -p tcp -j DROP
COMMIT
CONF
	"$IPTLOAD" apply "$work/mid.conf" 2>"$work/why"
	iptables-legacy -N DOCKER-USER
	iptables-legacy -A DOCKER-USER -j RETURN
	iptables-legacy -I FORWARD 2 -j DOCKER-USER
	"$IPTLOAD" apply "$work/mid2.conf" 2>"$work/why"
	iptables-legacy-save -t filter | grep -- '-A FORWARD' >"$work/after"
	cat >"$work/expected" <<'TEXT'
-A FORWARD -p udp -j DROP
-A FORWARD -s 10.0.0.0/8 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -s 10.9.0.0/16 -j DROP
-A FORWARD -p tcp -j DROP
TEXT
	check "a kept jump stays right after the rule it followed" \
		same "$work/expected" "$work/after"
}
export -f keeps_place

errors() {
	conf clash.conf <<'CONF'
*filter
preserve f2b-*
-N f2b-mine
COMMIT
CONF
	local rc=0
	"$IPTLOAD" check "$work/clash.conf" >/dev/null 2>"$work/err" || rc=$?
	check "a config chain matching a preserve glob is an error (exit 2)" \
		bash -c "[ $rc = 2 ] && grep -q \"clash.conf:3:1: error: chain 'f2b-mine' is made by this config, but 'preserve f2b-\\*' keeps\" '$work/err'"

	conf keep.conf <<'CONF'
*filter
preserve f2b-*
-N logdrop
-A logdrop -j DROP
COMMIT
CONF
	conf drop.conf <<'CONF'
*filter
preserve f2b-*
COMMIT
CONF
	"$IPTLOAD" apply "$work/keep.conf" 2>"$work/why"
	iptables-legacy -N f2b-x && iptables-legacy -A f2b-x -j logdrop
	state >"$work/before"
	rc=0
	"$IPTLOAD" apply "$work/drop.conf" >/dev/null 2>"$work/err" || rc=$?
	state >"$work/after"
	check "a kept chain that jumps to a chain the config drops: refused, nothing changed" \
		bash -c "[ $rc = 3 ] && grep -q \"chain 'f2b-x' .* jumps to chain 'logdrop'\" '$work/err' && cmp -s '$work/before' '$work/after'"

	printf '*filter\nCOMMIT\npreserve f2b-*\n' | conf outside.conf
	rc=0
	"$IPTLOAD" check "$work/outside.conf" >/dev/null 2>"$work/err" || rc=$?
	check "preserve outside a table block is an error" \
		bash -c "[ $rc = 2 ] && grep -q 'preserve outside a \\*table block' '$work/err'"
}
export -f errors

{
	in_fresh_netns keeps_fail2ban
	in_fresh_netns keeps_place
	in_fresh_netns errors
} | ops_finish
