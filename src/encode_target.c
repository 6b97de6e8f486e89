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
#include <strings.h>

#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_CONNMARK.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_MARK.h>
#include <linux/netfilter/xt_TCPMSS.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

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

/* ---- numbers as libxtables reads them --------------------------------- */

/*
 * A number of a mark or a size: decimal without a leading zero, or 0x
 * and hex digits, at most @max.  libxtables reads any base (octal after
 * a 0, signs, spaces); those spellings go back to the extension.
 */
static bool num_u32(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	size_t i = 0;
	unsigned base = 10;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (len == 0 || (s[0] == '0' && len > 1)) {
		return false;
	}
	for (; i < len; i++) {
		int d;

		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return false;
		v = v * base + (unsigned)d;
		if (v > max)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* VALUE[/MASK] of a mark; the mask is all ones when not given. */
static bool num_markmask(const char *s, uint32_t *mark, uint32_t *mask)
{
	const char *slash = strchr(s, '/');

	*mask = UINT32_MAX;
	if (!slash)
		return num_u32(s, strlen(s), UINT32_MAX, mark);
	return num_u32(s, (size_t)(slash - s), UINT32_MAX, mark) &&
	       num_u32(slash + 1, strlen(slash + 1), UINT32_MAX, mask);
}

/* Whether an option other than @id, of those in @ids, was given before
 * (run_option() has marked @id already). */
static bool other_given(const struct encoded_match *m, int id, unsigned ids)
{
	return (m->seen & ids & ~(1u << id)) != 0;
}

/* ---- MARK ------------------------------------------------------------- */

enum {
	MARK_SET_X,
	MARK_SET,
	MARK_AND,
	MARK_OR,
	MARK_XOR,
};

static const struct opt_def mark_opts[] = {
	{ "and-mark", 0, 1, MARK_AND, true, false },
	{ "or-mark", 0, 1, MARK_OR, true, false },
	{ "set-mark", 0, 1, MARK_SET, true, false },
	{ "set-xmark", 0, 1, MARK_SET_X, true, false },
	{ "xor-mark", 0, 1, MARK_XOR, true, false },
};

/*
 * A value and mask for one of MARK's and CONNMARK's five ways to set a
 * mark: the kernel computes (old & ~mask) ^ value.  Returns false for a
 * spelling left to the extension.
 */
static bool mark_op(int op, const char *v, uint32_t *value, uint32_t *mask)
{
	uint32_t n, m;

	if (op == MARK_SET_X || op == MARK_SET) {
		if (!num_markmask(v, &n, &m))
			return false;
		*value = n;
		*mask = op == MARK_SET ? n | m : m;
		return true;
	}
	if (!num_u32(v, strlen(v), UINT32_MAX, &n))
		return false;
	*value = op == MARK_AND ? 0 : n;
	*mask = op == MARK_AND ? ~n : op == MARK_OR ? n : 0;
	return true;
}

/* Revision 2 (xt_mark_tginfo2), in both families.  The five options
 * exclude each other. */
static int mark_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_mark_tginfo2 *t = (void *)m->data;

	if (c->invert || other_given(m, c->opt->id, ~0u) ||
	    !mark_op(c->opt->id, c->val[0]->text, &t->mark, &t->mask))
		return ENCODE_FALLBACK;
	return 0;
}

/* MARK without an option: the extension's error. */
static int needs_option(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen ? 0 : ENCODE_FALLBACK;
}

/* ---- CONNMARK --------------------------------------------------------- */

enum {
	CM_SET_X = MARK_SET_X,
	CM_SET = MARK_SET,
	CM_AND = MARK_AND,
	CM_OR = MARK_OR,
	CM_XOR = MARK_XOR,
	CM_SAVE,
	CM_RESTORE,
	CM_LEFT_SHIFT,
	CM_RIGHT_SHIFT,
	CM_CTMASK,
	CM_NFMASK,
	CM_MASK,
};

#define CM_OPS                                                        \
	(1u << CM_SET_X | 1u << CM_SET | 1u << CM_AND | 1u << CM_OR | \
	 1u << CM_XOR | 1u << CM_SAVE | 1u << CM_RESTORE)
#define CM_MASKS (1u << CM_CTMASK | 1u << CM_NFMASK | 1u << CM_MASK)

static const struct opt_def connmark_opts[] = {
	{ "and-mark", 0, 1, CM_AND, true, false },
	{ "ctmask", 0, 1, CM_CTMASK, true, false },
	{ "left-shift-mark", 0, 1, CM_LEFT_SHIFT, true, false },
	{ "mask", 0, 1, CM_MASK, true, false },
	{ "nfmask", 0, 1, CM_NFMASK, true, false },
	{ "or-mark", 0, 1, CM_OR, true, false },
	{ "restore-mark", 0, 0, CM_RESTORE, true, false },
	{ "right-shift-mark", 0, 1, CM_RIGHT_SHIFT, true, false },
	{ "save-mark", 0, 0, CM_SAVE, true, false },
	{ "set-mark", 0, 1, CM_SET, true, false },
	{ "set-xmark", 0, 1, CM_SET_X, true, false },
	{ "xor-mark", 0, 1, CM_XOR, true, false },
};

static void connmark_init(void *data)
{
	struct xt_connmark_tginfo2 *t = data;

	t->ctmask = t->nfmask = UINT32_MAX;
	t->shift_dir = D_SHIFT_LEFT;
}

/*
 * Revision 2 (xt_connmark_tginfo2), in both families.  The operations
 * exclude each other, --mask excludes --ctmask and --nfmask, and each
 * option writes its fields in the order given, as the extension does.
 * The shifts are left to the extension.
 */
static int connmark_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_connmark_tginfo2 *t = (void *)m->data;
	const int id = c->opt->id;
	const char *v = c->val[0] ? c->val[0]->text : "";
	uint32_t n;

	if (c->invert || id == CM_LEFT_SHIFT || id == CM_RIGHT_SHIFT)
		return ENCODE_FALLBACK;
	if (((1u << id) & CM_OPS) && other_given(m, id, CM_OPS))
		return ENCODE_FALLBACK;
	if (((1u << id) & CM_MASKS) &&
	    other_given(m, id, id == CM_MASK ? CM_MASKS : 1u << CM_MASK))
		return ENCODE_FALLBACK;
	switch (id) {
	case CM_SAVE:
		t->mode = XT_CONNMARK_SAVE;
		return 0;
	case CM_RESTORE:
		t->mode = XT_CONNMARK_RESTORE;
		return 0;
	case CM_CTMASK:
	case CM_NFMASK:
	case CM_MASK:
		if (!num_u32(v, strlen(v), UINT32_MAX, &n))
			return ENCODE_FALLBACK;
		if (id != CM_NFMASK)
			t->ctmask = n;
		if (id != CM_CTMASK)
			t->nfmask = n;
		return 0;
	default:
		if (!mark_op(id, v, &t->ctmark, &t->ctmask))
			return ENCODE_FALLBACK;
		t->mode = XT_CONNMARK_SET;
		return 0;
	}
}

