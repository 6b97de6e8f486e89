#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# completion.sh COMPLETION - bash completion of iptload: commands, options
# and files from the real iptload's --help; variables for -D and chains
# for a CHAIN argument from the config named on the line (and its
# includes); the built-in lists when iptload cannot be run.  Each case
# sets COMP_LINE/COMP_POINT as bash does and calls the function.
set -u
export LC_ALL=C

completion=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-completion.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 022
n=0

mkdir -p "$work/real" "$work/fake" "$work/none" "$work/conf/rules.d"
ln -s "$IPTLOAD" "$work/real/iptload"
# An iptload whose --help has an option taking a CHAIN, to show that such
# an argument completes to the config's chains.
cat >"$work/fake/iptload" <<'FAKE'
#!/bin/sh
cat <<'HELP'
Usage: iptload [OPTION]... COMMAND [FILE]

Commands:
  apply [FILE]   build, check and commit the ruleset
  diff [FILE]    what apply would change

Options:
  -c, --chain CHAIN        only this chain
  -t, --table TABLE        only this table
  -h, --help               this text
HELP
FAKE
chmod 755 "$work/fake/iptload"
cat >"$work/conf/fw.conf" <<'CONF'
EXTIF = extif
LAN=10.0.1.0/24
-N f2b-sshd
-A INPUT -j f2b-sshd
include "rules.d/*.conf"
CONF
cat >"$work/conf/rules.d/log.conf" <<'CONF'
*filter
:LOG_DROP - [0:0]
COMMIT
  ADMIN_NET = 10.0.1.0/28
CONF
conf=$work/conf/fw.conf

# complete PATHDIR LINE: the candidates bash would offer for LINE, cursor
# at its end (or at the first '|', which is removed), one line, sorted.
complete_line() {
	local dir=$1 line=$2 point
	point=${line%%|*}
	point=${#point}
	line=${line/|/}
	cd "$work/none" || return
	PATH="$dir:/usr/bin:/bin" bash -c '
		. "$1"
		COMP_LINE=$2 COMP_POINT=$3
		_iptload
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$completion" "$line" "$point" | sed 's/ $//'
}

# expect DESCRIPTION PATHDIR LINE EXPECTED
expect() {
	local got
	got=$(complete_line "$2" "$3")
	n=$((n + 1))
	if [ "$got" = "$4" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   line:     '$3'"
		echo "#   expected: '$4'"
		echo "#   got:      '$got'"
	fi
}

# What the real --help lists: the commands, and every -X and --long in
# the option lines.
help=$("$IPTLOAD" --help)
help_cmds=$(awk '/^Commands:/ { c = 1; next } /^[^ ]/ { c = 0 }
	c && /^  [a-z]/ { print $1 }' <<<"$help" | sort | tr '\n' ' ' | sed 's/ $//')
help_opts=$(grep -E '^ +-' <<<"$help" | sed -E 's/^ +//; s/  .*//' |
	grep -oE -- '--?[A-Za-z0-9][A-Za-z0-9-]*' | sort -u | tr '\n' ' ' | sed 's/ $//')

echo "1..17"
real=$work/real
expect "commands from --help ($help_cmds)" "$real" "iptload " "$help_cmds"
expect "a command by its start" "$real" "iptload ch" "check"
expect "long options" "$real" "iptload --b" "--boot"
expect "every option of --help" "$real" "iptload -" "$help_opts"
expect "-D completes the config's variables (and its includes')" "$real" \
	"iptload -D | apply $conf" "ADMIN_NET= EXTIF= LAN="
expect "-D by a prefix" "$real" "iptload -D E| apply $conf" "EXTIF="
expect "--define=NAME: only the part after '='" "$real" \
	"iptload --define=L| check $conf" "LAN="
expect "FILE after the command" "$real" "iptload apply $work/conf/f" "$work/conf/fw.conf"
expect "FILE may be - (standard input)" "$real" "iptload print " "-"
expect "-w 5 takes its number; then a command" "$real" "iptload -w 5 ap" "apply"
expect "nothing after FILE" "$real" "iptload apply $conf " ""
expect "a CHAIN argument completes builtin and config chains" "$work/fake" \
	"iptload --chain | apply $conf" \
	"FORWARD INPUT LOG_DROP OUTPUT POSTROUTING PREROUTING f2b-sshd"
expect "a TABLE argument completes table names" "$work/fake" \
	"iptload -t " "filter mangle nat raw security"
expect "without iptload on PATH: the built-in commands" "$work/none" \
	"iptload " "apply check print"
expect "the family options, -4 and -6" "$real" "iptload --ipv" "--ipv4 --ipv6"
expect "after -6, the commands" "$real" "iptload -6 ap" "apply"
expect "without iptload on PATH: the family options too" "$work/none" \
	"iptload --ipv" "--ipv4 --ipv6"
