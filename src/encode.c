/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * encode.c - iptables command-line options to ipt_entry bytes.
 *
 * The option parser follows getopt_long as iptables uses it: long options
 * may be abbreviated when the prefix is unambiguous, an exact name wins, the
 * options of the newest match win over older ones, "!" inverts the option
 * after it, and an option no one knows loads the match named by -p (so
 * "-p udp --dport 53" works without "-m udp").  Values are parsed more
 * strictly than iptables does where iptables silently accepts nonsense:
 * ports over 65535, empty ranges, a '/' without a prefix length, octal
 * look-alike addresses.
 *
 * Matches and targets without a native encoder go to the iptables
 * extensions through the libxtables adapter (xtadapter.h): -m NAME loads
 * one, its options join the lookup in the order iptables merges them, and
 * its parser, final check and bytes are the extension's own.  The line's
 * libxtables state is let go of before encode_parse() returns; the parsed
 * command keeps plain bytes only.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "addr_text.h"
#include "encode.h"
#include "encode_native.h"
#include "xtadapter.h"

/* ---- values ---------------------------------------------------------- */

int encode_bad_value(struct opt_call *c, int i, const char *what)
{
	return diag_error(c->dl, &c->val[i]->loc, c->val[i]->width,
			  "%s '%s' for %s", what, c->val[i]->text,
			  c->word->text);
}

/*
 * iptables reads a number of its own matches in any base (strtoul's base
 * 0), so a leading zero makes it octal: '--dport 010' is port 8.  Loaded
 * as iptables loads it, but said: warn at value @i of @c when a number
 * in it (each of "A:B", "A/B") is written so.
 */
static void warn_octal(struct opt_call *c, int i)
{
	const char *s = c->val[i]->text;

	for (const char *p = s; *p;) {
		const char *tok = p + strspn(p, " \t\n\v\f\r+");
		size_t len = strcspn(tok, ":/");

		if (tok[0] == '0' && len > 1 &&
		    strspn(tok, "01234567") == len &&
		    strtoul(tok, NULL, 8) != strtoul(tok, NULL, 10)) {
			unsigned long v = strtoul(tok, NULL, 8);
			size_t zeros = strspn(tok, "0");

			diag_warning(c->dl, &c->val[i]->loc, c->val[i]->width,
				     "'%.*s'%s%s%s is octal, as iptables reads "
				     "it: %lu, not %.*s",
				     (int)len, tok,
				     len == strlen(s) ? "" : " in '",
				     len == strlen(s) ? "" : s,
				     len == strlen(s) ? "" : "'", v,
				     (int)(len - zeros), tok + zeros);
			diag_hint(c->dl,
				  "write %lu to say so, or %.*s for the "
				  "decimal number",
				  v, (int)(len - zeros), tok + zeros);
			return;
		}
		p = tok + len;
		if (*p)
			p++;
	}
}

/* A decimal number without sign or leading zeros, at most @max. */
bool encode_parse_decimal(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	bool big = false;
	size_t i;

	if (!isdigit((unsigned char)s[0]) || (s[0] == '0' && s[1] != '\0'))
		return false;
	/* As strtoul in base 10, without its locale and errno work: ports
	 * and prefix lengths of every rule come here. */
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (big || v > (ULONG_MAX - d) / 10) {
			big = true; /* out of range: strtoul's ULONG_MAX */
			v = ULONG_MAX;
		} else {
			v = v * 10 + d;
		}
	}
	*out = v;
	return !big && s[i] == '\0' && v <= max;
}

/*
 * A number as xtables_strtoui(s, NULL, &v, 0, max) takes it, the way
 * iptables reads most numbers of its own matches (tcp ports, icmp types,
 * -p): strtoul in any base (0x10, 010 is 8), a leading '+' or white space
 * allowed, a '-' not.
 */
bool encode_parse_strtoui(const char *s, unsigned long max, unsigned long *out)
{
	const char *p = s;
	uintmax_t u;
	char *end;

	if (encode_parse_decimal(s, max, out))
		return true;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-')
		return false;
	errno = 0;
	u = strtoumax(s, &end, 0);
	if (end == s || *end || errno == ERANGE || u > max)
		return false;
	*out = (unsigned long)u;
	return true;
}

/* Decimal, or hexadecimal with 0x, as iptables' numbers are written. */
bool encode_parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0) {
		/* strtoul in base 16 would skip a second "0x" ("0x0x5"),
		 * which iptables' base-0 read stops at. */
		if (!isxdigit((unsigned char)s[2]) ||
		    (s[2] == '0' && (s[3] == 'x' || s[3] == 'X')))
			return false;
		errno = 0;
		v = strtoul(s + 2, &end, 16);
		if (errno || *end || v > UINT32_MAX)
			return false;
	} else if (!encode_parse_decimal(s, UINT32_MAX, &v)) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool looks_like_host_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (isalpha((unsigned char)s[i]))
			return true;
	return false;
}

/*
 * ADDR[/LEN|/MASK] as one address and mask.  Host bits are kept here; the
 * caller decides whether to mask them and warn.
 */
static int parse_net(const struct arg *a, const char *item, size_t len,
		     struct addr_item *out, struct diag_list *dl)
{
	char s[64];
	const char *slash;

	/* One item of a comma list, as a string of its own. */
	if (len >= sizeof(s)) {
		diag_error(dl, &a->loc, a->width, "address '%.*s' is too long",
			   (int)len, item);
		return -1;
	}
	memcpy(s, item, len);
	s[len] = '\0';
	slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned long plen;

	/* "0" (as in the common -s 0/0) is 0.0.0.0 however it is read;
	 * other short forms are refused (iptables: 10.1 is 10.1.0.0). */
	if (alen == 1 && s[0] == '0') {
		out->addr.s_addr = 0;
	} else if (!addr_text_v4(s, alen, &out->addr)) {
		diag_error(dl, &a->loc, a->width, "invalid IPv4 address '%.*s'",
			   (int)alen, s);
		if (memchr(s, ':', alen))
			diag_hint(dl,
				  "%.*s is an IPv6 address and this rule "
				  "is IPv4: write it in an IPv6 rule "
				  "(ip6tables, -6 or family ipv6)",
				  (int)alen, s);
		else if (looks_like_host_name(s, alen))
			diag_hint(dl, "host names are not resolved: a "
				      "firewall must not depend on DNS at "
				      "boot; write the address (or look "
				      "names up once with --resolve)");
		else
			diag_hint(dl, "write four decimal numbers 0-255 "
				      "without leading zeros, e.g. 10.0.1.0");
		return -1;
	}
	out->mask.s_addr = 0xffffffff;
	if (!slash)
		return 0;
	if (slash[1] == '\0' || (size_t)(slash + 1 - s) == len) {
		diag_error(dl, &a->loc, a->width,
			   "missing prefix length after '/' in '%.*s'",
			   (int)len, s);
		if (out->addr.s_addr == 0)
			diag_hint(dl, "write %.*s/0 for any address", (int)alen,
				  s);
		else
			diag_hint(dl,
				  "write %.*s/32 for one host, or "
				  "%.*s/LEN for a network",
				  (int)alen, s, (int)alen, s);
		return -1;
	}
	if (strchr(slash + 1, '.')) {
		if (addr_text_v4(slash + 1, len - alen - 1, &out->mask))
			return 0;
	} else if (encode_parse_decimal(slash + 1, 32, &plen)) {
		out->mask.s_addr = plen ? htonl(~0u << (32 - plen)) : 0;
		return 0;
	}
	diag_error(dl, &a->loc, a->width, "invalid mask '%s' in '%.*s'",
		   slash + 1, (int)len, s);
	diag_hint(dl, "write a prefix length 0-32 or a dotted mask such as "
		      "255.255.255.0");
	return -1;
}

/* Warn when ADDR/LEN has bits set past the prefix: two meanings. */
static void warn_host_bits(const struct arg *a, const struct addr_item *n,
			   struct diag_list *dl)
{
	char addr[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
	struct in_addr masked = { n->addr.s_addr & n->mask.s_addr };
	uint32_t m = ntohl(n->mask.s_addr);
	int plen = 0;

	if (masked.s_addr == n->addr.s_addr)
		return;
	while (plen < 32 && (m & (1u << (31 - plen))))
		plen++;
	inet_ntop(AF_INET, &n->addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &masked, net, sizeof(net));
	diag_warning(dl, &a->loc, a->width,
		     "'%s' has host bits set: it matches the network %s/%d",
		     a->text, net, plen);
	diag_hint(dl,
		  "write %s/32 (or %s) for one host, or %s/%d for the "
		  "network",
		  addr, addr, net, plen);
}

/* Append @it to the list unless it is there already from index @from. */
static void addr_push(struct addr_item **items, size_t *n, size_t from,
		      struct addr_item it)
{
	for (size_t i = from; i < *n; i++)
		if ((*items)[i].addr.s_addr == it.addr.s_addr &&
		    (*items)[i].mask.s_addr == it.mask.s_addr)
			return;
	*items = reallocarray(*items, *n + 1, sizeof(it));
	if (!*items)
		abort();
	(*items)[(*n)++] = it;
}

/*
 * The addresses of family @af (AF_INET or AF_INET6) that host name
 * @name (@nlen bytes of an item of argument @a) has now, in the
 * resolver's order: a list for freeaddrinfo, or NULL with the error said.
 */
static struct addrinfo *resolve_name(const struct arg *a, const char *name,
				     size_t nlen, int af, struct diag_list *dl)
{
	const struct addrinfo hints = { .ai_family = af,
					.ai_socktype = SOCK_RAW };
	struct addrinfo *res;
	char host[256];
	int rc;

	if (nlen >= sizeof(host)) {
		diag_error(dl, &a->loc, a->width,
			   "host name '%.*s' is too long", (int)nlen, name);
		return NULL;
	}
	memcpy(host, name, nlen);
	host[nlen] = '\0';
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		diag_error(dl, &a->loc, a->width,
			   "cannot resolve host name '%s'%s: %s", host,
			   af == AF_INET6 ? " in IPv6" : "",
			   rc == EAI_SYSTEM ? strerror(errno) :
					      gai_strerror(rc));
		if (af == AF_INET6)
			diag_hint(dl, "an IPv6 rule (ip6tables, -6, family "
				      "ipv6 or both) takes the name's IPv6 "
				      "addresses only, as ip6tables does");
		else
			diag_hint(dl, "--resolve looks names up once, as the "
				      "config is loaded; write the address "
				      "to load without DNS");
		return NULL;
	}
	return res;
}

/*
 * NAME[/LEN|/MASK] with --resolve: every IPv4 address NAME has now, in
 * the resolver's order, each once, with the mask (as iptables does).
 * Returns how many were appended, or -1.
 */
static int resolve_net(const struct arg *a, const char *item, size_t len,
		       struct addr_item **items, size_t *n,
		       struct diag_list *dl)
{
	const char *slash = memchr(item, '/', len);
	size_t nlen = slash ? (size_t)(slash - item) : len, before = *n;
	struct addr_item it = { .mask.s_addr = 0xffffffff };
	struct addrinfo *res;

	if (slash) { /* the mask, checked as 0.0.0.0/MASK would be */
		char net[64];

		if (len - nlen > 32)
			return diag_error(dl, &a->loc, a->width,
					  "invalid mask in '%.*s'", (int)len,
					  item);
		snprintf(net, sizeof(net), "0.0.0.0%.*s", (int)(len - nlen),
			 slash);
		if (parse_net(a, net, strlen(net), &it, dl) < 0)
			return -1;
	}
	res = resolve_name(a, item, nlen, AF_INET, dl);
	if (!res)
		return -1;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const struct sockaddr_in *sin = (const void *)ai->ai_addr;

		if (ai->ai_family != AF_INET)
			continue;
		it.addr = sin->sin_addr;
		addr_push(items, n, before, it);
	}
	freeaddrinfo(res);
	if (*n == before)
		return diag_error(dl, &a->loc, a->width,
				  "host name '%.*s' has no IPv4 address",
				  (int)nlen, item);
	return (int)(*n - before);
}

/* An item of -s/-d or a tunnel address: a host name (with --resolve)? */
static bool is_host_name(const struct parsed_cmd *pc, const char *item,
			 size_t len)
{
	const char *slash = memchr(item, '/', len);

	size_t nlen = slash ? (size_t)(slash - item) : len;

	/* Not an IPv6 address (its hex digits are letters too). */
	return pc->resolve && !memchr(item, ':', nlen) &&
	       looks_like_host_name(item, nlen);
}

/* -s/-d: a comma-separated list of networks. */
static int parse_addr_list(struct opt_call *c, struct addr_item **items,
			   size_t *n)
{
	const char *s = c->val[0]->text;

	if (*n > 0)
		return diag_error(c->dl, &c->word->loc, c->word->width,
				  "%s may be given only once", c->word->text);
	do {
		size_t len = strcspn(s, ",");
		struct addr_item it;

		if (is_host_name(c->pc, s, len)) {
			size_t from = *n;

			if (resolve_net(c->val[0], s, len, items, n, c->dl) < 0)
				return -1;
			for (size_t i = from; i < *n; i++)
				(*items)[i].addr.s_addr &=
					(*items)[i].mask.s_addr;
			s += len;
			continue;
		}
		if (parse_net(c->val[0], s, len, &it, c->dl) < 0)
			return -1;
		warn_host_bits(c->val[0], &it, c->dl);
		it.addr.s_addr &= it.mask.s_addr;
		*items = reallocarray(*items, *n + 1, sizeof(it));
		if (!*items)
			abort();
		(*items)[(*n)++] = it;
		s += len;
	} while (*s++ == ',');
	return 0;
}

