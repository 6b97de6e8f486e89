#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Real IPsec packets through conf/vpn-router.conf, inside the guest.

    vpn-router.py IPTLOAD CONF ORACLE_RULES [COUNT]

Run by tests/guest/vpn-router.sh inside tests/guest/run after
tunnel_up (tests/guest/tunnel.sh), with its variables in the environment.
Loads CONF into the router namespace with IPTLOAD, then the same ruleset
in iptables-save form (ORACLE_RULES, loaded with iptables-legacy-restore)
in its place, and each time sends COUNT packets (default 100) of each kind:

  tunnel   VPN address -> LAN host, through the ESP tunnel; the LAN host
           answers each, back through the tunnel
  dns      VPN address -> the router's resolver on udp 53, answered
  ike      udp 500 between the client's and the router's public address
  spoofed  the VPN address -> LAN host in the clear (a hand-built frame
           from the client's link, no SA)

and checks what arrives and every filter counter: the policy-matched rules
count the decapsulated (and to-be-encapsulated) packets, the udp 4500
rules the ESP-in-UDP packets around them, the FORWARD policy the spoofed
ones, which never arrive.  Finally both loads must give the same rules and
the same counters.  Prints TAP.
"""

import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402

E = os.environ
ROUTER, CLIENT, LAN = E["TUN_ROUTER"], E["TUN_CLIENT"], E["TUN_LAN"]
VPN, LANHOST, RESOLVER = E["TUN_VPN_ADDR"], E["TUN_LAN_HOST"], E["TUN_RESOLVER"]
PUBLIC, OUTER = E["TUN_PUBLIC_IP"], E["TUN_CLIENT_OUTER"]

TUN_PORT, DNS_PORT, SPOOF_PORT, LAN_PORT = 40000, 40002, 40004, 9000

test_no = 0
failed = 0


def ok(cond, what, diag=None):
    global test_no, failed
    test_no += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", test_no, what))
    if not cond:
        failed += 1
        for line in (diag or "").splitlines():
            print("# " + line)
    sys.stdout.flush()
    return cond


def receive(sock, count):
    """Up to COUNT datagrams from SOCK (each within its timeout)."""
    got = []
    try:
        while len(got) < count:
            got.append(sock.recvfrom(2048))
    except socket.timeout:
        pass
    return got


def drain(sock):
    """What SOCK holds right now, without waiting."""
    got = []
    sock.setblocking(False)
    try:
        while True:
            got.append(sock.recvfrom(2048))
    except BlockingIOError:
        pass
    sock.settimeout(30.0)
    return got


class Sockets:
    """Every socket of the scenario, opened once in its namespace."""

    def __init__(self):
        with netns.inside(CLIENT):
            self.c_encap = netns.encap()
            self.c_tun = netns.udp(VPN, TUN_PORT)
            self.c_dns = netns.udp(VPN, DNS_PORT)
            self.c_ike = netns.udp(OUTER, 500)
            self.c_raw = netns.packet_socket(E["TUN_CLIENT_IF"])
            self.c_mac = netns.mac(E["TUN_CLIENT_IF"])
        with netns.inside(ROUTER):
            self.r_encap = netns.encap()
            self.r_dns = netns.udp(RESOLVER, 53)
            self.r_ike = netns.udp(PUBLIC, 500)
            self.r_mac = netns.mac(E["TUN_EXTIF"])
        with netns.inside(LAN):
            self.l_app = netns.udp(LANHOST, LAN_PORT)


def traffic(s, n):
    """Send N packets of each kind; return what arrived where."""
    seen = {}
    # Through the tunnel, and each answered by the LAN host.
    for i in range(n):
        s.c_tun.sendto(b"tun %d" % i, (LANHOST, LAN_PORT))
    got = receive(s.l_app, n)
    seen["tunnel at lan"] = len(got)
    seen["tunnel source"] = sorted({a for _, a in got})
    for data, addr in got:
        s.l_app.sendto(b"re " + data, addr)
    seen["replies at client"] = len(receive(s.c_tun, len(got)))
    # DNS to the router's resolver through the tunnel, answered.
    for i in range(n):
        s.c_dns.sendto(b"dns %d" % i, (RESOLVER, 53))
    got = receive(s.r_dns, n)
    seen["dns at router"] = len(got)
    for data, addr in got:
        s.r_dns.sendto(b"an " + data, addr)
    seen["dns answers at client"] = len(receive(s.c_dns, len(got)))
    # IKE in the clear between the public addresses, answered.
    for i in range(n):
        s.c_ike.sendto(b"ike %d" % i, (PUBLIC, 500))
    got = receive(s.r_ike, n)
    seen["ike at router"] = len(got)
    for data, addr in got:
        s.r_ike.sendto(b"re " + data, addr)
    seen["ike answers at client"] = len(receive(s.c_ike, len(got)))
    # Spoofed: the VPN address in the clear.  Then one marker through the
    # tunnel on the same link: once it has arrived, the spoofed frames
    # sent before it have been through the router too.
    for i in range(n):
        s.c_raw.send(netns.raw_udp_frame(s.r_mac, s.c_mac, VPN, LANHOST,
                                         SPOOF_PORT, LAN_PORT,
                                         b"spoof %d" % i))
    s.c_tun.sendto(b"marker", (LANHOST, LAN_PORT))
    got = receive(s.l_app, 1)
    seen["marker at lan"] = len(got)
    seen["spoofed at lan"] = len(drain(s.l_app)) + sum(
        1 for d, _ in got if d.startswith(b"spoof"))
    return seen


def expected_counters(n):
    """The filter counters N packets of each kind must leave, by rule as
    conf/vpn-router.conf orders them (INPUT: ike 500, ike 4500, dns;
    OUTPUT: ike 500, ike 4500, dns; FORWARD: tunnel in, tunnel out)."""
    return {
        ("INPUT", 1): n,             # IKE on 500 in
        ("INPUT", 2): 2 * n + 1,     # ESP in UDP: tunnel, dns, marker
        ("INPUT", 3): n,             # dns, decapsulated, --pol ipsec
        ("INPUT", "policy"): 0,
        ("OUTPUT", 1): n,            # IKE answers
        ("OUTPUT", 2): 2 * n,        # ESP in UDP: lan replies, dns answers
        ("OUTPUT", 3): n,            # dns answers, before encapsulation
        ("OUTPUT", "policy"): 0,
        ("FORWARD", 1): n + 1,       # VPN -> LAN, decapsulated, + marker
        ("FORWARD", 2): n,           # LAN -> VPN, into the tunnel
        ("FORWARD", "policy"): n,    # spoofed, in the clear: dropped
    }


def load_iptload(iptload, conf):
    defines = []
    for name, var in (("EXTIF", "TUN_EXTIF"), ("LANIF", "TUN_LANIF"),
                      ("PUBLIC_IP", "TUN_PUBLIC_IP")):
        defines += ["-D", "%s=%s" % (name, E[var])]
    return netns.run_in(ROUTER, [iptload] + defines + ["apply", conf],
                        check=False, capture_output=True, text=True)


def load_oracle(rules):
    """RULES (iptables-save text) with iptables-legacy-restore: the whole
    filter table replaced, every counter from zero."""
    with open(rules) as f:
        return netns.run_in(ROUTER, ["iptables-legacy-restore"], stdin=f,
                            check=False, capture_output=True, text=True)


def scenario(name, load, s, n):
    res = load()
    if not ok(res.returncode == 0, "%s: ruleset loaded" % name,
              res.stdout + res.stderr):
        return None, None
    seen = traffic(s, n)
    ok(seen["tunnel at lan"] == n and seen["tunnel source"] ==
       [(VPN, TUN_PORT)],
       "%s: %d packets from the VPN address through the tunnel reach the "
       "LAN" % (name, n), repr(seen))
    ok(seen["replies at client"] == n,
       "%s: the LAN's %d answers reach the client through the tunnel"
       % (name, n), repr(seen))
    ok(seen["dns at router"] == n and seen["dns answers at client"] == n,
       "%s: %d DNS queries through the tunnel reach the resolver and are "
       "answered" % (name, n), repr(seen))
    ok(seen["ike at router"] == n and seen["ike answers at client"] == n,
       "%s: %d IKE packets on udp 500 in and out" % (name, n), repr(seen))
    ok(seen["marker at lan"] == 1 and seen["spoofed at lan"] == 0,
       "%s: %d packets from the VPN address in the clear never reach the "
       "LAN" % (name, n), repr(seen))
    got = netns.counters(ROUTER)
    want = expected_counters(n)
    for key in sorted(want, key=str):
        ok(got.get(key) == want[key],
           "%s: %s %s counted %d" % (name, key[0],
                                      "policy" if key[1] == "policy"
                                      else "rule %d" % key[1], want[key]),
           "counted %r\nall counters: %r" % (got.get(key), got))
    ok(set(got) == set(want), "%s: no other rule in the filter table" % name,
       repr(sorted(got, key=str)))
    return got, netns.rules(ROUTER)


def main():
    iptload, conf, oracle = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    print("1..%d" % (2 * 18 + 2))
    sys.stdout.flush()
    s = Sockets()
    mine, my_rules = scenario("iptload", lambda: load_iptload(iptload, conf),
                              s, n)
    theirs, their_rules = scenario("iptables-legacy",
                                   lambda: load_oracle(oracle), s, n)
    ok(my_rules is not None and my_rules == their_rules,
       "iptload and iptables-legacy load the same rules",
       "iptload:\n%s\niptables-legacy:\n%s" % (
           "\n".join(my_rules or []), "\n".join(their_rules or [])))
    ok(mine is not None and mine == theirs,
       "iptload's and iptables-legacy's rules count the same packets",
       "iptload: %r\niptables-legacy: %r" % (mine, theirs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
