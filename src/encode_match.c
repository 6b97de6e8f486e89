/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * encode_match.c - native encoders for the common extension matches, beside
 * encode.c's own (udp, tcp, icmp, icmp6, policy).  Each writes the bytes the
 * iptables extension of the same name writes at the revision it picks on a
 * kernel that has it; tests/kernel prove them against iptables-legacy, and
 * tests/unit/test_encode_match.c against the adapter, value by value.
 *
 * Each takes the values as users write them (numbers in decimal, the usual
 * names) and returns ENCODE_FALLBACK, saying nothing, for anything else:
 * a rare form (a hexadecimal port, a host name), a value iptables refuses,
 * a missing mandatory option.  The line is then parsed again through the
 * iptables extension, so the bytes and the refusals of those cases stay
 * iptables' own, word for word.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_set.h>

#include "encode_native.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- shared ---------------------------------------------------------- */

/* One name of a comma list and the bits it sets. */
struct flag_name {
	const char *name;
	unsigned bits;
};

/*
 * A comma list of names, each a case-insensitive prefix of one of
 * @names (the first that fits wins, as in libxt_conntrack), into the
 * OR of their bits.  An empty item or an unknown one is an error at the
 * value (iptables refuses both), with the names in the hint; returns -1.
 */
static int parse_flag_list(struct opt_call *c, const char *what,
			   const struct flag_name *names, size_t n,
			   unsigned *out)
{
	const char *s = c->val[0]->text;
	char list[128];
	size_t len = 0;

	*out = 0;
	do {
		size_t k, item = strcspn(s, ",");

		for (k = 0; item && k < n; k++)
			if (item <= strlen(names[k].name) &&
			    strncasecmp(s, names[k].name, item) == 0)
				break;
		if (item && k < n) {
			*out |= names[k].bits;
			s += item;
			continue;
		}
		if (!c->val[0]->text[0])
			diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				   "%s needs a list of %ss", c->word->text,
				   what);
		else if (item)
			diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				   "unknown %s '%.*s' in %s %s", what,
				   (int)item, s, c->word->text,
				   c->val[0]->text);
		else
			diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				   "empty %s in %s %s", what, c->word->text,
				   c->val[0]->text);
		for (k = 0; k < n && len < sizeof(list); k++)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
						"%s%s", k ? ", " : "",
						names[k].name);
		diag_hint(c->dl,
			  "write one or more of %s (or the start of one), "
			  "separated by commas without spaces",
			  list);
		return -1;
	} while (*s++ == ',');
	return 0;
}

/* "LO:HI" or "N" in plain decimal, LO <= HI, at most @max. */
static bool parse_decimal_range(const char *s, unsigned long max,
				unsigned long r[2])
{
	const char *colon = strchr(s, ':');
	char lo[16];

	if (!colon)
		return encode_parse_decimal(s, max, &r[0]) &&
		       (r[1] = r[0], true);
	if ((size_t)(colon - s) >= sizeof(lo))
		return false;
	memcpy(lo, s, (size_t)(colon - s));
	lo[colon - s] = '\0';
	return encode_parse_decimal(lo, max, &r[0]) &&
	       encode_parse_decimal(colon + 1, max, &r[1]) && r[0] <= r[1];
}

/* ---- conntrack and state --------------------------------------------- */

enum {
	CT_STATE,
	CT_PROTO,
	CT_ORIGSRC,
	CT_ORIGDST,
	CT_REPLSRC,
	CT_REPLDST,
	CT_ORIGSRCPORT,
	CT_ORIGDSTPORT,
	CT_REPLSRCPORT,
	CT_REPLDSTPORT,
	CT_STATUS,
	CT_EXPIRE,
	CT_DIR,
};

