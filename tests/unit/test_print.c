/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_print.c - print.c on hand-built entries: the formatting edge cases
 * that the kernel oracle (tests/kernel/print) cannot reach because
 * iptables never builds such entries, or that are worth pinning down one
 * by one (masks with holes, icmp "any", tcp flag sets, the policy SPI...).
 * Every expected string is what iptables-legacy-save 1.8.9 prints for the
 * same entry, or, where iptables cannot build the entry, what print.c
 * promises instead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "print.h"
#include "ruleset.h"

/* An ipt_entry under construction: header, matches, then a target. */
struct entry_builder {
	_Alignas(8) unsigned char buf[2048];
	size_t off;
};

static struct ipt_ip *eb_init(struct entry_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->off = sizeof(struct ipt_entry);
	return &((struct ipt_entry *)b->buf)->ip;
}

/* Append a match of @size option bytes; returns its (zeroed) options. */
static void *eb_match(struct entry_builder *b, const char *name,
		      uint8_t revision, size_t size)
{
	struct xt_entry_match *m = (void *)(b->buf + b->off);

	m->u.match_size = XT_ALIGN(sizeof(*m)) + XT_ALIGN(size);
	strcpy(m->u.user.name, name);
	m->u.user.revision = revision;
	b->off += m->u.match_size;
	return m->data;
}

/* Finish with a target of @size option bytes; returns a malloc'd copy of
 * the entry, as the model holds it. */
static struct ipt_entry *eb_target(struct entry_builder *b, const char *name,
				   size_t size)
{
	struct ipt_entry *e = (void *)b->buf;
	struct xt_entry_target *t = (void *)(b->buf + b->off);
	struct ipt_entry *copy;

	e->target_offset = b->off;
	t->u.target_size = XT_ALIGN(sizeof(*t)) + XT_ALIGN(size);
	strcpy(t->u.user.name, name);
	e->next_offset = b->off + t->u.target_size;
	copy = malloc(e->next_offset);
	assert_non_null(copy);
	memcpy(copy, e, e->next_offset);
	return copy;
}

/* A standard target (verdict, chain or "") as the builder stores it. */
static struct ipt_entry *eb_standard(struct entry_builder *b, const char *name)
{
	struct ipt_entry *e = eb_target(b, name, sizeof(int));

	assert_int_equal(e->next_offset - e->target_offset,
			 sizeof(struct xt_standard_target));
	return e;
}

/* print_table(@t) into a new string (free it). */
static char *capture_table(const struct table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print_table(t, f);
	fclose(f);
	return buf;
}

