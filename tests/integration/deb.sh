#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deb.sh - dpkg-buildpackage -us -uc -b builds the iptload .deb from a copy
# of the source tree (the tree itself is shared: no build files land in
# it), and the package holds what it must: the program, the unit, the
# hooks, the plugin, the manual pages and the completion; it depends on
# iptables and on libip4tc (through shlibs); the unit is neither enabled
# nor started by the maintainer scripts.
#
# Slow (a whole build): suite 'slow'.  Skipped (tests/tap.sh) when
# debhelper or another build dependency is missing (scripts/bootstrap
# installs them).
set -u
. "$(dirname "$0")/../tap.sh"

src=${IPTLOAD_SOURCE_ROOT:?}
if [ -n "${IPTLOAD_IN_DEB_BUILD:-}" ]; then
	tap_skip "inside a package build"
fi
if ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	tap_skip "dpkg-buildpackage or dh not found (install dpkg-dev and debhelper)"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ -s "$work/err" ] && sed 's/^/# /' "$work/err" | tail -n 40; }

# The files of the tree: what git knows and does not ignore, or, outside
# a git checkout, everything but build directories.
tree=$work/iptload
mkdir "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z -co --exclude-standard |
		xargs -0 cp --parents -a -t "$tree" 2>/dev/null)
else
	tar -C "$src" --exclude='./build*' --exclude=./obj-* -cf - . | tar -C "$tree" -xf -
fi

if ! (cd "$tree" && dpkg-checkbuilddeps) >"$work/err" 2>&1; then
	tap_skip "$(tr '\n' ' ' <"$work/err")(scripts/bootstrap installs the build dependencies)"
fi

echo "1..6"
if (cd "$tree" && IPTLOAD_IN_DEB_BUILD=1 dpkg-buildpackage -us -uc -b) >"$work/err" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	not_ok "dpkg-buildpackage -us -uc -b"
	exit 0
fi
debs=("$work"/iptload_*.deb)
deb=${debs[0]}
if [ -f "$deb" ]; then
	ok "built $(basename "$deb")"
else
	ls "$work" >"$work/err"
	not_ok "no .deb"
	exit 0
fi

depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
if [[ $depends =~ (^|, )iptables(,|$| ) ]] && [[ $depends == *libip4tc2* ]]; then
	ok "Depends has iptables and libip4tc2"
else
	echo "$depends" >"$work/err"
	not_ok "Depends lacks iptables or libip4tc2"
fi

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$work/files"
: >"$work/err"
for want in /usr/sbin/iptload /lib/systemd/system/iptload.service \
	/usr/share/man/man8/iptload.8.gz /usr/share/man/man5/iptload.conf.5.gz \
	/usr/libexec/iptload/iptload-reapply \
	/etc/network/if-up.d/iptload /etc/network/if-post-down.d/iptload \
	/usr/lib/networkd-dispatcher/routable.d/iptload \
	/usr/lib/networkd-dispatcher/off.d/iptload \
	/usr/lib/NetworkManager/dispatcher.d/90-iptload \
	/usr/share/netfilter-persistent/plugins.d/35-iptload \
	/usr/share/bash-completion/completions/iptload \
	/usr/share/doc/iptload/examples/vpn-router.conf \
	/etc/iptload/iptload.conf.example; do
	grep -qx -- "$want" "$work/files" || echo "missing: $want" >>"$work/err"
done
if [ ! -s "$work/err" ]; then
	ok "the package holds the program, unit, hooks, plugin, pages and completion"
else
	not_ok "files missing from the package"
fi

dpkg-deb -e "$deb" "$work/control"
if grep -qx /etc/network/if-up.d/iptload "$work/control/conffiles" &&
	grep -qx /etc/network/if-post-down.d/iptload "$work/control/conffiles" &&
	grep -qx /etc/iptload/iptload.conf.example "$work/control/conffiles" &&
	! grep -qx /etc/iptload/iptload.conf "$work/control/conffiles"; then
	ok "the ifupdown hooks and the example config are conffiles; no active config"
else
	cp "$work/control/conffiles" "$work/err" 2>/dev/null
	not_ok "conffiles"
fi

# dh_installsystemd --no-enable --no-start: the postinst starts nothing,
# and enables the unit only where the admin had it enabled before (an
# upgrade): the enable is guarded by "debian-installed" and "was-enabled".
cat "$work/control/postinst" >"$work/err" 2>/dev/null
if [ -f "$work/control/postinst" ] &&
	! grep -q 'deb-systemd-invoke' "$work/control/postinst" &&
	awk '/debian-installed .iptload.service./ { guard = 1 }
		/was-enabled .iptload.service./ && guard { was = 1 }
		/deb-systemd-helper enable/ && !was { bad = 1 }
		END { exit bad }' "$work/control/postinst"; then
	ok "postinst starts nothing, and enables the unit only if it was enabled"
else
	not_ok "postinst enables or starts the unit"
fi
