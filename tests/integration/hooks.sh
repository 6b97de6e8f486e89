#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hooks.sh REAPPLY IFUPDOWN NETWORKD NM - the interface hooks, with a fake
# iptload and a fake sleep first on PATH.  Nothing here waits for time to
# pass: the fake sleep and the fake iptload block on FIFOs until the test
# lets them go, and the end of a worker is awaited with
# "iptload-reapply --sync".
#
# The fake iptload appends each apply's arguments to $FAKE_APPLIES; it
# answers "iptload interfaces" only when FAKE_INTERFACES is set (else it
# says "unknown command", exit 64, as iptload does today); while the file
# $FAKE_BLOCK exists, an apply writes to $FAKE_OUT and waits for a line on
# $FAKE_IN.  The fake sleep writes its argument to $SLEEP_OUT and waits
# for a line on $SLEEP_IN.
set -u

root=$(mktemp -d "${TMPDIR:-/tmp}/iptload-hooks.XXXXXX")
trap 'rm -rf "$root"' EXIT
umask 022
# The build tree's configured scripts are not executable; installed ones
# are (tests/integration/install.sh): run copies that are.
mkdir "$root/scripts"
for f in "$@"; do
	install -m 755 "$f" "$root/scripts/"
done
reapply=$root/scripts/$(basename "$1")
hook_ifupdown=$root/scripts/$(basename "$2")
hook_networkd=$root/scripts/$(basename "$3")
hook_nm=$root/scripts/$(basename "$4")

# A guard against a hang, not a timing assertion: no step here takes more
# than an instant unless the code under test is broken.
GUARD=60

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -s "$T/log" ] && sed 's/^/# log: /' "$T/log"
	[ -s "$T/applies" ] && sed 's/^/# apply: /' "$T/applies"
	return 0
}

mkdir "$root/bin"
cat >"$root/bin/iptload" <<'FAKE'
#!/bin/sh
for a; do
	case $a in
	interfaces)
		if [ -n "${FAKE_INTERFACES+set}" ]; then
			printf '%s\n' $FAKE_INTERFACES
			exit 0
		fi
		echo "iptload: unknown command 'interfaces'" >&2
		exit 64
		;;
	apply) break ;;
	esac
done
printf '%s\n' "$*" >>"$FAKE_APPLIES"
if [ -e "$FAKE_BLOCK" ]; then
	echo applying >"$FAKE_OUT"
	read -r _ <"$FAKE_IN"
