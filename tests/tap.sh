# SPDX-License-Identifier: GPL-2.0-or-later
# tap.sh - what every TAP test script shares about skipping.  Sourced by
# bash (tests/kernel/lib.sh, tests/integration/*.sh), never run.
#
# A test that cannot run where it is skips the whole script with a valid
# plan and exit status 0: meson's TAP protocol counts exit 77 as an
# ERROR, and a plan such as "1.." as a parse error that hides that nothing
# ran.  The reason goes to stdout (the plan's SKIP directive) and to stderr
# (the test log), and scripts/test lists every skipped test with it.

# tap_skip REASON...: skip the whole script.
tap_skip() {
	echo "1..0 # SKIP $*"
	echo "skipped: $*" >&2
	exit 0
}

# netns_available: true when this process may create network namespaces.
netns_available() {
	unshare -n true 2>/dev/null
}

# mountns_available: true when this process may make a mount namespace
# whose mounts do not propagate back: unshare -m makes "/" private, which
# fails where "/" is not a mount point (a plain chroot).
mountns_available() {
	unshare -m --propagation private true 2>/dev/null
}

# skip_unless_netns: skip the script where network namespaces cannot be made.
skip_unless_netns() {
	netns_available ||
		tap_skip "cannot create network namespaces (unshare -n: needs root, or CAP_SYS_ADMIN)"
}

# skip_unless_mountns: skip the script where a private mount namespace
# cannot be made.
skip_unless_mountns() {
	mountns_available ||
		tap_skip "cannot make a private mount namespace (unshare -m --propagation private: / is not a mount point, or no CAP_SYS_ADMIN)"
}
