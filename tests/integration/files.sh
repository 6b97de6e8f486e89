#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# files.sh - what iptload refuses to read as a config or an include, and
# what it reads: a FIFO (refused at once, never waited on), a directory on
# the way that others may write or own (refused; a sticky one owned by
# root, as /tmp, is fine), a symlink to a trusted file (fine), a symlink
# someone else owns or one into an untrusted directory (refused), and an
# include glob that cannot read a directory (an error, not an empty
# match).  Needs root, to give files away with chown.  Prints TAP.
set -u
export LC_ALL=C

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (chown)"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-files.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 022
n=0
as_user=''    # setpriv ... to run iptload as another user
hang_guard='' # timeout ... where the bug was a hang
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	sed 's/^/# /' "$work/err"
}

# expect STATUS TEXT DESCRIPTION -- ARGS: iptload ARGS exits STATUS and
# says TEXT (a fixed string; "": anything) on stderr.
expect() {
	local want=$1 text=$2 what=$3 rc=0
	shift 4
	$hang_guard $as_user "$IPTLOAD" "$@" >/dev/null 2>"$work/err" </dev/null || rc=$?
	if [ "$rc" = "$want" ] &&
		{ [ -z "$text" ] || grep -qF -- "$text" "$work/err"; }; then
		ok "$what"
	else
		echo "exit $rc, wanted $want and: $text" >>"$work/err"
		not_ok "$what"
	fi
}

printf '*filter\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n' >"$work/good.conf"
chmod 600 "$work/good.conf"
good=$work/good.conf

expect 0 "" "a config in a private directory under sticky /tmp is read" \
	-- check "$good"

# A FIFO with no writer: before O_NONBLOCK, the open waited for one
# forever (a boot with it hung).  Now it returns at once and the file is
# refused.  The timeout only bounds that hang, so that the old bug fails
# here rather than stalling the suite; a fixed iptload never nears it.
mkfifo "$work/fifo"
hang_guard="timeout 300"
expect 2 "it is not a regular file" "a FIFO config is refused at once" \
	-- check "$work/fifo"

mkdir "$work/open" "$work/group" "$work/theirs" "$work/sticky"
chmod 777 "$work/open"
chmod 775 "$work/group"
chmod 1777 "$work/sticky"
for d in open group theirs sticky; do
	cp -p "$good" "$work/$d/fw.conf"
done
chown nobody "$work/theirs"
expect 2 "the directory $work/open is writable by everyone (mode 0777)" \
	"a config in a world-writable directory is refused" \
	-- check "$work/open/fw.conf"
expect 2 "the directory $work/group is writable by its group (mode 0775)" \
	"a config in a group-writable directory is refused" \
	-- check "$work/group/fw.conf"
expect 2 "the directory $work/theirs is owned by uid" \
	"a config in a directory another user owns is refused" \
	-- check "$work/theirs/fw.conf"
expect 0 "" "a root file in a sticky directory owned by root is read" \
	-- check "$work/sticky/fw.conf"

# Symlinks: one to a trusted file is normal (/etc/iptload/iptload.conf ->
# a versioned tree); one that someone else owns, or whose target lies in
# a directory others may write, is not.
ln -s "$good" "$work/link.conf"
ln -s "$work/open/fw.conf" "$work/link-open.conf"
ln -s "$good" "$work/sticky/link.conf"
chown -h nobody "$work/sticky/link.conf"
expect 0 "" "a symlink to a trusted file is read" -- check "$work/link.conf"
expect 2 "the directory $work/open is writable by everyone" \
	"a symlink into a world-writable directory is refused" \
	-- check "$work/link-open.conf"
expect 2 "the symlink $work/sticky/link.conf is owned by uid" \
	"a symlink another user owns is refused" \
	-- check "$work/sticky/link.conf"

# Includes go through the same checks.
printf 'include open/fw.conf\n' >"$work/inc-open.conf"
expect 2 "cannot include $work/open/fw.conf: the directory $work/open is writable by everyone" \
	"an include in a world-writable directory is refused" \
	-- check "$work/inc-open.conf"
printf 'include fifo\n' >"$work/inc-fifo.conf"
expect 2 "cannot include $work/fifo: it is not a regular file" \
	"an included FIFO is refused at once" \
	-- check "$work/inc-fifo.conf"

# A glob that cannot read a directory is an error; one whose directory
# does not exist matches nothing, as before.
ln -s loop "$work/loop"
printf 'include loop/*.conf\n*filter\nCOMMIT\n' >"$work/inc-loop.conf"
expect 2 "cannot include $work/loop/*.conf: $work/loop: Too many levels of symbolic links" \
	"an include glob through a symlink loop is an error, not an empty match" \
	-- check "$work/inc-loop.conf"
printf 'include none.d/*.conf\n*filter\nCOMMIT\n' >"$work/inc-none.conf"
expect 0 "" "an include glob in a missing directory matches nothing" \
	-- check "$work/inc-none.conf"

# EACCES, as a user who cannot read the directory (root reads any).
if command -v setpriv >/dev/null; then
	chmod 755 "$work"
	mkdir -m 0311 "$work/private"
	printf 'include private/*.conf\n*filter\nCOMMIT\n' >"$work/inc-private.conf"
	chmod 644 "$work/inc-private.conf"
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	expect 2 "$work/private: Permission denied" \
		"an include glob in an unreadable directory is an error" \
		-- check "$work/inc-private.conf"
	as_user=''
else
	ok "an include glob in an unreadable directory # SKIP no setpriv (util-linux)"
fi
echo "1..$n"
