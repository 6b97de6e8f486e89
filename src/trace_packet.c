/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace_packet.c - the packet words of `iptload trace`: iptables' own
 * options (-i, -s, -p, --dport, --syn, --icmp-type, --ctstate...) read as
 * the description of one packet, plus its IPsec context (--ipsec-in,
 * --ipsec-out, --ipsec-leg) and the router's addresses (--local).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_conntrack.h>

#include "addr_text.h"
#include "trace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(const char *s, struct in_addr *a)
{
	return addr_text_v4(s, strlen(s), a) ? 0 : -1;
}

/* A protocol by the names iptables prints, or a number. */
static int parse_proto(const char *s, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {
		{ "tcp", IPPROTO_TCP },	    { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP },   { "esp", IPPROTO_ESP },
		{ "ah", IPPROTO_AH },	    { "sctp", IPPROTO_SCTP },
		{ "gre", IPPROTO_GRE },	    { "udplite", IPPROTO_UDPLITE },
		{ "ipcomp", IPPROTO_COMP }, { "comp", IPPROTO_COMP },
	};
	uint32_t v;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].num;
			return 0;
		}
	if (parse_u32(s, 255, &v) < 0 || v == 0)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* snprintf(@buf, @size, "%s", @s), without the printf machinery: the
 * lints parse a witness packet for every rule they look at. */
static void copy_text(char *buf, size_t size, const char *s)
{
	size_t n = strnlen(s, size - 1);

	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* As strtok_r with the one delimiter @d: the next token at *@at (runs of
 * @d skipped), ended in place; NULL when there is none. */
static char *next_token(char **at, char d)
{
	char *p = *at, *end;

	while (*p == d)
		p++;
	if (!*p) {
		*at = p;
		return NULL;
	}
	end = strchr(p, d);
	if (end) {
		*end = '\0';
		*at = end + 1;
	} else {
		*at = p + strlen(p);
	}
	return p;
}

/* TCP flag names as --tcp-flags takes them, comma separated. */
static int parse_tcp_flags(const char *s, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {
		{ "FIN", 0x01 },  { "SYN", 0x02 }, { "RST", 0x04 },
		{ "PSH", 0x08 },  { "ACK", 0x10 }, { "URG", 0x20 },
		{ "ECE", 0x40 },  { "CWR", 0x80 }, { "ALL", 0xFF },
		{ "NONE", 0x00 },
	};
	char buf[128], *at = buf, *tok;

	copy_text(buf, sizeof(buf), s);
	*out = 0;
	while ((tok = next_token(&at, ','))) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (strcasecmp(tok, names[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(names))
			return -1;
		*out |= names[i].bit;
	}
	return 0;
}

/* An ICMP type: a name iptables knows, or TYPE[/CODE]. */
static int parse_icmp(const char *s, uint8_t *type, uint8_t *code)
{
	static const struct {
		const char *name;
		uint8_t type, code;
	} names[] = {
		{ "echo-reply", 0, 0 },
		{ "destination-unreachable", 3, 0 },
		{ "network-unreachable", 3, 0 },
		{ "host-unreachable", 3, 1 },
		{ "protocol-unreachable", 3, 2 },
		{ "port-unreachable", 3, 3 },
		{ "fragmentation-needed", 3, 4 },
		{ "source-route-failed", 3, 5 },
		{ "network-prohibited", 3, 9 },
		{ "host-prohibited", 3, 10 },
		{ "communication-prohibited", 3, 13 },
		{ "source-quench", 4, 0 },
		{ "redirect", 5, 0 },
		{ "echo-request", 8, 0 },
		{ "router-advertisement", 9, 0 },
		{ "router-solicitation", 10, 0 },
		{ "time-exceeded", 11, 0 },
		{ "ttl-zero-during-transit", 11, 0 },
		{ "ttl-zero-during-reassembly", 11, 1 },
		{ "parameter-problem", 12, 0 },
		{ "timestamp-request", 13, 0 },
		{ "timestamp-reply", 14, 0 },
		{ "address-mask-request", 17, 0 },
		{ "address-mask-reply", 18, 0 },
	};
	char buf[64], *slash;
	uint32_t t, c = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0) {
			*type = names[i].type;
			*code = names[i].code;
			return 0;
		}
	copy_text(buf, sizeof(buf), s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_u32(buf, 254, &t) < 0 ||
	    (slash && parse_u32(slash, 255, &c) < 0))
		return -1;
	*type = (uint8_t)t;
	*code = (uint8_t)c;
	return 0;
}

/* A conntrack state list as --ctstate takes it. */
static int parse_ctstate(const char *s, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "NEW", XT_CONNTRACK_STATE_BIT(IP_CT_NEW) },
		{ "ESTABLISHED", XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) },
		{ "RELATED", XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) },
		{ "INVALID", XT_CONNTRACK_STATE_INVALID },
		{ "UNTRACKED", XT_CONNTRACK_STATE_UNTRACKED },
		{ "SNAT", XT_CONNTRACK_STATE_SNAT },
		{ "DNAT", XT_CONNTRACK_STATE_DNAT },
	};
	char buf[128], *at = buf, *tok;
	unsigned main = 0;

	copy_text(buf, sizeof(buf), s);
	*out = 0;
	while ((tok = next_token(&at, ','))) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (strcasecmp(tok, names[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(names))
			return -1;
		*out |= names[i].bit;
		main += i < 5;
	}
	/* A packet is in exactly one state; SNAT and DNAT say how its
	 * connection was translated. */
	if (main != 1)
		return -1;
	if ((*out &
	     (XT_CONNTRACK_STATE_INVALID | XT_CONNTRACK_STATE_UNTRACKED)) &&
	    (*out & (XT_CONNTRACK_STATE_SNAT | XT_CONNTRACK_STATE_DNAT)))
		return -1;
	return 0;
}