/*
 * ADDR[/LEN|/MASK] of an IPv6 rule: an IPv6 address, a prefix length
 * 0-128 or a mask written as an address (as ip6tables takes).  An IPv4
 * address here is an error that says which family the rule is in.
 */
static int parse_net6(const struct arg *a, const char *item, size_t len,
		      struct addr6_item *out, struct diag_list *dl)
{
	char s[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned long plen;

	if (len >= sizeof(s))
		return diag_error(dl, &a->loc, a->width,
				  "address '%.*s' is too long", (int)len, item);
	memcpy(s, item, len);
	s[len] = '\0';
	slash = strchr(s, '/');
	if (slash)
		*slash = '\0';
	if (!addr_text_v6(s, slash ? (size_t)(slash - s) : len, &out->addr)) {
		struct in_addr v4;

		diag_error(dl, &a->loc, a->width, "invalid IPv6 address '%s'",
			   s);
		if (addr_text_v4(s, strlen(s), &v4))
			diag_hint(dl,
				  "%s is an IPv4 address and this rule is "
				  "IPv6 (ip6tables, -6 or family ipv6): "
				  "write it in an IPv4 rule",
				  s);
		else if (looks_like_host_name(s, strlen(s)))
			diag_hint(dl, "host names are not resolved: a "
				      "firewall must not depend on DNS at "
				      "boot; write the address (or look "
				      "names up once with --resolve)");
		return -1;
	}
	memset(&out->mask, 0xff, sizeof(out->mask));
	if (!slash)
		return 0;
	if (encode_parse_decimal(slash + 1, 128, &plen)) {
		memset(&out->mask, 0, sizeof(out->mask));
		memset(out->mask.s6_addr, 0xff, plen / 8);
		if (plen % 8)
			out->mask.s6_addr[plen / 8] =
				(uint8_t)(0xff00 >> (plen % 8));
		return 0;
	}
	if (strchr(slash + 1, ':') &&
	    addr_text_v6(slash + 1, strlen(slash + 1), &out->mask))
		return 0;
	diag_error(dl, &a->loc, a->width,
		   "invalid prefix length '%s' in '%.*s'", slash + 1, (int)len,
		   item);
	diag_hint(dl, "an IPv6 prefix length is 0-128");
	return -1;
}

/*
 * The leading one bits of @mask (@len bytes, network order), a byte at a
 * time; *@prefix (unless NULL) says whether only zeros follow them.
 */
static unsigned mask_leading_ones(const unsigned char *mask, size_t len,
				  bool *prefix)
{
	size_t i = 0;
	unsigned ones;

	while (i < len && mask[i] == 0xff)
		i++;
	if (i == len) {
		if (prefix)
			*prefix = true;
		return (unsigned)(8 * len);
	}
	/* The byte in the top 8 bits, inverted: its leading ones are the
	 * leading zeros (never all 32: the low bits are ones). */
	ones = (unsigned)__builtin_clz(~((unsigned)mask[i] << 24));
	if (prefix) {
		*prefix = (uint8_t)(mask[i] << ones) == 0;
		for (size_t k = i + 1; *prefix && k < len; k++)
			*prefix = mask[k] == 0;
	}
	return (unsigned)(8 * i) + ones;
}

/* Warn when an IPv6 ADDR/LEN has bits set past the prefix. */
static void warn_host_bits6(const struct arg *a, const struct addr6_item *n,
			    struct diag_list *dl)
{
	char addr[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	struct in6_addr masked;
	int plen = 0;

	for (int i = 0; i < 16; i++)
		masked.s6_addr[i] = n->addr.s6_addr[i] & n->mask.s6_addr[i];
	if (memcmp(&masked, &n->addr, sizeof(masked)) == 0)
		return;
	plen = (int)mask_leading_ones(n->mask.s6_addr, sizeof(n->mask), NULL);
	inet_ntop(AF_INET6, &n->addr, addr, sizeof(addr));
	inet_ntop(AF_INET6, &masked, net, sizeof(net));
	diag_warning(dl, &a->loc, a->width,
		     "'%s' has host bits set: it matches the network %s/%d",
		     a->text, net, plen);
	diag_hint(dl,
		  "write %s/128 (or %s) for one host, or %s/%d for the "
		  "network",
		  addr, addr, net, plen);
}

/* Append @it to the list unless it is there already from index @from. */
static void addr6_push(struct addr6_item **items, size_t *n, size_t from,
		       const struct addr6_item *it)
{
	for (size_t i = from; i < *n; i++)
		if (memcmp(&(*items)[i], it, sizeof(*it)) == 0)
			return;
	*items = reallocarray(*items, *n + 1, sizeof(*it));
	if (!*items)
		abort();
	(*items)[(*n)++] = *it;
}

/*
 * NAME[/LEN|/MASK] with --resolve in an IPv6 rule: every IPv6 address
 * NAME has now, in the resolver's order, each once, with the mask (as
 * ip6tables does).  Returns how many were appended, or -1.
 */
static int resolve_net6(const struct arg *a, const char *item, size_t len,
			struct addr6_item **items, size_t *n,
			struct diag_list *dl)
{
	const char *slash = memchr(item, '/', len);
	size_t nlen = slash ? (size_t)(slash - item) : len, before = *n;
	struct addr6_item it;
	struct addrinfo *res;

	memset(&it, 0, sizeof(it));
	memset(&it.mask, 0xff, sizeof(it.mask));
	if (slash) { /* the mask, checked as ::/MASK would be */
		char net[INET6_ADDRSTRLEN + 8];

		if (len - nlen >= sizeof(net) - 2)
			return diag_error(dl, &a->loc, a->width,
					  "invalid mask in '%.*s'", (int)len,
					  item);
		snprintf(net, sizeof(net), "::%.*s", (int)(len - nlen), slash);
		if (parse_net6(a, net, strlen(net), &it, dl) < 0)
			return -1;
	}
	res = resolve_name(a, item, nlen, AF_INET6, dl);
	if (!res)
		return -1;
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;

		if (ai->ai_family != AF_INET6)
			continue;
		it.addr = sin6->sin6_addr;
		addr6_push(items, n, before, &it);
	}
	freeaddrinfo(res);
	if (*n == before)
		return diag_error(dl, &a->loc, a->width,
				  "host name '%.*s' has no IPv6 address",
				  (int)nlen, item);
	return (int)(*n - before);
}

/* -s/-d of an IPv6 rule: a comma-separated list of networks. */
static int parse_addr6_list(struct opt_call *c, struct addr6_item **items,
			    size_t *n)
{
	const char *s = c->val[0]->text;

	if (*n > 0)
		return diag_error(c->dl, &c->word->loc, c->word->width,
				  "%s may be given only once", c->word->text);
	do {
		size_t len = strcspn(s, ",");
		struct addr6_item it;

		if (is_host_name(c->pc, s, len)) {
			size_t from = *n;

			if (resolve_net6(c->val[0], s, len, items, n, c->dl) <
			    0)
				return -1;
			for (size_t i = from; i < *n; i++)
				for (int k = 0; k < 16; k++)
					(*items)[i].addr.s6_addr[k] &=
						(*items)[i].mask.s6_addr[k];
			s += len;
			continue;
		}
		/* 0/0, any address, as ip6tables takes it in -s and -d (not
		 * in a policy's tunnel address). */
		if (len == 3 && strncmp(s, "0/0", 3) == 0)
			memset(&it, 0, sizeof(it));
		else if (parse_net6(c->val[0], s, len, &it, c->dl) < 0)
			return -1;
		warn_host_bits6(c->val[0], &it, c->dl);
		for (int i = 0; i < 16; i++)
			it.addr.s6_addr[i] &= it.mask.s6_addr[i];
		*items = reallocarray(*items, *n + 1, sizeof(it));
		if (!*items)
			abort();
		(*items)[(*n)++] = it;
		s += len;
	} while (*s++ == ',');
	return 0;
}

/* -s/-d: the family's list. */
static int parse_addrs(struct opt_call *c, bool source)
{
	struct parsed_cmd *pc = c->pc;

	int rc;

	if (pc->family == FAMILY_IPV6)
		rc = source ? parse_addr6_list(c, &pc->srcs6, &pc->nsrcs) :
			      parse_addr6_list(c, &pc->dsts6, &pc->ndsts);
	else
		rc = source ? parse_addr_list(c, &pc->srcs, &pc->nsrcs) :
			      parse_addr_list(c, &pc->dsts, &pc->ndsts);
	if (rc < 0)
		return rc;
	/* A rule with several sources or destinations becomes one rule per
	 * pair, and iptables refuses a "!" on either address of it, not
	 * only on the list itself. */
	if ((pc->ip.invflags & (IPT_INV_SRCIP | IPT_INV_DSTIP)) &&
	    (pc->nsrcs > 1 || pc->ndsts > 1)) {
		diag_error(c->dl, &c->word->loc, c->word->width,
			   "! cannot be used with a list of addresses");
		diag_hint(c->dl, "iptables refuses '!' on -s or -d when "
				 "either of them is a list; write the rule "
				 "once per address");
		return -1;
	}
	return 0;
}

/* Protocol names iptables knows without /etc/protocols, sorted for
 * bsearch; other names come from getprotobyname(). */
static const struct proto_name {
	const char *name;
	uint8_t num;
} proto_names[] = {
	{ "ah", 51 },	  { "all", 0 },	       { "esp", 50 },
	{ "gre", 47 },	  { "icmp", 1 },       { "icmpv6", 58 },
	{ "ipencap", 4 }, { "ipv6-icmp", 58 }, { "ipv6-mh", 135 },
	{ "mh", 135 },	  { "sctp", 132 },     { "tcp", 6 },
	{ "udp", 17 },	  { "udplite", 136 },
};

static int proto_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct proto_name *)elem)->name);
}

static int parse_proto(const char *s, uint16_t *out)
{
	const struct proto_name *p;
	struct protoent *pe;
	unsigned long v;

	if (encode_parse_strtoui(s, 255, &v)) {
		*out = (uint16_t)v;
		return 0;
	}
	p = bsearch(s, proto_names, sizeof(proto_names) / sizeof(*p),
		    sizeof(*p), proto_cmp);
	if (p) {
		*out = p->num;
		return 0;
	}
	pe = getprotobyname(s);
	if (!pe)
		return -1;
	*out = (uint16_t)pe->p_proto;
	return 0;
}

static int parse_iface(struct opt_call *c, char *name, unsigned char *mask)
{
	const char *s = c->val[0]->text;
	size_t len = strlen(s);

	if (len == 0 || len >= IFNAMSIZ)
		return diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				  "interface name '%s' must be 1 to %d "
				  "characters",
				  s, IFNAMSIZ - 1);
	if (strpbrk(s, "/ \t"))
		return diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				  "interface name '%s' contains a character "
				  "the kernel never allows",
				  s);
	memset(name, 0, IFNAMSIZ);
	memset(mask, 0, IFNAMSIZ);
	memcpy(name, s, len);
	/* "eth+" matches every name starting with "eth"; an exact name is
	 * compared including its terminating NUL. */
	memset(mask, 0xff, s[len - 1] == '+' ? len - 1 : len + 1);
	return 0;
}

/*
 * A port by number or by service name, as the match of -p reads it.
 * tcp (libxt_tcp, xtables_parse_port) looks a name up as a tcp service,
 * then takes a number in any base strtoul knows (0x50, 010 is 8).  udp
 * (xtopt's port range, xtables_getportbyname) asks getaddrinfo, which
 * takes a decimal number (010 is 10, +5 is 5) or a service of any
 * protocol; a decimal number over 65535, which getaddrinfo cuts to 16 bits
 * silently, is refused.
 */
bool encode_parse_port(const char *s, bool tcp, uint16_t *out)
{
	struct addrinfo *res = NULL;
	struct servent *se;
	unsigned long v;
	char *end;
	bool ok = false;

	if (encode_parse_decimal(s, 65535, &v)) {
		*out = (uint16_t)v;
		return true;
	}
	if (s[0] == '\0')
		return false;
	if (tcp) {
		se = getservbyname(s, "tcp");
		if (se) {
			*out = ntohs((uint16_t)se->s_port);
			return true;
		}
		if (!encode_parse_strtoui(s, 65535, &v))
			return false;
		*out = (uint16_t)v;
		return true;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end == '\0') {
		if (errno == ERANGE || v > 65535)
			return false;
		*out = (uint16_t)v;
		return true;
	}
	if (getaddrinfo(NULL, s, NULL, &res) != 0)
		return false;
	for (const struct addrinfo *a = res; a && !ok; a = a->ai_next) {
		if (a->ai_family == AF_INET6) {
			*out = ntohs(((struct sockaddr_in6 *)(void *)a->ai_addr)
					     ->sin6_port);
			ok = true;
		} else if (a->ai_family == AF_INET) {
			*out = ntohs(((struct sockaddr_in *)(void *)a->ai_addr)
					     ->sin_port);
			ok = true;
		}
	}
	freeaddrinfo(res);
	return ok;
}

