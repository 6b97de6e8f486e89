/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * print.c - the in-memory ruleset as iptables-save text.
 *
 * The output is meant to be byte-identical to what iptables-legacy-save
 * (iptables 1.8.9) prints for the same kernel state, minus its
 * "# Generated" and "# Completed" comments, so that the kernel oracle tests
 * can compare the two with diff.  Every spelling choice below (which
 * options are left out, where "!" goes, "/32" on addresses but not on
 * policy tunnel addresses, "any" for icmp type 255...) follows what
 * iptables 1.8.9 prints, quirks included; the oracle tests in
 * tests/kernel/print/ hold us to it.  Where the text holds what
 * iptload's reader would take as syntax ($, quotes, backslashes), a
 * backslash is added in front (print_bare, print_requoted) so that the
 * reader reads the words that iptables-restore would.
 *
 * The matches of the native encoders (udp, tcp, icmp, policy) are decoded
 * here.  Any other match or target is printed by the iptables extension
 * that built it, through the libxtables adapter (print_foreign_match,
 * print_foreign_target).  This file must not include <xtables.h>: only
 * the adapter does.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "print.h"
#include "xtadapter.h"

/* The option data of match @m, and its size as the entry holds it. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MATCH_DATA(m) ((const void *)(m)->data)
#define MATCH_DATA_SIZE(m) \
	((size_t)(m)->u.match_size - XT_ALIGN(sizeof(struct xt_entry_match)))

/*
 * Protocol names that iptables prefers to /etc/protocols, in the order of
 * libxtables 1.8.9's xtables_chain_protos[] (the first entry for a number
 * wins).  Mirrored here because only the adapter may include xtables.h;
 * IPv6-only numbers are kept so that the lookup stays the same one.
 */
static const struct {
	uint16_t num;
	const char *name;
} chain_protos[] = {
	{ IPPROTO_TCP, "tcp" },
	{ IPPROTO_SCTP, "sctp" },
	{ IPPROTO_UDP, "udp" },
	{ IPPROTO_UDPLITE, "udplite" },
	{ IPPROTO_ICMP, "icmp" },
	{ IPPROTO_ICMPV6, "ipv6-icmp" },
	{ IPPROTO_ESP, "esp" },
	{ IPPROTO_AH, "ah" },
	{ IPPROTO_MH, "mobility-header" },
};

/* The name iptables-save prints after -p, or NULL to print the number. */
static const char *proto_name(uint16_t proto)
{
	const struct protoent *pe;

	for (size_t i = 0; i < ARRAY_SIZE(chain_protos); i++)
		if (chain_protos[i].num == proto)
			return chain_protos[i].name;
	pe = getprotobynumber(proto);
	return pe ? pe->p_name : NULL;
}

/*
 * Prefix length of a netmask in network order, or -1 when its ones are not
 * contiguous (iptables then prints the mask dotted).
 */
static int mask_prefix_len(uint32_t netmask)
{
	uint32_t host = ~ntohl(netmask);

	/* The host part of a contiguous mask is 0...01...1. */
	if ((host & (host + 1)) != 0)
		return -1;
	return 32 - __builtin_popcount(host);
}

static void print_ipv4(uint32_t addr, FILE *out)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = addr };

	fputs(inet_ntop(AF_INET, &a, buf, sizeof(buf)), out);
}

/* "/len", or "/a.b.c.d" when the mask has holes. */
static void print_mask(uint32_t netmask, FILE *out)
{
	int len = mask_prefix_len(netmask);

	fputc('/', out);
	if (len < 0)
		print_ipv4(netmask, out);
	else
		fprintf(out, "%d", len);
}

/*
 * Byte *@p of a bare word (outside quotes) as the reader takes it back
 * literally: quotes, '$' and '\\' escaped, and '#' where a word starts (a
 * comment), '{' and '}' where they are the whole word (a list).  Blanks
 * are not: no name iptload loads holds one (the kernel never allows it).
 */
