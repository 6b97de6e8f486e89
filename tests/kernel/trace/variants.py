#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""variants.py VPN_ROUTER_CONF DIR [HOME_ROUTER_CONF] - vpn-router.conf
with one seeded mistake each, written to DIR/NAME.conf: no policy match on
the tunnel's FORWARD rule, --pol none there, a MASQUERADE with no IPsec
exemption, an ACCEPT shadowed by an earlier DROP, no udp 4500 (nor ESP)
accepted, ACCEPTs shadowed by two DROPs together (the sources split over
them), and no way back into the tunnel (no --dir out FORWARD rule, no
ESTABLISHED accept); also the MASQUERADE variant with its exemption (no
mistake: the tunnel-bound traffic is accepted before it).  With
HOME_ROUTER_CONF also DIR/address.conf: home-router reading the router's
addresses with address(IFACE), with addrtype rules that only those
addresses decide; and DIR/notrack.conf: home-router with the LAN's udp
untracked in the raw table, and DNS to the router accepted as UNTRACKED."""
import sys

src = open(sys.argv[1]).read()
out = sys.argv[2]
if len(sys.argv) > 3:
    home = open(sys.argv[3]).read()
    text = home.replace("ROUTER = 192.168.1.1\n",
                        "ROUTER = address($LAN_IF)\n"
                        "WAN_IP = address($WAN)\n"
                        "GUEST_IP = address($GUEST_IF)\n")
    text = text.replace("-A INPUT -p icmp --icmp-type echo-request -j ACCEPT\n",
                        "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT\n"
                        "-A INPUT -m addrtype --dst-type LOCAL -p tcp"
                        " --dport 443 -j ACCEPT\n"
                        "-A INPUT -m addrtype --dst-type BROADCAST -j DROP\n"
                        "-A FORWARD -m addrtype --dst-type LOCAL -j DROP\n"
                        "-A OUTPUT -m addrtype ! --src-type LOCAL -j DROP\n"
                        "-A OUTPUT -m addrtype --src-type LOCAL -p udp"
                        " -j ACCEPT\n")
    assert text.count("= address(") == 3 and text.count("addrtype") == 5
    with open("%s/address.conf" % out, "w") as f:
        f.write(text)
    # home-router with the LAN's udp untracked (raw CT --notrack, and the
    # router's DNS answers) and DNS accepted as UNTRACKED: packets of the
    # fifth conntrack state, which nat never sees.
    notrack = home.replace("*filter\n",
                           "*raw\n"
                           ":PREROUTING ACCEPT [0:0]\n"
                           ":OUTPUT ACCEPT [0:0]\n"
                           "-A PREROUTING -i $LAN_IF -p udp"
                           " -j CT --notrack\n"
                           "-A OUTPUT -p udp --sport 53 -j CT --notrack\n"
                           "COMMIT\n\n*filter\n", 1)
    notrack = notrack.replace("-A INPUT -i lo -j ACCEPT\n",
                              "-A INPUT -i lo -j ACCEPT\n"
                              "-A INPUT -m conntrack --ctstate UNTRACKED"
                              " -p udp --dport 53 -j ACCEPT\n"
                              "-A INPUT -m conntrack --ctstate UNTRACKED"
                              " -j DROP\n", 1)
    assert notrack.count("UNTRACKED") == 2 and notrack.count("--notrack") == 2
    with open("%s/notrack.conf" % out, "w") as f:
        f.write(notrack)
tunnel_in = """iptables --append FORWARD
  --match policy
  --dir in
  --pol ipsec
  --mode tunnel
  --tunnel-dst $PUBLIC_IP
  --tunnel-src 0.0.0.0/0
"""
assert tunnel_in in src
tunnel_out = """iptables --append FORWARD
  --match policy
  --dir out
"""
assert src.count(tunnel_out) == 1
# The whole --dir out FORWARD statement: up to its blank line.
start = src.index(tunnel_out)
end = src.index("\n\n", start) + 2
masq = "\n*nat\n-A POSTROUTING -o $EXTIF -j MASQUERADE\nCOMMIT\n"
exempt = "\n*nat\n-A POSTROUTING -o $EXTIF -m policy --dir out --pol ipsec" \
    " -j ACCEPT\n-A POSTROUTING -o $EXTIF -j MASQUERADE\nCOMMIT\n"
variants = {
    "nopolicy": src.replace(tunnel_in, "iptables --append FORWARD\n"),
    "polnone": src.replace(tunnel_in, "iptables --append FORWARD\n"
                           "  --match policy\n  --dir in\n  --pol none\n"),
    "masquerade": src + masq,
    "masqexempt": src + exempt,
    "returnpath": src[:start] + src[end:],
    "shadowed": src.replace("ike(500)\n", "iptables -A INPUT -i $EXTIF -p udp"
                            " -j DROP\nike(500)\n"),
    "no4500": src.replace("ike(4500)\n", ""),
    "shadowunion": src.replace("ike(500)\n", "iptables -A INPUT -i $EXTIF"
                               " -s 0.0.0.0/1 -j DROP\n"
                               "iptables -A INPUT -i $EXTIF"
                               " -s 128.0.0.0/1 -j DROP\nike(500)\n"),
}
for name, text in variants.items():
    assert text != src, name
    with open("%s/%s.conf" % (out, name), "w") as f:
        f.write(text)
