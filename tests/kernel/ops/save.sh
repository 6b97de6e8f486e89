#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# save.sh IPTLOAD CASE... - `iptload save` prints the live tables as a
# config that apply takes back unchanged.  For every case: load it with
# iptables-legacy in a fresh namespace (an iptables-save file with
# iptables-legacy-restore -c, counters on every rule), then
# `iptload -4 save -t T` must equal `iptables-legacy-save -t T` for every
# table (comment lines aside), `iptload -6 save -t T` the same with
# ip6tables-legacy-save, and applying the whole save (both families)
# must make no IPT_SO_SET_REPLACE and leave every byte and counter as it
# was.  Prints TAP.
set -u

. "$(dirname "$0")/ops-lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 IPTLOAD CASE..." >&2; exit 64; }
ops_init "$1"
shift

save_case() {
	local name=${1##*/} t n bad="" textual=true
	case $name in
	*.escaped.*)
		# iptables-legacy-save writes $, quotes and backslashes that
		# iptload's reader would read otherwise ($HOME expanded, 'x'
		# unquoted): save escapes them, so the text differs (print-cli-
		# oracle compares it without the escapes); the no-op apply
		# below is what must hold.
		textual=false
		;;
	v6-proto.rules6)
		# "-p all" in IPv6 sets IP6T_F_PROTO (the kernel then walks the
		# extension headers): ip6tables-save prints nothing for it and
		# cannot load the same rule back; iptload saves "-p all".
		textual=false
		;;
	ip-iface-wildcard.rules)
		# "! -o +" (never matches) is saved as no -o at all (always
		# matches), by iptables-legacy-save as by us: that text cannot
		# load back the same rule, and apply rightly says it differs.
		echo "ok - $name # SKIP iptables-save itself drops '! -o +'"
		return
		;;
	ext-commands.cmds)
		# Its rateest rule saves as text that iptables-legacy-restore
		# refuses too ("can't specify lt/gt/eq twice").
		echo "ok - $name # SKIP iptables-save prints a rateest rule iptables cannot read back"
		return
		;;
	esac
	case $1 in
	*.rules)
		# Counters on every line, so that "unchanged" covers them.
		sed -e 's/^-A /[7:700] -A /' "$1" >"$work/case"
		iptables-legacy-restore -c <"$work/case" 2>"$work/why"
		;;
	*) oracle_load "$1" >/dev/null 2>"$work/why" ;;
	esac
	if [ $? != 0 ]; then
		echo "not ok - $name: iptables-legacy could not load it"
		sed 's/^/# /' "$work/why"
		return
	fi
	# Each family's tables against its own iptables-legacy-save.
	for t in $(sort /proc/net/ip_tables_names); do
		"$IPTLOAD" -4 save -t "$t" | grep -v '^#' >"$work/ours.$t"
		iptables-legacy-save -t "$t" | grep -v '^#' >"$work/theirs.$t"
		$textual || continue
		cmp -s "$work/ours.$t" "$work/theirs.$t" || bad="$bad $t"
	done
	for t in $(sort /proc/net/ip6_tables_names 2>/dev/null); do
		"$IPTLOAD" -6 save -t "$t" | grep -v '^#' >"$work/ours.$t.6"
		ip6tables-legacy-save -t "$t" | grep -v '^#' >"$work/theirs.$t.6"
		$textual || continue
		cmp -s "$work/ours.$t.6" "$work/theirs.$t.6" || bad="$bad $t.6"
	done
	"$IPTLOAD" save >"$work/saved.conf" 2>"$work/why"
	chmod 600 "$work/saved.conf"
	state >"$work/before"
	n=$(replaces "$IPTLOAD" apply "$work/saved.conf")
	state >"$work/after"
	if [ -z "$bad" ] && [ "$n" = 0 ] && [ "$(cat "$work/rc")" = 0 ] &&
		cmp -s "$work/before" "$work/after"; then
		if $textual; then
			echo "ok - $name: save equals iptables-legacy-save; applying it commits nothing"
		else
			echo "ok - $name: applying the save (escaped, not compared as text) commits nothing"
		fi
	else
		echo "not ok - $name: tables differing from iptables-legacy-save:${bad:- none}; $n replace call(s), apply exit $(cat "$work/rc")"
		for t in $bad; do
			diff -u "$work/theirs.$t" "$work/ours.$t" | sed 's/^/# /'
		done
		sed 's/^/# /' "$work/err" | head -20
		diff -u "$work/before" "$work/after" | sed 's/^/# /' | head -40
	fi
}
export -f save_case

{
	for c in "$@"; do
		in_fresh_netns save_case "$(realpath "$c")"
	done
} | ops_finish