static int sa_field(struct trace_sa *sa, const char *key, const char *val)
{
	if (strcmp(key, "mode") == 0) {
		if (strcmp(val, "tunnel") == 0)
			sa->mode = 1;
		else if (strcmp(val, "transport") == 0)
			sa->mode = 0;
		else
			return -1;
	} else if (strcmp(key, "proto") == 0) {
		if (strcmp(val, "esp") == 0)
			sa->proto = IPPROTO_ESP;
		else if (strcmp(val, "ah") == 0)
			sa->proto = IPPROTO_AH;
		else if (strcmp(val, "ipcomp") == 0)
			sa->proto = IPPROTO_COMP;
		else
			return -1;
	} else if (strcmp(key, "src") == 0) {
		return parse_addr(val, &sa->src);
	} else if (strcmp(key, "dst") == 0) {
		return parse_addr(val, &sa->dst);
	} else if (strcmp(key, "reqid") == 0) {
		sa->has_reqid = true;
		return parse_u32(val, UINT32_MAX, &sa->reqid);
	} else if (strcmp(key, "spi") == 0) {
		sa->has_spi = true;
		return parse_u32(val, UINT32_MAX, &sa->spi);
	} else if (strcmp(key, "encap") == 0) {
		if (strcmp(val, "udp") != 0 && strcmp(val, "espinudp") != 0)
			return -1;
		sa->encap = true;
	} else {
		return -1;
	}
	return 0;
}

/* mode=tunnel,proto=esp,src=A,dst=B[,reqid=N][,spi=N][,encap=udp] */
static int parse_sa(const char *s, struct trace_sa *sa, char *err, size_t len)
{
	char buf[256], *at = buf, *tok;
	bool src = false, dst = false;

	memset(sa, 0, sizeof(*sa));
	sa->mode = 1;
	sa->proto = IPPROTO_ESP;
	copy_text(buf, sizeof(buf), s);
	while ((tok = next_token(&at, ','))) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return fail(err, len, "'%s' in an SA is not KEY=VALUE",
				    tok);
		*eq++ = '\0';
		if (sa_field(sa, tok, eq) < 0)
			return fail(err, len,
				    "bad SA field '%s=%s' (mode=tunnel|"
				    "transport, proto=esp|ah|ipcomp, src=A, "
				    "dst=B, reqid=N, spi=N, encap=udp)",
				    tok, eq);
		src |= strcmp(tok, "src") == 0;
		dst |= strcmp(tok, "dst") == 0;
	}
	if (!src || !dst)
		return fail(err, len, "an SA needs src=ADDR and dst=ADDR");
	if (sa->encap && sa->proto != IPPROTO_ESP)
		return fail(err, len, "encap=udp goes with proto=esp");
	return 0;
}

int trace_packet_add_local(struct trace_packet *p, struct in_addr a,
			   struct in_addr mask)
{
	for (size_t i = 0; i < p->nlocal; i++)
		if (p->local[i].s_addr == a.s_addr)
			return 0;
	if (p->nlocal == TRACE_LOCAL_MAX)
		return -1;
	p->local[p->nlocal] = a;
	p->local_mask[p->nlocal++] = mask;
	return 0;
}

