/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftcheck.h - is nf_tables filtering IPv4 packets too?  Rules loaded with
 * nft or iptables-nft live in nf_tables, out of sight of libiptc, and a
 * packet has to pass both them and the legacy tables iptload loads.  This
 * asks nf_tables over netlink (never by running nft) which IPv4 and inet
 * base chains hook where the legacy tables do.
 */
#ifndef IPTLOAD_NFTCHECK_H
#define IPTLOAD_NFTCHECK_H

#include <stddef.h>

#include "diag.h"

/* One nf_tables base chain at a netfilter IPv4 hook. */
struct nft_base_chain {
	const char *family; /* "ip" or "inet" */
	char table[256];    /* NFT_TABLE_MAXNAMELEN */
	char chain[256];
	unsigned hook; /* NF_INET_PRE_ROUTING ... NF_INET_POST_ROUTING */
};

/*
 * List the IPv4 and inet base chains at the five netfilter hooks of this
 * network namespace into *@out (malloc'd, free() it).  Returns how many,
 * 0 when nf_tables is not even loaded (it is not loaded to ask), or -1
 * with errno when it cannot be asked (without CAP_NET_ADMIN: EPERM).
 */
int nftcheck_scan(struct nft_base_chain **out);

/*
 * Add a warning to @dl when nf_tables has IPv4 or inet base chains at any
 * hook of @hooks (bit 1 << NF_INET_x each), naming their tables.  Says
 * nothing when nf_tables cannot be asked.
 */
void nftcheck_warn(unsigned hooks, struct diag_list *dl);

#endif
