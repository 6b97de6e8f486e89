#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# random-diff.sh IPTLOAD [OPTION...] - the kernel suite's run of
# random-diff.py (seeded random rulesets, iptload against
# iptables-legacy-restore and ip6tables-legacy-restore), as TAP; skips
# where network namespaces cannot be made.  The options go to
# random-diff.py (meson.build gives a fixed seed and size).
set -u

. "$(dirname "$0")/lib.sh"

if [ $# -lt 1 ]; then
	echo "usage: $0 IPTLOAD [OPTION...]" >&2
	exit 64
fi
skip_unless_netns
command -v python3 >/dev/null || tap_skip "python3 is not installed"
iptload=$1
shift
exec python3 "$KERNEL_TESTS_DIR/random-diff.py" --tap --iptload "$iptload" "$@"
