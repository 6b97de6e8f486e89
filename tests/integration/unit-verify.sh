#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# unit-verify.sh UNIT MANPAGE... - systemd-analyze verify accepts
# iptload.service, and the unit says what iptload(8) promises.
#
# The unit names the installed binary, which a build tree does not have:
# the copy verified here runs $IPTLOAD instead.  The man pages are put on
# a private MANPATH so that verify's check of Documentation= finds them.
# Skipped (tests/tap.sh) when systemd-analyze is missing (package: systemd).
# Single quotes are meant: the bash -c scripts take the file as $1.
# shellcheck disable=SC2016
set -u
. "$(dirname "$0")/../tap.sh"

unit=$1
shift
# More units (the fallback iptload-lockdown.service) among the pages.
extra_units=()
for a in "$@"; do
	case $a in *.service) extra_units+=("$a") ;; esac
done
if ! command -v systemd-analyze >/dev/null; then
	tap_skip "systemd-analyze not found (install systemd)"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-unit.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; [ -s "$work/err" ] && sed 's/^/# /' "$work/err"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >"$work/err" 2>&1; then ok "$what"; else not_ok "$what"; fi
}

echo "1..$((11 + 3 * ${#extra_units[@]}))"

sed -E "s|^(Exec[A-Za-z]*=)[^ ]*/iptload |\1$IPTLOAD |" "$unit" >"$work/iptload.service"
for u in "${extra_units[@]}"; do
	cp "$u" "$work/"
done
mkdir -p "$work/man/man8" "$work/man/man5"
for page in "$@"; do
	case $page in
	*.8) cp "$page" "$work/man/man8/" ;;
	*.5) cp "$page" "$work/man/man5/" ;;
	esac
done
man_opt=--man=yes
command -v man >/dev/null || man_opt=--man=no

# verify prints problems it does not count as failures too: none allowed.
if (cd "$work" && MANPATH="$work/man" systemd-analyze verify "$man_opt" \
	./iptload.service) >"$work/err" 2>&1 && [ ! -s "$work/err" ]; then
	ok "systemd-analyze verify $man_opt: no complaint"
else
	not_ok "systemd-analyze verify $man_opt"
fi

key() { grep -qx -- "$1" "$unit"; }
check "no @placeholder@ left" bash -c '! grep -n "@[A-Z_]*@" "$1"' _ "$unit"
check "ExecStart runs apply --boot on the config" \
	grep -qE '^ExecStart=/[^ ]*/iptload .*apply --boot \$\{IPTLOAD_CONFIG\}$' "$unit"
check "ExecReload runs plain apply" \
	grep -qE '^ExecReload=/[^ ]*/iptload .* apply \$\{IPTLOAD_CONFIG\}$' "$unit"
check "the default config is /etc/iptload/iptload.conf" \
	key 'Environment=IPTLOAD_CONFIG=/etc/iptload/iptload.conf'
check "exit 5 (partial) counts as success" key 'SuccessExitStatus=5'
check "oneshot that stays active" \
	bash -c 'grep -qx Type=oneshot "$1" && grep -qx RemainAfterExit=yes "$1"' _ "$unit"
check "before network-pre.target, which it pulls in" \
	bash -c 'grep -qE "^Before=.*network-pre\.target" "$1" && grep -qx Wants=network-pre.target "$1"' _ "$unit"
check "early boot: DefaultDependencies=no, after local-fs" \
	bash -c 'grep -qx DefaultDependencies=no "$1" && grep -qE "^After=.*local-fs\.target" "$1"' _ "$unit"
check "no ExecStop: stopping never opens the firewall" \
	bash -c '! grep -q ^ExecStop "$1"' _ "$unit"
check "RuntimeDirectory=iptload (the hooks act while it exists)" \
	key 'RuntimeDirectory=iptload'

# The fallback unit: iptload.service starts it when it fails, and it loads
# the shipped lockdown with iptables-legacy-restore, waiting for the lock.
for u in "${extra_units[@]}"; do
	name=${u##*/}
	if (cd "$work" && MANPATH="$work/man" systemd-analyze verify "$man_opt" \
		"./$name") >"$work/err" 2>&1 && [ ! -s "$work/err" ]; then
		ok "systemd-analyze verify $name: no complaint"
	else
		not_ok "systemd-analyze verify $name"
	fi
	check "iptload.service starts $name when it fails" \
		grep -qx "OnFailure=$name" "$unit"
	check "$name loads the lockdown with iptables-legacy-restore --wait" \
		grep -qE '^ExecStart=/[^ ]*/iptables-legacy-restore --wait /[^ ]*/lockdown\.rules$' "$u"
done
