# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/guest/tunnel.sh - namespaces for the VPN router of
# conf/vpn-router.conf, joined by veth pairs, with a real ESP tunnel (static
# keys, tunnel mode, ESP in UDP 4500) between a VPN client and the router.
# Source it in bash, inside the guest (tests/guest/run): the host kernel of
# these machines has no ESP.
#
#	. tests/guest/tunnel.sh
#	tunnel_up          # namespaces, links, addresses, routes, SAs, policies
#	ip netns exec "$TUN_ROUTER" iptload $(tunnel_defines) apply conf/vpn-router.conf
#	...
#	tunnel_down
#
#   client (TUN_CLIENT)                router (TUN_ROUTER)              lan (TUN_LAN)
#   lo      10.0.2.5/32 (VPN)
#   c-wan   203.0.113.50/24 --- extif  203.0.113.7/24
#                                      wirif  10.0.1.1/24  --- l-lan 10.0.1.2/24
#
# The tunnel: client 203.0.113.50 <-> router 203.0.113.7, ESP in UDP with
# source and destination port 4500 (what the config's ike(4500) rules
# accept), AES-CBC with HMAC-SHA256, SPI 0x1001 towards the router (reqid
# 1) and 0x2001 back (reqid 2).  The client sends everything from its VPN
# address to the LAN (10.0.1.0/24) into the tunnel and accepts from the LAN
# only what comes out of it.  The router sends everything from the LAN to
# the VPN pool (10.0.2.0/24) into the tunnel; its in and fwd policies name
# the tunnel with "level use", an optional template: a packet from a VPN
# address that arrives in the clear passes xfrm's own check and reaches
# the firewall, so that it is the config's policy match, not xfrm, that
# must drop it.  Both ends hold a UDP socket on 4500 with UDP_ENCAP set
# (tunnel_encap_socket): the kernel decapsulates ESP in UDP only for such
# a socket; tests/guest/netns.py opens them (and the other sockets) from
# one python process.

TUN_ROUTER=${TUN_ROUTER:-router}
TUN_CLIENT=${TUN_CLIENT:-client}
TUN_LAN=${TUN_LAN:-lan}
TUN_EXTIF=extif
TUN_LANIF=wirif
TUN_CLIENT_IF="c-wan"
TUN_LAN_IF="l-lan"
TUN_PUBLIC_IP=203.0.113.7
TUN_CLIENT_OUTER=203.0.113.50
TUN_VPN_ADDR=10.0.2.5
TUN_VPN_NET=10.0.2.0/24
TUN_LAN_NET=10.0.1.0/24
TUN_RESOLVER=10.0.1.1
TUN_LAN_HOST=10.0.1.2
TUN_NATT_PORT=4500
# Static test keys (128-bit AES, 256-bit HMAC), one pair per direction.
TUN_ENC_OUT=0x000102030405060708090a0b0c0d0e0f
TUN_AUTH_OUT=0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
TUN_ENC_IN=0x303132333435363738393a3b3c3d3e3f
TUN_AUTH_IN=0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f

# tunnel_defines: the -D options that give conf/vpn-router.conf the names
# and the address used here.
tunnel_defines()
{
	echo "-D EXTIF=$TUN_EXTIF -D LANIF=$TUN_LANIF -D PUBLIC_IP=$TUN_PUBLIC_IP"
}

# tunnel_sa NS: the two SAs, the same in both namespaces.
# shellcheck disable=SC2086 # $encap is several words
tunnel_sa()
{
	local encap="encap espinudp $TUN_NATT_PORT $TUN_NATT_PORT 0.0.0.0"
	# "mode tunnel" goes after enc and auth: ip reads it there.
	ip -n "$1" xfrm state add src "$TUN_CLIENT_OUTER" dst "$TUN_PUBLIC_IP" \
		proto esp spi 0x1001 reqid 1 \
		enc 'cbc(aes)' "$TUN_ENC_OUT" \
		auth-trunc 'hmac(sha256)' "$TUN_AUTH_OUT" 128 \
		mode tunnel $encap &&
	ip -n "$1" xfrm state add src "$TUN_PUBLIC_IP" dst "$TUN_CLIENT_OUTER" \
		proto esp spi 0x2001 reqid 2 \
		enc 'cbc(aes)' "$TUN_ENC_IN" \
		auth-trunc 'hmac(sha256)' "$TUN_AUTH_IN" 128 \
		mode tunnel $encap
}

