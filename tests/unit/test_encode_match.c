/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_encode_match.c - the native encoders of src/encode_match.c against
 * the iptables extensions themselves: each line is encoded natively and
 * then through the libxtables adapter (ENCODE_NO_NATIVE_MATCHES), in IPv4 and
 * IPv6, and the entries must be the same bytes, or both refused.  Lines
 * the native encoders take must really be taken natively (no adapter
 * blob), and lines they leave to the adapter must leave no trace of the
 * first pass (one diagnostic, not two).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "helpers.h"

#include "encode.h"
#include "encode_native.h"

enum how {
	NATIVE,	  /* accepted, by the native encoder */
	FALLBACK, /* accepted, through the adapter */
	REFUSED,  /* refused by both */
	ANY,	  /* whatever the adapter does, the same */
};

/* Encode the one command of @line both ways in family @f; compare. */
static void check_line(enum family f, const char *line, enum how how)
{
	struct run r;
	struct parsed_cmd a, b;
	struct diag_list dla, dlb;
	int ra, rb;

	assert_int_equal(run_expand(&r, line), 0);
	assert_int_equal(r.cmds.count, 1);
	diag_list_init(&dla);
	diag_list_init(&dlb);
	ra = encode_parse(&r.cmds.items[0], 0, f, &a, 0, &dla);
	rb = encode_parse(&r.cmds.items[0], 0, f, &b, ENCODE_NO_NATIVE_MATCHES,
			  &dlb);
	if (ra != rb || (how != ANY && (how == REFUSED) != (ra < 0))) {
		fprintf(stderr, "%s (%s): native %d, adapter %d\n", line,
			f == FAMILY_IPV6 ? "IPv6" : "IPv4", ra, rb);
		diag_list_print(&dla, stderr);
		diag_list_print(&dlb, stderr);
		fail();
	}
	/* Refused: one error each (iptload's own words where encode.c
	 * refuses for every match alike: an option given twice, a "!"
	 * that does not apply). */
	assert_int_equal(dla.errors, dlb.errors);
	assert_int_equal(dla.warnings, dlb.warnings);
	assert_int_equal(dla.count, dlb.count);
	if (ra == 0) {
		size_t size = encode_entry_size(&a);
		struct entry *ea = encode_entry(&a, 0, 0);
		struct entry *eb = encode_entry(&b, 0, 0);
		bool native = false;

		assert_int_equal(size, encode_entry_size(&b));
		if (memcmp(ea, eb, size) != 0) {
			fprintf(stderr, "%s (%s): bytes differ\n", line,
				f == FAMILY_IPV6 ? "IPv6" : "IPv4");
			for (size_t i = 0; i < size; i++)
				if (((uint8_t *)ea)[i] != ((uint8_t *)eb)[i])
					fprintf(stderr,
						"  at %zu: native %02x, "
						"adapter %02x\n",
						i, ((uint8_t *)ea)[i],
						((uint8_t *)eb)[i]);
			fail();
		}
		for (size_t k = 0; k < a.nmatches; k++)
			native |= a.matches[k].def && !a.matches[k].blob &&
				  strcmp(a.matches[k].def->name, "tcp") &&
				  strcmp(a.matches[k].def->name, "udp");
		if (how != ANY && native != (how == NATIVE)) {
			fprintf(stderr, "%s (%s): expected %s\n", line,
				f == FAMILY_IPV6 ? "IPv6" : "IPv4",
				how == NATIVE ? "native" : "the adapter");
			fail();
		}
		free(ea);
		free(eb);
	}
	parsed_cmd_free(&a);
	parsed_cmd_free(&b);
	diag_list_free(&dla);
	diag_list_free(&dlb);
	run_free(&r);
}

/* Both families. */
static void check46(const char *line, enum how how)
{
	check_line(FAMILY_IPV4, line, how);
	check_line(FAMILY_IPV6, line, how);
}

