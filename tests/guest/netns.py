# SPDX-License-Identifier: GPL-2.0-or-later
"""Sockets in named network namespaces, from one python process.

A packet test under TCG cannot afford a process per packet (starting
python3 costs a good part of a second there), so one process opens all its
sockets: each socket belongs to the namespace its thread was in when it was
made, and stays there after the thread moves on.  Used with
tests/guest/tunnel.sh (see its picture for the names and addresses).

    import netns
    with netns.inside("client"):
        s = netns.udp("10.0.2.5", 40000)
    netns.counters("router")  # {("FORWARD", 1): packets, ("FORWARD", "policy"): ...}
"""

import contextlib
import ctypes
import fcntl
import os
import socket
import struct
import subprocess

CLONE_NEWNET = 0x40000000
UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2
SIOCGIFHWADDR = 0x8927

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def inside(name):
    """Run the body in network namespace NAME (/run/netns/NAME)."""
    back = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        _setns(there)
        yield
    finally:
        _setns(back)
        os.close(there)
        os.close(back)


def udp(addr, port, timeout=30.0):
    """A UDP socket bound to ADDR:PORT in the current namespace."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.settimeout(timeout)
    return s


def encap(port=4500):
    """The UDP socket on PORT the kernel decapsulates ESP in UDP for."""
    s = udp("0.0.0.0", port)
    s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    return s


def mac(ifname):
    """The hardware address of IFNAME in the current namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("256s", ifname.encode())
        return fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, req)[18:24]


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def raw_udp_frame(dst_mac, src_mac, src, dst, sport, dport, payload):
    """An Ethernet frame with an IPv4 UDP packet, built by hand: it leaves
    through a packet socket, past routing and xfrm (a spoofed packet in the
    clear, whatever the sender's policies say)."""
    udp_len = 8 + len(payload)
    udp_hdr = struct.pack("!HHHH", sport, dport, udp_len, 0)
    ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000,
                         64, socket.IPPROTO_UDP, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
    ip_hdr = ip_hdr[:10] + struct.pack("!H", _csum(ip_hdr)) + ip_hdr[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip_hdr + udp_hdr + payload


def packet_socket(ifname):
    """A packet socket that sends whole frames out of IFNAME."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    return s


def run_in(name, argv, **kw):
    """Run ARGV in namespace NAME (ip netns exec); check=True by default."""
    kw.setdefault("check", True)
    return subprocess.run(["ip", "netns", "exec", name] + list(argv), **kw)


def counters(name, table="filter", save="iptables-legacy-save"):
    """The packet counters of TABLE in namespace NAME, from SAVE -c:
    {(chain, n): packets} for rule n (1-based, as iptables -L
    --line-numbers counts) and {(chain, "policy"): packets}."""
    out = run_in(name, [save, "-c", "-t", table], capture_output=True,
                 text=True).stdout
    result, seen = {}, {}
    for line in out.splitlines():
        if line.startswith(":"):
            chain, _, cnt = line[1:].split(" ", 2)
            result[(chain, "policy")] = int(cnt.strip("[]").split(":")[0])
        elif line.startswith("["):
            cnt, rest = line.split(" ", 1)
            chain = rest.split()[1]
            seen[chain] = seen.get(chain, 0) + 1
            result[(chain, seen[chain])] = int(cnt.strip("[]").split(":")[0])
    return result


def rules(name, table="filter", save="iptables-legacy-save"):
    """SAVE's text of TABLE in NAME without comments and counters."""
    out = run_in(name, [save, "-t", table], capture_output=True,
                 text=True).stdout
    return [l for l in out.splitlines() if not l.startswith("#")]