static void put_bare(const char *p, bool word_start, FILE *out)
{
	bool alone = word_start &&
		     (p[1] == '\0' || isspace((unsigned char)p[1]));

	if (strchr("'\"$\\", *p) || (word_start && *p == '#') ||
	    (alone && (*p == '{' || *p == '}')))
		fputc('\\', out);
	fputc(*p, out);
}

/* A name (chain, interface) as one bare word. */
static void print_bare(const char *name, FILE *out)
{
	for (const char *p = name; *p; p++)
		put_bare(p, p == name, out);
}

/*
 * @text, a rule's options as an iptables extension saves them, with what
 * the reader would read otherwise than iptables-restore escaped.
 * iptables-restore splits words at blanks, takes everything outside
 * double quotes literally and, inside them, \c as c; the reader expands
 * $NAME in and out of double quotes and reads \c outside them as c, but
 * keeps the backslash of \c inside them unless c is one of " \ $ '.
 */
static void print_requoted(const char *text, FILE *out)
{
	bool quoted = false, word_start = true;

	for (const char *p = text; *p; p++) {
		if (!quoted) {
			if (*p == '"')
				quoted = true;
			if (*p == '"' || isspace((unsigned char)*p))
				fputc(*p, out);
			else
				put_bare(p, word_start, out);
			word_start = isspace((unsigned char)*p);
			continue;
		}
		if (*p == '"') {
			quoted = false;
		} else if (*p == '\\' && p[1]) {
			/* iptables-restore reads \c as c for any c. */
			if (!strchr("\"\\$'", *++p)) {
				fputc(*p, out);
				continue;
			}
			fputc('\\', out);
		} else if (*p == '\\' || *p == '$') {
			fputc('\\', out);
		}
		fputc(*p, out);
	}
}

/*
 * " [!] -s addr/mask".  Left out only when it matches anything and is not
 * inverted; "! -s 0.0.0.0/0" is printed as iptables does, though it can
 * never match.
 */
static void print_ip_addr(char letter, struct in_addr addr, struct in_addr mask,
			  bool invert, FILE *out)
{
	if (!mask.s_addr && !addr.s_addr && !invert)
		return;
	fprintf(out, "%s -%c ", invert ? " !" : "", letter);
	print_ipv4(addr.s_addr, out);
	print_mask(mask.s_addr, out);
}

/*
 * " [!] -i name[+]".  The mask says how many bytes of the name the kernel
 * compares: the name and its NUL for an exact name, only the name for a
 * "+" wildcard.  An empty mask (a bare "+") matches every interface and is
 * not printed, inverted or not, as iptables does.
 */
static void print_iface(char letter, const char *name,
			const unsigned char *mask, bool invert, FILE *out)
{
	char word[IFNAMSIZ + 2];
	size_t i, n;

	if (mask[0] == 0)
		return;
	fprintf(out, "%s -%c ", invert ? " !" : "", letter);
	for (i = 0, n = 0; i < IFNAMSIZ && mask[i]; i++)
		if (name[i])
			word[n++] = name[i];
	/* The mask stops before the end of the name: a wildcard. */
	if (i < IFNAMSIZ && name[i - 1])
		word[n++] = '+';
	word[n] = '\0';
	print_bare(word, out);
}

/* " [!] -p NAME" (or the number) for a non-zero protocol. */
static void print_proto(uint16_t proto, bool invert, FILE *out)
{
	const char *name;

	if (!proto)
		return;
	name = proto_name(proto);
	if (invert)
		fputs(" !", out);
	if (name)
		fprintf(out, " -p %s", name);
	else
		fprintf(out, " -p %u", proto);
}

/* The prefix length of an IPv6 mask, or -1 when its ones have holes. */
static int mask6_prefix_len(const struct in6_addr *mask)
{
	int len = 0;
	size_t i = 0;

	for (; i < 16 && mask->s6_addr[i] == 0xff; i++)
		len += 8;
	if (i == 16)
		return len;
	uint8_t b = mask->s6_addr[i];
	uint8_t host = (uint8_t)~b;

	if ((host & (host + 1)) != 0)
		return -1;
	len += 8 - __builtin_popcount(host);
	for (i++; i < 16; i++)
		if (mask->s6_addr[i])
			return -1;
	return len;
}