static const struct opt_def conntrack_opts[] = {
	{ "ctdir", 0, 1, CT_DIR, false, false },
	{ "ctexpire", 0, 1, CT_EXPIRE, true, false },
	{ "ctorigdst", 0, 1, CT_ORIGDST, true, false },
	{ "ctorigdstport", 0, 1, CT_ORIGDSTPORT, true, false },
	{ "ctorigsrc", 0, 1, CT_ORIGSRC, true, false },
	{ "ctorigsrcport", 0, 1, CT_ORIGSRCPORT, true, false },
	{ "ctproto", 0, 1, CT_PROTO, true, false },
	{ "ctrepldst", 0, 1, CT_REPLDST, true, false },
	{ "ctrepldstport", 0, 1, CT_REPLDSTPORT, true, false },
	{ "ctreplsrc", 0, 1, CT_REPLSRC, true, false },
	{ "ctreplsrcport", 0, 1, CT_REPLSRCPORT, true, false },
	{ "ctstate", 0, 1, CT_STATE, true, false },
	{ "ctstatus", 0, 1, CT_STATUS, true, false },
};

/* In libxt_conntrack's order, which decides what a prefix means. */
static const struct flag_name ct_states[] = {
	{ "INVALID", XT_CONNTRACK_STATE_INVALID },
	{ "NEW", XT_CONNTRACK_STATE_BIT(IP_CT_NEW) },
	{ "ESTABLISHED", XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) },
	{ "RELATED", XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) },
	{ "UNTRACKED", XT_CONNTRACK_STATE_UNTRACKED },
	{ "SNAT", XT_CONNTRACK_STATE_SNAT },
	{ "DNAT", XT_CONNTRACK_STATE_DNAT },
};

/* The first five: all that --state takes. */
#define STATE_NAMES 5

static const struct flag_name ct_statuses[] = {
	{ "NONE", 0 },
	{ "EXPECTED", IPS_EXPECTED },
	{ "SEEN_REPLY", IPS_SEEN_REPLY },
	{ "ASSURED", IPS_ASSURED },
	{ "CONFIRMED", IPS_CONFIRMED },
};

/* --ctproto: a number 1-255 or a name /etc/protocols knows. */
static bool ct_proto(const char *s, uint16_t *out)
{
	unsigned long v;
	struct protoent *pe;

	if (encode_parse_decimal(s, 255, &v)) {
		*out = (uint16_t)v;
		return v != 0;
	}
	/* Names as libxtables looks them up; "all" (0) it refuses here. */
	if (!isalpha((unsigned char)s[0]) || strcmp(s, "all") == 0)
		return false;
	pe = getprotobyname(s);
	if (!pe || pe->p_proto <= 0 || pe->p_proto > 255)
		return false;
	*out = (uint16_t)pe->p_proto;
	return true;
}

/* An address of the rule's family with an optional prefix length; the
 * host bits are kept, as libxtables keeps them. */
static bool ct_addr(const struct opt_call *c, union nf_inet_addr *addr,
		    union nf_inet_addr *mask)
{
	const bool v6 = c->pc->family == FAMILY_IPV6;
	const char *s = c->val[0]->text, *slash = strchr(s, '/');
	char a[INET6_ADDRSTRLEN];
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen = v6 ? 128 : 32;

	if (len >= sizeof(a))
		return false;
	memcpy(a, s, len);
	a[len] = '\0';
	memset(addr, 0, sizeof(*addr));
	memset(mask, 0, sizeof(*mask));
	if (inet_pton(v6 ? AF_INET6 : AF_INET, a, addr) != 1)
		return false;
	if (!slash) {
		memset(mask, 0xff, sizeof(*mask)); /* all 16 bytes */
		return true;
	}
	if (!encode_parse_decimal(slash + 1, plen, &plen))
		return false;
	memset(mask, 0xff, plen / 8);
	if (plen % 8)
		((uint8_t *)mask)[plen / 8] = (uint8_t)(0xff00 >> (plen % 8));
	return true;
}

/* A conntrack port option: PORT or LO:HI in decimal. */
static bool ct_ports(const struct opt_call *c, uint16_t *lo, uint16_t *hi)
{
	unsigned long r[2];

	if (!parse_decimal_range(c->val[0]->text, 65535, r))
		return false;
	*lo = (uint16_t)r[0];
	*hi = (uint16_t)r[1];
	return true;
}

