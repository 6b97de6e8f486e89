/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftcheck.h - is nf_tables filtering the same packets too?  Rules loaded
 * with nft or iptables-nft live in nf_tables, out of sight of libiptc, and
 * a packet has to pass both them and the legacy tables iptload loads.
 * This asks nf_tables over netlink (never by running nft) which ip, ip6
 * and inet base chains hook where the legacy tables of their family do.
 */
#ifndef IPTLOAD_NFTCHECK_H
#define IPTLOAD_NFTCHECK_H

#include <stddef.h>

#include "diag.h"

/* One nf_tables base chain at a netfilter IPv4 or IPv6 hook. */
struct nft_base_chain {
	const char *family; /* "ip", "ip6" or "inet" (both) */
	char table[256];    /* NFT_TABLE_MAXNAMELEN */
	char chain[256];
	unsigned hook; /* NF_INET_PRE_ROUTING ... NF_INET_POST_ROUTING */
};

/*
 * List the ip, ip6 and inet base chains at the five netfilter hooks of this
 * network namespace into *@out (malloc'd, free() it).  Returns how many,
 * 0 when nf_tables is not even loaded (it is not loaded to ask), or -1
 * with errno when it cannot be asked (without CAP_NET_ADMIN: EPERM).
 */
int nftcheck_scan(struct nft_base_chain **out);

/*
 * Add a warning to @dl when nf_tables has base chains where the legacy
 * tables of the ruleset hook: ip chains at a hook of @hooks4, ip6 chains
 * at a hook of @hooks6, inet chains at either (bit 1 << NF_INET_x each),
 * naming their tables and the families of packets that meet both.  Says
 * nothing when nf_tables cannot be asked.
 */
void nftcheck_warn(unsigned hooks4, unsigned hooks6, struct diag_list *dl);

#endif