# tunnel_up: make the three namespaces, their links, addresses, routes,
# SAs and policies.  Fails (status 1, the failing command on stderr) when
# any step fails, e.g. on a kernel without ESP.
# shellcheck disable=SC2086 # $up and $down are several words
tunnel_up()
{
	local c=$TUN_CLIENT r=$TUN_ROUTER l=$TUN_LAN
	local up="tmpl src $TUN_CLIENT_OUTER dst $TUN_PUBLIC_IP proto esp reqid 1 mode tunnel"
	local down="tmpl src $TUN_PUBLIC_IP dst $TUN_CLIENT_OUTER proto esp reqid 2 mode tunnel"
	(
	set -e
	for ns in "$c" "$r" "$l"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$r" link add "$TUN_EXTIF" type veth peer name "$TUN_CLIENT_IF" netns "$c"
	ip -n "$r" link add "$TUN_LANIF" type veth peer name "$TUN_LAN_IF" netns "$l"

	ip -n "$c" addr add "$TUN_CLIENT_OUTER/24" dev "$TUN_CLIENT_IF"
	ip -n "$c" addr add "$TUN_VPN_ADDR/32" dev lo
	ip -n "$c" link set "$TUN_CLIENT_IF" up
	ip -n "$c" route add "$TUN_LAN_NET" via "$TUN_PUBLIC_IP" src "$TUN_VPN_ADDR"

	ip -n "$r" addr add "$TUN_PUBLIC_IP/24" dev "$TUN_EXTIF"
	ip -n "$r" addr add "$TUN_RESOLVER/24" dev "$TUN_LANIF"
	ip -n "$r" link set "$TUN_EXTIF" up
	ip -n "$r" link set "$TUN_LANIF" up
	ip -n "$r" route add "$TUN_VPN_NET" via "$TUN_CLIENT_OUTER"
	ip netns exec "$r" sysctl -q -w net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		"net.ipv4.conf.$TUN_EXTIF.rp_filter=0"

	ip -n "$l" addr add "$TUN_LAN_HOST/24" dev "$TUN_LAN_IF"
	ip -n "$l" link set "$TUN_LAN_IF" up
	ip -n "$l" route add default via "$TUN_RESOLVER"

	tunnel_sa "$c"
	tunnel_sa "$r"
	ip -n "$c" xfrm policy add src "$TUN_VPN_ADDR/32" dst "$TUN_LAN_NET" \
		dir out $up
	ip -n "$c" xfrm policy add src "$TUN_LAN_NET" dst "$TUN_VPN_ADDR/32" \
		dir in $down
	ip -n "$r" xfrm policy add src "$TUN_VPN_NET" dst "$TUN_LAN_NET" \
		dir in $up level use
	ip -n "$r" xfrm policy add src "$TUN_VPN_NET" dst "$TUN_LAN_NET" \
		dir fwd $up level use
	ip -n "$r" xfrm policy add src "$TUN_LAN_NET" dst "$TUN_VPN_NET" \
		dir out $down
	) || {
		echo "tunnel_up: setting up the namespaces failed" >&2
		return 1
	}
}

# tunnel_down: remove the namespaces (and with them links, SAs, policies).
tunnel_down()
{
	local ns
	for ns in "$TUN_CLIENT" "$TUN_ROUTER" "$TUN_LAN"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# tunnel_env: the names and addresses as environment variables, for
# tests/guest/netns.py and other programs started after tunnel_up.
tunnel_env()
{
	export TUN_ROUTER TUN_CLIENT TUN_LAN TUN_EXTIF TUN_LANIF TUN_CLIENT_IF \
		TUN_LAN_IF TUN_PUBLIC_IP TUN_CLIENT_OUTER TUN_VPN_ADDR \
		TUN_VPN_NET TUN_LAN_NET TUN_RESOLVER TUN_LAN_HOST TUN_NATT_PORT
}