/* The address and port fields of one conntrack option, by option id. */
static bool ct_tuple_part(struct opt_call *c, struct xt_conntrack_mtinfo3 *i)
{
	switch (c->opt->id) {
	case CT_ORIGSRC:
		return ct_addr(c, &i->origsrc_addr, &i->origsrc_mask);
	case CT_ORIGDST:
		return ct_addr(c, &i->origdst_addr, &i->origdst_mask);
	case CT_REPLSRC:
		return ct_addr(c, &i->replsrc_addr, &i->replsrc_mask);
	case CT_REPLDST:
		return ct_addr(c, &i->repldst_addr, &i->repldst_mask);
	case CT_ORIGSRCPORT:
		return ct_ports(c, &i->origsrc_port, &i->origsrc_port_high);
	case CT_ORIGDSTPORT:
		return ct_ports(c, &i->origdst_port, &i->origdst_port_high);
	case CT_REPLSRCPORT:
		return ct_ports(c, &i->replsrc_port, &i->replsrc_port_high);
	default: /* CT_REPLDSTPORT */
		return ct_ports(c, &i->repldst_port, &i->repldst_port_high);
	}
}

/* The match flag of each option id (ctdir's is XT_CONNTRACK_DIRECTION). */
static const uint16_t ct_flag[] = {
	[CT_STATE] = XT_CONNTRACK_STATE,
	[CT_PROTO] = XT_CONNTRACK_PROTO,
	[CT_ORIGSRC] = XT_CONNTRACK_ORIGSRC,
	[CT_ORIGDST] = XT_CONNTRACK_ORIGDST,
	[CT_REPLSRC] = XT_CONNTRACK_REPLSRC,
	[CT_REPLDST] = XT_CONNTRACK_REPLDST,
	[CT_ORIGSRCPORT] = XT_CONNTRACK_ORIGSRC_PORT,
	[CT_ORIGDSTPORT] = XT_CONNTRACK_ORIGDST_PORT,
	[CT_REPLSRCPORT] = XT_CONNTRACK_REPLSRC_PORT,
	[CT_REPLDSTPORT] = XT_CONNTRACK_REPLDST_PORT,
	[CT_STATUS] = XT_CONNTRACK_STATUS,
	[CT_EXPIRE] = XT_CONNTRACK_EXPIRES,
	[CT_DIR] = XT_CONNTRACK_DIRECTION,
};

/* Revision 3 (xt_conntrack_mtinfo3), as libxt_conntrack fills it. */
static int conntrack_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_conntrack_mtinfo3 *i = (void *)m->data;
	const char *v = c->val[0]->text;
	const uint16_t flag = ct_flag[c->opt->id];
	unsigned bits;
	unsigned long r[2];

	switch (c->opt->id) {
	case CT_STATE:
		if (parse_flag_list(c, "state", ct_states,
				    ARRAY_SIZE(ct_states), &bits) < 0)
			return -1;
		i->state_mask |= (uint16_t)bits;
		break;
	case CT_STATUS:
		if (parse_flag_list(c, "status", ct_statuses,
				    ARRAY_SIZE(ct_statuses), &bits) < 0)
			return -1;
		i->status_mask |= (uint16_t)bits;
		break;
	case CT_PROTO:
		if (!ct_proto(v, &i->l4proto))
			return ENCODE_FALLBACK;
		break;
	case CT_EXPIRE:
		if (!parse_decimal_range(v, UINT32_MAX, r))
			return ENCODE_FALLBACK;
		i->expires_min = (uint32_t)r[0];
		i->expires_max = (uint32_t)r[1];
		break;
	case CT_DIR:
		/* Not invertible: the direction is the invert bit. */
		if (strcasecmp(v, "ORIGINAL") == 0)
			i->invert_flags &= (uint16_t)~XT_CONNTRACK_DIRECTION;
		else if (strcasecmp(v, "REPLY") == 0)
			i->invert_flags |= XT_CONNTRACK_DIRECTION;
		else
			return ENCODE_FALLBACK;
		i->match_flags |= flag;
		return 0;
	default:
		if (!ct_tuple_part(c, i))
			return ENCODE_FALLBACK;
		break;
	}
	i->match_flags |= flag;
	if (c->invert)
		i->invert_flags |= flag;
	return 0;
}

