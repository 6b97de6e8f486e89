#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# diff.sh IPTLOAD - `iptload diff` against the live tables: the exact text
# for a change of policies, chains and rules, and the exit statuses (0
# identical, 1 different, 2 config error).  Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
ops_init "$1"

diff_text() {
	conf old.conf <<'CONF'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
-N svc
-N old
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -j svc
-A INPUT -j old
-A svc -p udp --dport 53 -j ACCEPT
-A old -s 192.0.2.0/24 -j DROP
COMMIT
CONF
	conf new.conf <<'CONF'
*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
-N svc
-N web
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp --dport 80 -j web
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -j svc
-A svc -p udp --dport 53 -j ACCEPT
-A svc -p tcp --dport 53 -j ACCEPT
-A web -j ACCEPT
COMMIT
*nat
-A POSTROUTING -s 10.0.0.0/8 -j RETURN
COMMIT
CONF
	cat >"$work/expected" <<'TEXT'
*nat
# nat: not loaded yet, 1 rule added
+ -A POSTROUTING -s 10.0.0.0/8 -j RETURN
*filter
# filter: 3 rules added, 2 rules removed, 1 chain added, 1 chain removed, 1 policy changed
- :FORWARD DROP
+ :FORWARD ACCEPT
- :old -
+ :web -
- -A INPUT -j old
+ -I INPUT 2 -p tcp -m tcp --dport 80 -j web
- -A old -s 192.0.2.0/24 -j DROP
+ -A svc -p tcp -m tcp --dport 53 -j ACCEPT
+ -A web -j ACCEPT
TEXT
	local rc=0
	"$IPTLOAD" apply "$work/old.conf" 2>"$work/why"
	state >"$work/before"
	"$IPTLOAD" diff "$work/new.conf" >"$work/got" 2>"$work/err" || rc=$?
	check "diff exits 1 when the kernel differs" test "$rc" = 1
	check "diff prints the change, table by table, in save syntax" \
		same "$work/expected" "$work/got"
	state >"$work/after"
	check "diff changes nothing" same "$work/before" "$work/after"
	check "and nat is still not loaded" \
		bash -c '! grep -qx nat /proc/net/ip_tables_names'

	"$IPTLOAD" apply "$work/new.conf" 2>"$work/why"
	rc=0
	"$IPTLOAD" diff "$work/new.conf" >"$work/got" 2>"$work/err" || rc=$?
	check "after apply, diff exits 0" test "$rc" = 0
	check "and prints nothing" test ! -s "$work/got"

	printf '*filter\n-A INPUT -s 10.0.0.256 -j ACCEPT\nCOMMIT\n' |
		conf bad.conf
	rc=0
	"$IPTLOAD" diff "$work/bad.conf" >"$work/got" 2>"$work/err" || rc=$?
	check "diff of a config with errors exits 2" test "$rc" = 2
}
export -f diff_text

in_fresh_netns diff_text | ops_finish