/*
 * " [!] -s addr/len" in an IPv6 rule, as ip6tables-legacy-save prints it:
 * left out when the prefix is 0 and not inverted, the mask in full when
 * it has holes.
 */
static void print_ip6_addr(char letter, const struct in6_addr *addr,
			   const struct in6_addr *mask, bool invert, FILE *out)
{
	char buf[INET6_ADDRSTRLEN];
	int len = mask6_prefix_len(mask);

	if (!invert && len == 0)
		return;
	fprintf(out, "%s -%c %s", invert ? " !" : "", letter,
		inet_ntop(AF_INET6, addr, buf, sizeof(buf)));
	if (len < 0)
		fprintf(out, "/%s",
			inet_ntop(AF_INET6, mask, buf, sizeof(buf)));
	else
		fprintf(out, "/%d", len);
}

/* The ip6t_ip6 part, in the order ip6tables-save prints it. */
static void print_ip6_part(const struct ip6t_ip6 *ip, FILE *out)
{
	print_ip6_addr('s', &ip->src, &ip->smsk, ip->invflags & IP6T_INV_SRCIP,
		       out);
	print_ip6_addr('d', &ip->dst, &ip->dmsk, ip->invflags & IP6T_INV_DSTIP,
		       out);
	print_iface('i', ip->iniface, ip->iniface_mask,
		    ip->invflags & IP6T_INV_VIA_IN, out);
	print_iface('o', ip->outiface, ip->outiface_mask,
		    ip->invflags & IP6T_INV_VIA_OUT, out);
	/* ip6tables-save prints "-p all" as nothing, but IP6T_F_PROTO
	 * with protocol 0 is not the same rule as no -p: the kernel walks
	 * the extension headers (and drops a packet they leave unparsed).
	 * Written out, the rule loads back as it is. */
	if ((ip->flags & IP6T_F_PROTO) && ip->proto == 0 &&
	    !(ip->invflags & XT_INV_PROTO))
		fputs(" -p all", out);
	else
		print_proto(ip->proto, ip->invflags & XT_INV_PROTO, out);
}

/* The ipt_ip part, in the order iptables-save prints it. */
static void print_ip_part(const struct ipt_ip *ip, FILE *out)
{
	print_ip_addr('s', ip->src, ip->smsk, ip->invflags & IPT_INV_SRCIP,
		      out);
	print_ip_addr('d', ip->dst, ip->dmsk, ip->invflags & IPT_INV_DSTIP,
		      out);
	print_iface('i', ip->iniface, ip->iniface_mask,
		    ip->invflags & IPT_INV_VIA_IN, out);
	print_iface('o', ip->outiface, ip->outiface_mask,
		    ip->invflags & IPT_INV_VIA_OUT, out);
	print_proto(ip->proto, ip->invflags & XT_INV_PROTO, out);
	if (ip->flags & IPT_F_FRAG)
		fprintf(out, "%s -f", ip->invflags & IPT_INV_FRAG ? " !" : "");
}

/*
 * " [!] --sport lo[:hi]" for a udp or tcp port range.  The full range is
 * left out even when inverted: iptables-save drops the "!" with it.
 */
static void print_port_range(const char *opt, const uint16_t range[2],
			     bool invert, FILE *out)
{
	if (range[0] == 0 && range[1] == 0xffff)
		return;
	fprintf(out, "%s --%s %u", invert ? " !" : "", opt, range[0]);
	if (range[0] != range[1])
		fprintf(out, ":%u", range[1]);
}

static void print_udp(const void *ip, const void *data, FILE *out)
{
	const struct xt_udp *u = data;

	print_port_range("sport", u->spts, u->invflags & XT_UDP_INV_SRCPT, out);
	print_port_range("dport", u->dpts, u->invflags & XT_UDP_INV_DSTPT, out);
}

