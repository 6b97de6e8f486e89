#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# install.sh - "meson install" (into a scratch DESTDIR) puts every file
# where it belongs, executable where it must be, with the installed paths
# filled in: the unit runs the installed iptload, the hooks call the
# installed helper, and no @PLACEHOLDER@ is left.
set -u

build=${IPTLOAD_BUILD_ROOT:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/root
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ -s "$work/err" ] && sed 's/^/# /' "$work/err"; }

echo "1..7"
if meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$work/err" 2>&1; then
	ok "meson install --destdir"
else
	not_ok "meson install --destdir"
	exit 0
fi

# Every file installed, as its path on the target system.
(cd "$dest" && find . -type f | sed 's|^\.||' | sort) >"$work/installed"
# installed SUFFIX: the installed paths that end with SUFFIX.
installed() { grep -E -- "$1\$" "$work/installed"; }

: >"$work/err"
for want in /sbin/iptload /man8/iptload.8 /man5/iptload.conf.5 \
	/systemd/system/iptload.service /libexec/iptload/iptload-reapply \
	/etc/network/if-up.d/iptload /etc/network/if-post-down.d/iptload \
	/lib/networkd-dispatcher/routable.d/iptload \
	/lib/networkd-dispatcher/off.d/iptload \
	/lib/NetworkManager/dispatcher.d/90-iptload \
	/share/netfilter-persistent/plugins.d/35-iptload \
	/bash-completion/completions/iptload \
	/doc/iptload/examples/vpn-router.conf; do
	[ "$(installed "$want" | wc -l)" = 1 ] || echo "not installed: *$want" >>"$work/err"
done
if [ ! -s "$work/err" ]; then
	ok "every file has its place"
else
	not_ok "files missing from the install"
fi

# Everything under DESTDIR is in the prefix, /etc or systemd's unit dir.
prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
grep -vE "^($prefix/|/etc/|/lib/systemd/|/usr/lib/systemd/)" "$work/installed" >"$work/err"
if [ ! -s "$work/err" ]; then
	ok "every file is under $prefix, /etc or the systemd unit dir"
else
	not_ok "files outside the prefix"
fi

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