/* CONNMARK needs an operation. */
static int connmark_final(struct encoded_match *m, struct diag_list *dl)
{
	(void)dl;
	return m->seen & CM_OPS ? 0 : ENCODE_FALLBACK;
}

/* ---- LOG -------------------------------------------------------------- */

enum {
	LOG_TCPSEQ, /* the option ids of the flags are their bits */
	LOG_TCPOPT,
	LOG_IPOPT,
	LOG_UID,
	LOG_MAC = 5,
	LOG_LEVEL,
	LOG_PREFIX,
};

static const struct opt_def log_opts[] = {
	{ "log-ip-options", 0, 0, LOG_IPOPT, true, false },
	{ "log-level", 0, 1, LOG_LEVEL, true, false },
	{ "log-macdecode", 0, 0, LOG_MAC, true, false },
	{ "log-prefix", 0, 1, LOG_PREFIX, true, false },
	{ "log-tcp-options", 0, 0, LOG_TCPOPT, true, false },
	{ "log-tcp-sequence", 0, 0, LOG_TCPSEQ, true, false },
	{ "log-uid", 0, 0, LOG_UID, true, false },
};

/* The syslog level names libxtables takes (compared exactly). */
static const struct {
	const char *name;
	unsigned char level;
} log_levels[] = {
	{ "alert", 1 },	 { "crit", 2 },	 { "debug", 7 },
	{ "emerg", 0 },	 { "error", 3 }, { "info", 6 },
	{ "notice", 5 }, { "panic", 0 }, { "warning", 4 },
};