/* TCP flag names in the order iptables lists them. */
static const struct {
	uint8_t bit;
	const char *name;
} tcp_flag_names[] = {
	{ 0x01, "FIN" }, { 0x02, "SYN" }, { 0x04, "RST" },
	{ 0x08, "PSH" }, { 0x10, "ACK" }, { 0x20, "URG" },
};

/*
 * A flag set as "SYN,ACK", or "NONE".  iptables spells every set by its
 * single flags, ALL included.  Bits iptables has no name for (ECE, CWR) can
 * only come from a hand-made entry; they are printed in hex so that they
 * are not silently lost (iptables would read past its table).
 */
static void print_tcp_flag_set(uint8_t flags, FILE *out)
{
	const char *sep = "";

	if (flags == 0) {
		fputs("NONE", out);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tcp_flag_names); i++) {
		if (flags & tcp_flag_names[i].bit) {
			fprintf(out, "%s%s", sep, tcp_flag_names[i].name);
			sep = ",";
		}
	}
	if (flags & 0xc0)
		fprintf(out, "%s0x%02x", sep, flags & 0xc0);
}

static void print_tcp(const void *ip, const void *data, FILE *out)
{
	const struct xt_tcp *t = data;

	print_port_range("sport", t->spts, t->invflags & XT_TCP_INV_SRCPT, out);
	print_port_range("dport", t->dpts, t->invflags & XT_TCP_INV_DSTPT, out);
	if (t->option || (t->invflags & XT_TCP_INV_OPTION))
		fprintf(out, "%s --tcp-option %u",
			t->invflags & XT_TCP_INV_OPTION ? " !" : "", t->option);
	if (t->flg_mask || (t->invflags & XT_TCP_INV_FLAGS)) {
		fprintf(out, "%s --tcp-flags ",
			t->invflags & XT_TCP_INV_FLAGS ? " !" : "");
		print_tcp_flag_set(t->flg_mask, out);
		fputc(' ', out);
		print_tcp_flag_set(t->flg_cmp, out);
	}
}

/*
 * " [!] --icmp-type T[/C]", always numeric.  Type 255 means any type and
 * iptables 1.8.9 prints "any" whatever the codes say (a later iptables
 * looks at the codes too); a code is printed only when the range is not
 * the full 0-255, and only its lower end.
 */
static void print_icmp(const void *ip, const void *data, FILE *out)
{
	const struct ipt_icmp *ic = data;

	if (ic->invflags & IPT_ICMP_INV)
		fputs(" !", out);
	if (ic->type == 0xff) {
		fputs(" --icmp-type any", out);
		return;
	}
	fprintf(out, " --icmp-type %u", ic->type);
	if (ic->code[0] != 0 || ic->code[1] != 0xff)
		fprintf(out, "/%u", ic->code[0]);
}

/*
 * A policy tunnel address: "addr" for a host, "addr/len" or
 * "addr/a.b.c.d" otherwise.  Unlike -s, iptables leaves "/32" out here.
 */
static void print_policy_addr(const char *opt, const union xt_policy_addr *addr,
			      const union xt_policy_addr *mask, bool invert,
			      FILE *out)
{
	fprintf(out, "%s --%s ", invert ? " !" : "", opt);
	print_ipv4(addr->a4.s_addr, out);
	if (mask->a4.s_addr != 0xffffffff)
		print_mask(mask->a4.s_addr, out);
}