/* PORT, LO:HI, LO: or :HI into a range. */
int encode_parse_port_range(struct opt_call *c, bool tcp, uint16_t range[2])
{
	const char *s = c->val[0]->text;
	const char *colon = strchr(s, ':');
	char lo[64] = "", hi[64] = "";

	if (!colon) {
		if (!encode_parse_port(s, tcp, &range[0]))
			goto bad;
		range[1] = range[0];
		if (tcp)
			warn_octal(c, 0);
		return 0;
	}
	if ((size_t)(colon - s) >= sizeof(lo) ||
	    strlen(colon + 1) >= sizeof(hi) || strchr(colon + 1, ':'))
		goto bad;
	memcpy(lo, s, (size_t)(colon - s));
	strcpy(hi, colon + 1);
	range[0] = 0;
	range[1] = 65535;
	if ((lo[0] && !encode_parse_port(lo, tcp, &range[0])) ||
	    (hi[0] && !encode_parse_port(hi, tcp, &range[1])))
		goto bad;
	if (tcp)
		warn_octal(c, 0);
	if (range[0] > range[1]) {
		diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
			   "port range '%s' is empty: %u is above %u", s,
			   range[0], range[1]);
		diag_hint(c->dl, "write %u:%u", range[1], range[0]);
		return -1;
	}
	return 0;
bad:
	encode_bad_value(c, 0, "invalid port or range");
	diag_hint(c->dl, "a port is a number 0-65535 or a service name; a "
			 "range is LOW:HIGH");
	return -1;
}

/* ---- udp and tcp ----------------------------------------------------- */

enum {
	PORT_SRC,
	PORT_DST,
	TCP_SYN,
	TCP_FLAGS,
	TCP_OPTION
};

static const struct opt_def udp_opts[] = {
	{ "destination-port", 0, 1, PORT_DST, true, false },
	{ "dport", 0, 1, PORT_DST, true, false },
	{ "source-port", 0, 1, PORT_SRC, true, false },
	{ "sport", 0, 1, PORT_SRC, true, false },
};

static const struct opt_def tcp_opts[] = {
	{ "destination-port", 0, 1, PORT_DST, true, false },
	{ "dport", 0, 1, PORT_DST, true, false },
	{ "source-port", 0, 1, PORT_SRC, true, false },
	{ "sport", 0, 1, PORT_SRC, true, false },
	{ "syn", 0, 0, TCP_SYN, true, false },
	{ "tcp-flags", 0, 2, TCP_FLAGS, true, false },
	{ "tcp-option", 0, 1, TCP_OPTION, true, false },
};

static void udp_init(void *data)
{
	struct xt_udp *u = data;

	u->spts[1] = u->dpts[1] = 0xffff;
}

static void tcp_init(void *data)
{
	struct xt_tcp *t = data;

	t->spts[1] = t->dpts[1] = 0xffff;
}

static int udp_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_udp *u = (void *)m->data;
	bool src = c->opt->id == PORT_SRC;

	if (encode_parse_port_range(c, false, src ? u->spts : u->dpts) < 0)
		return -1;
	if (c->invert)
		u->invflags |= src ? XT_UDP_INV_SRCPT : XT_UDP_INV_DSTPT;
	return 0;
}

static const struct {
	const char *name;
	uint8_t bits;
} tcp_flag_names[] = {
	{ "ACK", 0x10 }, { "ALL", 0x3f }, { "FIN", 0x01 }, { "NONE", 0x00 },
	{ "PSH", 0x08 }, { "RST", 0x04 }, { "SYN", 0x02 }, { "URG", 0x20 },
};

static int parse_tcp_flags(struct opt_call *c, int i, uint8_t *out)
{
	const char *s = c->val[i]->text;

	*out = 0;
	do {
		size_t len = strcspn(s, ","), k;

		for (k = 0;
		     k < sizeof(tcp_flag_names) / sizeof(*tcp_flag_names); k++)
			if (strlen(tcp_flag_names[k].name) == len &&
			    strncasecmp(s, tcp_flag_names[k].name, len) == 0)
				break;
		if (k == sizeof(tcp_flag_names) / sizeof(*tcp_flag_names)) {
			diag_error(c->dl, &c->val[i]->loc, c->val[i]->width,
				   "unknown TCP flag '%.*s'", (int)len, s);
			diag_hint(c->dl, "flags are SYN ACK FIN RST URG PSH, "
					 "ALL or NONE, separated by commas");
			return -1;
		}
		*out |= tcp_flag_names[k].bits;
		s += len;
	} while (*s++ == ',');
	return 0;
}

static int tcp_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_tcp *t = (void *)m->data;
	unsigned long v;

	switch (c->opt->id) {
	case PORT_SRC:
	case PORT_DST:
		if (encode_parse_port_range(
			    c, true,
			    c->opt->id == PORT_SRC ? t->spts : t->dpts) < 0)
			return -1;
		if (c->invert)
			t->invflags |= c->opt->id == PORT_SRC ?
					       XT_TCP_INV_SRCPT :
					       XT_TCP_INV_DSTPT;
		return 0;
	case TCP_SYN:
	case TCP_FLAGS:
		/* run_option() has marked this option already. */
		if (m->seen & ~(1u << c->opt->id) &
		    (1u << TCP_SYN | 1u << TCP_FLAGS))
			return diag_error(c->dl, &c->word->loc, c->word->width,
					  "--syn and --tcp-flags exclude each "
					  "other; give one");
		if (c->opt->id == TCP_SYN) {
			t->flg_mask = 0x17; /* SYN,RST,ACK,FIN */
			t->flg_cmp = 0x02;  /* SYN */
		} else if (parse_tcp_flags(c, 0, &t->flg_mask) < 0 ||
			   parse_tcp_flags(c, 1, &t->flg_cmp) < 0) {
			return -1;
		}
		if (c->invert)
			t->invflags |= XT_TCP_INV_FLAGS;
		return 0;
	default: /* TCP_OPTION */
		if (!encode_parse_strtoui(c->val[0]->text, 255, &v) || v == 0)
			return encode_bad_value(c, 0,
						"invalid TCP option number "
						"(1-255)");
		t->option = (uint8_t)v;
		warn_octal(c, 0);
		if (c->invert)
			t->invflags |= XT_TCP_INV_OPTION;
		return 0;
	}
}

/* ---- icmp ------------------------------------------------------------ */

static const struct opt_def icmp_opts[] = {
	{ "icmp-type", 0, 1, 0, true, false },
};

/* The ICMP type names iptables accepts, with their type and code range. */
static const struct icmp_name {
	const char *name;
	uint8_t type, code_min, code_max;
} icmp_names[] = {
	{ "any", 0xff, 0, 0xff },
	{ "echo-reply", 0, 0, 0xff },
	{ "pong", 0, 0, 0xff },
	{ "destination-unreachable", 3, 0, 0xff },
	{ "network-unreachable", 3, 0, 0 },
	{ "host-unreachable", 3, 1, 1 },
	{ "protocol-unreachable", 3, 2, 2 },
	{ "port-unreachable", 3, 3, 3 },
	{ "fragmentation-needed", 3, 4, 4 },
	{ "source-route-failed", 3, 5, 5 },
	{ "network-unknown", 3, 6, 6 },
	{ "host-unknown", 3, 7, 7 },
	{ "network-prohibited", 3, 9, 9 },
	{ "host-prohibited", 3, 10, 10 },
	{ "TOS-network-unreachable", 3, 11, 11 },
	{ "TOS-host-unreachable", 3, 12, 12 },
	{ "communication-prohibited", 3, 13, 13 },
	{ "host-precedence-violation", 3, 14, 14 },
	{ "precedence-cutoff", 3, 15, 15 },
	{ "source-quench", 4, 0, 0xff },
	{ "redirect", 5, 0, 0xff },
	{ "network-redirect", 5, 0, 0 },
	{ "host-redirect", 5, 1, 1 },
	{ "TOS-network-redirect", 5, 2, 2 },
	{ "TOS-host-redirect", 5, 3, 3 },
	{ "echo-request", 8, 0, 0xff },
	{ "ping", 8, 0, 0xff },
	{ "router-advertisement", 9, 0, 0xff },
	{ "router-solicitation", 10, 0, 0xff },
	{ "time-exceeded", 11, 0, 0xff },
	{ "ttl-exceeded", 11, 0, 0xff },
	{ "ttl-zero-during-transit", 11, 0, 0 },
	{ "ttl-zero-during-reassembly", 11, 1, 1 },
	{ "parameter-problem", 12, 0, 0xff },
	{ "ip-header-bad", 12, 0, 0 },
	{ "required-option-missing", 12, 1, 1 },
	{ "timestamp-request", 13, 0, 0xff },
	{ "timestamp-reply", 14, 0, 0xff },
	{ "address-mask-request", 17, 0, 0xff },
	{ "address-mask-reply", 18, 0, 0xff },
};

/* "TYPE[/CODE]" in numbers (any base, as libxt_icmp and libip6t_icmp6
 * read them), into @type and the code range @code: all codes when none is
 * given.  Shared by icmp and icmp6, whose data have one layout. */
static bool icmp_numbers(const char *s, uint8_t *type, uint8_t code[2])
{
	const char *slash = strchr(s, '/');
	size_t tl = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long t, c = 0;
	char buf[8] = "";

	if (tl >= sizeof(buf))
		return false;
	memcpy(buf, s, tl);
	if (!encode_parse_strtoui(buf, 255, &t) ||
	    (slash && !encode_parse_strtoui(slash + 1, 255, &c)))
		return false;
	*type = (uint8_t)t;
	code[0] = slash ? (uint8_t)c : 0;
	code[1] = slash ? (uint8_t)c : 0xff;
	return true;
}

static void icmp_init(void *data)
{
	struct ipt_icmp *i = data;

	i->type = 0xff; /* any */
	i->code[1] = 0xff;
}

/* A type name (or unambiguous prefix, as iptables allows), or TYPE[/CODE]. */
static int icmp_parse(struct opt_call *c, struct encoded_match *m)
{
	struct ipt_icmp *ic = (void *)m->data;
	const char *s = c->val[0]->text;
	const struct icmp_name *found = NULL;
	size_t n = sizeof(icmp_names) / sizeof(*icmp_names);

	for (size_t i = 0; i < n; i++) {
		if (strncasecmp(s, icmp_names[i].name, strlen(s)) != 0)
			continue;
		if (strlen(s) == strlen(icmp_names[i].name)) {
			found = &icmp_names[i];
			break;
		}
		if (found && (found->type != icmp_names[i].type ||
			      found->code_min != icmp_names[i].code_min))
			return encode_bad_value(c, 0, "ambiguous ICMP type");
		found = &icmp_names[i];
	}
	if (found && s[0]) {
		ic->type = found->type;
		ic->code[0] = found->code_min;
		ic->code[1] = found->code_max;
	} else if (!icmp_numbers(s, &ic->type, ic->code)) {
		goto bad;
	} else {
		warn_octal(c, 0);
	}
	if (c->invert)
		ic->invflags |= IPT_ICMP_INV;
	return 0;
bad:
	encode_bad_value(c, 0, "unknown ICMP type");
	diag_hint(c->dl, "write a name such as echo-request, or TYPE[/CODE] "
			 "in numbers");
	return -1;
}

/* ---- icmp6 ----------------------------------------------------------- */

static const struct opt_def icmp6_opts[] = {
	{ "icmpv6-type", 0, 1, 0, true, false },
};

/* The ICMPv6 type names ip6tables accepts (RFC 4443 and 4861; not MLD's,
 * which it names by number), with their type and code range. */
static const struct icmp_name icmp6_names[] = {
	{ "destination-unreachable", 1, 0, 0xff },
	{ "no-route", 1, 0, 0 },
	{ "communication-prohibited", 1, 1, 1 },
	{ "beyond-scope", 1, 2, 2 },
	{ "address-unreachable", 1, 3, 3 },
	{ "port-unreachable", 1, 4, 4 },
	{ "failed-policy", 1, 5, 5 },
	{ "reject-route", 1, 6, 6 },
	{ "packet-too-big", 2, 0, 0xff },
	{ "time-exceeded", 3, 0, 0xff },
	{ "ttl-exceeded", 3, 0, 0xff },
	{ "ttl-zero-during-transit", 3, 0, 0 },
	{ "ttl-zero-during-reassembly", 3, 1, 1 },
	{ "parameter-problem", 4, 0, 0xff },
	{ "bad-header", 4, 0, 0 },
	{ "unknown-header-type", 4, 1, 1 },
	{ "unknown-option", 4, 2, 2 },
	{ "echo-request", 128, 0, 0xff },
	{ "ping", 128, 0, 0xff },
	{ "echo-reply", 129, 0, 0xff },
	{ "pong", 129, 0, 0xff },
	{ "router-solicitation", 133, 0, 0xff },
	{ "router-advertisement", 134, 0, 0xff },
	{ "neighbour-solicitation", 135, 0, 0xff },
	{ "neighbor-solicitation", 135, 0, 0xff },
	{ "neighbour-advertisement", 136, 0, 0xff },
	{ "neighbor-advertisement", 136, 0, 0xff },
	{ "redirect", 137, 0, 0xff },
};

static void icmp6_init(void *data)
{
	struct ip6t_icmp *i = data;

	i->code[1] = 0xff;
}

/* A type name, or a prefix of exactly one name (ip6tables calls a prefix
 * of two names ambiguous even when they are aliases), or TYPE[/CODE]. */
