#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install.sh - "meson install" (into a scratch DESTDIR) puts every file
# where it belongs: the program, its helper and the manual pages under the
# prefix; the unit, the hooks, the plugin, the completion and the config
# directory where systemd, ifupdown, networkd-dispatcher, NetworkManager,
# netfilter-persistent and bash-completion look, whatever the prefix (the
# build's own, and /usr and /opt/iptload configured from scratch).  The
# installed files are executable where they must be, with the installed
# paths filled in; /etc/iptload holds an example that passes "iptload
# check" and no active config.
set -u

src=${IPTLOAD_SOURCE_ROOT:?}
build=${IPTLOAD_BUILD_ROOT:?}
iptload=${IPTLOAD:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/root
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ -s "$work/err" ] && sed 's/^/# /' "$work/err"; }

# option BUILDDIR NAME: the value of a meson option of BUILDDIR.
option()
{
	meson introspect "$1" --buildoptions |
		python3 -c 'import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]][0])' "$2"
}

# system_paths UNITDIR: the files other programs read, at the paths where
# they read them (UNITDIR: systemd's, /lib/systemd/system on Debian 12).
system_paths()
{
	cat <<EOF
$1/iptload.service
$1/iptload-lockdown.service
/etc/network/if-up.d/iptload
/etc/network/if-post-down.d/iptload
/usr/lib/networkd-dispatcher/routable.d/iptload
/usr/lib/networkd-dispatcher/off.d/iptload
/usr/lib/NetworkManager/dispatcher.d/90-iptload
/usr/share/netfilter-persistent/plugins.d/35-iptload
/usr/share/bash-completion/completions/iptload
/etc/iptload/iptload.conf.example
EOF
}

# prefix_paths PREFIX: the files under the prefix.
prefix_paths()
{
	cat <<EOF
$1/sbin/iptload
$1/libexec/iptload/iptload-reapply
$1/share/iptload/lockdown.rules
$1/share/man/man8/iptload.8
$1/share/man/man5/iptload.conf.5
$1/share/doc/iptload/examples/vpn-router.conf
$1/share/doc/iptload/examples/vpn-router-dualstack.conf
$1/share/doc/iptload/examples/road-warrior.conf
$1/share/doc/iptload/examples/home-router.conf
EOF
}

# systemd's unit directory, as meson found it (both are Debian 12's).
unitdir=/lib/systemd/system
[ -d /lib/systemd/system ] || unitdir=/usr/lib/systemd/system
pkg_unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) &&
	[ -n "$pkg_unitdir" ] && unitdir=$pkg_unitdir

echo "1..9"
if meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$work/err" 2>&1; then
	ok "meson install --destdir"
else
	not_ok "meson install --destdir"
	exit 0
fi

# Every file installed, as its path on the target system.
(cd "$dest" && find . -type f | sed 's|^\.||' | sort) >"$work/installed"
prefix=$(option "$build" prefix)
{ system_paths "$unitdir"; prefix_paths "$prefix"; } | sort >"$work/want"
comm -13 "$work/installed" "$work/want" | sed 's/^/not installed: /' >"$work/err"
comm -23 "$work/installed" "$work/want" | sed 's/^/unexpected: /' >>"$work/err"
if [ ! -s "$work/err" ]; then
	ok "prefix $prefix: every file where the system looks, nothing else"
else
	not_ok "prefix $prefix: files missing or unexpected"
fi

# pair: the second directory of a hook installed twice named as the first.
pair() { sed -e 's|/if-post-down\.d/|/if-up.d/|' -e 's|/off\.d/|/routable.d/|'; }

# Other prefixes, configured only (no build): the files other programs
# read do not move; the rest follows the prefix.
for p in /usr /opt/iptload; do
	b=$work/build-${p//\//_}
	if ! meson setup "$b" "$src" --prefix="$p" >"$work/err" 2>&1; then
		not_ok "meson setup --prefix=$p"
		continue
	fi
	# meson lists one destination per source file: a hook installed in
	# two directories shows once, so the pairs count as one here (the
	# install above has both).
	meson introspect "$b" --installed |
		python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin).values()))' |
		pair | sort -u >"$work/installed-$n"
	{ system_paths "$unitdir"; prefix_paths "$p"; } | pair | sort -u >"$work/want"
	comm -13 "$work/installed-$n" "$work/want" | sed 's/^/not installed: /' >"$work/err"
	comm -23 "$work/installed-$n" "$work/want" | sed 's/^/unexpected: /' >>"$work/err"
	if [ ! -s "$work/err" ]; then
		ok "prefix $p: every file where the system looks"
	else
		not_ok "prefix $p: files missing or unexpected"
	fi