/* print_rule of @e in INPUT of a filter table that also has @chain. */
static void check_rule(struct ipt_entry *e, const char *chain,
		       const char *expected)
{
	struct ruleset rs;
	struct table *t;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ruleset_init(&rs);
	t = ruleset_table(&rs, "filter");
	if (chain)
		table_add_chain(t, chain, NULL);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	print_rule(t, "INPUT", (const struct entry *)e, f);
	fclose(f);
	assert_string_equal(buf, expected);
	free(buf);
	free(e);
	ruleset_free(&rs);
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void test_empty_table(void **state)
{
	struct ruleset rs;
	char *text;

	ruleset_init(&rs);
	text = capture_table(ruleset_table(&rs, "nat"));
	assert_string_equal(text, "*nat\n"
				  ":PREROUTING ACCEPT [0:0]\n"
				  ":INPUT ACCEPT [0:0]\n"
				  ":OUTPUT ACCEPT [0:0]\n"
				  ":POSTROUTING ACCEPT [0:0]\n"
				  "COMMIT\n");
	free(text);
	ruleset_free(&rs);
}

static void test_policies_and_counters(void **state)
{
	struct ruleset rs;
	struct table *t;
	struct chain *c;
	char *text;

	ruleset_init(&rs);
	t = ruleset_table(&rs, "filter");
	c = table_find_chain(t, "FORWARD");
	c->policy = POLICY_DROP;
	c->policy_counters.pcnt = 5;
	c->policy_counters.bcnt = 18446744073709551615ull;
	text = capture_table(t);
	assert_string_equal(text, "*filter\n"
				  ":INPUT ACCEPT [0:0]\n"
				  ":FORWARD DROP [5:18446744073709551615]\n"
				  ":OUTPUT ACCEPT [0:0]\n"
				  "COMMIT\n");
	free(text);
	ruleset_free(&rs);
}

/* A config's preserve globs come back as preserve lines, quoted where the
 * reader needs it. */
static void test_preserve(void **state)
{
	struct ruleset rs;
	struct table *t;
	char *text;

	ruleset_init(&rs);
	t = ruleset_table(&rs, "filter");
	strcpy(t->preserve[t->npreserve++], "f2b-*");
	strcpy(t->preserve[t->npreserve++], "a b$\"");
	text = capture_table(t);
	assert_string_equal(text, "*filter\n"
				  ":INPUT ACCEPT [0:0]\n"
				  ":FORWARD ACCEPT [0:0]\n"
				  ":OUTPUT ACCEPT [0:0]\n"
				  "preserve f2b-*\n"
				  "preserve \"a b\\$\\\"\"\n"
				  "COMMIT\n");
	free(text);
	ruleset_free(&rs);
}

/* User chains in strcmp order whatever their creation order, rules chain
 * by chain in the same order, built-in chains first. */
static void test_chain_order(void **state)
{
	static const char *const created[] = { "zeta", "Alpha", "alpha",
					       "_x",   "9",	"a-b" };
	struct entry_builder b;
	struct ruleset rs;
	struct table *t;
	char *text;

	ruleset_init(&rs);
	t = ruleset_table(&rs, "raw");
	for (size_t i = 0; i < sizeof(created) / sizeof(created[0]); i++)
		table_add_chain(t, created[i], NULL);
	for (size_t i = 0; i < sizeof(created) / sizeof(created[0]); i++) {
		struct chain *c = table_find_chain(t, created[i]);
		struct rule r;

		eb_init(&b);
		r = (struct rule){ .entry = (struct entry *)eb_standard(
					   &b, "RETURN") };
		chain_insert_rule(t, c, 0, r);
	}
	eb_init(&b);
	chain_insert_rule(t, table_find_chain(t, "OUTPUT"), 0,
			  (struct rule){ .entry = (struct entry *)eb_standard(
						 &b, "zeta") });
	text = capture_table(t);
	assert_string_equal(text, "*raw\n"
				  ":PREROUTING ACCEPT [0:0]\n"
				  ":OUTPUT ACCEPT [0:0]\n"
				  ":9 - [0:0]\n"
				  ":Alpha - [0:0]\n"
				  ":_x - [0:0]\n"
				  ":a-b - [0:0]\n"
				  ":alpha - [0:0]\n"
				  ":zeta - [0:0]\n"
				  "-A OUTPUT -j zeta\n"
				  "-A 9 -j RETURN\n"
				  "-A Alpha -j RETURN\n"
				  "-A _x -j RETURN\n"
				  "-A a-b -j RETURN\n"
				  "-A alpha -j RETURN\n"
				  "-A zeta -j RETURN\n"
				  "COMMIT\n");
	free(text);
	ruleset_free(&rs);
}

/* Named tables only, newest first as /proc/net/ip_tables_names lists them
 * after the committer instantiated them in enum order. */
static void test_table_order(void **state)
{
	struct ruleset rs;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ruleset_init(&rs);
	ruleset_table(&rs, "raw")->named = true;
	ruleset_table(&rs, "filter")->named = true;
	ruleset_table(&rs, "security")->named = true;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	print_ruleset(&rs, f);
	fclose(f);
	assert_string_equal(buf, "*security\n"
				 ":INPUT ACCEPT [0:0]\n"
				 ":FORWARD ACCEPT [0:0]\n"
				 ":OUTPUT ACCEPT [0:0]\n"
				 "COMMIT\n"
				 "*filter\n"
				 ":INPUT ACCEPT [0:0]\n"
				 ":FORWARD ACCEPT [0:0]\n"
				 ":OUTPUT ACCEPT [0:0]\n"
				 "COMMIT\n"
				 "*raw\n"
				 ":PREROUTING ACCEPT [0:0]\n"
				 ":OUTPUT ACCEPT [0:0]\n"
				 "COMMIT\n");
	free(buf);
	ruleset_free(&rs);
}

static void test_nothing_named(void **state)
{
	struct ruleset rs;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ruleset_init(&rs);
	f = open_memstream(&buf, &len);
	print_ruleset(&rs, f);
	fclose(f);
	assert_string_equal(buf, "");
	free(buf);
	ruleset_free(&rs);
}

static struct ipt_entry *addr_rule(const char *src, const char *smsk,
				   const char *dst, const char *dmsk,
				   uint8_t invflags)
{
	struct entry_builder b;
	struct ipt_ip *ip = eb_init(&b);

	ip->src = ip4(src);
	ip->smsk = ip4(smsk);
	ip->dst = ip4(dst);
	ip->dmsk = ip4(dmsk);
	ip->invflags = invflags;
	return eb_standard(&b, "");
}

static void test_addresses(void **state)
{
	check_rule(addr_rule("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", 0),
		   NULL, "-A INPUT");
	check_rule(addr_rule("192.0.2.1", "255.255.255.255", "0.0.0.0",
			     "0.0.0.0", 0),
		   NULL, "-A INPUT -s 192.0.2.1/32");
	check_rule(addr_rule("10.0.0.0", "255.0.0.0", "10.1.0.0", "255.255.0.0",
			     0),
		   NULL, "-A INPUT -s 10.0.0.0/8 -d 10.1.0.0/16");
	check_rule(addr_rule("128.0.0.0", "128.0.0.0", "1.2.3.4",
			     "255.255.255.254", 0),
		   NULL, "-A INPUT -s 128.0.0.0/1 -d 1.2.3.4/31");
	/* Non-contiguous masks are printed dotted. */
	check_rule(
		addr_rule("1.0.3.0", "255.0.255.0", "0.0.0.4", "0.0.0.255", 0),
		NULL, "-A INPUT -s 1.0.3.0/255.0.255.0 -d 0.0.0.4/0.0.0.255");
	check_rule(addr_rule("1.2.3.4", "255.255.255.253", "0.0.0.0", "0.0.0.0",
			     0),
		   NULL, "-A INPUT -s 1.2.3.4/255.255.255.253");
	/* "match anything" is printed only when inverted. */
	check_rule(addr_rule("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0",
			     IPT_INV_SRCIP | IPT_INV_DSTIP),
		   NULL, "-A INPUT ! -s 0.0.0.0/0 ! -d 0.0.0.0/0");
	/* An address under a zero mask (iptables masks it away; a hand-made
	 * entry may not) is printed, as iptables-save would. */
	check_rule(addr_rule("1.2.3.4", "0.0.0.0", "0.0.0.0", "0.0.0.0", 0),
		   NULL, "-A INPUT -s 1.2.3.4/0");
	check_rule(addr_rule("203.0.113.9", "255.255.255.255", "203.0.113.0",
			     "255.255.255.0", IPT_INV_SRCIP),
		   NULL, "-A INPUT ! -s 203.0.113.9/32 -d 203.0.113.0/24");
}

/* An interface as iptables encodes it: the name, and a mask over the name
 * and its NUL (exact) or over the name only (with "+"). */
static void set_iface(char name[IFNAMSIZ], unsigned char mask[IFNAMSIZ],
		      const char *text)
{
	size_t len = strlen(text);

	memset(name, 0, IFNAMSIZ);
	memset(mask, 0, IFNAMSIZ);
	if (len && text[len - 1] == '+') {
		memcpy(name, text, len - 1);
		memset(mask, 0xff, len - 1);
	} else {
		memcpy(name, text, len);
		memset(mask, 0xff, len + 1 > IFNAMSIZ ? IFNAMSIZ : len + 1);
	}
}

static struct ipt_entry *iface_rule(const char *in, const char *out,
				    uint8_t invflags)
{
	struct entry_builder b;
	struct ipt_ip *ip = eb_init(&b);

	if (in)
		set_iface(ip->iniface, ip->iniface_mask, in);
	if (out)
		set_iface(ip->outiface, ip->outiface_mask, out);
	ip->invflags = invflags;
	return eb_standard(&b, "ACCEPT");
}

static void test_interfaces(void **state)
{
	check_rule(iface_rule("eth0", NULL, 0), NULL,
		   "-A INPUT -i eth0 -j ACCEPT");
	check_rule(iface_rule("eth+", "ppp0", 0), NULL,
		   "-A INPUT -i eth+ -o ppp0 -j ACCEPT");
	check_rule(iface_rule("eth0", "wg+", IPT_INV_VIA_IN | IPT_INV_VIA_OUT),
		   NULL, "-A INPUT ! -i eth0 ! -o wg+ -j ACCEPT");
	/* A bare "+" matches every interface: nothing to print, even under
	 * "!" (iptables-save drops it too). */
	check_rule(iface_rule("+", "+", IPT_INV_VIA_IN), NULL,
		   "-A INPUT -j ACCEPT");
	/* 15 characters: the mask covers the whole 16-byte field. */
	check_rule(iface_rule("abcdefghijklmno", NULL, 0), NULL,
		   "-A INPUT -i abcdefghijklmno -j ACCEPT");
	check_rule(iface_rule("abcdefghijklmn+", NULL, 0), NULL,
		   "-A INPUT -i abcdefghijklmn+ -j ACCEPT");
	check_rule(iface_rule("veth.100@x", NULL, 0), NULL,
		   "-A INPUT -i veth.100@x -j ACCEPT");
}

static struct ipt_entry *proto_rule(uint16_t proto, uint8_t flags,
				    uint8_t invflags)
{
	struct entry_builder b;
	struct ipt_ip *ip = eb_init(&b);

	ip->proto = proto;
	ip->flags = flags;
	ip->invflags = invflags;
	return eb_standard(&b, "");
}

static void test_protocols(void **state)
{
	check_rule(proto_rule(6, 0, 0), NULL, "-A INPUT -p tcp");
	check_rule(proto_rule(17, 0, XT_INV_PROTO), NULL, "-A INPUT ! -p udp");
	check_rule(proto_rule(1, 0, 0), NULL, "-A INPUT -p icmp");
	check_rule(proto_rule(50, 0, 0), NULL, "-A INPUT -p esp");
	check_rule(proto_rule(51, 0, 0), NULL, "-A INPUT -p ah");
	check_rule(proto_rule(132, 0, 0), NULL, "-A INPUT -p sctp");
	check_rule(proto_rule(136, 0, 0), NULL, "-A INPUT -p udplite");
	/* iptables' own table wins over /etc/protocols. */
	check_rule(proto_rule(58, 0, 0), NULL, "-A INPUT -p ipv6-icmp");
	check_rule(proto_rule(135, 0, 0), NULL, "-A INPUT -p mobility-header");
	/* A number no table names. */
	check_rule(proto_rule(253, 0, 0), NULL, "-A INPUT -p 253");
	/* Protocol 0 ("all") is never printed. */
	check_rule(proto_rule(0, 0, 0), NULL, "-A INPUT");
	check_rule(proto_rule(0, IPT_F_FRAG, 0), NULL, "-A INPUT -f");
	check_rule(proto_rule(6, IPT_F_FRAG, XT_INV_PROTO | IPT_INV_FRAG), NULL,
		   "-A INPUT ! -p tcp ! -f");
}

static struct ipt_entry *udp_rule(uint16_t s0, uint16_t s1, uint16_t d0,
				  uint16_t d1, uint8_t inv)
{
	struct entry_builder b;
	struct xt_udp *u;

	eb_init(&b)->proto = IPPROTO_UDP;
	u = eb_match(&b, "udp", 0, sizeof(*u));
	u->spts[0] = s0;
	u->spts[1] = s1;
	u->dpts[0] = d0;
	u->dpts[1] = d1;
	u->invflags = inv;
	return eb_standard(&b, "ACCEPT");
}

static void test_udp(void **state)
{
	check_rule(udp_rule(0, 65535, 0, 65535, 0), NULL,
		   "-A INPUT -p udp -m udp -j ACCEPT");
	check_rule(udp_rule(0, 65535, 53, 53, 0), NULL,
		   "-A INPUT -p udp -m udp --dport 53 -j ACCEPT");
	check_rule(udp_rule(500, 500, 4500, 4500, 0), NULL,
		   "-A INPUT -p udp -m udp --sport 500 --dport 4500 -j ACCEPT");
	check_rule(udp_rule(1024, 65535, 0, 1023, 0), NULL,
		   "-A INPUT -p udp -m udp --sport 1024:65535 --dport 0:1023 "
		   "-j ACCEPT");
	check_rule(udp_rule(0, 0, 65535, 65535, XT_UDP_INV_SRCPT), NULL,
		   "-A INPUT -p udp -m udp ! --sport 0 --dport 65535 "
		   "-j ACCEPT");
	/* The full range is left out, "!" and all. */
	check_rule(udp_rule(0, 65535, 0, 65535,
			    XT_UDP_INV_SRCPT | XT_UDP_INV_DSTPT),
		   NULL, "-A INPUT -p udp -m udp -j ACCEPT");
	check_rule(udp_rule(1, 2, 3, 4, XT_UDP_INV_SRCPT | XT_UDP_INV_DSTPT),
		   NULL,
		   "-A INPUT -p udp -m udp ! --sport 1:2 ! --dport 3:4 "
		   "-j ACCEPT");
}

static struct ipt_entry *tcp_rule(uint8_t mask, uint8_t cmp, uint8_t option,
				  uint8_t inv)
{
	struct entry_builder b;
	struct xt_tcp *t;

	eb_init(&b)->proto = IPPROTO_TCP;
	t = eb_match(&b, "tcp", 0, sizeof(*t));
	t->spts[1] = t->dpts[1] = 0xffff;
	t->flg_mask = mask;
	t->flg_cmp = cmp;
	t->option = option;
	t->invflags = inv;
	return eb_standard(&b, "DROP");
}

static void test_tcp(void **state)
{
	struct entry_builder b;
	struct xt_tcp *t;

	check_rule(tcp_rule(0, 0, 0, 0), NULL,
		   "-A INPUT -p tcp -m tcp -j DROP");
	/* ALL is spelled flag by flag; an empty set is NONE. */
	check_rule(tcp_rule(0x3f, 0, 0, 0), NULL,
		   "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG "
		   "NONE -j DROP");
	check_rule(
		tcp_rule(0x3f, 0x3f, 0, XT_TCP_INV_FLAGS), NULL,
		"-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG "
		"FIN,SYN,RST,PSH,ACK,URG -j DROP");
	/* --syn */
	check_rule(tcp_rule(0x17, 0x02, 0, 0), NULL,
		   "-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN "
		   "-j DROP");
	/* An empty mask is printed only when inverted. */
	check_rule(tcp_rule(0, 0, 0, XT_TCP_INV_FLAGS), NULL,
		   "-A INPUT -p tcp -m tcp ! --tcp-flags NONE NONE -j DROP");
	check_rule(tcp_rule(0, 0, 2, 0), NULL,
		   "-A INPUT -p tcp -m tcp --tcp-option 2 -j DROP");
	check_rule(tcp_rule(0, 0, 0, XT_TCP_INV_OPTION), NULL,
		   "-A INPUT -p tcp -m tcp ! --tcp-option 0 -j DROP");
	/* ECE/CWR have no name in iptables; print.c keeps them visible. */
	check_rule(tcp_rule(0xc2, 0x80, 0, 0), NULL,
		   "-A INPUT -p tcp -m tcp --tcp-flags SYN,0xc0 0x80 -j DROP");

	/* Ports, then option, then flags, each with its own "!". */
	eb_init(&b)->proto = IPPROTO_TCP;
	t = eb_match(&b, "tcp", 0, sizeof(*t));
	t->spts[0] = 10;
	t->spts[1] = 10;
	t->dpts[0] = 20;
	t->dpts[1] = 0xffff;
	t->option = 30;
	t->flg_mask = 0x12;
	t->flg_cmp = 0x02;
	t->invflags = XT_TCP_INV_MASK;
	check_rule(eb_standard(&b, ""), NULL,
		   "-A INPUT -p tcp -m tcp ! --sport 10 ! --dport 20:65535 "
		   "! --tcp-option 30 ! --tcp-flags SYN,ACK SYN");
}

static struct ipt_entry *icmp_rule(uint8_t type, uint8_t c0, uint8_t c1,
				   uint8_t inv)
{
	struct entry_builder b;
	struct ipt_icmp *ic;

	eb_init(&b)->proto = IPPROTO_ICMP;
	ic = eb_match(&b, "icmp", 0, sizeof(*ic));
	ic->type = type;
	ic->code[0] = c0;
	ic->code[1] = c1;
	ic->invflags = inv;
	return eb_standard(&b, "ACCEPT");
}

static void test_icmp(void **state)
{
	check_rule(icmp_rule(0xff, 0, 0xff, 0), NULL,
		   "-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT");
	check_rule(icmp_rule(0xff, 0, 0xff, IPT_ICMP_INV), NULL,
		   "-A INPUT -p icmp -m icmp ! --icmp-type any -j ACCEPT");
	/* iptables 1.8.9 says "any" for type 255 whatever the codes. */
	check_rule(icmp_rule(0xff, 3, 3, 0), NULL,
		   "-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT");
	check_rule(icmp_rule(8, 0, 0xff, 0), NULL,
		   "-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT");
	check_rule(icmp_rule(3, 1, 1, IPT_ICMP_INV), NULL,
		   "-A INPUT -p icmp -m icmp ! --icmp-type 3/1 -j ACCEPT");
	check_rule(icmp_rule(0, 0, 0, 0), NULL,
		   "-A INPUT -p icmp -m icmp --icmp-type 0/0 -j ACCEPT");
	check_rule(icmp_rule(3, 0, 254, 0), NULL,
		   "-A INPUT -p icmp -m icmp --icmp-type 3/0 -j ACCEPT");
	/* Only the lower code of a range is printed. */
	check_rule(icmp_rule(3, 2, 5, 0), NULL,
		   "-A INPUT -p icmp -m icmp --icmp-type 3/2 -j ACCEPT");
}

static struct xt_policy_info *policy_match(struct entry_builder *b)
{
	eb_init(b);
	return eb_match(b, "policy", 0, sizeof(struct xt_policy_info));
}

static void test_policy_flags(void **state)
{
	struct entry_builder b;
	struct xt_policy_info *pi;

	pi = policy_match(&b);
	pi->flags = XT_POLICY_MATCH_IN | XT_POLICY_MATCH_NONE;
	check_rule(eb_standard(&b, "ACCEPT"), NULL,
		   "-A INPUT -m policy --dir in --pol none -j ACCEPT");

	pi = policy_match(&b);
	pi->flags = XT_POLICY_MATCH_OUT;
	check_rule(eb_standard(&b, ""), NULL,
		   "-A INPUT -m policy --dir out --pol ipsec");

	/* Neither direction (the kernel refuses it): iptables says "out". */
	pi = policy_match(&b);
	pi->flags = XT_POLICY_MATCH_STRICT;
	pi->len = 1;
	pi->pol[0].match.reqid = 1;
	pi->pol[0].reqid = 4294967295u;
	check_rule(eb_standard(&b, ""), NULL,
		   "-A INPUT -m policy --dir out --pol ipsec --strict "
		   "--reqid 4294967295");
}

static void test_policy_elements(void **state)
{
	struct entry_builder b;
	struct xt_policy_info *pi;
	struct xt_policy_elem *pe;

	/* The SPI as iptables stores it: host order in the __be32 field. */
	pi = policy_match(&b);
	pi->flags = XT_POLICY_MATCH_IN;
	pi->len = 1;
	pe = &pi->pol[0];
	pe->match.spi = pe->invert.spi = 1;
	pe->spi = 0x1000;
	pe->match.proto = 1;
	pe->proto = IPPROTO_ESP;
	pe->match.mode = 1;
	pe->mode = XT_POLICY_MODE_TUNNEL;
	pe->match.saddr = 1;
	pe->saddr.a4 = ip4("192.0.2.1");
	memset(&pe->smask, 0xff, sizeof(pe->smask));
	pe->match.daddr = pe->invert.daddr = 1;
	pe->daddr.a4 = ip4("10.1.2.3");
	pe->dmask.a4 = ip4("255.0.0.0");
	check_rule(eb_standard(&b, "ACCEPT"), NULL,
		   "-A INPUT -m policy --dir in --pol ipsec ! --spi 0x1000 "
		   "--proto esp --mode tunnel ! --tunnel-dst 10.1.2.3/8 "
		   "--tunnel-src 192.0.2.1 -j ACCEPT");

	/* Four elements joined by --next; dotted and zero masks; a mode
	 * value iptables has no name for. */
	pi = policy_match(&b);
	pi->flags = XT_POLICY_MATCH_OUT | XT_POLICY_MATCH_STRICT;
	pi->len = 4;
	pi->pol[0].match.reqid = pi->pol[0].invert.reqid = 1;
	pi->pol[0].reqid = 7;
	pi->pol[1].match.proto = 1;
	pi->pol[1].proto = IPPROTO_AH;
	pi->pol[1].match.mode = pi->pol[1].invert.mode = 1;
	pi->pol[1].mode = XT_POLICY_MODE_TRANSPORT;
	pi->pol[2].match.saddr = 1;
	pi->pol[2].saddr.a4 = ip4("10.1.2.3");
	pi->pol[2].smask.a4 = ip4("255.0.255.0");
	pi->pol[2].match.daddr = 1;
	pi->pol[2].daddr.a4 = ip4("0.0.0.0");
	pi->pol[2].dmask.a4 = ip4("0.0.0.0");
	pi->pol[3].match.mode = 1;
	pi->pol[3].mode = 7;
	pi->pol[3].match.proto = 1;
	pi->pol[3].proto = 108;
	check_rule(eb_standard(&b, ""), NULL,
		   "-A INPUT -m policy --dir out --pol ipsec --strict "
		   "! --reqid 7 --next --proto ah ! --mode transport "
		   "--next --tunnel-dst 0.0.0.0/0 "
		   "--tunnel-src 10.1.2.3/255.0.255.0 "
		   "--next --proto ipcomp --mode ???");

	/* A length past XT_POLICY_MAX_ELEM is never read past the array. */
	pi = policy_match(&b);
	pi->flags = XT_POLICY_MATCH_IN;
	pi->len = 200;
	check_rule(eb_standard(&b, ""), NULL,
		   "-A INPUT -m policy --dir in --pol ipsec --next --next "
		   "--next");
}

static void test_standard_targets(void **state)
{
	static const char *const verdicts[] = { "ACCEPT", "DROP", "RETURN",
						"QUEUE" };
	struct entry_builder b;
	struct ipt_entry *e;

	for (size_t i = 0; i < 4; i++) {
		char expected[64];

		eb_init(&b);
		snprintf(expected, sizeof(expected), "-A INPUT -j %s",
			 verdicts[i]);
		check_rule(eb_standard(&b, verdicts[i]), NULL, expected);
	}
	eb_init(&b);
	check_rule(eb_standard(&b, "mychain"), "mychain",
		   "-A INPUT -j mychain");
	eb_init(&b)->flags = IPT_F_GOTO;
	check_rule(eb_standard(&b, "mychain"), "mychain",
		   "-A INPUT -g mychain");
	/* A goto is to a chain even when the chain is missing. */
	eb_init(&b)->flags = IPT_F_GOTO;
	check_rule(eb_standard(&b, "nosuch"), NULL, "-A INPUT -g nosuch");
	/* No target at all: the rule only counts. */
	eb_init(&b);
	e = eb_standard(&b, "");
	check_rule(e, NULL, "-A INPUT");
}

/* Matches and targets print.c leaves to the libxtables adapter: name
 * only, for now. */
static void test_foreign_extensions(void **state)
{
	struct entry_builder b;

	eb_init(&b);
	eb_match(&b, "conntrack", 3, 160);
	check_rule(eb_target(&b, "LOG", 48), NULL,
		   "-A INPUT -m conntrack -j LOG");
	/* An extension target as big as the standard target (CLASSIFY),
	 * printed by its own save function through the adapter. */
	eb_init(&b);
	check_rule(eb_target(&b, "CLASSIFY", 4), NULL,
		   "-A INPUT -j CLASSIFY --set-class 0000:0000");
	/* A native name with a revision print.c does not know goes to the
	 * adapter, which says so as iptables-save does. */
	eb_init(&b)->proto = IPPROTO_UDP;
	eb_match(&b, "udp", 1, sizeof(struct xt_udp));
	check_rule(eb_standard(&b, ""), NULL,
		   "-A INPUT -p udp -m udp [unsupported revision]");
	eb_init(&b)->proto = IPPROTO_UDP;
	eb_match(&b, "udp", 0, 64);
	check_rule(eb_standard(&b, ""), NULL, "-A INPUT -p udp -m udp");
}

/* Several matches in order, with the IP part before them and the target
 * last, as in the VPN router's FORWARD rule. */
static void test_full_rule(void **state)
{
	struct entry_builder b;
	struct ipt_ip *ip = eb_init(&b);
	struct xt_udp *u;
	struct xt_policy_info *pi;

	ip->src = ip4("10.0.2.0");
	ip->smsk = ip4("255.255.255.0");
	ip->dst = ip4("10.0.1.1");
	ip->dmsk = ip4("255.255.255.255");
	set_iface(ip->iniface, ip->iniface_mask, "eth0");
	ip->proto = IPPROTO_UDP;
	u = eb_match(&b, "udp", 0, sizeof(*u));
	u->spts[1] = 0xffff;
	u->dpts[0] = u->dpts[1] = 53;
	pi = eb_match(&b, "policy", 0, sizeof(*pi));
	pi->flags = XT_POLICY_MATCH_IN;
	pi->len = 1;
	pi->pol[0].match.proto = 1;
	pi->pol[0].proto = IPPROTO_ESP;
	check_rule(eb_standard(&b, "ACCEPT"), NULL,
		   "-A INPUT -s 10.0.2.0/24 -d 10.0.1.1/32 -i eth0 -p udp "
		   "-m udp --dport 53 -m policy --dir in --pol ipsec "
		   "--proto esp -j ACCEPT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_policies_and_counters),
		cmocka_unit_test(test_chain_order),
		cmocka_unit_test(test_preserve),
		cmocka_unit_test(test_table_order),
		cmocka_unit_test(test_nothing_named),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_policy_flags),
		cmocka_unit_test(test_policy_elements),
		cmocka_unit_test(test_standard_targets),
		cmocka_unit_test(test_foreign_extensions),
		cmocka_unit_test(test_full_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