int trace_packet_local(struct trace_packet *p, const char *s)
{
	char buf[64], *slash;
	struct in_addr a, m = { .s_addr = 0xFFFFFFFFu };
	uint32_t len;

	copy_text(buf, sizeof(buf), s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (parse_u32(slash, 32, &len) < 0)
			return -1;
		m.s_addr = len ? htonl(~0u << (32 - len)) : 0;
	}
	if (parse_addr(buf, &a) < 0)
		return -1;
	return trace_packet_add_local(p, a, m);
}

/* The option words that take one argument, and where it goes. */
enum pword {
	PW_IN,
	PW_OUT,
	PW_SRC,
	PW_DST,
	PW_PROTO,
	PW_SPORT,
	PW_DPORT,
	PW_ICMP,
	PW_CTSTATE,
	PW_MARK,
	PW_CTMARK,
	PW_LENGTH,
	PW_IPSEC_IN,
	PW_IPSEC_OUT,
	PW_LEG,
	PW_LOCAL,
};

/* The option words that take a value, sorted by name for bsearch. */
static const struct pword_name {
	const char *name;
	enum pword pw;
} pwords[] = {
	{ "--ctmark", PW_CTMARK },
	{ "--ctstate", PW_CTSTATE },
	{ "--destination", PW_DST },
	{ "--destination-port", PW_DPORT },
	{ "--dport", PW_DPORT },
	{ "--dst", PW_DST },
	{ "--icmp-type", PW_ICMP },
	{ "--in-interface", PW_IN },
	{ "--ipsec-in", PW_IPSEC_IN },
	{ "--ipsec-leg", PW_LEG },
	{ "--ipsec-out", PW_IPSEC_OUT },
	{ "--length", PW_LENGTH },
	{ "--local", PW_LOCAL },
	{ "--mark", PW_MARK },
	{ "--out-interface", PW_OUT },
	{ "--proto", PW_PROTO },
	{ "--protocol", PW_PROTO },
	{ "--source", PW_SRC },
	{ "--source-port", PW_SPORT },
	{ "--sport", PW_SPORT },
	{ "--src", PW_SRC },
	{ "--state", PW_CTSTATE },
	{ "-d", PW_DST },
	{ "-i", PW_IN },
	{ "-o", PW_OUT },
	{ "-p", PW_PROTO },
	{ "-s", PW_SRC },
};

static int pword_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pword_name *)elem)->name);
}

static int word_of(const char *w, enum pword *out)
{
	const struct pword_name *n = bsearch(w, pwords, ARRAY_SIZE(pwords),
					     sizeof(*pwords), pword_cmp);

	if (!n)
		return -1;
	*out = n->pw;
	return 0;
}

static int set_iface(char *dst, const char *v)
{
	if (!*v || strlen(v) >= 16 || strchr(v, '+'))
		return -1;
	strcpy(dst, v);
	return 0;
}

static int add_sa(struct trace_sa *list, size_t *n, const char *v, char *err,
		  size_t len)
{
	if (*n == TRACE_SA_MAX)
		return fail(err, len, "at most %d SAs each way", TRACE_SA_MAX);
	return parse_sa(v, &list[(*n)++], err, len);
}

static int set_port(struct trace_packet *p, unsigned field, uint16_t *dst,
		    const char *v)
{
	uint32_t n;

	if (parse_u32(v, 65535, &n) < 0)
		return -1;
	*dst = (uint16_t)n;
	p->known |= field;
	return 0;
}

static int set_leg(struct trace_packet *p, const char *v)
{
	if (strcmp(v, "outer") == 0)
		p->leg = TRACE_LEG_OUTER;
	else if (strcmp(v, "inner") == 0)
		p->leg = TRACE_LEG_INNER;
	else if (strcmp(v, "both") == 0)
		p->leg = TRACE_LEG_BOTH;
	else
		return -1;
	return 0;
}

/* One option word with its argument @v; returns 0, or -1 when @v is bad
 * (*@err may then hold a message already). */