static void test_conntrack(void **state)
{
	static const char *const native[] = {
		"-A INPUT -m conntrack --ctstate NEW -j ACCEPT",
		"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
		"-A INPUT -m conntrack --ctstate INVALID,UNTRACKED,SNAT,DNAT",
		"-A INPUT -m conntrack ! --ctstate new,Established",
		"-A INPUT -m conntrack --ctstate E,R,I,N,U,S,D",
		"-A INPUT -m conntrack --ctstate ESTAB --ctstatus ASS",
		"-A INPUT -m conntrack --ctstatus NONE",
		"-A INPUT -m conntrack ! --ctstatus EXPECTED,SEEN_REPLY,"
		"ASSURED,CONFIRMED",
		"-A INPUT -m conntrack --ctproto tcp",
		"-A INPUT -m conntrack --ctproto TCP --ctstate NEW",
		"-A INPUT -m conntrack ! --ctproto 17",
		"-A INPUT -m conntrack --ctproto esp --ctdir REPLY",
		"-A INPUT -m conntrack --ctdir original",
		"-A INPUT -m conntrack --ctexpire 10",
		"-A INPUT -m conntrack ! --ctexpire 10:20",
		"-A INPUT -m conntrack --ctexpire 0:4294967295",
		"-A INPUT -m conntrack --ctorigsrcport 22",
		"-A INPUT -m conntrack ! --ctorigdstport 1000:2000",
		"-A INPUT -m conntrack --ctreplsrcport 0:65535",
		"-A INPUT -m conntrack --ctrepldstport 53 --ctstate NEW",
		"-A INPUT -m conntrack --ctstate NEW -m conntrack --ctdir REPLY",
		"-A INPUT -m conntrack --ctstate NEW -m state --state NEW",
		"-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j "
		"ACCEPT",
	};
	static const char *const fallback[] = {
		"-A INPUT -m conntrack --ctproto 0x6",
		"-A INPUT -m conntrack --ctexpire 20:10",
		"-A INPUT -m conntrack --ctproto all",
		"-A INPUT -m conntrack --ctproto 0",
		"-A INPUT -m conntrack --ctorigsrcport 70000",
		"-A INPUT -m conntrack --ctexpire 10:",
		"-A INPUT -m conntrack --ctexpire :10",
		"-A INPUT -m conntrack --ctorigsrcport 2000:1000",
		"-A INPUT -m conntrack --ctorigsrcport ssh",
		"-A INPUT -m conntrack --ctorigdstport 022",
	};
	static const char *const refused[] = {
		"-A INPUT -m conntrack",
		"-A INPUT -m conntrack --ctstate NEWER",
		"-A INPUT -m conntrack --ctstate NEW,",
		"-A INPUT -m conntrack --ctstate ,NEW",
		"-A INPUT -m conntrack --ctstate ''",
		"-A INPUT -m conntrack --ctstatus BOGUS",
		"-A INPUT -m conntrack --ctstate NEW --ctstate NEW",
		"-A INPUT -m conntrack --ctproto 256",
		"-A INPUT -m conntrack --ctproto nosuchproto",
		"-A INPUT -m conntrack --ctdir SIDEWAYS",
		"-A INPUT -m conntrack ! --ctdir REPLY",
		"-A INPUT -m conntrack --ctexpire x",
		"-A INPUT -m conntrack --ctstate",
		"-A INPUT -m conntrack --ctst NEW",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(native) / sizeof(*native); i++)
		check46(native[i], NATIVE);
	for (size_t i = 0; i < sizeof(fallback) / sizeof(*fallback); i++)
		check46(fallback[i], FALLBACK);
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		check46(refused[i], REFUSED);
}

