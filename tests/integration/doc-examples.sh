#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# doc-examples.sh PAGE... - the example configs in the manual pages are
# configs iptload accepts.  In a page,
#	.\" example-check FILE [OPTION...]
# before an .EX block writes the block to FILE and runs
# "iptload OPTION... check FILE"; ".\" example FILE" only writes FILE (a
# file another example includes).  The troff escapes are undone first.
set -u

work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 022

n=0
checks=()
for page in "$@"; do
	# Write every marked block; list the checks as "FILE OPTION...".
	while IFS= read -r line; do
		checks+=("$line")
	done < <(awk -v dir="$work" '
		function unescape(s) {
			gsub(/\\-/, "-", s)
			gsub(/\\\(dq/, "\"", s)
			gsub(/\\\(aq/, "\047", s)
			gsub(/\\\(ti/, "~", s)
			gsub(/\\&/, "", s)
			gsub(/\\e/, "\\", s)
			return s
		}
		/^\.\\" example(-check)? / {
			file = $3
			if ($2 == "example-check") {
				line = file
				for (i = 4; i <= NF; i++)
					line = line " " $i
				print line
			}
			next
		}
		file != "" && /^\.EX/ { body = 1; next }
		body && /^\.EE/ { body = 0; close(dir "/" file); file = ""; next }
		body {
			path = dir "/" file
			sub(/\/[^\/]*$/, "", path)
			system("mkdir -p \047" path "\047")
			print unescape($0) > (dir "/" file)
		}' "$page")
done

echo "1..${#checks[@]}"
if [ ${#checks[@]} -eq 0 ]; then
	echo "Bail out! no example-check marks found"
	exit 1
fi
for c in "${checks[@]}"; do
	read -r -a words <<<"$c"
	file=${words[0]}
	n=$((n + 1))
	if (cd "$work" && "$IPTLOAD" "${words[@]:1}" check "$file") >"$work/out" 2>&1; then
		echo "ok $n - example $file: $(tail -n 1 "$work/out")"
	else
		echo "not ok $n - example $file is refused"
		sed 's/^/# /' "$work/out"
		sed 's/^/#   | /' "$work/$file"
	fi
done