done

# installed SUFFIX: the installed path that ends with SUFFIX.
installed() { grep -E -- "$1\$" "$work/installed"; }

: >"$work/err"
for s in /sbin/iptload /libexec/iptload/iptload-reapply /if-up.d/iptload \
	/if-post-down.d/iptload /routable.d/iptload /off.d/iptload \
	/dispatcher.d/90-iptload /plugins.d/35-iptload; do
	f=$(installed "$s")
	mode=$(stat -c %a "$dest$f")
	[ "$mode" = 755 ] || echo "$f: mode $mode" >>"$work/err"
	[ "$s" = /sbin/iptload ] || sh -n "$dest$f" 2>>"$work/err" ||
		echo "$f: sh -n failed" >>"$work/err"
done
bash -n "$dest$(installed /completions/iptload)" 2>>"$work/err"
if [ ! -s "$work/err" ]; then
	ok "programs and hooks are mode 755 and parse (sh -n, bash -n)"
else
	not_ok "modes or syntax"
fi

: >"$work/err"
while IFS= read -r f; do
	case $f in
	*/sbin/iptload | *.[0-9]) continue ;;
	esac
	grep -Hn '@[A-Z_]*@' "$dest$f" >>"$work/err"
done <"$work/installed"
if [ ! -s "$work/err" ]; then
	ok "no @PLACEHOLDER@ left in an installed file"
else
	not_ok "placeholders left"
fi

unit=$dest$(installed /iptload.service)
sbin=$(installed /sbin/iptload)
reapply=$(installed /iptload-reapply)
: >"$work/err"
grep -q "^ExecStart=$sbin .*apply --boot" "$unit" || echo "ExecStart does not run $sbin" >>"$work/err"
grep -q "^ExecReload=$sbin " "$unit" || echo "ExecReload does not run $sbin" >>"$work/err"
for s in /if-up.d/iptload /routable.d/iptload /dispatcher.d/90-iptload; do
	grep -q "IPTLOAD_REAPPLY:-$reapply}" "$dest$(installed "$s")" ||
		echo "$s does not call $reapply" >>"$work/err"
done
if [ ! -s "$work/err" ]; then
	ok "the unit runs $sbin; the hooks call $reapply"
else
	not_ok "installed paths"
fi

: >"$work/err"
grep -q "^_iptload_default_config=/etc/iptload/iptload.conf$" \
	"$dest$(installed /completions/iptload)" || echo "completion default config" >>"$work/err"
grep -q 'IPTLOAD_CONFIG:-/etc/iptload/iptload.conf}' "$dest$reapply" ||
	echo "helper default config" >>"$work/err"
grep -q '^Environment=IPTLOAD_CONFIG=/etc/iptload/iptload.conf$' "$unit" ||
	echo "unit default config" >>"$work/err"
if [ ! -s "$work/err" ]; then
	ok "the default config is /etc/iptload/iptload.conf everywhere"
else
	not_ok "default config"
fi

# The example is valid, commented, and not the config anything reads.
example=$dest/etc/iptload/iptload.conf.example
: >"$work/err"
[ ! -e "$dest/etc/iptload/iptload.conf" ] ||
	echo "an active /etc/iptload/iptload.conf is installed" >>"$work/err"
[ "$(grep -c '^#' "$example")" -ge 10 ] || echo "the example has no comments" >>"$work/err"
"$iptload" check "$example" >"$work/check" 2>&1 ||
	{ echo "iptload check refuses the example:"; cat "$work/check"; } >>"$work/err"
if [ ! -s "$work/err" ]; then
	ok "/etc/iptload/iptload.conf.example is commented and passes check; no iptload.conf"
else
	not_ok "the example config"
fi
