#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# plugin.sh PLUGIN - the netfilter-persistent plugin with the real
# iptload, in a fresh network namespace (never the host's firewall):
# start skips a missing config, fails closed on the first start of a boot
# and is plain apply after it, save touches nothing unless asked to (then
# it writes "iptload save" to the config), stop does nothing, flush
# empties every table.  The kernel's own iptables-legacy-save is the
# judge.  Skipped where namespaces cannot be made.
set -u
. "$(dirname "$0")/../tap.sh"

skip_unless_netns
if ! command -v iptables-legacy-save >/dev/null; then
	tap_skip "iptables-legacy-save not found (install iptables)"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/iptload-plugin.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# The build tree's configured plugin is not executable: run a copy that is.
PLUGIN=$work/35-iptload
install -m 755 "$1" "$PLUGIN"
HOST_NETNS=$(readlink /proc/self/ns/net)
# The namespace is private: so is the lock (see tests/kernel/lib.sh).
export XTABLES_LOCKFILE=$work/xtables.lock IPTLOAD_CACHE_DIR=$work/cache
export PLUGIN HOST_NETNS work
PATH="$(dirname "$IPTLOAD"):$PATH"
export PATH
export IPTLOAD_DEFAULTS=/nonexistent IPTLOAD_CONFIG=$work/iptload.conf
export IPTLOAD_RUNDIR=$work/run IPTLOAD_OPTS=

scenario() {
	if [ "$(readlink /proc/self/ns/net)" = "$HOST_NETNS" ]; then
		echo "Bail out! not in a private network namespace"
		exit 99
	fi
	n=0
	ok() { n=$((n + 1)); echo "ok $n - $1"; }
	not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$work/out"; }
	save() { iptables-legacy-save | grep -v '^#'; }
	plugin() { rc=0; "$PLUGIN" "$@" >"$work/out" 2>&1 || rc=$?; }

	echo "1..9"

	plugin start
	if [ $rc = 0 ] && grep -q "skipping (no $IPTLOAD_CONFIG)" "$work/out" &&
		[ -z "$(save)" ] && [ ! -e "$IPTLOAD_RUNDIR" ]; then
		ok "start without a config: skipped, nothing loaded"
	else
		not_ok "start without a config (rc=$rc)"
	fi

	cat >"$IPTLOAD_CONFIG" <<'CONF'
PUBLIC_IP = address(extif)
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-N SERVICES
-A INPUT -i lo -j ACCEPT
-A OUTPUT -o lo -j ACCEPT
-A INPUT -j SERVICES
-A SERVICES -p udp -d $PUBLIC_IP --dport 500 -j ACCEPT
COMMIT
*nat
-A POSTROUTING -o eth0 -j RETURN
COMMIT
CONF
	chmod 644 "$IPTLOAD_CONFIG"
	plugin start
	save >"$work/loaded"
	# shellcheck disable=SC2016
	if [ $rc = 0 ] && grep -q "some rules wait" "$work/out" &&
		grep -qF 'warning: left out: $PUBLIC_IP' "$work/out" &&
		grep -qx ':INPUT DROP \[0:0\]' "$work/loaded" &&
		grep -qx -- '-A INPUT -i lo -j ACCEPT' "$work/loaded" &&
		grep -qx -- '-A POSTROUTING -o eth0 -j RETURN' "$work/loaded" &&
		! grep -q -- '--dport 500' "$work/loaded" && [ -d "$IPTLOAD_RUNDIR" ]; then
		ok "first start of a boot: apply --boot, partial load is success, /run/iptload made"
	else
		not_ok "first start (rc=$rc)"
	fi

	cp "$IPTLOAD_CONFIG" "$work/good.conf"
	echo '-A INPUT -s 10.0.0.0/ -j ACCEPT' >>"$IPTLOAD_CONFIG"
	plugin reload
	if [ $rc != 0 ] && grep -q "missing prefix length" "$work/out" &&
		[ "$(save)" = "$(cat "$work/loaded")" ]; then
		ok "later start/reload with a broken config: refused, the loaded rules stay (no lockdown)"
	else
		not_ok "reload with a broken config (rc=$rc)"
	fi

	sum=$(md5sum <"$IPTLOAD_CONFIG")
	plugin save
	if [ $rc = 0 ] && grep -q "nothing saved: .*IPTLOAD_PERSISTENT_SAVE=yes" "$work/out" &&
		[ "$(md5sum <"$IPTLOAD_CONFIG")" = "$sum" ] &&
		[ "$(save)" = "$(cat "$work/loaded")" ]; then
		ok "save: says so, changes neither the config nor the tables"
	else
		not_ok "save (rc=$rc)"
	fi

	plugin stop
	if [ $rc = 0 ] && [ "$(save)" = "$(cat "$work/loaded")" ]; then
		ok "stop: nothing changes"
	else
		not_ok "stop (rc=$rc)"
	fi

	plugin flush
	save >"$work/flushed"
	tables=$(sort /proc/net/ip_tables_names | tr '\n' ' ')
	if [ $rc = 0 ] && [ "$tables" = "filter nat " ] &&
		! grep -qE '^-A|^:[^ ]+ -|DROP' "$work/flushed" &&
		[ "$(grep -c ' ACCEPT \[0:0\]$' "$work/flushed")" = 7 ] &&
		[ ! -e "$IPTLOAD_RUNDIR" ]; then
		ok "flush: filter and nat empty (ACCEPT, no rules, no chains); hooks off"
	else
		not_ok "flush (rc=$rc, tables: $tables)"
		sed 's/^/# /' "$work/flushed"
	fi

	plugin start
	save >"$work/lockdown"
	if [ $rc != 0 ] && grep -q "loaded the lockdown" "$work/out" &&
		grep -qx ':INPUT DROP \[0:0\]' "$work/lockdown" &&
		grep -qx -- '-A INPUT -i lo -j ACCEPT' "$work/lockdown" &&
		[ "$(grep -c '^-A' "$work/lockdown")" = 2 ]; then
		ok "first start of a boot with a broken config: lockdown, start fails"
	else
		not_ok "start with a broken config after flush (rc=$rc)"
	fi

	cp "$IPTLOAD_CONFIG" "$work/broken.conf"
	save >"$work/before-save"
	IPTLOAD_PERSISTENT_SAVE=yes plugin save
	drc=0
	iptload diff "$IPTLOAD_CONFIG" >"$work/diff" 2>&1 || drc=$?
	if [ $rc = 0 ] && grep -q "saved the kernel's tables" "$work/out" &&
		cmp -s "$IPTLOAD_CONFIG.bak" "$work/broken.conf" &&
		[ "$(stat -c %a "$IPTLOAD_CONFIG")" = 644 ] && [ $drc = 0 ] &&
		[ "$(save)" = "$(cat "$work/before-save")" ]; then
		ok "IPTLOAD_PERSISTENT_SAVE=yes: save writes the config (diff: no change), keeps .bak"
	else
		sed 's/^/diff: /' "$work/diff" >>"$work/out"
		not_ok "save with IPTLOAD_PERSISTENT_SAVE=yes (rc=$rc, diff rc=$drc)"
	fi

	plugin frobnicate
	if [ $rc = 1 ] && grep -q usage "$work/out"; then
		ok "an unknown action is a usage error"
	else
		not_ok "unknown action (rc=$rc)"
	fi
}
export -f scenario
unshare -n bash -c scenario
