#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""agree.py IPTLOAD CONFIG NAME COUNT SEED - the tracer against the kernel.

Runs inside a fresh network namespace (the router; agree.sh makes it).
Peer namespaces (one per interface the config names) are joined to it by
veth pairs; the router holds CONFIG, loaded with iptload.  COUNT packets,
boundary values first and then random ones, are traced offline
(iptload trace --batch) and sent for real: from the peers with packet
sockets (arriving on the router's interface), or by the router itself with
a raw socket (OUTPUT).  For each packet the set of rules and policies whose
kernel counters moved (read with IPT_SO_GET_ENTRIES) must equal the
trace's "matched" (or one of its outcomes when it forked), and the verdict
must agree with what the kernel did: for an arriving packet,
/proc/net/snmp InDelivers; for a forwarded or sent one, its arrival at the
peer behind the output interface.

The packets are NEW, INVALID (tcp SYN,FIN), ESTABLISHED or RELATED.  For
the last two the kernel holds a real connection: before the config is
loaded, each one's opener (the packet the other way) goes through the
router under a ruleset that accepts everything and tracks connections
(open_connections), while the router has no address yet and so answers
nothing.  An ESTABLISHED packet is the opener's answer, a RELATED one an
ICMP error about the opener's packet.

No ARP and no answers pollute the counters: the router reaches every
network through a gateway whose neighbour entry is permanent, the peers
forward nothing (a packet not for them is dropped without a word), and for
an arriving packet, what the router sends back (ICMP errors, RSTs, echo
replies) is left out of the comparison, as it passes only OUTPUT and
POSTROUTING, which such a packet never reaches.

Prints TAP lines "ok N - NAME: ..." / "not ok"; exit 0.
"""
import ctypes
import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

IPTLOAD, CONFIG, NAME = sys.argv[1], sys.argv[2], sys.argv[3]
COUNT, SEED = int(sys.argv[4]), int(sys.argv[5])
TOPO = json.loads(sys.argv[6])
WITNESSES = sys.argv[7:]
# The config reads the router's addresses with address(IFACE): the trace
# gets no --local, and must decide every packet (no fork).
FROM_CONFIG = os.environ.get("AGREE_ADDRESS") == "1"
# A real ESP tunnel (a kernel with ESP: the QEMU guest, tests/guest):
# the peer behind extif is also a VPN client at CLIENT_OUTER, with an SA
# pair to the router's PUBLIC address in UDP 4500 (tunnel_up).  Some
# packets then come out of the tunnel, and every packet the router sends
# from the LAN to the VPN network goes into it (the router's policy
# selects the LAN's sources only, as a real one does, so that a source
# changed by NAT leaves the tunnel); the trace is told so (--ipsec-in,
# --ipsec-out) and must still agree.
IPSEC = os.environ.get("AGREE_IPSEC") == "1"
VPN_NET, LAN_NET = "10.0.2.0/24", "10.0.1.0/24"
PUBLIC, CLIENT_OUTER, NATT = "203.0.113.7", "203.0.113.50", 4500
SA_IN = "mode=tunnel,proto=esp,src=%s,dst=%s,reqid=1,spi=4097,encap=udp" % (
    CLIENT_OUTER, PUBLIC)
SA_OUT = "mode=tunnel,proto=esp,src=%s,dst=%s,reqid=2,spi=8193,encap=udp" % (
    PUBLIC, CLIENT_OUTER)
# Static test keys, one pair per direction.
KEYS = {0x1001: ("0x000102030405060708090a0b0c0d0e0f",
                 "0x101112131415161718191a1b1c1d1e1f"
                 "202122232425262728292a2b2c2d2e2f"),
        0x2001: ("0x303132333435363738393a3b3c3d3e3f",
                 "0x404142434445464748494a4b4c4d4e4f"
                 "505152535455565758595a5b5c5d5e5f")}
UDP_ENCAP, UDP_ENCAP_ESPINUDP, IP_PKTINFO = 100, 2, 8
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


# ---- topology -------------------------------------------------------------

PEER_PROCS = []


def mac_of(prefix, ifname):
    """The MAC address of @ifname (sysfs shows the host's devices, not
    this namespace's: ask ip)."""
    out = subprocess.run(prefix + ["ip", "-o", "link", "show", "dev", ifname],
                         check=True, capture_output=True, text=True).stdout
    return out.split("link/ether ")[1].split()[0]


class Peer:
    """A namespace behind one router interface."""

    def __init__(self, ifname, index):
        self.ifname = ifname
        self.proc = subprocess.Popen(["unshare", "-n", "sleep", "3600"],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        PEER_PROCS.append(self.proc)
        self.ns = "/proc/%d/ns/net" % self.proc.pid
        # Wait until the child is in its own namespace.
        mine = os.readlink("/proc/self/ns/net")
        while True:
            try:
                if os.readlink(self.ns) != mine:
                    break
            except OSError:
                pass
        peer = "p%d" % index
        self.peer_if = peer
        sh("ip", "link", "add", ifname, "type", "veth", "peer", "name", peer)
        sh("ip", "link", "set", peer, "netns", str(self.proc.pid))
        sh("nsenter", "--net=" + self.ns, "ip", "link", "set", peer, "up")
        sh("ip", "link", "set", ifname, "up")
        self.mac = mac_of([], ifname)
        self.peer_mac = mac_of(["nsenter", "--net=" + self.ns], peer)
        self.gw = "169.254.%d.2" % (index + 1)
        # Packet sockets in the peer: one to send, one to see arrivals.
        here = os.open("/proc/self/ns/net", os.O_RDONLY)
        there = os.open(self.ns, os.O_RDONLY)
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((peer, 0))
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                socket.htons(0x0800))
        self.rx.bind((peer, 0))
        self.rx.setblocking(False)
        if libc.setns(here, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
        os.close(here)
        os.close(there)

    def drain(self):
        frames = []
        while True:
            try:
                frames.append(self.rx.recv(65535))
            except BlockingIOError:
                return frames


# Conntrack's timeouts in this namespace: far longer than the test, so
# that no connection opened for an ESTABLISHED or RELATED packet expires
# before that packet is sent.
CT_TIMEOUTS = ["udp_timeout", "udp_timeout_stream", "icmp_timeout",
               "generic_timeout", "tcp_timeout_syn_sent",
               "tcp_timeout_syn_recv"]


def setup(topo):
    """The router's interfaces, peers and routes; its own addresses come
    later (add_addresses), after the connections are opened (and the
    conntrack timeouts then, CT_TIMEOUTS)."""
    open("/proc/sys/net/ipv4/ip_forward", "w").write("1")
    for k in ("all", "default"):
        open("/proc/sys/net/ipv4/conf/%s/rp_filter" % k, "w").write("0")
    sh("ip", "link", "set", "lo", "up")
    peers = {}
    for i, (ifname, spec) in enumerate(sorted(topo.items())):
        p = Peer(ifname, i)
        peers[ifname] = p
    add_routes(topo, peers)
    return peers


def add_routes(topo, peers):
    """Each peer is the gateway of its interface's networks, with a
    permanent neighbour entry (no ARP)."""
    for ifname, spec in sorted(topo.items()):
        gw = peers[ifname].gw
        sh("ip", "neigh", "replace", gw, "lladdr", peers[ifname].peer_mac,
           "dev", ifname, "nud", "permanent")
        sh("ip", "route", "replace", gw + "/32", "dev", ifname)
        for net in spec["nets"]:
            sh("ip", "route", "replace", net, "via", gw, "dev", ifname)


def encap_socket():
    """The UDP socket on 4500 the kernel decapsulates ESP in UDP for."""
    sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sk.bind(("0.0.0.0", NATT))
    sk.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    return sk


def in_ns(path, fn):
    """fn() with this thread in the network namespace at @path."""
    here = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        return fn()
    finally:
        libc.setns(here, CLONE_NEWNET)
        os.close(here)
        os.close(there)


def tunnel_up(peers):
    """The SA pair between the router and the peer behind extif (the VPN
    client at CLIENT_OUTER), in the router (the client holds only its
    own); the client sends what comes from the VPN network into the
    tunnel, the router what goes from the LAN to it (a packet whose
    source a NAT changes leaves the tunnel: the kernel looks the policy
    up again after the NAT).  The router's in and fwd policies are
    optional ("level use"): a VPN address in the clear reaches the
    firewall, whose policy match must stop it.  Returns the sockets to
    keep."""
    client = peers["extif"]
    cl = ["nsenter", "--net=" + client.ns]
    enc = ["encap", "espinudp", str(NATT), str(NATT), "0.0.0.0"]
    up = ["tmpl", "src", CLIENT_OUTER, "dst", PUBLIC, "proto", "esp",
          "reqid", "1", "mode", "tunnel"]
    down = ["tmpl", "src", PUBLIC, "dst", CLIENT_OUTER, "proto", "esp",
            "reqid", "2", "mode", "tunnel"]
    # The client holds no SA to take the router's packets out of the
    # tunnel: what it took out would pass its packet socket again, in
    # the clear, and look like a packet that left the router so.
    for ns, spis in (([], (0x1001, 0x2001)), (cl, (0x1001,))):
        for spi, src, dst, reqid in ((0x1001, CLIENT_OUTER, PUBLIC, "1"),
                                     (0x2001, PUBLIC, CLIENT_OUTER, "2")):
            if spi not in spis:
                continue
            sh(*ns, "ip", "xfrm", "state", "add", "src", src, "dst", dst,
               "proto", "esp", "spi", str(spi), "reqid", reqid,
               "enc", "cbc(aes)", KEYS[spi][0],
               "auth-trunc", "hmac(sha256)", KEYS[spi][1], "128",
               "mode", "tunnel", *enc)
    sh(*cl, "ip", "addr", "add", CLIENT_OUTER + "/32", "dev", client.peer_if)
    sh(*cl, "ip", "route", "add", "default", "dev", client.peer_if)
    sh(*cl, "ip", "neigh", "replace", PUBLIC, "lladdr", client.mac,
       "dev", client.peer_if, "nud", "permanent")
    sh(*cl, "ip", "xfrm", "policy", "add", "src", VPN_NET, "dst",
       "0.0.0.0/0", "dir", "out", *up)
    sh("ip", "xfrm", "policy", "add", "src", LAN_NET, "dst", VPN_NET,
       "dir", "out", *down)
    for d in ("in", "fwd"):
        sh("ip", "xfrm", "policy", "add", "src", VPN_NET, "dst", "0.0.0.0/0",
           "dir", d, *up, "level", "use")
    client.raw_ip = in_ns(client.ns, lambda: socket.socket(
        socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW))
    return [encap_socket(), in_ns(client.ns, encap_socket), client.raw_ip]


def add_addresses(topo, verb="add"):
    for ifname, spec in sorted(topo.items()):
        for addr in spec["addrs"]:
            sh("ip", "addr", verb, addr + "/32", "dev", ifname)


# ---- the kernel's counters ------------------------------------------------

HOOKS = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]


def read_counters(table):
    """{(chain, rule number or 'P'): packets} of one table, or {}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    info = ctypes.create_string_buffer(84)
    info.raw = table.encode().ljust(32, b"\0") + b"\0" * 52
    ln = ctypes.c_uint(84)
    if libc.getsockopt(s.fileno(), 0, 64, info, ctypes.byref(ln)) != 0:
        s.close()
        return {}
    valid, = struct.unpack_from("I", info.raw, 32)
    hook_entry = struct.unpack_from("5I", info.raw, 36)
    underflow = struct.unpack_from("5I", info.raw, 56)
    size, = struct.unpack_from("I", info.raw, 80)
    buf = ctypes.create_string_buffer(40 + size)
    buf.raw = table.encode().ljust(32, b"\0") + struct.pack("I", size) + \
        b"\0" * (4 + size)
    ln = ctypes.c_uint(40 + size)
    if libc.getsockopt(s.fileno(), 0, 65, buf, ctypes.byref(ln)) != 0:
        s.close()
        raise OSError(ctypes.get_errno(), "IPT_SO_GET_ENTRIES")
    s.close()
    data = buf.raw[40:40 + size]
    entries = []
    off = 0
    while off < size:
        toff, noff = struct.unpack_from("HH", data, off + 88)
        pcnt, = struct.unpack_from("Q", data, off + 96)
        tname = data[off + toff + 2:off + toff + 31].split(b"\0")[0].decode("latin-1")
        err = data[off + toff + 32:off + toff + 64].split(b"\0")[0].decode("latin-1")
        verdict = struct.unpack_from("i", data, off + toff + 32)[0] \
            if tname == "" else tname
        entries.append((off, pcnt, tname, err, verdict))
        off += noff
    out = {}
    verdicts = VERDICTS.setdefault(table, {})
    chain, num = None, 0
    for i, (off, pcnt, tname, err, verdict) in enumerate(entries):
        for h in range(5):
            if valid & (1 << h) and hook_entry[h] == off:
                chain, num = HOOKS[h], 0
        if tname == "ERROR":
            chain, num = err, 0
            continue
        if any(valid & (1 << h) and underflow[h] == off for h in range(5)):
            out[(chain, "P")] = pcnt
            verdicts[(chain, "P")] = STANDARD.get(verdict, verdict)
            continue
        nxt = entries[i + 1] if i + 1 < len(entries) else None
        if chain not in HOOKS and nxt and nxt[2] == "ERROR":
            continue  # the RETURN that ends a user chain
        num += 1
        out[(chain, num)] = pcnt
        verdicts[(chain, num)] = STANDARD.get(verdict, verdict)
    return out


# The verdicts of the standard target (-NF_ACCEPT - 1, -NF_DROP - 1), and
# each rule's and policy's, by table, as read_counters last saw them.
STANDARD = {-2: "ACCEPT", -1: "DROP"}
VERDICTS = {}


def wait_for(cond):
    """Whether cond() comes true (checked again and again, giving the CPU
    to the kernel's softirq thread in between) within a minute, far more
    than any packet takes: the guest kernel hands packets on through
    queues (decapsulation, ksoftirqd), not at once."""
    deadline = time.monotonic() + float(os.environ.get("AGREE_WAIT", "60"))
    while not cond():
        if time.monotonic() > deadline:
            return False
        os.sched_yield()
    return True


def settle(pk, tables, before, peers, ident):
    """Waits until the kernel is done with @pk (IPSEC mode: configs whose
    filter rules ACCEPT or DROP): a DROP counted, or, for a packet that
    leaves, its arrival, or, for one for the router, each of its filter
    INPUT passes (the ESP in UDP packet's too) accepted.  Returns the
    counters then, how it arrived (arrived()), and whether it came to
    that end."""
    state = {"arrived": set()}

    def done():
        # The arrival first: the counters read after it hold all of the
        # packet's (the tables are read one by one, and a packet that
        # passed between two reads would look half counted).
        if pk.get("o"):
            state["arrived"] |= arrived(peers, pk, ident)
        after = snapshot(tables)
        state["after"] = after
        drop, inputs = False, 0
        for t in after:
            for k, v in after[t].items():
                d = v - before[t].get(k, 0)
                if d <= 0:
                    continue
                drop |= VERDICTS[t].get(k) == "DROP"
                if k[0] == "INPUT" and (t == "filter" or
                                        "filter" not in after):
                    inputs += d
        if pk.get("o"):
            return drop or bool(state["arrived"])
        return drop or inputs >= (2 if pk.get("sa_in") else 1)

    finished = wait_for(done)
    if finished:
        # Once more, all tables after the end was seen.
        state["after"] = snapshot(tables)
    return state["after"], state["arrived"], finished


TABLES = ["raw", "mangle", "nat", "filter", "security"]


def snapshot(tables):
    return {t: read_counters(t) for t in tables}


def moved(before, after):
    s = set()
    for t in after:
        for k, v in after[t].items():
            if before[t].get(k) != v:
                s.add((t, k[0], k[1]))
    return s


def snmp(field):
    lines = open("/proc/net/snmp").read().splitlines()
    names = lines[0].split()
    vals = lines[1].split()
    return int(vals[names.index(field)])


# ---- packets ----------------------------------------------------------------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_packet(pk, ident):
    src = socket.inet_aton(pk["s"])
    dst = socket.inet_aton(pk["d"])
    proto = pk["p"]
    if proto == 6:
        hdr = struct.pack("!HHIIBBHHH", pk["sport"], pk["dport"],
                          pk.get("seq", ident), pk.get("ack", 0),
                          5 << 4, pk["flags"], 8192, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(hdr))
        c = csum(pseudo + hdr)
        l4 = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    elif proto == 17:
        payload = b"iptload-trace"
        ln = 8 + len(payload)
        hdr = struct.pack("!HHHH", pk["sport"], pk["dport"], ln, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 17, ln)
        c = csum(pseudo + hdr) or 0xFFFF
        l4 = hdr[:6] + struct.pack("!H", c) + hdr[8:]
    elif proto == 1 and "inner" in pk:
        # An error: the packet it is about follows the header.
        hdr = struct.pack("!BBHI", pk["icmp"], pk.get("code", 0), 0, 0) + \
            pk["inner"]
        l4 = hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:]
    elif proto == 1:
        hdr = struct.pack("!BBHHH", pk["icmp"], 0, 0,
                          pk.get("icmpid", ident & 0xFFFF), 1) + b"iptload"
        l4 = hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:]
    else:
        l4 = struct.pack("!II", 0x1000 + ident, 1) + b"\0" * 16
    total = 20 + len(l4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0, 64,
                     proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + l4


def words(pk):
    w = []
    if pk.get("i"):
        w += ["-i", pk["i"]]
    if pk.get("o"):
        w += ["-o", pk["o"]]
    w += ["-s", pk["s"], "-d", pk["d"], "-p", str(pk["p"])]
    if pk["p"] in (6, 17):
        w += ["--sport", str(pk["sport"]), "--dport", str(pk["dport"])]
    if pk["p"] == 6:
        w += ["--tcp-flags", "ALL", flagnames(pk["flags"])]
    if pk["p"] == 1:
        w += ["--icmp-type", "%d/%d" % (pk["icmp"], pk.get("code", 0))]
    w += ["--ctstate", pk["state"]]
    w += ["--length", str(pk["len"])]
    if not FROM_CONFIG:
        for a in LOCAL:
            w += ["--local", a]
    if pk.get("sa_in"):
        w += ["--ipsec-in", SA_IN]
    if pk.get("sa_out"):
        # Both legs: the ESP in UDP packet around it passes OUTPUT and
        # POSTROUTING too (trace's default is the inner one only), unless
        # it leaves in the clear (expectations()).
        w += ["--ipsec-out", SA_OUT, "--ipsec-leg", pk.get("leg", "both")]
    return " ".join(w)


def tunnel_bound(pk):
    """Whether the router's policy puts @pk into the tunnel: from the LAN
    to the VPN network, out of extif (tunnel_up)."""
    return IPSEC and pk.get("o") == "extif" and \
        in_net(pk["d"], VPN_NET) and in_net(pk["s"], LAN_NET)


def flagnames(f):
    names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG"]
    return ",".join(n for i, n in enumerate(names) if f & (1 << i)) or "NONE"


PORT_EDGES = [0, 1, 22, 52, 53, 54, 67, 68, 80, 443, 499, 500, 501, 1023,
              1024, 1025, 3074, 3478, 4499, 4500, 4501, 65534, 65535]


def in_net(addr, net):
    a = struct.unpack("!I", socket.inet_aton(addr))[0]
    n, ln = net.split("/")
    m = (0xFFFFFFFF << (32 - int(ln))) & 0xFFFFFFFF if int(ln) else 0
    return (a & m) == (struct.unpack("!I", socket.inet_aton(n))[0] & m)


def route_of(addr):
    """The router interface a packet to @addr leaves by (longest prefix)."""
    best, blen = None, -1
    for ifname, spec in TOPO.items():
        for net in spec["nets"]:
            ln = int(net.split("/")[1])
            if in_net(addr, net) and ln > blen:
                best, blen = ifname, ln
    return best


def addr_in(net, rnd):
    n, ln = net.split("/")
    ln = int(ln)
    base = struct.unpack("!I", socket.inet_aton(n))[0]
    m = (0xFFFFFFFF << (32 - ln)) & 0xFFFFFFFF if ln else 0
    host = rnd.randrange(1, max(2, (1 << (32 - ln)) - 1)) if ln < 31 else 0
    return socket.inet_ntoa(struct.pack("!I", (base & m) | host))


def ok_source(a):
    x = struct.unpack("!I", socket.inet_aton(a))[0]
    return not (x >> 24 in (0, 127) or x >> 28 >= 0xE or a in LOCAL or
                (x >> 16) == 0xA9FE)


def pick_addr(rnd, hint_nets):
    """An address: often in a network the config names, else anywhere."""
    while True:
        if hint_nets and rnd.random() < 0.7:
            a = addr_in(rnd.choice(hint_nets), rnd)
        else:
            a = socket.inet_ntoa(struct.pack("!I", rnd.getrandbits(32)))
        if ok_source(a):
            return a


def gen_packet(rnd, n):
    nets = [net for s in TOPO.values() for net in s["nets"]
            if not net.endswith("/0")] + EXTRA_NETS
    ifaces = sorted(TOPO)
    kind = rnd.choice(["in", "in", "fwd", "fwd", "out"])
    pk = {"state": "NEW"}
    proto = rnd.choice([6, 17, 17, 1, 50])
    pk["p"] = proto
    pk["sport"] = rnd.choice(PORT_EDGES + [rnd.randrange(65536)])
    pk["dport"] = rnd.choice(PORT_EDGES + [rnd.randrange(65536)])
    pk["flags"] = 0x02
    pk["icmp"] = rnd.choice([8, 13])
    st = rnd.random()
    if proto == 6 and st < 0.12:
        pk["flags"] = 0x03  # SYN,FIN: conntrack says INVALID
        pk["state"] = "INVALID"
    elif st < 0.32:
        # The answer of a connection opened before (opener()).
        pk["state"] = "ESTABLISHED"
        pk["flags"] = 0x12  # SYN,ACK: the answer to the opener's SYN
        pk["icmp"] = {8: 0, 13: 14}[pk["icmp"]]
        pk["icmpid"] = 0x8000 + n
    elif st < 0.42:
        # An ICMP error about a packet of a connection opened before.
        pk["state"] = "RELATED"
        pk["inner_p"] = rnd.choice([6, 17])
        pk["p"] = 1
        pk["icmp"], pk["code"] = rnd.choice([(3, 3), (3, 1), (11, 0)])
    if IPSEC and rnd.random() < 0.3:
        # Out of the tunnel: from a VPN address, to the LAN, the router,
        # or elsewhere; NEW or ESTABLISHED.
        pk = {"state": "NEW", "p": rnd.choice([6, 17, 17, 1]),
              "sport": pk["sport"], "dport": pk["dport"], "flags": 0x02,
              "icmp": rnd.choice([8, 13]), "sa_in": True, "i": "extif",
              "s": addr_in(VPN_NET, rnd)}
        where = rnd.random()
        if where < 0.5:
            pk["d"] = addr_in(LAN_NET, rnd)
        elif where < 0.8:
            pk["d"] = rnd.choice(LOCAL)
        else:
            pk["d"] = pick_addr(rnd, [])
        if pk["d"] not in LOCAL:
            pk["o"] = route_of(pk["d"])
        proto = pk["p"]
        if rnd.random() < 0.3:
            # The answer of a connection opened from the LAN or the
            # router (opener(), in the clear: conntrack looks at no SA).
            pk["state"] = "ESTABLISHED"
            pk["flags"] = 0x12
            pk["icmp"] = {8: 0, 13: 14}[pk["icmp"]]
            pk["icmpid"] = 0x8000 + n
    elif kind == "in":
        pk["i"] = rnd.choice(ifaces)
        pk["s"] = pick_addr(rnd, nets)
        pk["d"] = rnd.choice(LOCAL)
    elif kind == "fwd":
        pk["i"] = rnd.choice(ifaces)
        pk["s"] = pick_addr(rnd, nets)
        while True:
            pk["d"] = pick_addr(rnd, nets)
            if pk["d"] not in LOCAL:
                break
        if IPSEC and rnd.random() < 0.4:
            # The LAN's traffic to the VPN: into the tunnel.  (Not from
            # the router's own address: the guest kernel dropped such a
            # packet with no counter moved, a martian source.)
            pk["i"], pk["s"] = "wirif", addr_in(LAN_NET, rnd)
            while pk["s"] in LOCAL:
                pk["s"] = addr_in(LAN_NET, rnd)
            pk["d"] = addr_in(VPN_NET, rnd)
        pk["o"] = route_of(pk["d"])
    else:
        pk["s"] = rnd.choice(LOCAL) if rnd.random() < 0.8 else \
            pick_addr(rnd, nets)
        pk["d"] = pick_addr(rnd, nets)
        if IPSEC and rnd.random() < 0.4:
            pk["d"] = addr_in(VPN_NET, rnd)
        pk["o"] = route_of(pk["d"])
    # A unique connection, so that every NEW packet is the first of its
    # connection, and every other one belongs to its own opener: for udp
    # and tcp a port changes if the tuple was seen, else the source.
    while any(k in SEEN for k in conn_keys(pk)):
        if pk.get("inner_p", proto) in (6, 17):
            pk["sport"] = rnd.randrange(1024, 65536)
        elif pk.get("sa_in"):
            pk["s"] = addr_in(VPN_NET, rnd)
        else:
            pk["s"] = pick_addr(rnd, nets)
    SEEN.update(conn_keys(pk))
    # What the router sends from the LAN to the VPN network goes into
    # the tunnel.
    if tunnel_bound(pk):
        pk["sa_out"] = True
    if pk["state"] in ("ESTABLISHED", "RELATED"):
        op = opener(pk, n)
        pk["opener"] = op
        if pk["state"] == "RELATED":
            pk["inner"] = ip_packet(op, 0xC000 + n)
        elif proto == 6:
            pk["ack"] = op["seq"] + 1
    pk["len"] = len(ip_packet(pk, n))
    return pk


def conn_keys(pk):
    """The tuples (both directions) of the connection @pk belongs to."""
    q = dict(pk, p=pk.get("inner_p", pk["p"]))
    return [tuple_key(q), reply_key(q)]


def opener(pk, n):
    """The packet that opens @pk's connection, so that @pk is its answer
    (ESTABLISHED) or an ICMP error about it (RELATED, in the answer's
    direction): from @pk's destination to its source, arriving where @pk
    leaves (sent by the router itself when @pk is for the router)."""
    op = {"s": pk["d"], "d": pk["s"], "p": pk.get("inner_p", pk["p"]),
          "sport": pk["dport"], "dport": pk["sport"], "flags": 0x02,
          "seq": 0x10000000 + n, "icmp": {0: 8, 14: 13}.get(pk["icmp"], 8),
          "icmpid": pk.get("icmpid", 0x8000 + n), "state": "NEW"}
    if pk.get("o"):
        op["i"] = pk["o"]
    else:
        op["o"] = route_of(op["d"])
    return op


def tuple_key(pk):
    """Conntrack's tuple of @pk (ports only for tcp and udp, the ICMP id
    is the packet's own)."""
    ports = (pk["sport"], pk["dport"]) if pk["p"] in (6, 17) else (0, 0)
    return (pk["s"], pk["d"], pk["p"]) + ports


def reply_key(pk):
    """The tuple of a packet that would be @pk's answer."""
    ports = (pk["dport"], pk["sport"]) if pk["p"] in (6, 17) else (0, 0)
    return (pk["d"], pk["s"], pk["p"]) + ports


SEEN = set()
LOCAL = [a for s in TOPO.values() for a in s["addrs"]]
EXTRA_NETS = [n for s in TOPO.values() for n in s.get("hints", [])]


# ---- the comparison ---------------------------------------------------------

def trace_of(tracer, pk):
    tracer.stdin.write(words(pk) + "\n")
    tracer.stdin.flush()
    return json.loads(tracer.stdout.readline())


def expect_sets(res):
    outs = res.get("outcomes") or [res]
    return [(o["verdict"], {(m["table"], m["chain"],
                             "P" if m.get("policy") else m["rule"])
                            for m in o["matched"]}) for o in outs]


def send(pk, peers, ident, raw_out):
    frame = ip_packet(pk, ident)
    if pk.get("sa_in"):
        # The client's kernel puts it into the tunnel: its policy looks
        # at the source, which a raw socket's route takes from
        # IP_PKTINFO, not from the header.
        info = struct.pack("I4s4s", 0, socket.inet_aton(pk["s"]), b"\0" * 4)
        peers["extif"].raw_ip.sendmsg(
            [frame], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0,
            (pk["d"], 0))
    elif pk.get("i"):
        p = peers[pk["i"]]
        eth = bytes.fromhex(p.mac.replace(":", "")) + \
            bytes.fromhex(p.peer_mac.replace(":", "")) + b"\x08\x00"
        p.tx.send(eth + frame)
    else:
        # IPsec mode: the route (and so the policy lookup) takes the
        # header's source, as for the client's packets above.
        anc = [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack(
            "I4s4s", 0, socket.inet_aton(pk["s"]), b"\0" * 4))] \
            if IPSEC else []
        try:
            raw_out.sendmsg([frame], anc, 0, (pk["d"], 0))
        except OSError:
            pass  # EPERM: netfilter dropped it


def arrived(peers, pk, ident):
    """How @pk arrived at the peer behind its output interface: a set of
    "tunnel" (an ESP in UDP packet from the router into the tunnel) and
    "clear" (the packet itself), empty when it did not."""
    p = peers.get(pk.get("o"))
    if not p:
        return set()
    got = set()
    for f in p.drain():
        ip = f[14:]
        if IPSEC and len(ip) >= 28 and ip[9] == 17 and \
                ip[12:20] == socket.inet_aton(PUBLIC) + \
                socket.inet_aton(CLIENT_OUTER) and \
                struct.unpack("!H", ip[22:24])[0] == NATT:
            # Into the tunnel: the ESP in UDP packet around it.
            got.add("tunnel")
            continue
        # NAT may have changed both addresses: the IP id tells.
        if len(ip) >= 20 and struct.unpack("!H", ip[4:6])[0] == ident & 0xFFFF \
                and ip[9] == pk["p"]:
            got.add("clear")
            pk["seen_src"] = socket.inet_ntoa(ip[12:16])
    return got


def nat_sources(printed):
    """{rule number: new source} of the SNAT and MASQUERADE rules of nat
    POSTROUTING in iptables-save text @printed ("-o": the address of the
    output interface)."""
    table, n, out = None, 0, {}
    for ln in printed.splitlines():
        if ln.startswith("*"):
            table = ln[1:].strip()
        elif table == "nat" and ln.startswith("-A POSTROUTING "):
            n += 1
            w = ln.split()
            if w[-1] == "MASQUERADE":
                out[n] = "-o"
            elif "SNAT" in w and "--to-source" in w:
                a = w[w.index("--to-source") + 1]
                out[n] = a.split(":")[0].split("-")[0]
    return out


NAT_SRC = {}


def new_source(pk, matched):
    """The source a SNAT or MASQUERADE of nat POSTROUTING in @matched
    gives @pk, or None."""
    for t, c, r in matched:
        if t == "nat" and c == "POSTROUTING" and r in NAT_SRC:
            a = NAT_SRC[r]
            return TOPO[pk["o"]]["addrs"][0] if a == "-o" else a
    return None


def expectations(tracer, pk, res):
    """What the trace @res of @pk says the kernel does: [(verdict, set of
    moved counters, how it arrives if it leaves)].  A tunnel-bound packet
    whose source a SNAT or MASQUERADE changes to one the router's policy
    does not select (tunnel_up) leaves in the clear: the kernel looks the
    policy up again after the NAT, and there is no ESP in UDP packet (its
    trace is the inner leg's alone)."""
    how = "tunnel" if pk.get("sa_out") else "clear"
    outs = []
    for verdict, want in expect_sets(res):
        src = new_source(pk, want) if pk.get("sa_out") else None
        if not src or in_net(src, LAN_NET):
            outs.append((verdict, want, how))
            continue
        inner = trace_of(tracer, dict(pk, leg="inner"))
        outs += [(v, m, "clear") for v, m in expect_sets(inner)
                 if new_source(pk, m) == src]
    return outs


def primers():
    """The packets that open the tunnel's own connection: one out
    of the tunnel (forwarded to the LAN), then one into it (from the
    router's LAN address)."""
    lan = [a for a in LOCAL if in_net(a, LAN_NET)][0]
    base = {"state": "NEW", "p": 17, "sport": 4444, "dport": 4444,
            "flags": 2, "icmp": 8}
    return [dict(base, sa_in=True, i="extif", s="10.0.2.254",
                 d="10.0.1.254", o="wirif"),
            dict(base, s=lan, d="10.0.2.254", o="extif", sa_out=True)]


def prime_tunnel(peers, raw_out):
    """Opens the tunnel's own connection (ESP in UDP between CLIENT_OUTER
    and PUBLIC, port 4500) under the opening ruleset (open_connections),
    so that every packet of it the config then sees is ESTABLISHED, as
    trace takes it (a real tunnel's IKE has opened it long before): a
    packet out of the tunnel and one into it, each waited for at its
    peer.  Returns an error, or None."""
    for k, pk in enumerate(primers()):
        for p in peers.values():
            p.drain()
        seen = set()
        pk["len"] = len(ip_packet(pk, 0xB000 + k))
        send(pk, peers, 0xB000 + k, raw_out)
        want = "tunnel" if pk.get("sa_out") else "clear"

        def there(pk=pk, k=k, want=want, seen=seen):
            seen.update(arrived(peers, pk, 0xB000 + k))
            return want in seen

        if not wait_for(there):
            return "the tunnel's connection did not open (%s: %s)" % (
                words(pk), sorted(seen))
    return None


# The built-in chains of each table.
BUILTIN = {"raw": ["PREROUTING", "OUTPUT"],
           "mangle": HOOKS,
           "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
           "filter": ["INPUT", "FORWARD", "OUTPUT"],
           "security": ["INPUT", "FORWARD", "OUTPUT"]}


def open_connections(packets, tables, peers, raw_out):
    """Sends the opener of every ESTABLISHED and RELATED packet, through
    a ruleset that accepts everything and makes the kernel track
    connections (a conntrack match), in the tables the config names.  The
    router has no address of its own yet, so it answers none of them (no
    RST, no echo reply, no port unreachable would change a connection):
    what is for it is forwarded.  Returns an error, or None when the
    kernel now holds exactly one new connection per opener."""
    openers = [pk["opener"] for pk in packets if "opener" in pk]
    if not openers and not IPSEC:
        return None
    text = ""
    for i, t in enumerate(tables):
        text += "*%s\n" % t
        text += "".join(":%s ACCEPT [0:0]\n" % c for c in BUILTIN[t])
        if i == 0:
            text += "-A OUTPUT -m conntrack --ctstate INVALID\n"
        text += "COMMIT\n"
    path = os.path.join(os.environ.get("work", "/tmp"), NAME + "-open.conf")
    open(path, "w").write(text)
    r = subprocess.run([IPTLOAD, "-q", "apply", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "apply of the opening ruleset failed: " + r.stderr.strip()
    # (conntrack's sysctls exist once it is loaded: now, for a module.)
    for t in CT_TIMEOUTS:
        open("/proc/sys/net/netfilter/nf_conntrack_" + t, "w").write("86400")
    count = "/proc/sys/net/netfilter/nf_conntrack_count"
    before = int(open(count).read())
    for k, op in enumerate(openers):
        send(op, peers, 0xC000 + k, raw_out)
    wait_for(lambda: int(open(count).read()) - before >= len(openers))
    made = int(open(count).read()) - before
    if made != len(openers):
        return "%d openers made %d connections" % (len(openers), made)
    return None


def main():
    global LOCAL, NAT_SRC
    peers = setup(TOPO)
    LOCAL = [a for s in TOPO.values() for a in s["addrs"]]
    # Only the tables the config names: asking the kernel for another one
    # would make it (tables come into being in a namespace when first
    # asked for).  The config may read the addresses (address()).
    add_addresses(TOPO)
    printed = subprocess.run([IPTLOAD, "print", CONFIG], check=True,
                             capture_output=True, text=True).stdout
    # (The last address of an interface takes its routes and neighbours
    # with it.)
    add_addresses(TOPO, "del")
    add_routes(TOPO, peers)
    tables = [ln[1:].strip() for ln in printed.splitlines()
              if ln.startswith("*")]
    raw_out = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_RAW)
    NAT_SRC = nat_sources(printed)
    if IPSEC:
        # No generated packet may belong to the tunnel's connection or
        # to the primers'.
        tunnel = {"p": 17, "s": CLIENT_OUTER, "d": PUBLIC, "sport": NATT,
                  "dport": NATT}
        for q in primers() + [tunnel]:
            SEEN.update(conn_keys(q))
    rnd = random.Random(SEED)
    packets = []
    for w in dict.fromkeys(WITNESSES):  # (two lints, one witness)
        pk = parse_witness(w, len(packets))
        if pk:
            packets.append(pk)
        elif IPSEC:
            # Here every witness can be sent: its SA is the tunnel's.
            print("not ok 1 - %s: the witness '%s' cannot be sent"
                  % (NAME, w))
            return
    while len(packets) < COUNT:
        packets.append(gen_packet(rnd, len(packets)))
    err = open_connections(packets, tables, peers, raw_out)
    if err:
        print("not ok 1 - %s: %s" % (NAME, err))
        return
    add_addresses(TOPO)
    keep = tunnel_up(peers) if IPSEC else []
    if IPSEC:
        err = prime_tunnel(peers, raw_out)
        if err:
            print("not ok 1 - %s: %s" % (NAME, err))
            return
    r = subprocess.run([IPTLOAD, "-q", "apply", CONFIG],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print("not ok 1 - %s: apply failed: %s" % (NAME, r.stderr.strip()))
        return
    has_dnat = "DNAT" in open(CONFIG).read()
    tracer = subprocess.Popen([IPTLOAD, "trace", CONFIG, "--batch"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    if IPSEC:
        # One CPU: what this process sends is queued on it, in order.
        os.sched_setaffinity(0, {0})
    bad = 0
    first_bad = []
    wit_lines = []
    for n, pk in enumerate(packets):
        ident = 0x4000 + n
        pk["len"] = len(ip_packet(pk, ident))
        res = trace_of(tracer, pk)
        if "error" in res:
            bad += 1
            first_bad.append("%s: %s" % (words(pk), res["error"]))
            continue
        # DNAT in PREROUTING: the kernel routes by the new destination.
        if has_dnat and pk.get("i"):
            dn = dnat_dest(pk)
            if dn:
                if dn in LOCAL:
                    pk.pop("o", None)
                else:
                    pk["o"] = route_of(dn)
                res = trace_of(tracer, pk)
        for p in peers.values():
            p.drain()
        before = snapshot(tables)
        deliv = snmp("InDelivers") + snmp("InUnknownProtos")
        send(pk, peers, ident, raw_out)
        finished = True
        if IPSEC:
            after, came, finished = settle(pk, tables, before, peers, ident)
        else:
            after = snapshot(tables)
            came = arrived(peers, pk, ident)
        got = moved(before, after)
        # Delivered: to a protocol, or to none (ESP: this kernel has no
        # ESP, and says "unknown protocol" after INPUT accepted it).
        delivered = snmp("InDelivers") + snmp("InUnknownProtos") - deliv
        # Out of the tunnel, the ESP in UDP packet around it is
        # delivered first (to the UDP_ENCAP socket).
        kernel_accept = delivered > (1 if pk.get("sa_in") else 0) \
            if not pk.get("o") else bool(came)
        ok = False
        expect = expectations(tracer, pk, res) if finished else []
        if FROM_CONFIG and "outcomes" in res:
            expect = []  # undecided: the addresses should have decided
        for verdict, want, how in expect:
            g = got
            if not pk.get("o") or verdict in ("REJECT",):
                # What the router answers passes only OUTPUT and
                # POSTROUTING; this packet never does.
                g = {x for x in got if x[1] not in ("OUTPUT", "POSTROUTING")}
                want = {x for x in want
                        if x[1] not in ("OUTPUT", "POSTROUTING")}
            if not pk.get("o"):
                agree = (verdict == "ACCEPT") == kernel_accept
            elif verdict == "ACCEPT":
                agree = how in came  # and the way it was traced
            else:
                agree = not came
            if g == want and agree:
                ok = True
                pk["how"] = how if verdict == "ACCEPT" else None
        if pk.get("witness"):
            wit_lines.append("witness %s: %s, kernel %s%s%s" % (
                words(pk), "agrees" if ok else "DISAGREES",
                "ACCEPT" if kernel_accept else "DROP",
                " (%s)" % ", ".join(sorted(came)) if came else "",
                " from " + pk["seen_src"] if "clear" in came else ""))
        if not ok:
            bad += 1
            if len(first_bad) < 5:
                first_bad.append("%s\n#   trace: %s\n#   kernel: %s %s "
                                 "(delivered %d)%s" % (
                                     words(pk), json.dumps(res),
                                     sorted(got, key=str),
                                     "ACCEPT" if kernel_accept else "DROP",
                                     delivered, "" if finished else
                                     " (the kernel did not finish it)"))
    tracer.stdin.close()
    tracer.wait()
    for k in keep:
        k.close()
    status = "ok" if bad == 0 else "not ok"
    states = {}
    for pk in packets:
        states[pk["state"]] = states.get(pk["state"], 0) + 1
        for sa in ("sa_in", "sa_out"):
            if pk.get(sa):
                states[sa] = states.get(sa, 0) + 1
        if pk.get("sa_in") and pk["state"] != "NEW":
            states["sa_in " + pk["state"]] = \
                states.get("sa_in " + pk["state"], 0) + 1
        if pk.get("sa_out") and pk.get("how") == "clear":
            # Tunnel-bound, and (as traced) in the clear after a NAT.
            states["sa_out NATed clear"] = \
                states.get("sa_out NATed clear", 0) + 1
    print("%s 1 - %s: %d packets (%s), %d disagree" % (
        status, NAME, len(packets),
        ", ".join("%s %d" % (k, states[k]) for k in sorted(states)), bad))
    for b in first_bad:
        print("# " + b)
    for b in wit_lines:
        print("# " + b)


def dnat_dest(pk):
    out = subprocess.run([IPTLOAD, "trace", CONFIG] + words(pk).split(),
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "DNAT: destination now " in line:
            return line.split("destination now ")[1].split(":")[0].strip()
    return None


def parse_witness(w, n):
    """A lint's witness in trace words, as packet @n to send, or None.
    Its SA (--ipsec-in, --ipsec-out) names a tunnel end of the lint's
    own: in the IPsec mode the packet goes through the real tunnel instead
    (and must be one it carries); elsewhere it is not sent.  An
    ESTABLISHED one gets its opener (open_connections)."""
    t = w.split()
    pk = {"state": "NEW", "sport": 40000, "dport": 40000, "flags": 2,
          "icmp": 8}
    i = 0
    while i < len(t):
        k = t[i]
        v = t[i + 1] if i + 1 < len(t) else ""
        if k in ("-i", "-o", "-s", "-d"):
            pk[k[1]] = v
        elif k == "-p":
            pk["p"] = {"tcp": 6, "udp": 17, "icmp": 1, "esp": 50}.get(v) or \
                int(v)
        elif k == "--sport":
            pk["sport"] = int(v)
        elif k == "--dport":
            pk["dport"] = int(v)
        elif k == "--ctstate" and v in ("NEW", "ESTABLISHED"):
            pk["state"] = v
        elif k in ("--ipsec-in", "--ipsec-out") and IPSEC:
            pk["sa_" + k[8:]] = True
        elif k.startswith("--ipsec") and k != "--ipsec-leg":
            return None  # needs a real SA: the QEMU guest's part
        i += 2
    pk.setdefault("p", 17)
    if pk.get("o") and not pk.get("i") and pk["s"] not in LOCAL:
        return None
    if pk.get("sa_out") and not tunnel_bound(pk):
        return None
    if pk.get("sa_in") and not (pk.get("i") == "extif" and
                                in_net(pk["s"], VPN_NET)):
        return None
    if IPSEC and not pk.get("sa_out") and tunnel_bound(pk):
        return None  # the kernel would put it into the tunnel
    if pk["state"] == "ESTABLISHED":
        pk["flags"] = 0x12
        pk["icmp"] = {8: 0, 13: 14}[pk["icmp"]]
        pk["icmpid"] = 0x8000 + n
    if any(k in SEEN for k in conn_keys(pk)):
        return None
    SEEN.update(conn_keys(pk))
    pk["witness"] = True
    if pk["state"] == "ESTABLISHED":
        pk["opener"] = opener(pk, n)
        if pk["p"] == 6:
            pk["ack"] = pk["opener"]["seq"] + 1
    return pk


if __name__ == "__main__":
    try:
        main()
    finally:
        for proc in PEER_PROCS:
            proc.kill()
            proc.wait()