static int icmp6_parse(struct opt_call *c, struct encoded_match *m)
{
	struct ip6t_icmp *ic = (void *)m->data;
	const char *s = c->val[0]->text;
	const struct icmp_name *found = NULL;
	size_t n = sizeof(icmp6_names) / sizeof(*icmp6_names);

	for (size_t i = 0; s[0] && i < n; i++) {
		if (strncasecmp(s, icmp6_names[i].name, strlen(s)) != 0)
			continue;
		if (found) {
			encode_bad_value(c, 0, "ambiguous ICMPv6 type");
			diag_hint(
				c->dl,
				"it is the start of both %s and %s: write the whole name",
				found->name, icmp6_names[i].name);
			return -1;
		}
		found = &icmp6_names[i];
	}
	if (found) {
		ic->type = found->type;
		ic->code[0] = found->code_min;
		ic->code[1] = found->code_max;
	} else if (!icmp_numbers(s, &ic->type, ic->code)) {
		goto bad;
	} else {
		warn_octal(c, 0);
	}
	if (c->invert)
		ic->invflags |= IP6T_ICMP_INV;
	return 0;
bad:
	encode_bad_value(c, 0, "unknown ICMPv6 type");
	diag_hint(c->dl, "write a name such as echo-request or "
			 "neighbour-solicitation, or TYPE[/CODE] in numbers");
	return -1;
}

/* ip6tables needs --icmpv6-type with -m icmp6. */
static int icmp6_final(struct encoded_match *m, struct diag_list *dl)
{
	if (m->seen & 1)
		return 0;
	diag_error(dl, &m->where.loc, m->where.width,
		   "icmp6 match without --icmpv6-type");
	diag_hint(dl, "add --icmpv6-type TYPE, e.g. --icmpv6-type "
		      "echo-request");
	return -1;
}

/* ---- policy ---------------------------------------------------------- */

enum {
	POL_DIR,
	POL_POL,
	POL_STRICT,
	POL_REQID,
	POL_SPI,
	POL_PROTO,
	POL_MODE,
	POL_TUNNEL_SRC,
	POL_TUNNEL_DST,
	POL_NEXT,
};

static const struct opt_def policy_opts[] = {
	/* Element options repeat once per element, checked per element. */
	{ "dir", 0, 1, POL_DIR, false, false },
	{ "mode", 0, 1, POL_MODE, true, true },
	{ "next", 0, 0, POL_NEXT, false, true },
	{ "pol", 0, 1, POL_POL, false, false },
	{ "proto", 0, 1, POL_PROTO, true, true },
	{ "reqid", 0, 1, POL_REQID, true, true },
	{ "spi", 0, 1, POL_SPI, true, true },
	{ "strict", 0, 0, POL_STRICT, false, false },
	{ "tunnel-dst", 0, 1, POL_TUNNEL_DST, true, true },
	{ "tunnel-src", 0, 1, POL_TUNNEL_SRC, true, true },
};

/* True when @mask (@len bytes) is ones then zeroes, a prefix. */
static bool is_prefix_mask(const unsigned char *mask, size_t len)
{
	bool prefix;

	mask_leading_ones(mask, len, &prefix);
	return prefix;
}

/* The IPv6 form of policy_tunnel_addr. */
static int policy_tunnel_addr6(struct opt_call *c, union xt_policy_addr *addr,
			       union xt_policy_addr *mask)
{
	struct addr6_item it;
	const char *s = c->val[0]->text;

	if (is_host_name(c->pc, s, strlen(s))) {
		struct addr6_item *all = NULL;
		size_t n = 0;
		int got =
			resolve_net6(c->val[0], s, strlen(s), &all, &n, c->dl);

		if (got == 1)
			it = all[0];
		else if (got > 1)
			diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				   "'%s' has %d IPv6 addresses; %s takes "
				   "one",
				   s, got, c->word->text);
		free(all);
		if (got != 1)
			return -1;
	} else if (parse_net6(c->val[0], s, strlen(s), &it, c->dl) < 0) {
		return -1;
	}
	if (!is_prefix_mask(it.mask.s6_addr, sizeof(it.mask))) {
		diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
			   "the mask of '%s' has gaps: a tunnel address takes "
			   "a prefix",
			   s);
		diag_hint(c->dl, "write ADDRESS/LEN, e.g. 2001:db8::/32");
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	memset(mask, 0, sizeof(*mask));
	addr->a6 = it.addr;
	if (strchr(s, '/'))
		mask->a6 = it.mask;
	else
		memset(mask, 0xff, sizeof(*mask));
	return 0;
}

/* --tunnel-src/--tunnel-dst: not masked, and the mask spans the whole
 * 16-byte address union as libxt_policy stores it. */
static int policy_tunnel_addr(struct opt_call *c, union xt_policy_addr *addr,
			      union xt_policy_addr *mask)
{
	struct addr_item it;
	const char *s = c->val[0]->text;

	if (c->pc->family == FAMILY_IPV6)
		return policy_tunnel_addr6(c, addr, mask);

	if (is_host_name(c->pc, s, strlen(s))) {
		struct addr_item *all = NULL;
		size_t n = 0;
		int got = resolve_net(c->val[0], s, strlen(s), &all, &n, c->dl);

		if (got == 1)
			it = all[0];
		else if (got > 1)
			diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
				   "'%s' has %d IPv4 addresses; %s takes "
				   "one",
				   s, got, c->word->text);
		free(all);
		if (got != 1)
			return -1;
	} else if (parse_net(c->val[0], s, strlen(s), &it, c->dl) < 0) {
		return -1;
	}
	uint32_t m = ntohl(it.mask.s_addr);

	/* iptables silently turns a mask with gaps into a host mask here. */
	if (m & (~m >> 1)) {
		diag_error(c->dl, &c->val[0]->loc, c->val[0]->width,
			   "the mask of '%s' has gaps: a tunnel address takes "
			   "a prefix",
			   s);
		diag_hint(c->dl, "write ADDRESS/LEN, e.g. 10.0.0.0/8");
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	memset(mask, 0, sizeof(*mask));
	addr->a4 = it.addr;
	if (strchr(s, '/'))
		mask->a4 = it.mask;
	else
		memset(mask, 0xff, sizeof(*mask));
	return 0;
}

static int policy_dup(struct opt_call *c)
{
	diag_error(c->dl, &c->word->loc, c->word->width,
		   "%s given twice for one policy element", c->word->text);
	diag_hint(c->dl, "start the next element with --next (needs "
			 "--strict)");
	return -1;
}

static int policy_elem_parse(struct opt_call *c, struct xt_policy_elem *e)
{
	const char *v = c->val[0] ? c->val[0]->text : "";
	unsigned long n;
	uint16_t proto;

	/* --reqid and --spi are libxt_policy's XTTYPE_UINT32: any base. */
	switch (c->opt->id) {
	case POL_REQID:
		if (e->match.reqid)
			return policy_dup(c);
		if (!encode_parse_strtoui(v, UINT32_MAX, &n))
			return encode_bad_value(c, 0, "invalid number");
		warn_octal(c, 0);
		e->reqid = (uint32_t)n;
		e->match.reqid = 1;
		e->invert.reqid = c->invert;
		return 0;
	case POL_SPI:
		if (e->match.spi)
			return policy_dup(c);
		/* Host order in a __be32 field, as iptables stores it. */
		if (!encode_parse_strtoui(v, UINT32_MAX, &n))
			return encode_bad_value(c, 0, "invalid number");
		warn_octal(c, 0);
		e->spi = (uint32_t)n;
		e->match.spi = 1;
		e->invert.spi = c->invert;
		return 0;
	case POL_PROTO:
		if (e->match.proto)
			return policy_dup(c);
		if (parse_proto(v, &proto) < 0 ||
		    (proto != 50 && proto != 51 && proto != 108)) {
			encode_bad_value(c, 0, "invalid IPsec protocol");
			diag_hint(c->dl, "write esp, ah or ipcomp");
			return -1;
		}
		e->proto = (uint8_t)proto;
		e->match.proto = 1;
		e->invert.proto = c->invert;
		return 0;
	case POL_MODE:
		if (e->match.mode)
			return policy_dup(c);
		if (strcmp(v, "tunnel") == 0)
			e->mode = XT_POLICY_MODE_TUNNEL;
		else if (strcmp(v, "transport") == 0)
			e->mode = XT_POLICY_MODE_TRANSPORT;
		else
			return encode_bad_value(c, 0,
						"mode must be tunnel or "
						"transport, not");
		e->match.mode = 1;
		e->invert.mode = c->invert;
		return 0;
	case POL_TUNNEL_SRC:
		if (e->match.saddr)
			return policy_dup(c);
		if (policy_tunnel_addr(c, &e->saddr, &e->smask) < 0)
			return -1;
		e->match.saddr = 1;
		e->invert.saddr = c->invert;
		return 0;
	default: /* POL_TUNNEL_DST */
		if (e->match.daddr)
			return policy_dup(c);
		if (policy_tunnel_addr(c, &e->daddr, &e->dmask) < 0)
			return -1;
		e->match.daddr = 1;
		e->invert.daddr = c->invert;
		return 0;
	}
}

static int policy_parse(struct opt_call *c, struct encoded_match *m)
{
	struct xt_policy_info *pi = (void *)m->data;
	const char *v = c->val[0] ? c->val[0]->text : "";

	switch (c->opt->id) {
	case POL_DIR:
		m->blame = *c->word;
		if (strcmp(v, "in") != 0 && strcmp(v, "out") != 0)
			return encode_bad_value(c, 0,
						"direction must be in or out, "
						"not");
		pi->flags |= strcmp(v, "in") == 0 ? XT_POLICY_MATCH_IN :
						    XT_POLICY_MATCH_OUT;
		return 0;
	case POL_POL:
		if (strcmp(v, "none") == 0)
			pi->flags |= XT_POLICY_MATCH_NONE;
		else if (strcmp(v, "ipsec") != 0)
			return encode_bad_value(c, 0,
						"policy must be ipsec or "
						"none, not");
		return 0;
	case POL_STRICT:
		pi->flags |= XT_POLICY_MATCH_STRICT;
		return 0;
	case POL_NEXT:
		if (!(pi->flags & XT_POLICY_MATCH_STRICT))
			return diag_error(c->dl, &c->word->loc, c->word->width,
					  "--next needs --strict before it");
		if (pi->len + 1 >= XT_POLICY_MAX_ELEM)
			return diag_error(c->dl, &c->word->loc, c->word->width,
					  "a policy match holds at most %d "
					  "elements",
					  XT_POLICY_MAX_ELEM);
		pi->len++;
		return 0;
	default:
		if (c->opt->id == POL_TUNNEL_SRC ||
		    c->opt->id == POL_TUNNEL_DST)
			m->tunnel = *c->word;
		return policy_elem_parse(c, &pi->pol[pi->len]);
	}
}

static int policy_final(struct encoded_match *m, struct diag_list *dl)
{
	struct xt_policy_info *pi = (void *)m->data;
	const struct arg *w = &m->where;

	if (!(pi->flags & (XT_POLICY_MATCH_IN | XT_POLICY_MATCH_OUT))) {
		diag_error(dl, &w->loc, w->width, "policy match without --dir");
		diag_hint(dl, "add --dir in (packets that were decrypted) or "
			      "--dir out (packets to be encrypted)");
		return -1;
	}
	if ((pi->flags & XT_POLICY_MATCH_IN) &&
	    (pi->flags & XT_POLICY_MATCH_OUT))
		return diag_error(dl, &w->loc, w->width,
				  "policy match with both --dir in and "
				  "--dir out; give one");
	if (pi->flags & XT_POLICY_MATCH_NONE) {
		if (pi->flags & XT_POLICY_MATCH_STRICT)
			return diag_error(dl, &w->loc, w->width,
					  "--pol none cannot be --strict");
		if (pi->len != 0)
			return diag_error(dl, &w->loc, w->width,
					  "--pol none cannot have --next "
					  "elements");
		return 0;
	}
	pi->len++;
	for (unsigned i = 0; i < pi->len; i++) {
		const struct xt_policy_elem *e = &pi->pol[i];
		const struct xt_policy_spec *s = &e->match;

		if ((pi->flags & XT_POLICY_MATCH_STRICT) &&
		    !(s->reqid || s->spi || s->saddr || s->daddr || s->proto ||
		      s->mode))
			return diag_error(dl, &w->loc, w->width,
					  "policy element %u is empty under "
					  "--strict",
					  i + 1);
		/* Tunnel addresses need tunnel mode; "! --mode transport"
		 * counts as tunnel mode, as iptables has it. */
		if ((s->saddr || s->daddr) &&
		    ((e->mode == XT_POLICY_MODE_TUNNEL && e->invert.mode) ||
		     (e->mode == XT_POLICY_MODE_TRANSPORT && !e->invert.mode))) {
			diag_error(dl, &m->tunnel.loc, m->tunnel.width,
				   "--tunnel-src/--tunnel-dst need --mode "
				   "tunnel");
			diag_hint(dl,
				  "add --mode tunnel to policy element "
				  "%u",
				  i + 1);
			return -1;
		}
	}
	return 0;
}