static void test_conntrack_addresses(void **state)
{
	(void)state;
	check_line(FAMILY_IPV4, "-A INPUT -m conntrack --ctorigsrc 10.1.2.3",
		   NATIVE);
	check_line(FAMILY_IPV4,
		   "-A INPUT -m conntrack ! --ctorigdst 10.1.2.3/8", NATIVE);
	check_line(FAMILY_IPV4,
		   "-A INPUT -m conntrack --ctreplsrc 10.0.0.0/0 --ctrepldst "
		   "192.168.1.0/24",
		   NATIVE);
	check_line(FAMILY_IPV6, "-A INPUT -m conntrack --ctorigsrc 2001:db8::1",
		   NATIVE);
	check_line(FAMILY_IPV6,
		   "-A INPUT -m conntrack ! --ctrepldst 2001:db8::1/64",
		   NATIVE);
	check_line(
		FAMILY_IPV6,
		"-A INPUT -m conntrack --ctreplsrc ::/0 --ctorigdst fe80::/10",
		NATIVE);
	check_line(FAMILY_IPV4,
		   "-A INPUT -m conntrack --ctorigsrc 10.0.0.0/255.0.0.0",
		   FALLBACK);
	check_line(FAMILY_IPV4, "-A INPUT -m conntrack --ctorigsrc 2001:db8::1",
		   REFUSED);
	check_line(FAMILY_IPV6, "-A INPUT -m conntrack --ctorigsrc 10.0.0.1",
		   REFUSED);
	check_line(FAMILY_IPV4,
		   "-A INPUT -m conntrack --ctorigsrc host.example", REFUSED);
	/* libxtables takes that one (and the kernel too). */
	check_line(FAMILY_IPV4, "-A INPUT -m conntrack --ctorigsrc 10.0.0.1/33",
		   FALLBACK);
}

static void test_state(void **state)
{
	(void)state;
	check46("-A INPUT -m state --state NEW -j ACCEPT", NATIVE);
	check46("-A INPUT -m state --state ESTABLISHED,RELATED", NATIVE);
	check46("-A INPUT -m state ! --state invalid,untracked", NATIVE);
	check46("-A INPUT -m state --state e,r", NATIVE);
	check46("-A INPUT -m state --sta NEW", NATIVE);
	check46("-A INPUT -m state", REFUSED);
	check46("-A INPUT -m state --state SNAT", REFUSED);
	check46("-A INPUT -m state --state NEW,", REFUSED);
	check46("-A INPUT -m state --state NEW --state NEW", REFUSED);
}

static void test_multiport(void **state)
{
	static const char *const native[] = {
		"-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT",
		"-A INPUT -p udp -m multiport --sports 53",
		"-A INPUT -p tcp -m multiport ! --ports 1:1023,8080",
		"-A INPUT -p tcp -m multiport --destination-ports ssh,http",
		"-A INPUT -p udp -m multiport --source-ports domain,1000:2000",
		"-A INPUT -p sctp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,"
		"11,12,13,14,15",
		"-A INPUT -p dccp -m multiport --dports 1:2,3:4,5:6,7:8,9:10,"
		"11:12,13:14,15",
		"-A INPUT -p udplite -m multiport --dport 5",
		"-A INPUT -p tcp -m multiport --dports 0,65535",
		"-A INPUT -p tcp --syn -m multiport --dports 80 -m conntrack "
		"--ctstate NEW",
	};
	static const char *const fallback[] = {
		"-A INPUT -p tcp -m multiport --dports 0x50",
	};
	static const char *const refused[] = {
		"-A INPUT -p tcp -m multiport",
		"-A INPUT -m multiport --dports 80",
		"-A INPUT -m multiport --dports 80 -p tcp",
		"-A INPUT ! -p tcp -m multiport --dports 80",
		"-A INPUT -p icmp -m multiport --dports 80",
		"-A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,"
		"11,12,13,14,15,16",
		"-A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,"
		"11,12,13,14,15:16",
		"-A INPUT -p tcp -m multiport --dports 80:80",
		"-A INPUT -p tcp -m multiport --dports 90:80",
		"-A INPUT -p tcp -m multiport --dports 80,,81",
		"-A INPUT -p tcp -m multiport --dports 80,",
		"-A INPUT -p tcp -m multiport --dports 70000",
		"-A INPUT -p tcp -m multiport --dports nosuchservice",
		"-A INPUT -p tcp -m multiport --dports 80 --sports 80",
		"-A INPUT -p tcp -m multiport --dports 80 --dports 81",
		"-A INPUT -p tcp -m multiport --dports 80 --ports 81",
		"-A INPUT -p tcp -m multiport --dports 1:",
		"-A INPUT -p tcp -m multiport --dports 080",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(native) / sizeof(*native); i++)
		check46(native[i], NATIVE);
	for (size_t i = 0; i < sizeof(fallback) / sizeof(*fallback); i++)
		check46(fallback[i], FALLBACK);
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		check46(refused[i], REFUSED);
	/* A service of another protocol only: looked up for -p's. */
	check46("-A INPUT -p udp -m multiport --dports ssh", REFUSED);
}

