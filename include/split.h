/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * split.h - which address family a concrete command belongs to, for the
 * builder's "family both" and for the values of address()/network(),
 * which hold the addresses of both families.
 *
 * A command goes to the families its addresses are of (an IPv4 source
 * makes it an IPv4 rule), and to the family its family-only parts are
 * of (-p icmp, --icmp-type, -m ttl, REJECT --reject-with icmp-*: IPv4;
 * -p ipv6-icmp, -m hl, -m frag, icmp6-*: IPv6).  A command whose parts
 * say both families (an IPv4 source with an IPv6 destination, as the
 * cross product of two mixed lists makes) belongs to neither.
 */
#ifndef IPTLOAD_SPLIT_H
#define IPTLOAD_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "expand.h"

#define SPLIT_V4 1u
#define SPLIT_V6 2u
#define SPLIT_BOTH (SPLIT_V4 | SPLIT_V6)

/* What split_command found in one command. */
struct split {
	unsigned addrs;	  /* SPLIT_* of the addresses it names */
	unsigned runtime; /* SPLIT_* of those from address()/network() */
	unsigned parts;	  /* SPLIT_* its other parts allow (both if any) */
	/* SPLIT_* its addresses allow, those neither negated nor from
	 * address()/network() (both if none) */
	unsigned fixed;
	bool negated;	    /* "!" before an address */
	bool negated_proto; /* "!" before a protocol of one family (icmp) */
	bool restrictive;   /* a target other than ACCEPT, LOG or NFLOG */
	const struct arg *addr_arg;    /* the first address, for messages */
	const struct arg *runtime_arg; /* the first address() value */
	const struct arg *rulenum;     /* -D/-R CHAIN N, -I CHAIN N (N > 1) */
};

/*
 * The families command @c (its words from @first on) belongs to:
 * SPLIT_V4, SPLIT_V6, both, or 0 when its parts say both families at
 * once.  Fills @s.
 */
unsigned split_command(const struct cmd *c, size_t first, struct split *s);

/* The family of an address word (a.b.c.d[/n], [x:y::z]:port, a-b, ...):
 * SPLIT_V4, SPLIT_V6, or 0 when it is neither (a host name). */
unsigned split_address_family(const char *text);

/* Whether @word is -s, -d or a long form of them: the options whose
 * value may be a comma list of addresses (10.0.0.1,2001:db8::1). */
bool split_is_list_option(const char *word);

/* The members of comma list @text that are of family @family (SPLIT_V4 or
 * SPLIT_V6) or of none (a host name), comma-separated, into @out (room for
 * strlen(@text) + 1).  False when none is. */
bool split_narrow_list(const char *text, unsigned family, char *out);

#endif
