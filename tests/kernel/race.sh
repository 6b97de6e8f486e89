#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# race.sh IPTLOAD - concurrent writers serialise on the xtables lock.
# In one fresh network namespace, four iptload processes each apply their
# own config (filter table) ten times, while iptables-legacy -w adds and
# deletes a rule in the mangle table twenty times, all at once.  Every
# run must succeed, and at the end filter must hold exactly one of the
# four configs and mangle exactly what it held before.  Prints TAP.
set -u

. "$(dirname "$0")/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 IPTLOAD" >&2; exit 64; }
test_setup race "$1"

for i in 1 2 3 4; do
	{
		echo '*filter'
		echo ':INPUT DROP [0:0]'
		echo ":c$i - [0:0]"
		for ((r = 0; r < 50; r++)); do
			echo "-A c$i -s 10.$i.$r.0/24 -p udp --dport $((1000 + r)) -j ACCEPT"
		done
		echo "-A INPUT -j c$i"
		echo 'COMMIT'
	} >"$work/c$i.conf"
	chmod 644 "$work/c$i.conf"
done

scenario() {
	iptables-legacy -w -t mangle -A PREROUTING -s 192.0.2.1 -j ACCEPT
	iptables-legacy-save -t mangle | grep '^[:-]' >"$work/mangle.before"
	for i in 1 2 3 4; do
		(
			for ((k = 0; k < 10; k++)); do
				"$IPTLOAD" apply "$work/c$i.conf" ||
					echo "applier $i run $k: exit $?" >>"$work/failures"
			done
		) &
	done
	(
		for ((k = 0; k < 20; k++)); do
			iptables-legacy -w -t mangle -I PREROUTING -s 192.0.2.$((k + 2)) -j ACCEPT &&
				iptables-legacy -w -t mangle -D PREROUTING -s 192.0.2.$((k + 2)) -j ACCEPT ||
				echo "iptables run $k: exit $?" >>"$work/failures"
		done
	) &
	wait
	iptables-legacy-save -t filter | grep '^[:-]' | sed 's/\[[0-9]*:[0-9]*\]//' >"$work/filter.after"
	iptables-legacy-save -t mangle | grep '^[:-]' >"$work/mangle.after"
}
export -f scenario

echo "1..3"
in_fresh_netns scenario 2>"$work/err"
if [ ! -s "$work/failures" ]; then
	echo "ok 1 - 40 applies and 40 iptables -w calls, all succeeded"
else
	echo "not ok 1 - some runs failed"
	sed 's/^/# /' "$work/failures" "$work/err"
fi
match=""
for i in 1 2 3 4; do
	"$IPTLOAD" print "$work/c$i.conf" | grep '^[:-]' | sed 's/\[[0-9]*:[0-9]*\]//' >"$work/c$i.expected"
	cmp -s "$work/c$i.expected" "$work/filter.after" && match=$i
done
if [ -n "$match" ]; then
	echo "ok 2 - filter holds exactly config $match"
else
	echo "not ok 2 - filter holds none of the four configs"
	sed 's/^/# /' "$work/filter.after" | head -20
fi
if cmp -s "$work/mangle.before" "$work/mangle.after"; then
	echo "ok 3 - mangle is as iptables -w left it"
else
	echo "not ok 3 - mangle changed"
	diff "$work/mangle.before" "$work/mangle.after" | sed 's/^/# /'
fi