static void test_comment_mark(void **state)
{
	(void)state;
	check46("-A INPUT -m comment --comment hello -j ACCEPT", NATIVE);
	check46("-A INPUT -m comment --comment 'two words' -m comment "
		"--comment x",
		NATIVE);
	check46("-A INPUT -m comment --comment ''", NATIVE);
	check46("-A INPUT -m comment", REFUSED);
	check46("-A INPUT -m comment ! --comment x", REFUSED);
	check46("-A INPUT -m mark --mark 1", NATIVE);
	check46("-A INPUT -m mark ! --mark 0x10/0xff", NATIVE);
	check46("-A INPUT -m mark --mark 4294967295/0", NATIVE);
	check46("-A INPUT -m mark --mark 0XfF/0x0F0", NATIVE);
	check46("-A INPUT -m mark --mark 010", FALLBACK);
	/* strtoul in base 16 takes a second 0x; iptables does not. */
	check46("-A INPUT -m mark --mark 0x0Xf/0x0F0", REFUSED);
	check46("-A INPUT -m mark --mark 0xf/0x0xf0", REFUSED);
	check46("-A INPUT -m mark --mark 0x00f", NATIVE);
	check46("-A INPUT -m policy --dir in --pol ipsec --spi 0x100 "
		"--reqid 0x0A",
		NATIVE);
	check46("-A INPUT -m policy --dir in --pol ipsec --spi 0x0x100",
		REFUSED);
	check46("-A INPUT -m policy --dir in --pol ipsec --reqid 0X0Xa",
		REFUSED);
	check46("-A INPUT -m mark", REFUSED);
	check46("-A INPUT -m mark --mark x", REFUSED);
	check46("-A INPUT -m mark --mark 1/", REFUSED);
	check46("-A INPUT -m mark --mark 4294967296", REFUSED);
	check46("-A INPUT -m mark --mark 1 --mark 2", REFUSED);
	/* A match named again takes the options from then on; another
	 * extension's option of the same name, merged after the first
	 * instance, wins over it (as getopt_long has it in iptables). */
	check46("-A INPUT -m mark --mark 1 -m mark ! --mark 2", NATIVE);
	check46("-A INPUT -m mark --mark 1 -m connmark --mark 2 -m mark "
		"--mark 3",
		REFUSED);
	check46("-A INPUT -m conntrack --ctstate NEW -m comment --comment x "
		"-m conntrack --ctstatus NONE -m comment --comment y",
		NATIVE);
}

static void test_limit(void **state)
{
	static const char *const native[] = {
		"-A INPUT -m limit -j ACCEPT",
		"-A INPUT -m limit --limit 5/sec -j ACCEPT",
		"-A INPUT -m limit --limit 1/s --limit-burst 1",
		"-A INPUT -m limit --limit 10/minute --limit-burst 10000",
		"-A INPUT -m limit --limit 3/MIN --limit-burst 0",
		"-A INPUT -m limit --limit 2/h",
		"-A INPUT -m limit --limit 1/d",
		"-A INPUT -m limit --limit 1/day --limit-b 7",
		"-A INPUT -m limit --limit 10000",
		"-A INPUT -m limit --limit 10000/second",
		"-A INPUT -m limit --limit 864000000/day",
		"-A INPUT -m limit --limit-burst 20",
		"-A INPUT -m limit --limit 7/sec -m limit --limit 1/min",
	};
	static const char *const fallback[] = {
		"-A INPUT -m limit --limit 05/sec",
		"-A INPUT -m limit --limit 5x/sec",
		"-A INPUT -m limit --limit-burst 0x10",
	};
	static const char *const refused[] = {
		"-A INPUT -m limit --limit 0/sec",
		"-A INPUT -m limit --limit 2147483647/day",
		"-A INPUT -m limit --limit 2147483648",
		"-A INPUT -m limit --limit 10001/second",
		"-A INPUT -m limit --limit 5/",
		"-A INPUT -m limit --limit 5/week",
		"-A INPUT -m limit --limit /sec",
		"-A INPUT -m limit --limit x",
		"-A INPUT -m limit --limit-burst 10001",
		"-A INPUT -m limit --limit-burst x",
		"-A INPUT -m limit ! --limit 5/sec",
		"-A INPUT -m limit --limit 5/sec --limit 6/sec",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(native) / sizeof(*native); i++)
		check46(native[i], NATIVE);
	for (size_t i = 0; i < sizeof(fallback) / sizeof(*fallback); i++)
		check46(fallback[i], FALLBACK);
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		check46(refused[i], REFUSED);
}