/* One policy element's criteria, in the order iptables prints them. */
static void print_policy_elem(const struct xt_policy_elem *pe, FILE *out)
{
	if (pe->match.reqid)
		fprintf(out, "%s --reqid %" PRIu32,
			pe->invert.reqid ? " !" : "", (uint32_t)pe->reqid);
	/* The SPI is kept in host order in a __be32, as iptables parses it. */
	if (pe->match.spi)
		fprintf(out, "%s --spi 0x%" PRIx32, pe->invert.spi ? " !" : "",
			(uint32_t)pe->spi);
	if (pe->match.proto) {
		const struct protoent *p = getprotobynumber(pe->proto);

		fprintf(out, "%s --proto ", pe->invert.proto ? " !" : "");
		if (p)
			fputs(p->p_name, out);
		else
			fprintf(out, "%u", pe->proto);
	}
	if (pe->match.mode) {
		const char *mode = "???"; /* what iptables prints for junk */

		if (pe->mode == XT_POLICY_MODE_TRANSPORT)
			mode = "transport";
		else if (pe->mode == XT_POLICY_MODE_TUNNEL)
			mode = "tunnel";
		fprintf(out, "%s --mode %s", pe->invert.mode ? " !" : "", mode);
	}
	if (pe->match.daddr)
		print_policy_addr("tunnel-dst", &pe->daddr, &pe->dmask,
				  pe->invert.daddr, out);
	if (pe->match.saddr)
		print_policy_addr("tunnel-src", &pe->saddr, &pe->smask,
				  pe->invert.saddr, out);
}

/*
 * "--dir", "--pol", "--strict", then the elements joined by "--next".
 * iptables prints "out" for any direction that is not "in", and "ipsec"
 * whenever NONE is not set.
 */
static void print_policy(const void *ip, const void *data, FILE *out)
{
	const struct xt_policy_info *pi = data;
	unsigned len = pi->len;

	fprintf(out, " --dir %s",
		pi->flags & XT_POLICY_MATCH_IN ? "in" : "out");
	fprintf(out, " --pol %s",
		pi->flags & XT_POLICY_MATCH_NONE ? "none" : "ipsec");
	if (pi->flags & XT_POLICY_MATCH_STRICT)
		fputs(" --strict", out);
	/* The kernel refuses more; never read past the array. */
	if (len > XT_POLICY_MAX_ELEM)
		len = XT_POLICY_MAX_ELEM;
	for (unsigned i = 0; i < len; i++) {
		if (i > 0)
			fputs(" --next", out);
		print_policy_elem(&pi->pol[i], out);
	}
}

/*
 * The matches print.c decodes, sorted by name for bsearch.  A match is
 * decoded only when its revision and size are the ones the builder makes;
 * anything else goes to the extension point.
 */
struct native_match {
	const char *name;
	uint8_t revision;
	size_t size; /* XT_ALIGN'ed size of the option data */
	void (*print)(const void *ip, const void *data, FILE *out);
	bool ipv6; /* decoded here in IPv6 rules too */
};

static const struct native_match native_matches[] = {
	{ "icmp", 0, XT_ALIGN(sizeof(struct ipt_icmp)), print_icmp, false },
	{ "policy", 0, XT_ALIGN(sizeof(struct xt_policy_info)), print_policy,
	  false },
	{ "tcp", 0, XT_ALIGN(sizeof(struct xt_tcp)), print_tcp, true },
	{ "udp", 0, XT_ALIGN(sizeof(struct xt_udp)), print_udp, true },
};

static int native_match_cmp(const void *key, const void *elem)
{
	const struct native_match *nm = elem;

	return strcmp(key, nm->name);
}

static const struct native_match *native_match_find(const char *name)
{
	return bsearch(name, native_matches, ARRAY_SIZE(native_matches),
		       sizeof(native_matches[0]), native_match_cmp);
}

/*
 * A match print.c does not decode: " -m NAME" and its options as the
 * iptables extension saves them (NAME may be an alias: "state" for a
 * conntrack match made by -m state).  Without an extension that knows
 * it, only " -m NAME" (@name, its name made printable).
 */
static void print_foreign_match(enum family f, const void *ip,
				const struct xt_entry_match *m,
				const char *name, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	if (!mem)
		abort();
	rc = xtadapter_save_match(f, ip, m, mem);
	fclose(mem);
	if (rc < 0)
		fprintf(out, " -m %s", name);
	else
		print_requoted(text, out);
	free(text);
}