fi
echo "fake iptload: $*" >&2
[ -z "${FAKE_MESSAGE:-}" ] || printf '%s\n' "$FAKE_MESSAGE" >&2
# FAKE_STATUSES="8 4 0": the status of the first apply, the second, ...
if [ -n "${FAKE_STATUSES:-}" ]; then
	set -f
	# shellcheck disable=SC2086
	set -- $FAKE_STATUSES
	i=$(wc -l <"$FAKE_APPLIES")
	while [ "$i" -gt 1 ] && [ $# -gt 0 ]; do
		shift
		i=$((i - 1))
	done
	exit "${1:-0}"
fi
exit "${FAKE_STATUS:-0}"
FAKE
cat >"$root/bin/sleep" <<'FAKE'
#!/bin/sh
echo "$1" >"$SLEEP_OUT"
read -r _ <"$SLEEP_IN"
FAKE
chmod 755 "$root/bin/iptload" "$root/bin/sleep"

# setup NAME: a fresh case directory $T with a run directory, a config
# that reads extif's address and names wirif with -i, FIFOs, and the
# environment the helper reads.
setup() {
	T=$root/$1
	mkdir -p "$T/run"
	cat >"$T/iptload.conf" <<'CONF'
PUBLIC_IP = address(extif)
-A INPUT -i wirif -j ACCEPT
-A INPUT -i extif -d $PUBLIC_IP -p udp --dport 500 -j ACCEPT
CONF
	mkfifo "$T/fake-out" "$T/fake-in" "$T/sleep-out" "$T/sleep-in"
	: >"$T/applies"
	export PATH="$root/bin:$ORIG_PATH"
	export IPTLOAD_DEFAULTS=/nonexistent IPTLOAD_CONFIG="$T/iptload.conf"
	export IPTLOAD_RUNDIR="$T/run" IPTLOAD_REAPPLY_LOG="$T/log"
	export IPTLOAD_SETTLE_MS=0 IPTLOAD_OPTS=
	export FAKE_APPLIES="$T/applies" FAKE_BLOCK="$T/block"
	export FAKE_OUT="$T/fake-out" FAKE_IN="$T/fake-in"
	export SLEEP_OUT="$T/sleep-out" SLEEP_IN="$T/sleep-in"
	unset FAKE_INTERFACES FAKE_STATUS FAKE_STATUSES FAKE_MESSAGE
	unset IPTLOAD_REAPPLY IPTLOAD_RETRY_SECONDS
}
ORIG_PATH=$PATH

applies() { wc -l <"$T/applies"; }
# event IFACE: what a hook does for one event.
event() { "$reapply" "$1" test-event; }
# await FIFO: read one line from FIFO (a blocked fake announcing itself).
# A fake that never comes means the code under test is broken: stop.
await() {
	# shellcheck disable=SC2016
	timeout "$GUARD" sh -c 'read -r line <"$1" && echo "$line"' _ "$1" && return
	echo "Bail out! nothing came on $1 within $GUARD s"
	exit 1
}
# release FIFO: let a blocked fake go on.
release() {
	# shellcheck disable=SC2016
	timeout "$GUARD" sh -c 'echo go >"$1"' _ "$1" && return
	echo "Bail out! nobody waited on $1 within $GUARD s"
	exit 1
}
# finish: return once every event has been applied ("iptload-reapply
# --sync" waits for the worker, or does what it left).
finish() {
	timeout "$GUARD" "$reapply" --sync && return
	echo "Bail out! iptload-reapply --sync did not return within $GUARD s"
	exit 1
}

echo "1..23"

# 1. A burst of 5 events during the settle time: one apply.
setup burst
export IPTLOAD_SETTLE_MS=250
event extif
slept=$(await "$T/sleep-out")
for _ in 1 2 3 4; do
	event extif
done
before=$(applies)
release "$T/sleep-in" # more lines came: the worker settles again
slept2=$(await "$T/sleep-out")
release "$T/sleep-in" # quiet: it applies
finish
if [ "$slept" = 0.250 ] && [ "$slept2" = 0.250 ] && [ "$before" -eq 0 ] &&
	[ "$(applies)" -eq 1 ] &&
	[ "$(cat "$T/applies")" = "apply $T/iptload.conf" ] &&
	[ ! -e "$T/run/pending" ]; then
	ok "a burst of 5 events causes one apply, after the settle time"
else
	not_ok "burst: slept '$slept' '$slept2', $before applies before settling, $(applies) after"
fi

# 2. Events during an apply: exactly one more apply, after it.
setup during-apply
touch "$FAKE_BLOCK"
event extif
got=$(await "$FAKE_OUT")
for _ in 1 2 3 4 5; do
	event extif
done
during=$(applies)
rm -f "$FAKE_BLOCK"
release "$FAKE_IN"
finish
if [ "$got" = applying ] && [ "$during" -eq 1 ] && [ "$(applies)" -eq 2 ]; then
	ok "5 events during an apply cause one more apply"
else
	not_ok "during an apply: $during applies then, $(applies) in all"
fi

# 3. One event: one apply, and the hook does not wait for it.
setup single
touch "$FAKE_BLOCK"
rc=0
event extif || rc=$?
got=$(await "$FAKE_OUT") # the worker is applying; the hook has returned
rm -f "$FAKE_BLOCK"
release "$FAKE_IN"
finish
if [ $rc -eq 0 ] && [ "$got" = applying ] && [ "$(applies)" -eq 1 ] &&
	grep -q "applied $T/iptload.conf" "$T/log"; then
	ok "one event: one apply in a worker; the hook returns at once"
else
	not_ok "single event (rc=$rc, $(applies) applies)"
fi

# 4-5. Interfaces whose address the ruleset does not read.
setup named-by-i
event wirif
event eth9
if [ "$(applies)" -eq 0 ] && [ ! -e "$T/run/pending" ]; then
	ok "an interface named only by -i is ignored"
else
	not_ok "wirif"
fi
if [ "$(applies)" -eq 0 ] && [ ! -e "$T/run/lock" ]; then
	ok "an interface the config does not name is ignored"
else
	not_ok "eth9"
fi

# 6. iptload does not manage the firewall in this boot.
setup no-rundir
rmdir "$T/run"
event extif
if [ "$(applies)" -eq 0 ] && [ ! -e "$T/run" ]; then
	ok "without /run/iptload nothing is applied (and it is not created)"
else
	not_ok "no rundir"
fi

# 7. No config.
setup no-config
rm "$T/iptload.conf"
event extif
finish
if [ "$(applies)" -eq 0 ]; then
	ok "without a config nothing is applied"
else
	not_ok "no config"
fi

# 8. address() in an included file, found through the include.
setup include
mkdir "$T/rules.d"
cat >"$T/iptload.conf" <<'CONF'
-A INPUT -i lo -j ACCEPT
include "rules.d/*.conf"
CONF
echo 'WAN_IP = network(ppp0)' >"$T/rules.d/10-wan.conf"
event ppp0
finish
n_ppp=$(applies)
event extif
finish
if [ "$n_ppp" -eq 1 ] && [ "$(applies)" -eq 1 ]; then
	ok "network(ppp0) in an included file: ppp0 applies, extif not"
else
	not_ok "include ($n_ppp, $(applies))"
fi

# 9. The interface through a variable.
setup variable
cat >"$T/iptload.conf" <<'CONF'
EXT = "ppp0"
LIST = {
  10.0.0.1
}
PUBLIC_IP = address(${EXT})
CONF
event ppp0
finish
n_ppp=$(applies)
event extif
finish
if [ "$n_ppp" -eq 1 ] && [ "$(applies)" -eq 1 ]; then
	ok "address(\${EXT}) with EXT = \"ppp0\": ppp0 applies, extif not"
else
	not_ok "variable ($n_ppp, $(applies))"
fi

# 10. The variable set with -D in IPTLOAD_OPTS, passed on to iptload.
setup define
# shellcheck disable=SC2016
echo 'PUBLIC_IP = address($EXT)' >"$T/iptload.conf"
export IPTLOAD_OPTS="-D EXT=wan0"
event eth9
finish
n_eth9=$(applies)
event wan0
finish
if [ "$n_eth9" -eq 0 ] && [ "$(applies)" -eq 1 ] &&
	[ "$(cat "$T/applies")" = "-D EXT=wan0 apply $T/iptload.conf" ]; then
	ok "-D EXT=wan0 in IPTLOAD_OPTS: wan0 applies with the option, eth9 not"
else
	not_ok "-D ($n_eth9, $(applies))"
fi

# 11. A variable whose value cannot be known: every event counts.
setup unknown
# shellcheck disable=SC2016
echo 'PUBLIC_IP = address($FROM_ELSEWHERE)' >"$T/iptload.conf"
event eth9
finish
if [ "$(applies)" -eq 1 ]; then
	ok "address(\$UNKNOWN): any interface's event applies"
else
	not_ok "unknown variable"
fi

# 12. "iptload interfaces", when iptload has it, wins over reading the text.
setup cli
export FAKE_INTERFACES="lan5"
event extif
finish
n_extif=$(applies)
event lan5
finish
if [ "$n_extif" -eq 0 ] && [ "$(applies)" -eq 1 ]; then
	ok "iptload interfaces answers: lan5 applies, extif (in the text) not"
else
	not_ok "iptload interfaces ($n_extif, $(applies))"
fi

# 13. A refused apply: logged, and the hook still succeeds.
setup refused
export FAKE_STATUS=2 IPTLOAD_REAPPLY_FOREGROUND=1
rc=0
event extif || rc=$?
unset IPTLOAD_REAPPLY_FOREGROUND
if [ $rc -eq 0 ] && [ "$(applies)" -eq 1 ] &&
	grep -q "failed (exit 2); the rules loaded before stay" "$T/log" &&
	grep -q "fake iptload: apply" "$T/log"; then
	ok "a refused apply is logged with iptload's message; the hook exits 0"
else
	not_ok "refused apply (rc=$rc)"
fi

# 14. The ifupdown hook.
setup ifupdown
export IPTLOAD_REAPPLY=$reapply
IFACE=--all MODE=start PHASE=post-up "$hook_ifupdown"
IFACE=wirif MODE=start PHASE=post-up "$hook_ifupdown"
IFACE=extif MODE=start PHASE=post-up "$hook_ifupdown"
finish
if [ "$(applies)" -eq 1 ] && grep -q 'applied' "$T/log"; then
	ok "ifupdown hook: extif applies; --all and wirif do not"
else
	not_ok "ifupdown hook"
fi

# 15. The networkd-dispatcher hook.
setup networkd
export IPTLOAD_REAPPLY=$reapply
IFACE=wirif STATE=routable "$hook_networkd"
IFACE=extif STATE=routable "$hook_networkd"
finish
if [ "$(applies)" -eq 1 ]; then
	ok "networkd-dispatcher hook: extif routable applies; wirif does not"
else
	not_ok "networkd-dispatcher hook"
fi

# 16. The NetworkManager dispatcher hook.
setup nm
export IPTLOAD_REAPPLY=$reapply
"$hook_nm" extif hostname
"$hook_nm" extif connectivity-change
"$hook_nm" none up
finish
n_other=$(applies)
"$hook_nm" extif dhcp4-change
finish
if [ "$n_other" -eq 0 ] && [ "$(applies)" -eq 1 ]; then
	ok "NetworkManager hook: dhcp4-change applies; hostname and connectivity do not"
else
	not_ok "NetworkManager hook ($n_other, $(applies))"
fi

# 17. Usage.
setup usage
rc=0
"$reapply" >/dev/null 2>&1 || rc=$?
if [ $rc -eq 64 ]; then
	ok "no interface: usage error 64"
else
	not_ok "usage (rc=$rc)"
fi

# 18. A confirm pending (exit 8), then the lock busy (exit 4): the event
# stays queued and is applied again after a wait, until it goes through.
setup retry
export FAKE_STATUSES="8 4 0"
event extif
wait1=$(await "$T/sleep-out")
n1=$(applies)
release "$T/sleep-in"
wait2=$(await "$T/sleep-out")
n2=$(applies)
release "$T/sleep-in"
finish
if [ "$n1" -eq 1 ] && [ "$n2" -eq 2 ] && [ "$(applies)" -eq 3 ] &&
	[ "$wait1" = 5 ] && [ "$wait2" = 10 ] && [ ! -e "$T/run/pending" ] &&
	grep -q "exit 8.*retrying in 5 s" "$T/log" &&
	grep -q "exit 4.*retrying in 10 s" "$T/log" &&
	grep -q "applied $T/iptload.conf" "$T/log"; then
	ok "refused for a pending confirm, then a busy lock: retried until applied"
else
	not_ok "retry: $n1, $n2, $(applies) applies; waits '$wait1' '$wait2'"
fi

# 19. A config error (exit 2) is not retried: the rules loaded before stay.
setup no-retry
export FAKE_STATUSES="2 0"
event extif
finish
if [ "$(applies)" -eq 1 ] && [ ! -e "$T/run/pending" ]; then
	ok "a config error is not retried"
else
	not_ok "no retry on exit 2 ($(applies) applies)"
fi

# 20. /etc/default/iptload is read as systemd's EnvironmentFile= (the
# unit's) reads it: assignments only, never run as shell code; quotes
# taken off.
setup defaults
cat >"$T/defaults" <<DEFAULTS
# a comment
; another
IPTLOAD_OPTS="-D EXT=ext0 -D NET=10.*"
  IPTLOAD_SETTLE_MS = 0
IPTLOAD_CONFIG='$T/iptload.conf'
touch $T/ran-as-shell
\$(touch $T/ran-as-shell)
PATH=/nonexistent
DEFAULTS
export IPTLOAD_DEFAULTS="$T/defaults" FAKE_INTERFACES=extif
mkdir "$T/cwd"
touch "$T/cwd/NET=10.glob"
(cd "$T/cwd" && event extif)
finish
if [ ! -e "$T/ran-as-shell" ] &&
	[ "$(cat "$T/applies")" = "-D EXT=ext0 -D NET=10.* apply $T/iptload.conf" ]; then
	ok "the defaults file is read as assignments, not run as shell code"
else
	not_ok "defaults: $(cat "$T/applies")"
fi

# 21. IPTLOAD_OPTS and iptload's messages are never globbed, nor split
# otherwise than at blanks.
setup glob
export IPTLOAD_OPTS="-D NET=10.*" FAKE_INTERFACES=extif
export FAKE_MESSAGE="error: * not  allowed"
mkdir "$T/cwd"
touch "$T/cwd/NET=10.glob" "$T/cwd/error:"
(cd "$T/cwd" && event extif)
finish
if [ "$(cat "$T/applies")" = "-D NET=10.* apply $T/iptload.conf" ] &&
	grep -qxF "iptload-reapply: error: * not  allowed" "$T/log"; then
	ok "options and messages are not globbed"
else
	not_ok "glob: $(cat "$T/applies")"
fi

# 22-23. Interfaces named like options.
setup dash-iface
export FAKE_INTERFACES="-x --sync"
export IPTLOAD_REAPPLY=$reapply
IFACE=-x MODE=start PHASE=post-up "$hook_ifupdown"
finish
n_x=$(applies)
"$hook_nm" --sync up
finish
if [ "$n_x" -eq 1 ] && [ "$(applies)" -eq 2 ]; then
	ok "an interface named -x or --sync is an interface, not an option"
else
	not_ok "dash interfaces ($n_x, $(applies))"
fi
rc=0
"$reapply" -x >/dev/null 2>&1 || rc=$?
if [ $rc -eq 64 ]; then
	ok "without --, -x is still a usage error"
else
	not_ok "-x without -- (rc=$rc)"
fi