static int apply_word(struct trace_packet *p, enum pword pw, const char *v,
		      char *err, size_t len)
{
	uint32_t n;

	switch (pw) {
	case PW_IN:
		return set_iface(p->in, v);
	case PW_OUT:
		return set_iface(p->out, v);
	case PW_SRC:
		p->known |= TF_SRC;
		return parse_addr(v, &p->src);
	case PW_DST:
		p->known |= TF_DST;
		return parse_addr(v, &p->dst);
	case PW_PROTO:
		p->known |= TF_PROTO;
		return parse_proto(v, &p->proto);
	case PW_SPORT:
		return set_port(p, TF_SPORT, &p->sport, v);
	case PW_DPORT:
		return set_port(p, TF_DPORT, &p->dport, v);
	case PW_ICMP:
		p->known |= TF_ICMP;
		return parse_icmp(v, &p->icmp_type, &p->icmp_code);
	case PW_CTSTATE:
		return parse_ctstate(v, &p->ctstate);
	case PW_MARK:
		return parse_u32(v, UINT32_MAX, &p->mark);
	case PW_CTMARK:
		return parse_u32(v, UINT32_MAX, &p->ctmark);
	case PW_LENGTH:
		if (parse_u32(v, 65535, &n) < 0 || n < 20)
			return -1;
		p->length = (uint16_t)n;
		p->known |= TF_LENGTH;
		return 0;
	case PW_IPSEC_IN:
		return add_sa(p->in_sa, &p->nin, v, err, len);
	case PW_IPSEC_OUT:
		return add_sa(p->out_sa, &p->nout, v, err, len);
	case PW_LEG:
		return set_leg(p, v);
	case PW_LOCAL:
		return trace_packet_local(p, v);
	}
	return -1;
}

int trace_packet_check(const struct trace_packet *p, char *err, size_t len)
{
	if (!p->in[0] && !p->out[0])
		return fail(err, len,
			    "the packet needs -i (it arrives), -o (it "
			    "leaves) or both (it is forwarded)");
	if (p->nin && !p->in[0])
		return fail(err, len,
			    "--ipsec-in needs -i: a packet "
			    "decapsulated here arrives");
	if (p->nout && !p->out[0])
		return fail(err, len, "--ipsec-out needs -o");
	if (p->leg != TRACE_LEG_DEFAULT && !p->nin && !p->nout)
		return fail(err, len,
			    "--ipsec-leg goes with --ipsec-in or --ipsec-out");
	if ((p->known & (TF_SPORT | TF_DPORT)) &&
	    (!(p->known & TF_PROTO) ||
	     (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP &&
	      p->proto != IPPROTO_SCTP && p->proto != IPPROTO_UDPLITE)))
		return fail(err, len,
			    "--sport and --dport need -p tcp, udp, sctp or "
			    "udplite");
	if ((p->known & TF_ICMP) &&
	    (!(p->known & TF_PROTO) || p->proto != IPPROTO_ICMP))
		return fail(err, len, "--icmp-type needs -p icmp");
	if (p->has_tcp_flags &&
	    (!(p->known & TF_PROTO) || p->proto != IPPROTO_TCP))
		return fail(err, len, "--syn and --tcp-flags need -p tcp");
	return 0;
}

int trace_packet_parse(int argc, char **argv, struct trace_packet *p, char *err,
		       size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->ctstate = XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
	err[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		enum pword pw;

		if (word_of(w, &pw) == 0) {
			if (i + 1 >= argc)
				return fail(err, errlen, "%s needs a value", w);
			if (apply_word(p, pw, argv[i + 1], err, errlen) < 0) {
				if (!err[0])
					fail(err, errlen,
					     "bad value '%s' for %s",
					     argv[i + 1], w);
				return -1;
			}
			i++;
		} else if (strcmp(w, "--json") == 0) {
			p->json = true;
		} else if (strcmp(w, "--syn") == 0) {
			p->tcp_flags = 0x02;
			p->has_tcp_flags = true;
		} else if (strcmp(w, "--tcp-flags") == 0) {
			uint8_t mask;

			if (i + 2 >= argc ||
			    parse_tcp_flags(argv[i + 1], &mask) < 0 ||
			    parse_tcp_flags(argv[i + 2], &p->tcp_flags) < 0 ||
			    (p->tcp_flags & ~mask))
				return fail(err, errlen,
					    "--tcp-flags takes MASK SET "
					    "(e.g. SYN,ACK,FIN,RST SYN): the "
					    "packet's flags are SET");
			p->has_tcp_flags = true;
			i += 2;
		} else {
			return fail(err, errlen, "unknown packet word '%s'", w);
		}
	}
	return trace_packet_check(p, err, errlen);
}