static void log_init(void *data)
{
	struct xt_log_info *t = data;

	t->level = 4; /* warning */
}

/* Revision 0 (xt_log_info), in both families.  A prefix the extension
 * would refuse or cut (empty, a newline, past 29 bytes) is left to it. */
static int log_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_log_info *t = (void *)m->data;
	const char *v = c->val[0] ? c->val[0]->text : "";
	size_t len = strlen(v);

	if (c->invert)
		return ENCODE_FALLBACK;
	switch (c->opt->id) {
	case LOG_LEVEL:
		if (len == 1 && v[0] >= '0' && v[0] <= '7') {
			t->level = (unsigned char)(v[0] - '0');
			return 0;
		}
		for (size_t i = 0; i < sizeof(log_levels) / sizeof(*log_levels);
		     i++)
			if (strcmp(v, log_levels[i].name) == 0) {
				t->level = log_levels[i].level;
				return 0;
			}
		return ENCODE_FALLBACK;
	case LOG_PREFIX:
		if (len == 0 || len >= sizeof(t->prefix) || strchr(v, '\n'))
			return ENCODE_FALLBACK;
		memcpy(t->prefix, v, len);
		return 0;
	default:
		t->logflags |= (unsigned char)(1u << c->opt->id);
		return 0;
	}
}

/* ---- REJECT ----------------------------------------------------------- */

static const struct opt_def reject_opts[] = {
	{ "reject-with", 0, 1, 0, true, false },
};

/* A reply type's name and alias, at the index of its enum value. */
struct reject_type {
	const char *name, *alias;
};

static const struct reject_type reject4_types[] = {
	[IPT_ICMP_NET_UNREACHABLE] = { "icmp-net-unreachable", "net-unreach" },
	[IPT_ICMP_HOST_UNREACHABLE] = { "icmp-host-unreachable",
					"host-unreach" },
	[IPT_ICMP_PROT_UNREACHABLE] = { "icmp-proto-unreachable",
					"proto-unreach" },
	[IPT_ICMP_PORT_UNREACHABLE] = { "icmp-port-unreachable",
					"port-unreach" },
	[IPT_ICMP_NET_PROHIBITED] = { "icmp-net-prohibited", "net-prohib" },
	[IPT_ICMP_HOST_PROHIBITED] = { "icmp-host-prohibited", "host-prohib" },
	[IPT_TCP_RESET] = { "tcp-reset", "tcp-rst" },
	[IPT_ICMP_ADMIN_PROHIBITED] = { "icmp-admin-prohibited",
					"admin-prohib" },
};

static const struct reject_type reject6_types[] = {
	[IP6T_ICMP6_NO_ROUTE] = { "icmp6-no-route", "no-route" },
	[IP6T_ICMP6_ADM_PROHIBITED] = { "icmp6-adm-prohibited",
					"adm-prohibited" },
	[IP6T_ICMP6_ADDR_UNREACH] = { "icmp6-addr-unreachable",
				      "addr-unreach" },
	[IP6T_ICMP6_PORT_UNREACH] = { "icmp6-port-unreachable",
				      "port-unreach" },
	[IP6T_TCP_RESET] = { "tcp-reset", "tcp-reset" },
	[IP6T_ICMP6_POLICY_FAIL] = { "icmp6-policy-fail", "policy-fail" },
	[IP6T_ICMP6_REJECT_ROUTE] = { "icmp6-reject-route", "reject-route" },
};

static void reject4_init(void *data)
{
	((struct ipt_reject_info *)data)->with = IPT_ICMP_PORT_UNREACHABLE;
}

static void reject6_init(void *data)
{
	((struct ip6t_reject_info *)data)->with = IP6T_ICMP6_PORT_UNREACH;
}