/*
 * The set match asks the kernel for the set's index: these need the sets
 * of tests/kernel/ipset.sh, which runs this program in a fresh network
 * namespace with IPTLOAD_TEST_IPSETS=1 after making them.  Skipped
 * anywhere else (never make ipsets in the host's namespace).
 */
static void test_set(void **state)
{
	static const char *const native[] = {
		"-A INPUT -m set --match-set vpn-peers src -j ACCEPT",
		"-A INPUT -m set ! --match-set peer-ports src,dst "
		"--return-nomatch --return-nomatch",
		"-A INPUT -m set --match-set blocklist dst ! --update-counters "
		"--update-counters ! --update-subcounters",
		"-A INPUT -m set --match-set blocklist src ! --packets-eq 0 "
		"--bytes-gt 18446744073709551615",
		"-A INPUT -m set --match-set blocklist src --packets-lt 5 "
		"! --bytes-eq 100",
		"-A INPUT -m set --match-se vpn-peers src -m set --match-set "
		"blocklist dst,dst",
		"-A INPUT -m set --match-set peer-ports "
		"src,dst,src,dst,src,dst",
	};
	static const char *const fallback[] = {
		"-A INPUT -m set --match-set vpn-peers src --packets-gt 0x10",
		"-A INPUT -m set --match-set peer-ports srcx,dst",
	};
	static const char *const refused[] = {
		"-A INPUT -m set",
		"-A INPUT -m set --match-set nosuchset src",
		"-A INPUT -m set --match-set vpn-peers",
		"-A INPUT -m set --match-set vpn-peers -j DROP",
		"-A INPUT -m set --match-set vpn-peers src,dst,src,dst,src,dst,"
		"src",
		"-A INPUT -m set --match-set vpn-peers src,",
		"-A INPUT -m set --match-set vpn-peers any",
		"-A INPUT -m set --match-set vpn-peers src --match-set "
		"blocklist src",
		"-A INPUT -m set --match-set vpn-peers src ! --return-nomatch",
		"-A INPUT -m set --match-set vpn-peers src ! --packets-gt 1",
		"-A INPUT -m set --match-set vpn-peers src --bytes-eq 1 "
		"--bytes-gt 2",
		"-A INPUT -m set --match-set vpn-peers src --bytes-eq x",
		"-A INPUT -m set --match-set "
		"a-set-name-of-thirty-two-letters src",
	};

	(void)state;
	if (!getenv("IPTLOAD_TEST_IPSETS"))
		skip();
	for (size_t i = 0; i < sizeof(native) / sizeof(*native); i++)
		check_line(FAMILY_IPV4, native[i], NATIVE);
	for (size_t i = 0; i < sizeof(fallback) / sizeof(*fallback); i++)
		check_line(FAMILY_IPV4, fallback[i], FALLBACK);
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++)
		check_line(FAMILY_IPV4, refused[i], REFUSED);
	check_line(FAMILY_IPV6, "-A INPUT -m set ! --match-set v6-peers dst",
		   NATIVE);
	check_line(FAMILY_IPV6, "-A INPUT -m set --match-set vpn-peers dst",
		   REFUSED);
	check_line(FAMILY_IPV4, "-A INPUT -m set --match-set v6-peers dst",
		   REFUSED);
}

