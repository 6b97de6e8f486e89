#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# man-pages.sh PAGE... - the manual pages render without a single warning,
# by groff and by man, and say everything they must:
#  - iptload(8): every command, option and exit status that
#    "iptload --help" lists;
#  - iptload.conf(5): every option of iptables and of each native match
#    that src/encode.c accepts, every ICMP type name and every keyword of
#    the language.
# Skipped (tests/tap.sh) when groff is missing (package: groff-base).
set -u
. "$(dirname "$0")/../tap.sh"

if ! command -v groff >/dev/null; then
	tap_skip "groff not found (install groff-base)"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-man.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=${IPTLOAD_SOURCE_ROOT:?}

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ -s "$work/err" ] && sed 's/^/# /' "$work/err"; }

page8='' page5=''
for p in "$@"; do
	case $p in
	*.8) page8=$p ;;
	*.5) page5=$p ;;
	esac
done

# render PAGE: the page as plain ASCII text, 80 columns, no hyphenation
# (a word broken at a line end would not be found).
render() {
	groff -man -Tascii -rHY=0 -rLL=80n -P-cbou "$1" 2>/dev/null
}

# missing TEXTFILE WORD...: the words that TEXTFILE does not contain,
# each as a whole word (bounded by what is not a letter, digit or '-').
missing() {
	local file=$1
	shift
	printf '%s\n' "$@" | awk -v file="$file" '
		BEGIN { while ((getline line < file) > 0) text = text "\n" line "\n" }
		function whole(w,    rest, at, before, after, off) {
			rest = text
			off = 0
			while ((at = index(rest, w)) > 0) {
				before = substr(rest, at - 1, 1)
				after = substr(rest, at + length(w), 1)
				if (before !~ /[A-Za-z0-9-]/ && after !~ /[A-Za-z0-9-]/)
					return 1
				rest = substr(rest, at + 1)
			}
			return 0
		}
		$0 != "" && !whole($0) { print }'
}

for p in "$page8" "$page5"; do
	name=$(basename "$p")
	if groff -man -ww -z "$p" >"$work/err" 2>&1 && [ ! -s "$work/err" ]; then
		ok "$name: groff -man -ww: no warning"
	else
		not_ok "$name: groff -man -ww"
	fi
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$p" >/dev/null 2>"$work/err"
		if [ ! -s "$work/err" ]; then
			ok "$name: man --warnings -l: no warning"
		else
			not_ok "$name: man --warnings -l"
		fi
	else
		ok "$name: man --warnings -l # SKIP man not found (install man-db)"
	fi
done

# --- iptload(8) against iptload --help --------------------------------
help=$("$IPTLOAD" --help)
render "$page8" >"$work/iptload.8.txt"
mapfile -t cmds < <(awk '/^Commands:/ { c = 1; next } /^[^ ]/ { c = 0 } c && /^  [a-z]/ { print $1 }' <<<"$help")
mapfile -t opts < <(grep -E '^ +-' <<<"$help" | sed -E 's/^ +//; s/  .*//; s/\[=[A-Z]*\]//' | grep -oE -- '--?[A-Za-z0-9][A-Za-z0-9-]*')
mapfile -t statuses < <(tr '\n' ' ' <<<"$help" | sed 's/.*Exit status://' |
	tr ';' '\n' | sed -nE 's/^ *([0-9]+) .*/\1/p')