/* "conntrack: At least one option is required": iptables' words. */
static int conntrack_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen ? 0 : ENCODE_FALLBACK;
}

static const struct opt_def state_opts[] = {
	{ "state", 0, 1, CT_STATE, true, false },
};

/* -m state is conntrack revision 3 with the alias flag, which makes
 * iptables-save print it as -m state --state again. */
static int state_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_conntrack_mtinfo3 *i = (void *)m->data;
	unsigned bits;

	if (parse_flag_list(c, "state", ct_states, STATE_NAMES, &bits) < 0)
		return -1;
	i->match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS;
	i->state_mask = (uint16_t)bits;
	if (c->invert)
		i->invert_flags |= XT_CONNTRACK_STATE;
	return 0;
}

/* --state is mandatory. */
static int state_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen ? 0 : ENCODE_FALLBACK;
}

/* ---- multiport ------------------------------------------------------- */

enum {
	MP_SOURCE,
	MP_DEST,
	MP_BOTH,
};

static const struct opt_def multiport_opts[] = {
	{ "destination-ports", 0, 1, MP_DEST, true, false },
	{ "dports", 0, 1, MP_DEST, true, false },
	{ "ports", 0, 1, MP_BOTH, true, false },
	{ "source-ports", 0, 1, MP_SOURCE, true, false },
	{ "sports", 0, 1, MP_SOURCE, true, false },
};

/* The protocols multiport serves, by the name their services go by. */
static const char *multiport_proto(uint16_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	default:
		return NULL;
	}
}

/* A port in decimal or a service name of protocol @proto (as
 * libxt_multiport looks names up: for that protocol only). */
static bool multiport_port(const char *s, size_t len, const char *proto,
			   uint16_t *out)
{
	char buf[64];
	unsigned long v;
	struct servent *se;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (encode_parse_decimal(buf, 65535, &v)) {
		*out = (uint16_t)v;
		return true;
	}
	if (!isalpha((unsigned char)buf[0]))
		return false;
	se = getservbyname(buf, proto);
	if (!se)
		return false;
	*out = ntohs((uint16_t)se->s_port);
	return true;
}

/*
 * Revision 1: up to 15 slots, a range LO:HI taking two (LO < HI, its
 * first slot flagged).  Which ports and protocol it takes is checked here
 * with the -p given so far, as libxt_multiport does.
 */
static int multiport_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_multiport_v1 *mp = (void *)m->data;
	const char *proto = multiport_proto(c->pc->ip.proto);
	const char *s = c->val[0]->text;
	unsigned n = 0;

	/* One of the three, once; the protocol given before it. */
	if ((m->seen & ~(1u << c->opt->id)) || !proto ||
	    (c->pc->ip.invflags & IPT_INV_PROTO))
		return ENCODE_FALLBACK;
	do {
		size_t len = strcspn(s, ",");
		const char *colon = memchr(s, ':', len);
		size_t lo_len = colon ? (size_t)(colon - s) : len;

		if (n == XT_MULTI_PORTS || (colon && n == XT_MULTI_PORTS - 1) ||
		    !multiport_port(s, lo_len, proto, &mp->ports[n]))
			return ENCODE_FALLBACK;
		if (colon) {
			mp->pflags[n++] = 1;
			if (!multiport_port(colon + 1, len - lo_len - 1, proto,
					    &mp->ports[n]) ||
			    mp->ports[n - 1] >= mp->ports[n])
				return ENCODE_FALLBACK;
		}
		n++;
		s += len;
	} while (*s++ == ',');
	mp->count = (uint8_t)n;
	mp->flags = c->opt->id == MP_SOURCE ? XT_MULTIPORT_SOURCE :
		    c->opt->id == MP_DEST   ? XT_MULTIPORT_DESTINATION :
					      XT_MULTIPORT_EITHER;
	mp->invert = c->invert;
	return 0;
}

/* "no ports specified": iptables' words. */
static int multiport_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen ? 0 : ENCODE_FALLBACK;
}