/* The twin of print_foreign_match for an extension target: " -j NAME"
 * and its options, or " -j NAME" alone. */
static void print_foreign_target(enum family f, const void *ip,
				 const struct xt_entry_target *t,
				 const char *name, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	if (!mem)
		abort();
	rc = xtadapter_save_target(f, ip, t, mem);
	fclose(mem);
	if (rc < 0)
		fprintf(out, " -j %s", name);
	else
		print_requoted(text, out);
	free(text);
}

static void print_match(enum family f, const void *ip,
			const struct xt_entry_match *m, FILE *out)
{
	const struct native_match *nm;
	char name[XT_EXTENSION_MAXNAMELEN];

	/* A hand-made entry may fill the name field with no NUL. */
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(m->u.user.name) - 1,
		 m->u.user.name);
	nm = native_match_find(name);
	if (nm && (f == FAMILY_IPV4 || nm->ipv6) &&
	    m->u.user.revision == nm->revision &&
	    MATCH_DATA_SIZE(m) == nm->size) {
		fprintf(out, " -m %s", name);
		nm->print(ip, MATCH_DATA(m), out);
	} else {
		print_foreign_match(f, ip, m, name, out);
	}
}

static bool is_verdict(const char *name)
{
	return strcmp(name, "ACCEPT") == 0 || strcmp(name, "DROP") == 0 ||
	       strcmp(name, "QUEUE") == 0 || strcmp(name, "RETURN") == 0;
}

/*
 * Whether the rule's target is a verdict, a jump or a goto rather than an
 * extension target.  The size alone cannot tell: an extension target with
 * 8 bytes of options (CLASSIFY, MARK revision 2...) is as big as the
 * standard target.  A goto can only be to a chain, so IPT_F_GOTO settles
 * it even for a chain the validator will find missing.
 */
static bool target_is_standard(const struct table *t, const struct entry *e)
{
	const char *name = rule_target_name(t->family, e);

	if (!rule_is_standard(t->family, e))
		return false;
	return name[0] == '\0' || is_verdict(name) ||
	       entry_is_goto(t->family, e) || table_find_chain(t, name);
}

static void print_target(const struct table *t, const struct entry *e,
			 FILE *out)
{
	const struct xt_entry_target *tg = entry_target(t->family, e);
	char name[XT_EXTENSION_MAXNAMELEN];

	snprintf(name, sizeof(name), "%.*s", (int)sizeof(tg->u.user.name) - 1,
		 tg->u.user.name);
	if (target_is_standard(t, e)) {
		/* "" is a rule without a target: it only counts packets. */
		if (name[0]) {
			fprintf(out, " -%c ",
				entry_is_goto(t->family, e) ? 'g' : 'j');
			print_bare(name, out);
		}
		return;
	}
	print_foreign_target(t->family, entry_ip(t->family, e), tg, name, out);
}

void print_rule(const struct table *t, const char *chain, const struct entry *e,
		FILE *out)
{
	const enum family f = t->family;
	const void *ip = entry_ip(f, e);
	size_t off;

	fputs("-A ", out);
	print_bare(chain, out);
	if (f == FAMILY_IPV6)
		print_ip6_part(ip, out);
	else
		print_ip_part(ip, out);
	/* The matches lie between the header and the target, back to back. */
	for (off = entry_head_size(f); off < entry_target_offset(f, e);) {
		const struct xt_entry_match *m = entry_match_at(e, off);

		if (m->u.match_size < sizeof(*m))
			break; /* malformed; never loop forever */
		print_match(f, ip, m, out);
		off += m->u.match_size;
	}
	print_target(t, e, out);
}

/*
 * Built-in chains by hook, then user chains by name in strcmp() order:
 * libiptc keeps its chain list in this order (iptc_insert_chain), and
 * iptables-save walks that list.
 */