/* Sorted by name for bsearch. */
static const struct match_def match_defs[] = {
	{ "icmp", 0, IPPROTO_ICMP, sizeof(struct ipt_icmp), icmp_opts,
	  sizeof(icmp_opts) / sizeof(*icmp_opts), icmp_init, icmp_parse, NULL,
	  NULL },
	{ "icmp6", 0, IPPROTO_ICMPV6, sizeof(struct ip6t_icmp), icmp6_opts,
	  sizeof(icmp6_opts) / sizeof(*icmp6_opts), icmp6_init, icmp6_parse,
	  icmp6_final, NULL },
	{ "policy", 0, 0, sizeof(struct xt_policy_info), policy_opts,
	  sizeof(policy_opts) / sizeof(*policy_opts), NULL, policy_parse,
	  policy_final, NULL },
	{ "tcp", 0, IPPROTO_TCP, sizeof(struct xt_tcp), tcp_opts,
	  sizeof(tcp_opts) / sizeof(*tcp_opts), tcp_init, tcp_parse, NULL,
	  NULL },
	{ "udp", 0, IPPROTO_UDP, sizeof(struct xt_udp), udp_opts,
	  sizeof(udp_opts) / sizeof(*udp_opts), udp_init, udp_parse, NULL,
	  NULL },
};

static int match_def_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct match_def *)elem)->name);
}

/*
 * The native match called @name for a rule of family @f, or NULL: icmp
 * is IPv4's, icmp6 IPv6's; udp, tcp and policy serve both (policy's
 * tunnel addresses are of the rule's family).  Those of encode_match.c
 * only when @more (else the adapter encodes them).
 */
static const struct match_def *find_match_def(enum family f, const char *name,
					      bool more)
{
	const struct match_def *md = bsearch(
		name, match_defs, sizeof(match_defs) / sizeof(*match_defs),
		sizeof(*match_defs), match_def_cmp);

	if (!md && more)
		md = bsearch(name, encode_more_matches, encode_more_nmatches,
			     sizeof(*encode_more_matches), match_def_cmp);

	if (md && ((f == FAMILY_IPV6 && strcmp(md->name, "icmp") == 0) ||
		   (f == FAMILY_IPV4 && strcmp(md->name, "icmp6") == 0)))
		return NULL;
	return md;
}

/* Every native match, encode.c's and encode_match.c's, by index. */
#define NDEFS (sizeof(match_defs) / sizeof(*match_defs) + encode_more_nmatches)

static const struct match_def *native_def(size_t i)
{
	const size_t n = sizeof(match_defs) / sizeof(*match_defs);

	return i < n ? &match_defs[i] : &encode_more_matches[i - n];
}

/* Extensions of one family only, with the other family's counterpart:
 * named at the -m or -j that loads them in the wrong family.  Sorted by
 * name for bsearch. */
static const struct family_only {
	const char *name;
	enum family family;
	const char *instead;
} family_only[] = {
	{ "CLUSTERIP", FAMILY_IPV4, NULL },
	{ "ECN", FAMILY_IPV4, NULL },
	{ "HL", FAMILY_IPV6, "-j TTL" },
	{ "TTL", FAMILY_IPV4, "-j HL" },
	{ "dst", FAMILY_IPV6, NULL },
	{ "eui64", FAMILY_IPV6, NULL },
	{ "frag", FAMILY_IPV6, "-f" },
	{ "hbh", FAMILY_IPV6, NULL },
	{ "hl", FAMILY_IPV6, "-m ttl" },
	{ "icmp", FAMILY_IPV4, "-p ipv6-icmp --icmpv6-type" },
	{ "icmp6", FAMILY_IPV6, "-p icmp --icmp-type" },
	{ "ipv6header", FAMILY_IPV6, NULL },
	{ "mh", FAMILY_IPV6, NULL },
	{ "rt", FAMILY_IPV6, NULL },
	{ "srh", FAMILY_IPV6, NULL },
	{ "ttl", FAMILY_IPV4, "-m hl" },
};

static int family_only_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct family_only *)elem)->name);
}

/* 0, or -1 with an error at @a when extension @a is of the other family
 * than the rule's. */
static int check_family_only(const struct parsed_cmd *pc, const struct arg *a,
			     struct diag_list *dl)
{
	const enum family f = pc->family;
	const struct family_only *fo =
		bsearch(a->text, family_only,
			sizeof(family_only) / sizeof(*family_only),
			sizeof(*family_only), family_only_cmp);

	if (!fo || fo->family == f)
		return 0;
	diag_error(dl, &a->loc, a->width, "%s is %s only, and this rule is %s",
		   a->text, f == FAMILY_IPV6 ? "IPv4" : "IPv6",
		   f == FAMILY_IPV6 ? "IPv6" : "IPv4");
	if (fo->instead)
		diag_hint(dl, "in %s write %s",
			  f == FAMILY_IPV6 ? "IPv6" : "IPv4", fo->instead);
	return -1;
}

/* ---- the command line ------------------------------------------------ */

enum {
	B_APPEND,
	B_CHECK,
	B_DELETE,
	B_INSERT,
	B_REPLACE,
	B_LIST,
	B_LIST_RULES,
	B_FLUSH,
	B_ZERO,
	B_NEW_CHAIN,
	B_DELETE_CHAIN,
	B_RENAME_CHAIN,
	B_POLICY,
	B_SOURCE,
	B_DESTINATION,
	B_PROTOCOL,
	B_IN,
	B_OUT,
	B_JUMP,
	B_GOTO,
	B_TABLE,
	B_MATCH,
	B_FRAGMENT,
	B_COUNTERS,
	B_IGNORED,     /* -n -v -x --line-numbers --modprobe -4 */
	B_IGNORED_ARG, /* --modprobe CMD */
	B_IPV6,
	B_WAIT,
	B_INFO, /* -h -V */
};

/* iptables' own options, sorted by long name for bsearch. */
static const struct opt_def base_opts[] = {
	{ "append", 'A', 1, B_APPEND, false, false },
	{ "check", 'C', 1, B_CHECK, false, false },
	{ "delete", 'D', 1, B_DELETE, false, false },
	{ "delete-chain", 'X', 0, B_DELETE_CHAIN, false, false },
	{ "destination", 'd', 1, B_DESTINATION, true, false },
	{ "dst", 0, 1, B_DESTINATION, true, false },
	{ "exact", 'x', 0, B_IGNORED, false, false },
	{ "flush", 'F', 0, B_FLUSH, false, false },
	{ "fragment", 'f', 0, B_FRAGMENT, true, false },
	{ "goto", 'g', 1, B_GOTO, false, false },
	{ "help", 'h', 0, B_INFO, false, false },
	{ "in-interface", 'i', 1, B_IN, true, false },
	{ "insert", 'I', 1, B_INSERT, false, false },
	{ "ipv4", '4', 0, B_IGNORED, false, false },
	{ "ipv6", '6', 0, B_IPV6, false, false },
	{ "jump", 'j', 1, B_JUMP, false, false },
	{ "line-numbers", 0, 0, B_IGNORED, false, false },
	{ "list", 'L', 0, B_LIST, false, false },
	{ "list-rules", 'S', 0, B_LIST_RULES, false, false },
	{ "match", 'm', 1, B_MATCH, false, false },
	{ "modprobe", 'M', 1, B_IGNORED_ARG, false, false },
	{ "new-chain", 'N', 1, B_NEW_CHAIN, false, false },
	{ "numeric", 'n', 0, B_IGNORED, false, false },
	{ "out-interface", 'o', 1, B_OUT, true, false },
	{ "policy", 'P', 2, B_POLICY, false, false },
	{ "protocol", 'p', 1, B_PROTOCOL, true, false },
	{ "rename-chain", 'E', 2, B_RENAME_CHAIN, false, false },
	{ "replace", 'R', 2, B_REPLACE, false, false },
	{ "set-counters", 'c', 2, B_COUNTERS, false, false },
	{ "source", 's', 1, B_SOURCE, true, false },
	{ "src", 0, 1, B_SOURCE, true, false },
	{ "table", 't', 1, B_TABLE, false, false },
	{ "verbose", 'v', 0, B_IGNORED, false, false },
	{ "version", 'V', 0, B_INFO, false, false },
	{ "wait", 'w', 0, B_WAIT, false, false },
	{ "wait-interval", 'W', 0, B_WAIT, false, false },
	{ "zero", 'Z', 0, B_ZERO, false, false },
};

#define NBASE (sizeof(base_opts) / sizeof(*base_opts))

/*
 * Where an option was found: iptables itself (@m and @x NULL), a native
 * match (@m), or an extension through the adapter (@x, with @xo).
 */
struct opt_hit {
	const struct opt_def *opt;
	struct encoded_match *m;
	struct xtext *x;
	struct xtopt xo;
};

static bool same_option(const struct opt_hit *a, const struct opt_hit *b)
{
	if (a->x || b->x)
		return a->x == b->x && a->xo.code == b->xo.code &&
		       a->xo.takes_arg == b->xo.takes_arg;
	return a->m == b->m && a->opt->id == b->opt->id;
}

/* The state of one command line being parsed. */
struct cmdline {
	const struct cmd *c;
	size_t i; /* next argument */
	struct parsed_cmd *pc;
	struct diag_list *dl;
	bool invert;
	const struct arg *invert_arg;
	unsigned seen; /* base option ids given (bit per id) */
	bool more;     /* the matches of encode_match.c are native */
	/* Extensions: the adapter's rule, the -j extension and how many
	 * matches came before it, and the words as argv for old-API
	 * extension parsers.  Created on first use. */
	struct xtrule *xr;
	struct xtext *target_x;
	size_t target_pos;
	char **argv;
	/* A native target (encode_target.c) instead of @target_x: its
	 * options and data, in the form of a native match's. */
	bool target_native;
	bool no_native_targets; /* ENCODE_NO_NATIVE_TARGETS */
	struct encoded_match target_nm;
};

/* Whether -j has loaded a target extension, native or not. */
static bool has_target(const struct cmdline *cl)
{
	return cl->target_x || cl->target_native;
}

/*
 * The @k-th newest source of options after iptables' own (k = 0 is the
 * newest): matches and the -j extension in the order they were merged.
 * Returns the match, or NULL with *@x set to the target's extension.
 */
static struct encoded_match *option_source(const struct cmdline *cl, size_t k,
					   struct xtext **x)
{
	size_t total = cl->pc->nmatches + (has_target(cl) ? 1 : 0);
	size_t i = total - 1 - k; /* in merge order, oldest first */
	struct encoded_match *m;

	*x = NULL;
	if (cl->target_native && i == cl->target_pos)
		return (struct encoded_match *)&cl->target_nm;
	if (cl->target_x && i == cl->target_pos) {
		*x = cl->target_x;
		return NULL;
	}
	if (has_target(cl) && i > cl->target_pos)
		i--;
	m = &cl->pc->matches[i];
	*x = m->ext;
	return m;
}

/* bsearch of @key in @opts by strcmp of the names, probing the same
 * entries in the same order (so the same one of equal names is found),
 * with the first byte compared before strcmp: every long option of every
 * rule is looked up in iptables' options and in each match's. */
