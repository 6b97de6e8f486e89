#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""variants.py VPN_ROUTER_CONF DIR - vpn-router.conf with one seeded
mistake each, written to DIR/NAME.conf: no policy match on the tunnel's
FORWARD rule, --pol none there, a MASQUERADE with no IPsec exemption, an
ACCEPT shadowed by an earlier DROP, and no udp 4500 (nor ESP) accepted."""
import sys

src = open(sys.argv[1]).read()
out = sys.argv[2]
tunnel_in = """iptables --append FORWARD
  --match policy
  --dir in
  --pol ipsec
  --mode tunnel
  --tunnel-dst $PUBLIC_IP
  --tunnel-src 0.0.0.0/0
"""
assert tunnel_in in src
variants = {
    "nopolicy": src.replace(tunnel_in, "iptables --append FORWARD\n"),
    "polnone": src.replace(tunnel_in, "iptables --append FORWARD\n"
                           "  --match policy\n  --dir in\n  --pol none\n"),
    "masquerade": src + "\n*nat\n-A POSTROUTING -o $EXTIF -j MASQUERADE\n"
    "COMMIT\n",
    "shadowed": src.replace("ike(500)\n", "iptables -A INPUT -i $EXTIF -p udp"
                            " -j DROP\nike(500)\n"),
    "no4500": src.replace("ike(4500)\n", ""),
}
for name, text in variants.items():
    assert text != src, name
    with open("%s/%s.conf" % (out, name), "w") as f:
        f.write(text)