static int chain_order_cmp(const void *a, const void *b)
{
	const struct chain *ca = *(const struct chain *const *)a;
	const struct chain *cb = *(const struct chain *const *)b;

	if (ca->hook >= 0 || cb->hook >= 0) {
		/* A user chain (-1) sorts after any hook. */
		unsigned ha = (unsigned)ca->hook, hb = (unsigned)cb->hook;

		return ha < hb ? -1 : ha > hb;
	}
	return strcmp(ca->name, cb->name);
}

static const char *policy_name(enum chain_policy p)
{
	return p == POLICY_DROP ? "DROP" : "ACCEPT";
}

/* "preserve GLOB", quoted when the reader would otherwise split it or
 * see a variable in it (a glob holds no newline: chain names cannot). */
static void print_preserve(const char *glob, FILE *out)
{
	fputs("preserve ", out);
	if (!strpbrk(glob, " \t'\"$\\#{}")) {
		fprintf(out, "%s\n", glob);
		return;
	}
	fputc('"', out);
	for (const char *p = glob; *p; p++) {
		if (strchr("\"$\\", *p))
			fputc('\\', out);
		fputc(*p, out);
	}
	fputs("\"\n", out);
}

void print_table(const struct table *t, FILE *out)
{
	const struct chain **order;
	size_t i, j;

	order = calloc(t->nchains ? t->nchains : 1, sizeof(*order));
	if (!order)
		abort(); /* out of memory: nothing sensible to print */
	for (i = 0; i < t->nchains; i++)
		order[i] = t->chains[i];
	qsort(order, t->nchains, sizeof(*order), chain_order_cmp);

	fprintf(out, "*%s\n", t->name);
	for (i = 0; i < t->nchains; i++) {
		const struct chain *c = order[i];

		fputc(':', out);
		print_bare(c->name, out);
		if (c->hook >= 0)
			fprintf(out, " %s [%llu:%llu]\n",
				policy_name(c->policy),
				(unsigned long long)c->policy_counters.pcnt,
				(unsigned long long)c->policy_counters.bcnt);
		else
			fputs(" - [0:0]\n", out);
	}
	/* A config's preserve lines, so that what print writes loads as the
	 * config would (the kernel's tables have none). */
	for (unsigned k = 0; k < t->npreserve; k++)
		print_preserve(t->preserve[k], out);
	for (i = 0; i < t->nchains; i++) {
		for (j = 0; j < order[i]->nrules; j++) {
			print_rule(t, order[i]->name, order[i]->rules[j].entry,
				   out);
			fputc('\n', out);
		}
	}
	fputs("COMMIT\n", out);
	free(order);
}

/*
 * /proc/net/ip_tables_names, which iptables-legacy-save walks, lists the
 * most recently instantiated table first.  The committer instantiates the
 * tables in enum table_id order, so a fresh namespace loaded by iptload
 * lists them in reverse enum order: print them so.
 */
static void print_family(const struct ruleset *rs, enum family f, FILE *out)
{
	for (int id = TABLE_COUNT - 1; id >= 0; id--)
		if (rs->tables[f * TABLE_COUNT + id].named)
			print_table(&rs->tables[f * TABLE_COUNT + id], out);
}

void print_ruleset(const struct ruleset *rs, FILE *out)
{
	print_ruleset_as(rs, FAMILY_IPV4, out);
}

/*
 * Each family's tables; a family other than @deflt is introduced by a
 * "family" line, so that the text loads back with the same default
 * (iptload -6 print of an IPv6-only ruleset is ip6tables-save text).
 */
void print_ruleset_as(const struct ruleset *rs, enum family deflt, FILE *out)
{
	bool switched = false;

	for (int f = 0; f < FAMILY_COUNT; f++) {
		if (!ruleset_names_family(rs, f))
			continue;
		if (f != (int)deflt || switched)
			fprintf(out, "family %s\n", family_name(f));
		switched = f != (int)deflt;
		print_family(rs, f, out);
	}
	/* Back to the default for what follows (a concatenated file). */
	if (switched)
		fprintf(out, "family %s\n", family_name(deflt));
}