/* ---- comment --------------------------------------------------------- */

static const struct opt_def comment_opts[] = {
	{ "comment", 0, 1, 0, false, false },
};

/* Up to 255 bytes and the NUL; a longer one goes to the adapter, which
 * refuses it where iptables would cut it short. */
static int comment_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_comment_info *ci = (void *)m->data;
	size_t len = strlen(c->val[0]->text);

	if (len >= sizeof(ci->comment))
		return ENCODE_FALLBACK;
	memcpy(ci->comment, c->val[0]->text, len);
	return 0;
}

/* --comment is mandatory. */
static int comment_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen ? 0 : ENCODE_FALLBACK;
}

/* ---- mark ------------------------------------------------------------ */

static const struct opt_def mark_opts[] = {
	{ "mark", 0, 1, 0, true, false },
};

/* Revision 1: VALUE[/MASK], decimal or 0x hexadecimal; mask all ones. */
static int mark_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_mark_mtinfo1 *mi = (void *)m->data;
	const char *s = c->val[0]->text, *slash = strchr(s, '/');
	char value[16];
	size_t len = slash ? (size_t)(slash - s) : strlen(s);

	if (len >= sizeof(value))
		return ENCODE_FALLBACK;
	memcpy(value, s, len);
	value[len] = '\0';
	mi->mask = UINT32_MAX;
	if (!encode_parse_u32(value, &mi->mark) ||
	    (slash && !encode_parse_u32(slash + 1, &mi->mask)))
		return ENCODE_FALLBACK;
	mi->invert = c->invert;
	return 0;
}

/* --mark is mandatory. */
static int mark_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen ? 0 : ENCODE_FALLBACK;
}

/* ---- limit ----------------------------------------------------------- */

enum {
	LIMIT_RATE,
	LIMIT_BURST,
};

static const struct opt_def limit_opts[] = {
	{ "limit", 0, 1, LIMIT_RATE, false, false },
	{ "limit-burst", 0, 1, LIMIT_BURST, false, false },
};

/* The units of a rate, in libxt_limit's order (a prefix picks the first
 * that fits), with their seconds. */
static const struct {
	const char *name;
	uint32_t secs;
} limit_units[] = {
	{ "second", 1 },
	{ "minute", 60 },
	{ "hour", 60 * 60 },
	{ "day", 24 * 60 * 60 },
};

/* N[/UNIT] into the average period in 1/XT_LIMIT_SCALE seconds; false
 * for anything but a plain number 1 or more and a unit's prefix, and for
 * a rate too fast to hold (iptables refuses it). */
static bool limit_rate(const char *s, uint32_t *avg)
{
	const char *slash = strchr(s, '/');
	char num[16];
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	uint32_t secs = 1;
	unsigned long n;

	if (len >= sizeof(num))
		return false;
	memcpy(num, s, len);
	num[len] = '\0';
	if (!encode_parse_decimal(num, INT32_MAX, &n) || n == 0)
		return false;
	if (slash) {
		size_t k, ulen = strlen(slash + 1);

		for (k = 0; ulen && k < ARRAY_SIZE(limit_units); k++)
			if (ulen <= strlen(limit_units[k].name) &&
			    strncasecmp(slash + 1, limit_units[k].name, ulen) ==
				    0)
				break;
		if (!ulen || k == ARRAY_SIZE(limit_units))
			return false;
		secs = limit_units[k].secs;
	}
	*avg = (uint32_t)(XT_LIMIT_SCALE * secs / n);
	return *avg != 0;
}

/* The defaults: 3/hour, a burst of 5. */
static void limit_init(void *data)
{
	struct xt_rateinfo *r = data;

	r->avg = XT_LIMIT_SCALE * 60 * 60 / 3;
	r->burst = 5;
}

/* Revision 0; the kernel's own fields stay zero. */
static int limit_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_rateinfo *r = (void *)m->data;
	unsigned long burst;

	if (c->opt->id == LIMIT_RATE)
		return limit_rate(c->val[0]->text, &r->avg) ? 0 :
							      ENCODE_FALLBACK;
	if (!encode_parse_decimal(c->val[0]->text, 10000, &burst))
		return ENCODE_FALLBACK;
	r->burst = (uint32_t)burst;
	return 0;
}