if [ ${#cmds[@]} -ge 3 ] && [ ${#opts[@]} -ge 8 ] && [ ${#statuses[@]} -ge 5 ]; then
	ok "--help lists ${#cmds[@]} commands, ${#opts[@]} options, ${#statuses[@]} exit statuses"
else
	echo "# commands: ${cmds[*]}; options: ${opts[*]}; statuses: ${statuses[*]}" >"$work/err"
	not_ok "could not read commands, options and exit statuses from --help"
fi
missing "$work/iptload.8.txt" "${cmds[@]}" "${opts[@]}" >"$work/err"
if [ ! -s "$work/err" ]; then
	ok "iptload(8) names every command and option of --help"
else
	not_ok "iptload(8) lacks commands or options of --help"
fi
sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$work/iptload.8.txt" >"$work/exit.txt"
: >"$work/err"
for s in "${statuses[@]}"; do
	grep -qE "^ +$s( |\$)" "$work/exit.txt" || echo "exit status $s" >>"$work/err"
done
if [ ! -s "$work/err" ]; then
	ok "iptload(8) EXIT STATUS explains ${statuses[*]}"
else
	not_ok "iptload(8) EXIT STATUS misses some of ${statuses[*]}"
fi

# --- iptload.conf(5) against the encoder and the language -------------
render "$page5" >"$work/conf.5.txt"
# The option tables of src/encode.c: { "name", letter, nargs, ... }.
mapfile -t enc_opts < <(awk '/^static const struct opt_def [a-z_]+\[\] = \{/ { t = 1; next }
	t && /^\};/ { t = 0 }
	t { while (match($0, /\{ "[a-z0-9-]+", /)) { s = substr($0, RSTART + 3, RLENGTH - 6); print "--" s; $0 = substr($0, RSTART + RLENGTH) } }' \
	"$src/src/encode.c" | sort -u)
mapfile -t enc_short < <(awk '/^static const struct opt_def base_opts\[\] = \{/ { t = 1; next }
	t && /^\};/ { t = 0 }
	t && match($0, /, \x27[A-Za-z0-9]\x27,/) { print "-" substr($0, RSTART + 3, 1) }' "$src/src/encode.c" | sort -u)
mapfile -t icmp_names < <(awk '/^} icmp_names\[\] = \{/ { t = 1; next }
	t && /^\};/ { t = 0 }
	t && match($0, /\{ "[A-Za-z0-9-]+"/) { print substr($0, RSTART + 3, RLENGTH - 4) }' "$src/src/encode.c")
mapfile -t tcp_flags < <(grep -oE '\{ "(ACK|ALL|FIN|NONE|PSH|RST|SYN|URG)", 0x' "$src/src/encode.c" |
	sed -E 's/\{ "([A-Z]+)".*/\1/')
if [ ${#enc_opts[@]} -ge 40 ] && [ ${#enc_short[@]} -ge 20 ] && [ ${#icmp_names[@]} -ge 30 ] && [ ${#tcp_flags[@]} -eq 8 ]; then
	ok "src/encode.c: ${#enc_opts[@]} long options, ${#enc_short[@]} short ones, ${#icmp_names[@]} ICMP types, 8 TCP flags"
else
	echo "# long ${#enc_opts[@]} short ${#enc_short[@]} icmp ${#icmp_names[@]} flags ${#tcp_flags[@]}" >"$work/err"
	not_ok "could not read the option tables of src/encode.c"
fi
missing "$work/conf.5.txt" "${enc_opts[@]}" "${enc_short[@]}" >"$work/err"
if [ ! -s "$work/err" ]; then
	ok "iptload.conf(5) documents every option src/encode.c accepts"
else
	not_ok "iptload.conf(5) lacks options that src/encode.c accepts"
fi
missing "$work/conf.5.txt" "${icmp_names[@]}" "${tcp_flags[@]}" >"$work/err"
if [ ! -s "$work/err" ]; then
	ok "iptload.conf(5) lists every ICMP type name and TCP flag"
else
	not_ok "iptload.conf(5) lacks ICMP type names or TCP flags"
fi
# shellcheck disable=SC2016
missing "$work/conf.5.txt" define include 'address(IFACE)' 'network(IFACE)' \
	'$NAME' '${NAME}' COMMIT filter nat mangle raw security \
	ACCEPT DROP RETURN QUEUE --boot >"$work/err"
if [ ! -s "$work/err" ]; then
	ok "iptload.conf(5) covers the keywords, tables and verdicts"
else
	not_ok "iptload.conf(5) lacks keywords"
fi
for section in 'LINES AND STATEMENTS' VARIABLES LISTS MACROS INCLUDES \
	'RUN-TIME VALUES' 'TABLES AND BLOCKS' COMMANDS MATCHES ERRORS; do
	grep -qx "$section" "$work/conf.5.txt" || echo "section $section" 
done >"$work/err"
if [ ! -s "$work/err" ]; then
	ok "iptload.conf(5) has a section for each part of the grammar"
else
	not_ok "iptload.conf(5) lacks sections"
fi
echo "1..$n"