/*
 * A whole name or alias, in any case.  The extension also takes the
 * start of one (the first in its table that fits); no whole name starts
 * an earlier one, so for whole names the two agree, and a start is left
 * to the extension.
 */
static int reject_parse(struct opt_call *c, struct encoded_match *m)
{
	const bool v6 = c->pc->family == FAMILY_IPV6;
	const struct reject_type *types = v6 ? reject6_types : reject4_types;
	const size_t n = v6 ? sizeof(reject6_types) / sizeof(*reject6_types) :
			      sizeof(reject4_types) / sizeof(*reject4_types);
	const char *v = c->val[0]->text;

	if (c->invert)
		return ENCODE_FALLBACK;
	for (size_t i = 0; i < n; i++) {
		if (!types[i].name || (strcasecmp(v, types[i].name) != 0 &&
				       strcasecmp(v, types[i].alias) != 0))
			continue;
		/* ipt_reject_info and ip6t_reject_info: one __u32 */
		*(uint32_t *)(void *)m->data = (uint32_t)i;
		return 0;
	}
	return ENCODE_FALLBACK;
}

/* ---- TCPMSS ----------------------------------------------------------- */

enum {
	MSS_SET,
	MSS_CLAMP,
};

static const struct opt_def tcpmss_opts[] = {
	{ "clamp-mss-to-pmtu", 0, 0, MSS_CLAMP, true, false },
	{ "set-mss", 0, 1, MSS_SET, true, false },
};

/* Revision 0 (xt_tcpmss_info, host order), in both families: --set-mss
 * up to 65535 less the IP header (20, IPv6 40).  Both options at once
 * are left to the extension. */
static int tcpmss_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_tcpmss_info *t = (void *)m->data;
	const uint32_t max = c->pc->family == FAMILY_IPV6 ? 65535 - 40 :
							    65535 - 20;
	uint32_t v;

	if (c->invert || other_given(m, c->opt->id, ~0u))
		return ENCODE_FALLBACK;
	if (c->opt->id == MSS_CLAMP) {
		t->mss = XT_TCPMSS_CLAMP_PMTU;
		return 0;
	}
	if (!num_u32(c->val[0]->text, strlen(c->val[0]->text), max, &v))
		return ENCODE_FALLBACK;
	t->mss = (uint16_t)v;
	return 0;
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
	{ { "CONNMARK", 2, 0, sizeof(struct xt_connmark_tginfo2),
	    OPTS(connmark_opts), connmark_init, connmark_parse, connmark_final,
	    NULL },
	  V4 | V6 },
	{ { "DNAT", 2, 0, sizeof(struct nf_nat_range2), OPTS(dnat_opts), NULL,
	    nat_parse, nat_final_to, NULL },
	  V4 | V6 },
	{ { "LOG", 0, 0, sizeof(struct xt_log_info), OPTS(log_opts), log_init,
	    log_parse, NULL, NULL },
	  V4 | V6 },
	{ { "MARK", 2, 0, sizeof(struct xt_mark_tginfo2), OPTS(mark_opts), NULL,
	    mark_parse, needs_option, NULL },
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
	{ { "REJECT", 0, 0, sizeof(struct ipt_reject_info), OPTS(reject_opts),
	    reject4_init, reject_parse, NULL, NULL },
	  V4 },
	{ { "REJECT", 0, 0, sizeof(struct ip6t_reject_info), OPTS(reject_opts),
	    reject6_init, reject_parse, NULL, NULL },
	  V6 },
	{ { "SNAT", 0, 0, sizeof(struct nf_nat_ipv4_multi_range_compat),
	    OPTS(snat_opts), NULL, nat_parse, snat4_final, NULL },
	  V4 },
	{ { "SNAT", 1, 0, sizeof(struct nf_nat_range), OPTS(snat_opts), NULL,
	    nat_parse, nat_final_to, NULL },
	  V6 },
	{ { "TCPMSS", 0, 0, sizeof(struct xt_tcpmss_info), OPTS(tcpmss_opts),
	    NULL, tcpmss_parse, needs_option, NULL },
	  V4 | V6 },
};

const size_t encode_ntargets = sizeof(encode_targets) / sizeof(*encode_targets);