/* ---- set ------------------------------------------------------------- */

enum {
	SET_MATCH,
	SET_SET, /* the deprecated spelling of --match-set */
	SET_RETURN_NOMATCH,
	SET_UPDATE_COUNTERS,
	SET_UPDATE_SUBCOUNTERS,
	SET_PACKETS_EQ,
	SET_PACKETS_LT,
	SET_PACKETS_GT,
	SET_BYTES_EQ,
	SET_BYTES_LT,
	SET_BYTES_GT,
};

/* An extension of the old API: it decides about "!" and repeats itself,
 * so every option may be inverted and given again here, and the parser
 * leaves the cases libxt_set refuses to it. */
static const struct opt_def set_opts[] = {
	{ "bytes-eq", 0, 1, SET_BYTES_EQ, true, true },
	{ "bytes-gt", 0, 1, SET_BYTES_GT, true, true },
	{ "bytes-lt", 0, 1, SET_BYTES_LT, true, true },
	{ "match-set", 0, 2, SET_MATCH, true, true },
	{ "packets-eq", 0, 1, SET_PACKETS_EQ, true, true },
	{ "packets-gt", 0, 1, SET_PACKETS_GT, true, true },
	{ "packets-lt", 0, 1, SET_PACKETS_LT, true, true },
	{ "return-nomatch", 0, 0, SET_RETURN_NOMATCH, true, true },
	{ "set", 0, 2, SET_SET, true, true },
	{ "update-counters", 0, 0, SET_UPDATE_COUNTERS, true, true },
	{ "update-subcounters", 0, 0, SET_UPDATE_SUBCOUNTERS, true, true },
};

/*
 * The index of ipset @name in this network namespace, asked of the kernel
 * as libxt_set asks it while it parses the rule; false when it cannot be
 * had (no ipset module, no such set, a set of the other family, an old
 * kernel): the adapter then says what libxt_set says.
 */
static bool set_index(const char *name, enum family f, ip_set_id_t *index)
{
	struct ip_set_req_version v = { .op = IP_SET_OP_VERSION };
	struct ip_set_req_get_set_family req;
	const unsigned family = f == FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	socklen_t size = sizeof(v);
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	bool ok = false;

	if (fd < 0)
		return false;
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &v, &size) != 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.op = IP_SET_OP_GET_FNAME;
	req.version = v.version;
	memcpy(req.set.name, name, strlen(name));
	size = sizeof(req);
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &req, &size) != 0 ||
	    size != sizeof(req) || req.set.index == IPSET_INVALID_ID ||
	    (req.family != family && req.family != NFPROTO_UNSPEC))
		goto out;
	*index = req.set.index;
	ok = true;
out:
	close(fd);
	return ok;
}

/* FLAGS of --match-set: 1 to 6 of "src" and "dst", comma-separated. */
static bool set_dirs(const char *s, struct xt_set_info *info)
{
	do {
		size_t len = strcspn(s, ",");

		if (len != 3 || info->dim == IPSET_DIM_MAX)
			return false;
		info->dim++;
		if (strncmp(s, "src", 3) == 0)
			info->flags |= (uint8_t)(1u << info->dim);
		else if (strncmp(s, "dst", 3) != 0)
			return false;
		s += len;
	} while (*s++ == ',');
	return true;
}

/* A counter value in decimal. */
static bool set_counter(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1] != '\0'))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* --packets-* and --bytes-*: one of the three each, "!" only on -eq. */
static int set_counter_option(struct opt_call *c,
			      struct ip_set_counter_match *m, int which)
{
	if (m->op != IPSET_COUNTER_NONE || (c->invert && which != 0) ||
	    !set_counter(c->val[0]->text, (uint64_t *)&m->value))
		return ENCODE_FALLBACK;
	m->op = which == 0 ? (c->invert ? IPSET_COUNTER_NE : IPSET_COUNTER_EQ) :
		which == 1 ? IPSET_COUNTER_LT :
			     IPSET_COUNTER_GT;
	return 0;
}