/* ---- random lines ---------------------------------------------------- */

/* xorshift32: the same lines on every run. */
static uint32_t rnd_state = 2463534242u;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state % n;
}

/* Mostly (3 in 4) one of the first @good of @a, the usual values; else
 * any, the odd ones included. */
#define PICK_(a, good) ((a)[rnd(4) ? rnd(good) : rnd(sizeof(a) / sizeof(*(a)))])
#define PICK(a) PICK_(a, 6)

static const char *const r_states[] = {
	"INVALID", "NEW", "ESTABLISHED", "RELATED", "UNTRACKED", "SNAT",
	"DNAT",	   "new", "est",	 "E",	    "R",	 "U",
	"S",	   "D",	  "RELATD",	 "X",	    "",
};
static const char *const r_statuses[] = {
	"NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED",
	"ass",	"n",	    "BOGUS",	  "",
};
static const char *const r_nums[] = {
	"0",	      "1",     "5",   "22",	   "80",
	"65535",      "65536", "010", "0x10",	   "4294967295",
	"4294967296", "+1",    "ssh", "domain",	   "nosuch",
	"10000",      "10001", "-1",  "864000000", "18446744073709551615",
};
static const char *const r_addrs[] = {
	"10.1.2.3",	      "10.0.0.0/8", "10.1.2.3/8", "0.0.0.0/0",
	"10.0.0.0/255.0.0.0", "10.0.0.1/",  "010.0.0.1",  "2001:db8::1",
	"2001:db8::/32",      "::/0",	    "fe80::1/64", "2001:db8::/129",
};
static const char *const r_protos[] = {
	"tcp", "udp", "TCP", "icmp", "ipv6-icmp", "esp",
	"6",   "0",   "all", "256",  "0x6",	  "nosuch",
};
static const char *const r_ct_opts[] = {
	"ctstate",   "ctstatus",      "ctproto",       "ctorigsrc",
	"ctrepldst", "ctorigsrcport", "ctrepldstport", "ctexpire",
	"ctdir",     "ctst",	      "ctorigs",       "ctexp",
};
static const char *const r_mp_opts[] = {
	"dports",
	"sports",
	"ports",
	"destination-ports",
	"source-ports",
	"dport",
	"sport",
	"port",
	"d",
};
static const char *const r_marks[] = {
	"1", "0x10/0xff", "4294967295/0", "010",	"0XfF/0x0F0",
	"x", "1/",	  "/1",		  "4294967296", "0x",
};
static const char *const r_rates[] = {
	"5/sec",  "1/s",    "10/minute", "3/MIN",
	"2/h",	  "1/d",    "10000",	 "10001/second",
	"0/sec",  "05/sec", "5x/sec",	 "5/",
	"5/week", "/sec",   "1/mi",	 "2147483647/day",
};
static const char *const r_ip[] = {
	"-p tcp",  "-p udp",   "-p sctp", "-p dccp", "-p udplite",
	"-p icmp", "! -p tcp", "",	  "-p all",
};

static void cat(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cat(char *buf, size_t n, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, n - len, fmt, ap);
	va_end(ap);
}

/* A comma list of 1-4 picks from @pool, or '' when it comes out empty. */
static void r_list(char *buf, size_t n, const char *const *pool, size_t np)
{
	size_t start = strlen(buf);
	unsigned k = 1 + rnd(4);

	for (unsigned i = 0; i < k; i++)
		cat(buf, n, "%s%s", i ? "," : "",
		    pool[rnd(4) ? rnd(7) : rnd((unsigned)np)]);
	if (strlen(buf) == start)
		cat(buf, n, "''");
}

/* N, LO:HI, or an odd range. */
static void r_range(char *buf, size_t n)
{
	switch (rnd(5)) {
	case 0:
	case 1:
		cat(buf, n, "%s", PICK(r_nums));
		break;
	case 2:
	case 3:
		cat(buf, n, "%s:%s", PICK(r_nums), PICK(r_nums));
		break;
	default:
		cat(buf, n, "%s:", PICK(r_nums));
	}
}