static const struct opt_def *find_opt(const struct opt_def *opts, size_t n,
				      const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		const size_t mid = (lo + hi) / 2;
		int c = (unsigned char)key[0] -
			(unsigned char)opts[mid].name[0];

		if (c == 0)
			c = strcmp(key, opts[mid].name);
		if (c == 0)
			return &opts[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* One source's options named @key (exact) or starting with it. */
static int lookup_source(struct encoded_match *m, struct xtext *x,
			 const char *key, size_t len, bool exact,
			 struct opt_hit *first, bool *ambiguous)
{
	const struct opt_def *opts = m && !x ? m->def->opts : base_opts;
	size_t n = m && !x ? m->def->nopts : NBASE;
	struct opt_hit h = { .m = m, .x = x };
	int found;

	if (x) {
		found = xtadapter_find_option(x, key, len, exact, &h.xo);
		if (found == 0)
			return 0;
		if (found < 0 || (first->opt || first->x))
			*ambiguous = true;
		if (!first->opt && !first->x)
			*first = h;
		return 1;
	}
	if (exact) {
		h.opt = find_opt(opts, n, key);
		if (h.opt)
			*first = h;
		return h.opt != NULL;
	}
	for (size_t i = 0; i < n; i++) {
		h.opt = &opts[i];
		if (strncmp(opts[i].name, key, len) != 0)
			continue;
		if (!first->opt && !first->x)
			*first = h;
		else if (!same_option(first, &h))
			*ambiguous = true;
	}
	return 0;
}

/*
 * Look @name up as getopt_long would over iptables' options followed by
 * the matches' and the target's options, newest first: an exact name
 * wins; else a prefix shared by only one option.  Returns 1 found,
 * 0 unknown, -1 ambiguous (with @hit set to the first candidate).
 */
/*
 * A native match named again ("-m mark ... -m mark"): iptables merges the
 * options of its first instance only, so the second is no source of its
 * own; what the first's options find goes to the newest instance.
 */
static bool is_native_clone(const struct parsed_cmd *pc,
			    const struct encoded_match *m)
{
	for (size_t k = 0; k < pc->nmatches && &pc->matches[k] != m; k++)
		if (pc->matches[k].def == m->def)
			return true;
	return false;
}

static void to_newest_instance(const struct parsed_cmd *pc, struct opt_hit *h)
{
	for (size_t k = pc->nmatches; h->m && !h->x && k-- > 0;)
		if (pc->matches[k].def == h->m->def) {
			h->m = &pc->matches[k];
			return;
		}
}

static int lookup_long(const struct cmdline *cl, const char *name, size_t len,
		       struct opt_hit *hit)
{
	size_t nsources = cl->pc->nmatches + (has_target(cl) ? 1 : 0);
	struct opt_hit first = { 0 };
	bool ambiguous = false;
	char key[64];

	if (len >= sizeof(key))
		return 0;
	memcpy(key, name, len);
	key[len] = '\0';
	/* Exact names first (the tables are sorted), then prefixes. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k <= nsources; k++) {
			struct xtext *x = NULL;
			struct encoded_match *m =
				k == 0 ? NULL : option_source(cl, k - 1, &x);

			if (m && !x && is_native_clone(cl->pc, m))
				continue;
			if (lookup_source(m, x, key, len, pass == 0, &first,
					  &ambiguous) &&
			    pass == 0) {
				*hit = first;
				to_newest_instance(cl->pc, hit);
				return 1;
			}
		}
	}
	*hit = first;
	to_newest_instance(cl->pc, hit);
	if (!first.opt && !first.x)
		return 0;
	return ambiguous ? -1 : 1;
}

static const struct arg *next_arg(struct cmdline *cl)
{
	return cl->i < cl->c->argc ? &cl->c->args[cl->i++] : NULL;
}

/* An optional operand: the next argument unless it looks like an option. */
static const struct arg *optional_operand(struct cmdline *cl)
{
	const struct arg *a = cl->i < cl->c->argc ? &cl->c->args[cl->i] : NULL;

	if (!a || a->text[0] == '-' || a->text[0] == '!')
		return NULL;
	cl->i++;
	return a;
}

static struct encoded_match *add_match(struct parsed_cmd *pc,
				       const struct match_def *def,
				       const struct arg *where)
{
	struct encoded_match *m;

	pc->matches = reallocarray(pc->matches, pc->nmatches + 1, sizeof(*m));
	if (!pc->matches)
		abort();
	m = &pc->matches[pc->nmatches++];
	memset(m, 0, sizeof(*m));
	m->def = def;
	m->where = *where;
	if (def && def->init)
		def->init(m->data);
	return m;
}

/* ---- extensions, through the libxtables adapter ---------------------- */

/* The targets iptables maps to its standard target, never an extension. */
static bool is_verdict(const char *name)
{
	return strcmp(name, "ACCEPT") == 0 || strcmp(name, "DROP") == 0 ||
	       strcmp(name, "QUEUE") == 0 || strcmp(name, "RETURN") == 0;
}

/* The adapter's rule for this line, made on first use. */
static struct xtrule *ext_rule(struct cmdline *cl)
{
	if (!cl->xr)
		cl->xr = xtadapter_rule_new(cl->pc->family);
	return cl->xr;
}

/* @line without the "Warning:" an extension may start it with: the
 * diagnostic says "warning:" already. */
static const char *note_text(const char *line)
{
	static const char *const prefixes[] = { "warn:", "warning:", "notice:" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncasecmp(line, prefixes[i], n) == 0)
			return line + n + strspn(line + n, " ");
	}
	return line;
}

/* What the extension printed on stderr, as warnings at @a. */
static void ext_notes(struct cmdline *cl, const struct arg *a)
{
	char *notes = xtadapter_take_notes(cl->xr), *line, *save = NULL;

	for (line = notes ? strtok_r(notes, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		diag_warning(cl->dl, &a->loc, a->width, "%s", note_text(line));
	free(notes);
}

/* The adapter's error for the word @a. */
static int ext_error(struct cmdline *cl, const struct arg *a)
{
	ext_notes(cl, a);
	return diag_error(cl->dl, &a->loc, a->width, "%s",
			  xtadapter_error(cl->xr));
}

/* -m NAME for a match iptload has no native encoder for. */
static int add_ext_match(struct cmdline *cl, const struct arg *name)
{
	bool missing;
	struct xtext *x =
		xtadapter_add_match(ext_rule(cl), name->text, &missing);
	struct encoded_match *m;

	if (!x) {
		ext_error(cl, name);
		if (missing)
			diag_hint(cl->dl,
				  "iptables has no extension of that "
				  "name installed (libxt_%s.so)",
				  name->text);
		return -1;
	}
	ext_notes(cl, name);
	m = add_match(cl->pc, NULL, name);
	m->ext = x;
	return 0;
}

/* -j NAME: an extension target if one has that name, else a chain. */
static int add_ext_target(struct cmdline *cl, const struct arg *name)
{
	bool failed;
	struct xtext *x =
		xtadapter_add_target(ext_rule(cl), name->text, &failed);

	if (failed)
		return ext_error(cl, name);
	ext_notes(cl, name);
	cl->target_x = x;
	cl->target_pos = cl->pc->nmatches;
	return 0;
}

static int target_def_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct target_def *)elem)->m.name);
}

/* The native target called @name for family @f, or NULL. */
static const struct target_def *find_target_def(enum family f, const char *name)
{
	const struct target_def *td =
		bsearch(name, encode_targets, encode_ntargets,
			sizeof(*encode_targets), target_def_cmp);

	if (!td)
		return NULL;
	/* bsearch found one of the entries of that name: go to the first. */
	while (td > encode_targets && strcmp(td[-1].m.name, name) == 0)
		td--;
	for (; td < encode_targets + encode_ntargets &&
	       strcmp(td->m.name, name) == 0;
	     td++)
		if (td->families & (1u << f))
			return td;
	return NULL;
}

/*
 * Whether iptables would pick the native target's revision on this
 * kernel (DNAT's 2 needs Linux 4.19); if not, the extension picks an
 * older one.  Revision 0 is always there; the kernel is asked once per
 * target and family.
 */
static bool native_revision_ok(enum family f, const struct target_def *td)
{
	static signed char known[FAMILY_COUNT][64];
	const size_t i = (size_t)(td - encode_targets);

	if (td->m.revision == 0 || i >= 64)
		return td->m.revision == 0;
	if (!known[f][i])
		known[f][i] = xtadapter_target_revision_ok(f, td->m.name,
							   td->m.revision) ?
				      1 :
				      -1;
	return known[f][i] > 0;
}

/* -j NAME with a native encoder: true, with its options merged here. */
static bool add_native_target(struct cmdline *cl, const struct arg *name)
{
	const struct target_def *td;

	if (cl->no_native_targets)
		return false;
	td = find_target_def(cl->pc->family, name->text);
	if (!td || !native_revision_ok(cl->pc->family, td))
		return false;
	memset(&cl->target_nm, 0, sizeof(cl->target_nm));
	cl->target_nm.def = &td->m;
	cl->target_nm.where = *name;
	if (td->m.init)
		td->m.init(cl->target_nm.data);
	cl->target_native = true;
	cl->target_pos = cl->pc->nmatches;
	return true;
}

/* The native target's final check, then its bytes into @pc as an
 * extension's would be. */
static int finish_native_target(struct cmdline *cl)
{
	struct encoded_match *t = &cl->target_nm;
	const size_t head = XT_ALIGN(sizeof(struct xt_entry_target));
	struct xt_entry_target *b;
	int rc;

	if (t->def->final) {
		rc = t->def->final(t, cl->dl);
		if (rc < 0)
			return rc;
	}
	b = calloc(1, head + XT_ALIGN(t->def->size));
	if (!b)
		abort();
	b->u.user.target_size = (uint16_t)(head + XT_ALIGN(t->def->size));
	strcpy(b->u.user.name, t->def->name);
	b->u.user.revision = t->def->revision;
	memcpy(b->data, t->data, t->def->size);
	cl->pc->ext_target = b;
	cl->pc->native_target = true;
	return 0;
}

/* The words of the line as argv, for extensions of the old API that read
 * more than their one argument. */
static char **line_argv(struct cmdline *cl)
{
	if (!cl->argv) {
		cl->argv = calloc(cl->c->argc + 1, sizeof(*cl->argv));
		if (!cl->argv)
			abort();
		for (size_t k = 0; k < cl->c->argc; k++)
			cl->argv[k] = cl->c->args[k].text;
	}
	return cl->argv;
}

/*
 * Whether an extension's message is about the value @val rather than the
 * option ("Bad ctstate \"RELATD\"" for --ctstate ESTABLISHED,RELATD): it
 * quotes the value or one of its comma-separated items.
 */
static bool blames_value(const char *msg, const char *val)
{
	char item[128];

	/* One character would be found by chance. */
	if (!val || strlen(val) < 2)
		return false;
	if (strstr(msg, val))
		return true;
	do {
		size_t len = strcspn(val, ",");

		if (len > 1 && len < sizeof(item)) {
			memcpy(item, val, len);
			item[len] = '\0';
			if (strstr(msg, item))
				return true;
		}
		val += len;
	} while (*val++ == ',');
	return false;
}

/* An option of an extension: its argument, then the extension's parser. */
static int run_ext_option(struct cmdline *cl, const struct opt_hit *h,
			  const struct arg *word, const char *inline_val)
{
	const struct arg *val_arg = word;
	const char *val = NULL;
	bool invert = cl->invert;
	int consumed;

	cl->invert = false;
	if (inline_val && !h->xo.takes_arg)
		return diag_error(cl->dl, &word->loc, word->width,
				  "option '--%s' takes no argument",
				  h->xo.name);
	if (h->xo.takes_arg && inline_val) {
		val = inline_val;
	} else if (h->xo.takes_arg) {
		const struct arg *a = next_arg(cl);

		if (!a)
			return diag_error(cl->dl, &word->loc, word->width,
					  "%s needs an argument", word->text);
		if (strcmp(a->text, "!") == 0) {
			diag_error(cl->dl, &a->loc, 1,
				   "'!' after %s is not allowed", word->text);
			diag_hint(cl->dl, "write ! %s VALUE", word->text);
			return -1;
		}
		val = a->text;
		val_arg = a;
	}
	cl->pc->has_rule = true;
	if (xtadapter_parse(cl->xr, &h->xo, line_argv(cl), (int)cl->i, val,
			    invert, &cl->pc->ip, &consumed) < 0)
		return ext_error(cl,
				 blames_value(xtadapter_error(cl->xr), val) ?
					 val_arg :
					 word);
	ext_notes(cl, word);
	if (h->x == cl->target_x && !cl->pc->ext_target_opt)
		cl->pc->ext_target_opt = word;
	cl->i += (size_t)consumed;
	if (cl->i > cl->c->argc)
		cl->i = cl->c->argc;
	return 0;
}

/*
 * The extensions' final checks, then their bytes copied into @pc so that
 * no libxtables state outlives the line.
 */
static int finish_extensions(struct cmdline *cl)
{
	struct parsed_cmd *pc = cl->pc;

	/* In iptables' order: the matches, then the target. */
	for (size_t k = 0; k < pc->nmatches; k++) {
		struct encoded_match *m = &pc->matches[k];

		if (!m->ext)
			continue;
		if (xtadapter_finish(cl->xr, m->ext) < 0)
			return ext_error(cl, &m->where);
		ext_notes(cl, &m->where);
	}
	if (cl->target_x) {
		if (xtadapter_finish(cl->xr, cl->target_x) < 0)
			return ext_error(cl, pc->target);
		ext_notes(cl, pc->target);
	}
	for (size_t k = 0; k < pc->nmatches; k++) {
		struct encoded_match *m = &pc->matches[k];
		const struct xt_entry_match *b;

		if (!m->ext)
			continue;
		b = xtadapter_match_blob(m->ext);
		m->blob = malloc(b->u.match_size);
		if (!m->blob)
			abort();
		memcpy(m->blob, b, b->u.match_size);
		m->ext = NULL;
	}
	if (cl->target_x) {
		const struct xt_entry_target *b =
			xtadapter_target_blob(cl->target_x);

		pc->ext_target = malloc(b->u.target_size);
		if (!pc->ext_target)
			abort();
		memcpy(pc->ext_target, b, b->u.target_size);
	}
	return 0;
}

static int set_command(struct cmdline *cl, const struct opt_hit *h,
		       const struct arg *word, enum cmd_op op)
{
	struct parsed_cmd *pc = cl->pc;

	if (pc->op != OP_NONE)
		return diag_error(cl->dl, &word->loc, word->width,
				  "only one command per line: %s follows %s",
				  word->text, pc->op_arg->text);
	pc->op = op;
	pc->op_arg = word;
	switch (h->opt->id) {
	case B_APPEND:
	case B_NEW_CHAIN:
		pc->chain = next_arg(cl);
		break;
	case B_INSERT:
	case B_DELETE:
		pc->chain = next_arg(cl);
		pc->arg2 = optional_operand(cl);
		break;
	case B_REPLACE:
	case B_POLICY:
	case B_RENAME_CHAIN:
		pc->chain = next_arg(cl);
		pc->arg2 = next_arg(cl);
		if (!pc->arg2)
			return diag_error(cl->dl, &word->loc, word->width,
					  "%s needs two arguments", word->text);
		break;
	default: /* -F -X -Z take an optional chain */
		pc->chain = optional_operand(cl);
		break;
	}
	if (!pc->chain && (op == OP_APPEND || op == OP_NEW_CHAIN ||
			   op == OP_INSERT || op == OP_DELETE))
		return diag_error(cl->dl, &word->loc, word->width,
				  "%s needs a chain name", word->text);
	return 0;
}