/* Revision 4 (xt_set_info_match_v4), as libxt_set fills it. */
static int set_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_set_info_match_v4 *i = (void *)m->data;
	const int id = c->opt->id;

	switch (id) {
	case SET_MATCH:
		if (i->match_set.dim || c->val[1]->text[0] == '-' ||
		    strlen(c->val[0]->text) > IPSET_MAXNAMELEN - 1 ||
		    !set_index(c->val[0]->text, c->pc->family,
			       &i->match_set.index) ||
		    !set_dirs(c->val[1]->text, &i->match_set))
			return ENCODE_FALLBACK;
		if (c->invert)
			i->match_set.flags |= IPSET_INV_MATCH;
		return 0;
	case SET_RETURN_NOMATCH:
		if (c->invert)
			return ENCODE_FALLBACK;
		i->flags |= IPSET_FLAG_RETURN_NOMATCH;
		return 0;
	case SET_UPDATE_COUNTERS:
		if (c->invert)
			i->flags |= IPSET_FLAG_SKIP_COUNTER_UPDATE;
		return 0;
	case SET_UPDATE_SUBCOUNTERS:
		if (c->invert)
			i->flags |= IPSET_FLAG_SKIP_SUBCOUNTER_UPDATE;
		return 0;
	case SET_PACKETS_EQ:
	case SET_PACKETS_LT:
	case SET_PACKETS_GT:
		return set_counter_option(c, &i->packets, id - SET_PACKETS_EQ);
	case SET_BYTES_EQ:
	case SET_BYTES_LT:
	case SET_BYTES_GT:
		return set_counter_option(c, &i->bytes, id - SET_BYTES_EQ);
	default: /* SET_SET: libxt_set warns of it */
		return ENCODE_FALLBACK;
	}
}

/* --match-set is mandatory. */
static int set_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen & (1u << SET_MATCH) ? 0 : ENCODE_FALLBACK;
}

/* Sorted by name for bsearch. */
const struct match_def encode_more_matches[] = {
	{ .name = "comment",
	  .size = sizeof(struct xt_comment_info),
	  .opts = comment_opts,
	  .nopts = ARRAY_SIZE(comment_opts),
	  .parse = comment_parse,
	  .final = comment_final },
	{ .name = "conntrack",
	  .revision = 3,
	  .size = sizeof(struct xt_conntrack_mtinfo3),
	  .opts = conntrack_opts,
	  .nopts = ARRAY_SIZE(conntrack_opts),
	  .parse = conntrack_parse,
	  .final = conntrack_final },
	{ .name = "limit",
	  .size = sizeof(struct xt_rateinfo),
	  .opts = limit_opts,
	  .nopts = ARRAY_SIZE(limit_opts),
	  .init = limit_init,
	  .parse = limit_parse },
	{ .name = "mark",
	  .revision = 1,
	  .size = sizeof(struct xt_mark_mtinfo1),
	  .opts = mark_opts,
	  .nopts = ARRAY_SIZE(mark_opts),
	  .parse = mark_parse,
	  .final = mark_final },
	{ .name = "multiport",
	  .revision = 1,
	  .size = sizeof(struct xt_multiport_v1),
	  .opts = multiport_opts,
	  .nopts = ARRAY_SIZE(multiport_opts),
	  .parse = multiport_parse,
	  .final = multiport_final },
	{ .name = "set",
	  .revision = 4,
	  .size = sizeof(struct xt_set_info_match_v4),
	  .opts = set_opts,
	  .nopts = ARRAY_SIZE(set_opts),
	  .parse = set_parse,
	  .final = set_final },
	{ .name = "state",
	  .revision = 3,
	  .size = sizeof(struct xt_conntrack_mtinfo3),
	  .opts = state_opts,
	  .nopts = ARRAY_SIZE(state_opts),
	  .parse = state_parse,
	  .final = state_final,
	  .real_name = "conntrack" },
};
const size_t encode_more_nmatches = ARRAY_SIZE(encode_more_matches);