static const char *r_inv(void)
{
	return rnd(5) == 0 ? "! " : "";
}

/* One match of the native kind with random options and values. */
static void r_match(char *buf, size_t n)
{
	const char *o;

	switch (rnd(6)) {
	case 0:
		cat(buf, n, " -m conntrack");
		for (unsigned k = rnd(4); k > 0; k--) {
			o = PICK(r_ct_opts);
			cat(buf, n, " %s--%s ", r_inv(), o);
			if (strstr(o, "port") || strstr(o, "exp") ||
			    strcmp(o, "ctorigs") == 0)
				r_range(buf, n);
			else if (strcmp(o, "ctstatus") == 0)
				r_list(buf, n, r_statuses,
				       sizeof(r_statuses) /
					       sizeof(*r_statuses));
			else if (strncmp(o, "ctst", 4) == 0)
				r_list(buf, n, r_states,
				       sizeof(r_states) / sizeof(*r_states));
			else if (strcmp(o, "ctproto") == 0)
				cat(buf, n, "%s", PICK(r_protos));
			else if (strcmp(o, "ctdir") == 0)
				cat(buf, n, "%s", rnd(2) ? "REPLY" : "orig");
			else
				cat(buf, n, "%s", PICK(r_addrs));
		}
		break;
	case 1:
		cat(buf, n, " -m state");
		for (unsigned k = rnd(3); k > 0; k--) {
			cat(buf, n, " %s--state ", r_inv());
			r_list(buf, n, r_states,
			       sizeof(r_states) / sizeof(*r_states));
		}
		break;
	case 2:
		cat(buf, n, " -m multiport %s--%s ", r_inv(), PICK(r_mp_opts));
		for (unsigned k = 1 + rnd(17), i = 0; i < k; i++) {
			cat(buf, n, "%s", i ? "," : "");
			r_range(buf, n);
		}
		break;
	case 3:
		cat(buf, n, " -m comment %s--comment %s", r_inv(),
		    rnd(2) ? "x" : "'two words'");
		break;
	case 4:
		cat(buf, n, " -m %s %s--mark %s", rnd(3) ? "mark" : "connmark",
		    r_inv(), PICK(r_marks));
		break;
	default:
		cat(buf, n, " -m limit");
		if (rnd(5))
			cat(buf, n, " %s--limit %s", r_inv(), PICK(r_rates));
		if (rnd(2))
			cat(buf, n, " --limit-b%s %s", rnd(2) ? "urst" : "",
			    PICK(r_nums));
	}
}

/*
 * 1500 random lines of these matches (and connmark, -p before or after),
 * usual and odd values mixed (about 440 of them load): native and adapter
 * must agree on every one, in both families.  A python version of this
 * generator ran 15 000 lines against the two, all agreeing.
 */
static void test_random_lines(void **state)
{
	char line[2048];

	(void)state;
	for (int i = 0; i < 1500; i++) {
		bool p_first = rnd(2);
		const char *p = PICK(r_ip);

		snprintf(line, sizeof(line), "-A INPUT%s%s", p_first ? " " : "",
			 p_first ? p : "");
		for (unsigned k = 1 + rnd(3); k > 0; k--)
			r_match(line, sizeof(line));
		if (!p_first)
			cat(line, sizeof(line), " %s", p);
		cat(line, sizeof(line), " -j ACCEPT");
		check46(line, ANY);
	}
}

/* The first pass's warnings are not repeated by the second. */
static void test_fallback_keeps_one_warning(void **state)
{
	(void)state;
	check_line(FAMILY_IPV4,
		   "-A INPUT -s 10.0.0.1/8 -m conntrack --ctproto 0x6",
		   FALLBACK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conntrack),
		cmocka_unit_test(test_conntrack_addresses),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_multiport),
		cmocka_unit_test(test_comment_mark),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_random_lines),
		cmocka_unit_test(test_fallback_keeps_one_warning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