static int parse_counters(struct cmdline *cl, const struct arg *word)
{
	const struct arg *p = next_arg(cl), *b = next_arg(cl);
	unsigned long long pk, by;
	char *end;

	if (!p || !b)
		return diag_error(cl->dl, &word->loc, word->width,
				  "-c needs PACKETS BYTES");
	errno = 0;
	pk = strtoull(p->text, &end, 10);
	if (errno || *end || !isdigit((unsigned char)p->text[0]))
		return diag_error(cl->dl, &p->loc, p->width,
				  "invalid packet count '%s'", p->text);
	by = strtoull(b->text, &end, 10);
	if (errno || *end || !isdigit((unsigned char)b->text[0]))
		return diag_error(cl->dl, &b->loc, b->width,
				  "invalid byte count '%s'", b->text);
	cl->pc->has_counters = true;
	cl->pc->counters.pcnt = pk;
	cl->pc->counters.bcnt = by;
	return 0;
}

static int base_rule_option(struct cmdline *cl, struct opt_call *call)
{
	struct parsed_cmd *pc = cl->pc;
	uint16_t proto;
	char *lower;
	int rc;

	pc->has_rule = true;
	switch (call->opt->id) {
	case B_SOURCE:
		if (call->invert)
			pc->ip.invflags |= IPT_INV_SRCIP;
		return parse_addrs(call, true);
	case B_DESTINATION:
		if (call->invert)
			pc->ip.invflags |= IPT_INV_DSTIP;
		return parse_addrs(call, false);
	case B_IN:
		pc->in_arg = call->word;
		if (call->invert)
			pc->ip.invflags |= IPT_INV_VIA_IN;
		return parse_iface(call, pc->ip.iniface, pc->ip.iniface_mask);
	case B_OUT:
		pc->out_arg = call->word;
		if (call->invert)
			pc->ip.invflags |= IPT_INV_VIA_OUT;
		return parse_iface(call, pc->ip.outiface, pc->ip.outiface_mask);
	case B_FRAGMENT:
		if (pc->family == FAMILY_IPV6) {
			diag_error(cl->dl, &call->word->loc, call->word->width,
				   "-f is IPv4 only: an IPv6 header has no "
				   "fragment bits");
			diag_hint(cl->dl,
				  "in IPv6 match fragments with -m frag "
				  "(--fragfirst, --fragmore, "
				  "--fraglast)");
			return -1;
		}
		pc->ip.flags |= IPT_F_FRAG;
		if (call->invert)
			pc->ip.invflags |= IPT_INV_FRAG;
		return 0;
	default: /* B_PROTOCOL */
		lower = strdup(call->val[0]->text);
		if (!lower)
			abort();
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rc = parse_proto(lower, &proto);
		free(lower);
		if (rc < 0) {
			encode_bad_value(call, 0, "unknown protocol");
			diag_hint(cl->dl, "write a name from /etc/protocols "
					  "(tcp, udp, icmp, esp, ah, ...) or "
					  "a number 0-255");
			return -1;
		}
		if (proto == 0 && call->invert)
			return diag_error(cl->dl, &call->word->loc,
					  call->word->width,
					  "! -p all would never match");
		warn_octal(call, 0);
		pc->ip.proto = proto;
		pc->proto_given = true;
		if (call->invert)
			pc->ip.invflags |= IPT_INV_PROTO;
		return 0;
	}
}

static int base_option(struct cmdline *cl, struct opt_call *call)
{
	struct parsed_cmd *pc = cl->pc;
	const struct opt_def *o = call->opt;
	const struct match_def *md;

	if (cl->seen & (1u << o->id) &&
	    (o->id == B_SOURCE || o->id == B_DESTINATION || o->id == B_IN ||
	     o->id == B_OUT || o->id == B_PROTOCOL || o->id == B_FRAGMENT ||
	     o->id == B_JUMP || o->id == B_GOTO || o->id == B_TABLE))
		return diag_error(cl->dl, &call->word->loc, call->word->width,
				  "%s may be given only once",
				  call->word->text);
	cl->seen |= 1u << o->id;
	switch (o->id) {
	case B_TABLE:
		pc->table = call->val[0]->text;
		pc->table_arg = call->val[0];
		return 0;
	case B_MATCH:
		pc->has_rule = true;
		if (check_family_only(pc, call->val[0], cl->dl) < 0)
			return -1;
		md = find_match_def(pc->family, call->val[0]->text, cl->more);
		if (!md)
			return add_ext_match(cl, call->val[0]);
		add_match(pc, md, call->val[0]);
		return 0;
	case B_JUMP:
	case B_GOTO:
		if (pc->target)
			return diag_error(cl->dl, &call->word->loc,
					  call->word->width,
					  "give only one of -j and -g");
		pc->target = call->val[0];
		pc->is_goto = o->id == B_GOTO;
		pc->has_rule = true;
		/* A goto names a chain; verdicts are native. */
		if (pc->is_goto || is_verdict(pc->target->text))
			return 0;
		/* A native target serves the rule's family. */
		if (add_native_target(cl, pc->target))
			return 0;
		if (check_family_only(pc, pc->target, cl->dl) < 0)
			return -1;
		return add_ext_target(cl, pc->target);
	case B_COUNTERS:
		return 0; /* arguments consumed by the caller */
	case B_IGNORED:
	case B_IGNORED_ARG:
	case B_WAIT:
		return 0;
	case B_IPV6:
	case B_INFO:
		return diag_error(cl->dl, &call->word->loc, call->word->width,
				  "%s is not a ruleset statement",
				  call->word->text);
	default:
		return base_rule_option(cl, call);
	}
}

static const enum cmd_op op_of_base[] = {
	[B_APPEND] = OP_APPEND,
	[B_DELETE] = OP_DELETE,
	[B_INSERT] = OP_INSERT,
	[B_REPLACE] = OP_REPLACE,
	[B_FLUSH] = OP_FLUSH,
	[B_ZERO] = OP_ZERO,
	[B_NEW_CHAIN] = OP_NEW_CHAIN,
	[B_DELETE_CHAIN] = OP_DELETE_CHAIN,
	[B_RENAME_CHAIN] = OP_RENAME_CHAIN,
	[B_POLICY] = OP_POLICY,
};

/* Run option @h found at @word: gather its arguments, then parse. */
/*
 * -w [SECONDS] and -W [USECONDS]: the lock is iptload's own business (its
 * -w option), but the value iptables takes after them, glued (-w5,
 * --wait=5) or as the next word when that is no option (-w 5), is read
 * and checked as iptables does (sscanf %i, and %u below 1000000).
 */
static int parse_wait(struct cmdline *cl, const struct arg *word,
		      const char *inline_val)
{
	const struct arg *a = inline_val ? word : optional_operand(cl);
	const char *v = inline_val ? inline_val : a ? a->text : NULL;
	bool interval = strcmp(word->text, "-W") == 0 ||
			strncmp(word->text, "--wait-", 7) == 0;
	unsigned u;
	int n;
	char extra;

	if (!v)
		return 0;
	if (interval ? sscanf(v, "%u%c", &u, &extra) < 1 || u >= 1000000 :
		       sscanf(v, "%i%c", &n, &extra) < 1)
		return diag_error(cl->dl, &a->loc, a->width,
				  interval ? "invalid wait interval '%s' "
					     "(microseconds below 1000000)" :
					     "invalid wait time '%s' (seconds)",
				  v);
	return 0;
}

static int run_option(struct cmdline *cl, const struct opt_hit *h,
		      const struct arg *word, const char *inline_val)
{
	if (h->x)
		return run_ext_option(cl, h, word, inline_val);
	struct opt_call call = { .opt = h->opt,
				 .word = word,
				 .invert = cl->invert,
				 .pc = cl->pc,
				 .dl = cl->dl };
	int id = h->opt->id;

	cl->invert = false;
	if (call.invert && !h->opt->invertible)
		return diag_error(cl->dl, &cl->invert_arg->loc, 1,
				  "! cannot be used with %s", word->text);
	if (!h->m && (id == B_CHECK || id == B_LIST || id == B_LIST_RULES))
		return diag_error(cl->dl, &word->loc, word->width,
				  "%s is not a ruleset statement", word->text);
	if (!h->m && id <= B_POLICY)
		return set_command(cl, h, word, op_of_base[id]);
	if (!h->m && id == B_COUNTERS)
		return parse_counters(cl, word);
	if (!h->m && id == B_WAIT)
		return parse_wait(cl, word, inline_val);
	for (unsigned k = 0; k < h->opt->nargs; k++) {
		if (k == 0 && inline_val) {
			struct parsed_cmd *pc = cl->pc;

			if (pc->nglued ==
			    sizeof(pc->glued) / sizeof(*pc->glued))
				return diag_error(cl->dl, &word->loc,
						  word->width,
						  "too many options with glued "
						  "values");
			pc->glued[pc->nglued] = *word;
			pc->glued[pc->nglued].text = (char *)inline_val;
			call.val[0] = &pc->glued[pc->nglued++];
			continue;
		}
		call.val[k] = next_arg(cl);
		if (!call.val[k])
			return diag_error(cl->dl, &word->loc, word->width,
					  "%s needs %s", word->text,
					  h->opt->nargs > 1 ? "two arguments" :
							      "an argument");
		if (strcmp(call.val[k]->text, "!") == 0) {
			diag_error(cl->dl, &call.val[k]->loc, 1,
				   "'!' after %s is not allowed", word->text);
			diag_hint(cl->dl, "write ! %s VALUE", word->text);
			return -1;
		}
	}
	if (!h->m)
		return base_option(cl, &call);
	if ((h->m->seen & (1u << id)) && !h->opt->multi)
		return diag_error(cl->dl, &word->loc, word->width,
				  "%s may be given only once", word->text);
	h->m->seen |= 1u << id;
	if (h->m == &cl->target_nm && !cl->pc->ext_target_opt)
		cl->pc->ext_target_opt = word;
	return h->m->def->parse(&call, h->m);
}

/*
 * -p PROTO with no native match: the extension iptables loads for an
 * option no one knows (-p sctp --dport 5), if there is one.  As in
 * iptables, even after "! -p"; the kernel refuses that rule later.
 */
static struct encoded_match *load_proto_extension(struct cmdline *cl,
						  const struct arg *word)
{
	struct xtext *x;
	struct encoded_match *m;

	if (cl->pc->ip.proto == 0)
		return NULL;
	x = xtadapter_add_proto_match(ext_rule(cl), (uint8_t)cl->pc->ip.proto);
	ext_notes(cl, word);
	if (!x)
		return NULL;
	m = add_match(cl->pc, NULL, word);
	m->ext = x;
	return m;
}

/* The match -p loads for an option nobody else knows, if any. */
static struct encoded_match *load_proto_match(struct cmdline *cl,
					      const struct arg *word)
{
	struct parsed_cmd *pc = cl->pc;

	for (size_t i = 0; i < NDEFS; i++) {
		const struct match_def *md = native_def(i);

		if (!md->proto || md->proto != pc->ip.proto ||
		    (pc->ip.invflags & IPT_INV_PROTO) ||
		    find_match_def(pc->family, md->name, cl->more) != md)
			continue;
		for (size_t k = 0; k < pc->nmatches; k++)
			if (pc->matches[k].def == md)
				return NULL; /* already there: truly unknown */
		return add_match(pc, md, word);
	}
	return load_proto_extension(cl, word);
}

static bool has_option(const struct match_def *md, const char *name, size_t len)
{
	for (size_t k = 0; k < md->nopts; k++)
		if (strlen(md->opts[k].name) == len &&
		    strncmp(md->opts[k].name, name, len) == 0)
			return true;
	return false;
}

/* "did you mean --destination?" among the options known at this point. */
static void hint_option(struct cmdline *cl, const char *name, size_t len)
{
	const char *names[NBASE + 64];
	size_t n = 0;
	char key[64];
	const char *near;

	if (len >= sizeof(key))
		return;
	memcpy(key, name, len);
	key[len] = '\0';
	for (size_t i = 0; i < NBASE; i++)
		names[n++] = base_opts[i].name;
	for (size_t k = 0; k < cl->pc->nmatches; k++)
		for (size_t i = 0;
		     cl->pc->matches[k].def &&
		     i < cl->pc->matches[k].def->nopts && n < NBASE + 64;
		     i++)
			names[n++] = cl->pc->matches[k].def->opts[i].name;
	near = diag_closest(key, names, n);
	if (near)
		diag_hint(cl->dl, "did you mean --%s?", near);
}

/* Unknown here, but an option of a native match: say which to add. */
static int unknown_option(struct cmdline *cl, const struct arg *word,
			  const char *name, size_t len)
{
	char add[128] = "";
	size_t n = 0;

	diag_error(cl->dl, &word->loc, word->width, "unknown option '%s'",
		   word->text);
	for (size_t i = 0; i < NDEFS; i++) {
		const struct match_def *md = native_def(i);

		if (!has_option(md, name, len) ||
		    find_match_def(cl->pc->family, md->name, true) != md)
			continue;
		n += (size_t)snprintf(add + n, sizeof(add) - n, "%s%s %s",
				      n ? " or " : "", md->proto ? "-p" : "-m",
				      md->name);
	}
	if (n)
		diag_hint(cl->dl, "%s is a match option: add %s before it",
			  word->text, add);
	else
		hint_option(cl, name, len);
	return -1;
}

