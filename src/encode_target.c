/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * encode_target.c - native encoders for the common extension targets.
 *
 * Each writes the bytes iptables 1.8.9's extension of the same name writes,
 * at the revision it picks on a kernel that has them all, in each family it
 * serves; tests/kernel prove them against iptables-legacy, and a unit test
 * against the adapter's bytes for the same lines.  The option values follow
 * the extension's parser step by step where it is simple; a spelling it
 * reads in a way of its own (octal or hex ports, junk it ignores) and every
 * value it refuses go back to the extension (ENCODE_FALLBACK), so that the
 * result, and the message, stay exactly the extension's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_nat.h>

#include "encode_native.h"

/* ---- NAT: SNAT, DNAT, MASQUERADE, REDIRECT ---------------------------- */

enum {
	NAT_TO,
	NAT_PORTS,
	NAT_RANDOM,
	NAT_RANDOM_FULLY,
	NAT_PERSISTENT,
};

/*
 * The options of each, sorted by name.  All "invertible" here so that a
 * "!" reaches nat_parse, which leaves it to the extension (and its error).
 */
static const struct opt_def dnat_opts[] = {
	{ "persistent", 0, 0, NAT_PERSISTENT, true, false },
	{ "random", 0, 0, NAT_RANDOM, true, false },
	{ "to-destination", 0, 1, NAT_TO, true, false },
};

static const struct opt_def snat_opts[] = {
	{ "persistent", 0, 0, NAT_PERSISTENT, true, false },
	{ "random", 0, 0, NAT_RANDOM, true, false },
	{ "random-fully", 0, 0, NAT_RANDOM_FULLY, true, false },
	{ "to-source", 0, 1, NAT_TO, true, false },
};

static const struct opt_def masquerade_opts[] = {
	{ "random", 0, 0, NAT_RANDOM, true, false },
	{ "random-fully", 0, 0, NAT_RANDOM_FULLY, true, false },
	{ "to-ports", 0, 1, NAT_PORTS, true, false },
};

static const struct opt_def redirect_opts[] = {
	{ "random", 0, 0, NAT_RANDOM, true, false },
	{ "to-ports", 0, 1, NAT_PORTS, true, false },
};

/* The protocols whose ports NAT may map, as the extension lists them
 * (it reads -p as given so far, inverted or not). */
static bool nat_ports_ok(const struct parsed_cmd *pc)
{
	switch (pc->ip.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
	case IPPROTO_ICMP:
		return true;
	default:
		return false;
	}
}

/*
 * PORT or LOW-HIGH into @r.  Natively only decimal numbers without
 * leading zeros, and a service name alone; the rest (base prefixes,
 * signs, spaces, "/BASE", errors) is the extension's.
 */
static int nat_ports(const struct opt_call *c, const char *s, size_t len,
		     struct nf_nat_range2 *r)
{
	unsigned long lo, hi;
	char buf[64];
	char *dash;

	if (!nat_ports_ok(c->pc) || len == 0 || len >= sizeof(buf))
		return ENCODE_FALLBACK;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (isalpha((unsigned char)buf[0])) {
		struct servent *se = getservbyname(buf, NULL);

		if (!se)
			return ENCODE_FALLBACK;
		lo = hi = ntohs((uint16_t)se->s_port);
	} else {
		dash = strchr(buf, '-');
		if (dash)
			*dash = '\0';
		if (!encode_parse_decimal(buf, 65535, &lo))
			return ENCODE_FALLBACK;
		hi = lo;
		if (dash &&
		    (!encode_parse_decimal(dash + 1, 65535, &hi) || hi < lo))
			return ENCODE_FALLBACK;
	}
	r->flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
	r->min_proto.all = htons((uint16_t)lo);
	r->max_proto.all = htons((uint16_t)hi);
	return 0;
}

/* One address of the rule's family, or the fallback. */
static int nat_addr(const struct opt_call *c, const char *s, size_t len,
		    union nf_inet_addr *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len >= sizeof(buf))
		return ENCODE_FALLBACK;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(c->pc->family == FAMILY_IPV6 ? AF_INET6 : AF_INET, buf,
		      out) != 1)
		return ENCODE_FALLBACK;
	return 0;
}

/*
 * --to-source/--to-destination [ADDR[-ADDR]][:PORT[-PORT]], IPv6
 * addresses in brackets when ports follow.  As the extension reads it:
 * one colon starts the ports, more make an IPv6 address.
 */
static int nat_to(const struct opt_call *c, struct nf_nat_range2 *r)
{
	const char *s = c->val[0]->text, *addr = s, *colon, *end, *dash;
	int rc;

	if (s[0] == '[') {
		if (c->pc->family != FAMILY_IPV6)
			return ENCODE_FALLBACK;
		addr = s + 1;
		end = strchr(addr, ']');
		if (!end || (end[1] != '\0' && end[1] != ':'))
			return ENCODE_FALLBACK;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		if (strchr(s, '[') || strchr(s, ']'))
			return ENCODE_FALLBACK;
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		end = colon ? colon : s + strlen(s);
		/* "XY:PORT" is no address to the extension: leave it to it. */
		if (colon == s + 2)
			return ENCODE_FALLBACK;
	}
	if (colon) {
		rc = nat_ports(c, colon + 1, strlen(colon + 1), r);
		if (rc < 0)
			return rc;
		if (addr == end)
			return 0; /* ":PORT" or "[]:PORT": no address */
	}
	r->flags |= NF_NAT_RANGE_MAP_IPS;
	dash = memchr(addr, '-', (size_t)(end - addr));
	if (!dash)
		dash = end;
	rc = nat_addr(c, addr, (size_t)(dash - addr), &r->min_addr);
	if (rc < 0)
		return rc;
	if (dash == end) {
		r->max_addr = r->min_addr;
		return 0;
	}
	return nat_addr(c, dash + 1, (size_t)(end - dash - 1), &r->max_addr);
}

/* While the line is parsed the data hold a struct nf_nat_range2; the
 * final callbacks turn it into the layout of the revision. */
static int nat_parse(struct opt_call *c, struct encoded_match *m)
{
	struct nf_nat_range2 *r = (void *)m->data;
	const char *v;

	if (c->invert)
		return ENCODE_FALLBACK;
	switch (c->opt->id) {
	case NAT_TO:
		return nat_to(c, r);
	case NAT_PORTS:
		v = c->val[0]->text;
		return nat_ports(c, v, strlen(v), r);
	case NAT_RANDOM:
		r->flags |= NF_NAT_RANGE_PROTO_RANDOM;
		return 0;
	case NAT_RANDOM_FULLY:
		r->flags |= NF_NAT_RANGE_PROTO_RANDOM_FULLY;
		return 0;
	default: /* NAT_PERSISTENT */
		r->flags |= NF_NAT_RANGE_PERSISTENT;
		return 0;
	}
}

/* SNAT and DNAT need their --to-*; the extension says so. */
static int nat_final_to(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen & (1u << NAT_TO) ? 0 : ENCODE_FALLBACK;
}

/* IPv4 SNAT, MASQUERADE, REDIRECT: revision 0, one range of the old
 * struct. */
static int nat_final_compat(struct encoded_match *m, struct diag_list *dl)
{
	struct nf_nat_range2 r;
	struct nf_nat_ipv4_multi_range_compat *mr = (void *)m->data;

	(void)dl;
	memcpy(&r, m->data, sizeof(r));
	memset(m->data, 0, sizeof(r));
	mr->rangesize = 1;
	mr->range[0].flags = r.flags;
	mr->range[0].min_ip = r.min_addr.ip;
	mr->range[0].max_ip = r.max_addr.ip;
	mr->range[0].min = r.min_proto;
	mr->range[0].max = r.max_proto;
	return 0;
}

static int snat4_final(struct encoded_match *m, struct diag_list *dl)
{
	int rc = nat_final_to(m, dl);

	return rc < 0 ? rc : nat_final_compat(m, dl);
}

/* ---- the table -------------------------------------------------------- */

#define OPTS(a) a, sizeof(a) / sizeof(*a)
#define V4 (1u << FAMILY_IPV4)
#define V6 (1u << FAMILY_IPV6)

/*
 * Sorted by name, then family.  The revisions and layouts are those
 * iptables-legacy 1.8.9 loads here: DNAT revision 2 (nf_nat_range2) in
 * both families; in IPv4 SNAT, MASQUERADE and REDIRECT revision 0 (the
 * compat struct); in IPv6 SNAT revision 1, MASQUERADE and REDIRECT
 * revision 0 (nf_nat_range, the first 40 bytes of nf_nat_range2).
 */
const struct target_def encode_targets[] = {
	{ { "DNAT", 2, 0, sizeof(struct nf_nat_range2), OPTS(dnat_opts), NULL,
	    nat_parse, nat_final_to, NULL },
	  V4 | V6 },
	{ { "MASQUERADE", 0, 0, sizeof(struct nf_nat_ipv4_multi_range_compat),
	    OPTS(masquerade_opts), NULL, nat_parse, nat_final_compat, NULL },
	  V4 },
	{ { "MASQUERADE", 0, 0, sizeof(struct nf_nat_range),
	    OPTS(masquerade_opts), NULL, nat_parse, NULL, NULL },
	  V6 },
	{ { "REDIRECT", 0, 0, sizeof(struct nf_nat_ipv4_multi_range_compat),
	    OPTS(redirect_opts), NULL, nat_parse, nat_final_compat, NULL },
	  V4 },
	{ { "REDIRECT", 0, 0, sizeof(struct nf_nat_range), OPTS(redirect_opts),
	    NULL, nat_parse, NULL, NULL },
	  V6 },
	{ { "SNAT", 0, 0, sizeof(struct nf_nat_ipv4_multi_range_compat),
	    OPTS(snat_opts), NULL, nat_parse, snat4_final, NULL },
	  V4 },
	{ { "SNAT", 1, 0, sizeof(struct nf_nat_range), OPTS(snat_opts), NULL,
	    nat_parse, nat_final_to, NULL },
	  V6 },
};

const size_t encode_ntargets = sizeof(encode_targets) / sizeof(*encode_targets);