static int parse_long(struct cmdline *cl, const struct arg *word)
{
	const char *name = word->text + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	struct opt_hit h;
	int found = lookup_long(cl, name, len, &h);

	if (found == 0 && load_proto_match(cl, word))
		found = lookup_long(cl, name, len, &h);
	if (found == 0)
		return unknown_option(cl, word, name, len);
	if (found < 0)
		return diag_error(cl->dl, &word->loc, word->width,
				  "option '%s' is ambiguous: write it in "
				  "full",
				  word->text);
	if (eq && h.opt && h.opt->nargs == 0 && !(h.opt->id == B_WAIT && !h.m))
		return diag_error(cl->dl, &word->loc, word->width,
				  "option '--%s' takes no argument",
				  h.opt->name);
	return run_option(cl, &h, word, eq ? eq + 1 : NULL);
}

/* The first of base_opts with letter @letter, or NULL: a table of the
 * letters made on first use (-A, -s, -p, -m, -j... come in every rule). */
static const struct opt_def *short_option(char letter)
{
	static unsigned char first[128]; /* index + 1; 0: none */
	static bool made;
	const unsigned char c = (unsigned char)letter;

	if (!made) {
		for (size_t i = NBASE; i-- > 0;)
			if (base_opts[i].letter > 0 &&
			    (unsigned char)base_opts[i].letter < 128)
				first[(unsigned char)base_opts[i].letter] =
					(unsigned char)(i + 1);
		made = true;
	}
	return c != 0 && c < 128 && first[c] ? &base_opts[first[c] - 1] : NULL;
}

static int parse_short(struct cmdline *cl, const struct arg *word)
{
	struct opt_hit h = { .opt = short_option(word->text[1]) };
	if (!h.opt ||
	    (word->text[2] && h.opt->nargs == 0 && h.opt->id != B_WAIT))
		return diag_error(cl->dl, &word->loc, word->width,
				  "unknown option '%s'", word->text);
	return run_option(cl, &h, word, word->text[2] ? word->text + 2 : NULL);
}

static int parse_one(struct cmdline *cl)
{
	const struct arg *a = next_arg(cl);

	if (strcmp(a->text, "!") == 0) {
		if (cl->invert)
			return diag_error(cl->dl, &a->loc, 1,
					  "'!' given twice");
		cl->invert = true;
		cl->invert_arg = a;
		return 0;
	}
	if (strncmp(a->text, "--", 2) == 0 && a->text[2])
		return parse_long(cl, a);
	if (a->text[0] == '-' && a->text[1])
		return parse_short(cl, a);
	diag_error(cl->dl, &a->loc, a->width, "unexpected argument '%s'",
		   a->text);
	if (cl->i >= 2 && cl->c->args[cl->i - 2].text[0] == '-')
		diag_hint(cl->dl,
			  "%s takes no more arguments; is a value "
			  "missing quotes?",
			  cl->c->args[cl->i - 2].text);
	return -1;
}

static size_t match_size(const struct encoded_match *m)
{
	return m->blob ? m->blob->u.match_size :
			 XT_ALIGN(sizeof(struct xt_entry_match)) +
				 XT_ALIGN(m->def->size);
}

static size_t target_size(const struct parsed_cmd *pc)
{
	return pc->ext_target ? pc->ext_target->u.target_size :
				XT_ALIGN(sizeof(struct xt_standard_target));
}

/*
 * The kernel's ipt_entry holds target_offset and next_offset in 16 bits:
 * a bigger entry cannot be loaded, and its offsets must never be cut.
 * The error points at the match that takes the entry past the limit.
 */
#define TOO_BIG                                                          \
	"this rule is too big for the kernel: its entry would take %zu " \
	"bytes, and an iptables rule holds at most %u"

static int check_entry_size(const struct cmd *c, const struct parsed_cmd *pc,
			    struct diag_list *dl)
{
	const size_t tsize = target_size(pc);
	size_t size = entry_head_size(pc->family);
	const struct arg *at = NULL;

	for (size_t k = 0; k < pc->nmatches; k++) {
		size += match_size(&pc->matches[k]);
		if (!at && size + tsize > ENCODE_ENTRY_MAX)
			at = pc->matches[k].where.text ? &pc->matches[k].where :
							 NULL;
	}
	size += tsize;
	if (size <= ENCODE_ENTRY_MAX)
		return 0;
	if (!at)
		at = pc->target ? pc->target : pc->op_arg;
	if (at)
		diag_error(dl, &at->loc, at->width, TOO_BIG, size,
			   ENCODE_ENTRY_MAX);
	else
		diag_error(dl, &c->loc, 1, TOO_BIG, size, ENCODE_ENTRY_MAX);
	diag_hint(dl, "a match takes its full size however short its "
		      "strings are: check part of it in a user chain "
		      "(-j CHAIN), or use fewer matches");
	return -1;
}

/* encode_parse() once: 0, -1, or ENCODE_FALLBACK from a native target
 * or a native match of encode_match.c. */
static int parse_line(const struct cmd *c, size_t first, enum family f,
		      struct parsed_cmd *pc, unsigned flags,
		      struct diag_list *dl)
{
	struct cmdline cl = { .c = c, .i = first, .pc = pc, .dl = dl };
	int status = 0, rc;

	memset(pc, 0, sizeof(*pc));
	pc->family = f;
	pc->resolve = flags & ENCODE_RESOLVE;
	cl.no_native_targets = flags & ENCODE_NO_NATIVE_TARGETS;
	cl.more = !(flags & ENCODE_NO_NATIVE_MATCHES);
	while (cl.i < c->argc) {
		rc = parse_one(&cl);
		if (rc < 0) {
			status = rc == ENCODE_FALLBACK ? rc : -1;
			break; /* later options would only echo this one */
		}
	}
	if (status == 0 && cl.invert)
		status = diag_error(dl, &cl.invert_arg->loc, 1,
				    "'!' at the end of the line inverts "
				    "nothing");
	for (size_t k = 0; status == 0 && k < pc->nmatches; k++)
		if (pc->matches[k].def && pc->matches[k].def->final)
			status = pc->matches[k].def->final(&pc->matches[k], dl);
	if (status == 0 && cl.xr && finish_extensions(&cl) < 0)
		status = -1;
	if (status == 0 && cl.target_native)
		status = finish_native_target(&cl);
	if (status == 0 && check_entry_size(c, pc, dl) < 0)
		status = -1;
	/* libxtables holds one rule at a time: let go of this one. */
	xtadapter_rule_free(cl.xr);
	for (size_t k = 0; k < pc->nmatches; k++)
		pc->matches[k].ext = NULL;
	free(cl.argv);
	return status;
}

/*
 * The printer shows a native target's options through its extension, and
 * may have to print it while the committer holds the xtables lock, when
 * libxtables loads nothing: load it now, once per target and family, as
 * parsing it through the adapter would have.
 */
static void load_for_printing(enum family f, const struct xt_entry_target *t)
{
	static bool loaded[FAMILY_COUNT][64];
	const struct target_def *td = find_target_def(f, t->u.user.name);
	const size_t i = td ? (size_t)(td - encode_targets) : 64;

	if (i >= 64 || loaded[f][i])
		return;
	loaded[f][i] = true;
	xtadapter_is_target(f, t->u.user.name);
}

int encode_parse(const struct cmd *c, size_t first, enum family f,
		 struct parsed_cmd *pc, unsigned flags, struct diag_list *dl)
{
	const size_t ndiags = dl->count;
	int rc = parse_line(c, first, f, pc, flags, dl);

	if (rc == 0 && pc->native_target)
		load_for_printing(f, pc->ext_target);
	if (rc != ENCODE_FALLBACK)
		return rc;
	/* A case a native target or match leaves to the extension: again,
	 * all of them through the adapter, without the warnings of the
	 * first pass. */
	parsed_cmd_free(pc);
	diag_list_truncate(dl, ndiags);
	return parse_line(c, first, f, pc,
			  flags | ENCODE_NO_NATIVE_TARGETS |
				  ENCODE_NO_NATIVE_MATCHES,
			  dl);
}

void parsed_cmd_free(struct parsed_cmd *pc)
{
	free(pc->srcs);
	free(pc->dsts);
	free(pc->srcs6);
	free(pc->dsts6);
	for (size_t k = 0; k < pc->nmatches; k++)
		free(pc->matches[k].blob);
	free(pc->matches);
	free(pc->ext_target);
	memset(pc, 0, sizeof(*pc));
}

int encode_check_matches(const struct parsed_cmd *pc, struct diag_list *dl)
{
	for (size_t k = 0; k < pc->nmatches; k++) {
		const struct encoded_match *m = &pc->matches[k];

		/* Extensions: xtadapter_check_entry(), once -j is known. */
		if (!m->def || !m->def->proto)
			continue;
		if (pc->ip.proto == m->def->proto &&
		    !(pc->ip.invflags & IPT_INV_PROTO))
			continue;
		diag_error(dl, &m->where.loc, m->where.width,
			   "the %s match needs -p %s", m->def->name,
			   m->def->name);
		diag_hint(dl,
			  "add -p %s before -m %s: the kernel refuses %s "
			  "options for other protocols",
			  m->def->name, m->def->name, m->def->name);
		return -1;
	}
	return 0;
}

/* The matches' part of the entry, and the target's. */
static size_t matches_size(const struct parsed_cmd *pc)
{
	size_t size = 0;

	for (size_t k = 0; k < pc->nmatches; k++)
		size += match_size(&pc->matches[k]);
	return size;
}

size_t encode_entry_size(const struct parsed_cmd *pc)
{
	return entry_head_size(pc->family) + matches_size(pc) + target_size(pc);
}

struct entry *encode_entry(const struct parsed_cmd *pc, size_t si, size_t di)
{
	struct entry *e = calloc(1, encode_entry_size(pc));

	if (!e)
		abort();
	encode_entry_into(pc, si, di, e);
	return e;
}

/* The IPv6 head: the parts ip6t_ip6 shares with ipt_ip, the addresses
 * of source @si and destination @di, and ip6tables' flags: IP6T_F_PROTO
 * whenever -p was given (even -p all). */
static void encode_head6(const struct parsed_cmd *pc, size_t si, size_t di,
			 struct ip6t_entry *e)
{
	struct ip6t_ip6 *ip = &e->ipv6;

	memcpy(ip->iniface, pc->ip.iniface, sizeof(ip->iniface));
	memcpy(ip->outiface, pc->ip.outiface, sizeof(ip->outiface));
	memcpy(ip->iniface_mask, pc->ip.iniface_mask, sizeof(ip->iniface_mask));
	memcpy(ip->outiface_mask, pc->ip.outiface_mask,
	       sizeof(ip->outiface_mask));
	ip->proto = pc->ip.proto;
	ip->invflags = pc->ip.invflags;
	if (pc->proto_given)
		ip->flags |= IP6T_F_PROTO;
	if (pc->is_goto)
		ip->flags |= IP6T_F_GOTO;
	if (pc->nsrcs) {
		ip->src = pc->srcs6[si].addr;
		ip->smsk = pc->srcs6[si].mask;
	}
	if (pc->ndsts) {
		ip->dst = pc->dsts6[di].addr;
		ip->dmsk = pc->dsts6[di].mask;
	}
}

/* The IPv4 head: the IP part with source @si and destination @di. */
static void encode_head4(const struct parsed_cmd *pc, size_t si, size_t di,
			 struct ipt_entry *e)
{
	e->ip = pc->ip;
	if (pc->nsrcs) {
		e->ip.src = pc->srcs[si].addr;
		e->ip.smsk = pc->srcs[si].mask;
	}
	if (pc->ndsts) {
		e->ip.dst = pc->dsts[di].addr;
		e->ip.dmsk = pc->dsts[di].mask;
	}
	if (pc->is_goto)
		e->ip.flags |= IPT_F_GOTO;
}

void encode_entry_into(const struct parsed_cmd *pc, size_t si, size_t di,
		       struct entry *e)
{
	const enum family f = pc->family;
	const size_t size = entry_head_size(f) + matches_size(pc);
	const size_t tsize = target_size(pc);
	struct xt_entry_target *tg;
	size_t off;

	if (f == FAMILY_IPV6)
		encode_head6(pc, si, di, entry_v6(e));
	else
		encode_head4(pc, si, di, entry_v4(e));
	/* encode_parse() refused entries past ENCODE_ENTRY_MAX. */
	entry_set_offsets(f, e, size, size + tsize);
	if (pc->has_counters)
		*entry_counters(f, e) = pc->counters;
	off = entry_head_size(f);
	for (size_t k = 0; k < pc->nmatches; k++) {
		const struct encoded_match *m = &pc->matches[k];
		struct xt_entry_match *em = entry_match_at(e, off);
		size_t msize;

		if (m->blob) {
			memcpy(em, m->blob, m->blob->u.match_size);
			off += m->blob->u.match_size;
			continue;
		}
		msize = match_size(m);
		em->u.user.match_size = (uint16_t)msize;
		strcpy(em->u.user.name,
		       m->def->real_name ? m->def->real_name : m->def->name);
		em->u.user.revision = m->def->revision;
		memcpy(em->data, m->data, m->def->size);
		off += msize;
	}
	tg = entry_target(f, e);
	if (pc->ext_target) {
		memcpy(tg, pc->ext_target, tsize);
		return;
	}
	tg->u.user.target_size = (uint16_t)tsize;
	if (pc->target)
		strncpy(tg->u.user.name, pc->target->text,
			sizeof(tg->u.user.name) - 1);
}
