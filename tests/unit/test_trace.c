/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_trace.c - trace.c and trace_packet.c on small configs: hook and
 * table order, rule numbers, jumps, gotos and RETURN, policies, the
 * matches as the kernel evaluates them (addresses, interfaces with + and
 * !, ports, tcp flags, icmp, conntrack, mark/connmark, multiport,
 * iprange, addrtype, length), xt_policy in both directions with --strict
 * and --next, NAT and MARK seen by later chains, the IPsec legs, the
 * forks at undecided matches, and the --json shape.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "trace.h"

/* Build @conf, trace the packet @words (split at spaces), and return the
 * outcomes as text: per outcome "VERDICT: T/C/N T/C/P ..." (N a rule
 * number, P a policy), outcomes joined by " | ". */
static const char *trace_of(const char *conf, const char *words)
{
	static char out[4096];
	char buf[1024], *argv[64], *save, err[256];
	int argc = 0;
	struct run r;
	struct trace_packet p;
	struct trace_result res;
	struct tracer *tr;
	size_t len = 0;

	if (run_all(&r, conf) < 0) {
		run_dump(&r);
		fail_msg("config does not build");
	}
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	if (trace_packet_parse(argc, argv, &p, err, sizeof(err)) < 0)
		fail_msg("packet: %s", err);
	tr = tracer_new(&r.rs);
	tracer_run(tr, &p, &res);
	out[0] = '\0';
	for (size_t i = 0; i < res.npaths; i++) {
		const struct trace_path *path = &res.paths[i];

		len += (size_t)snprintf(out + len, sizeof(out) - len,
					"%s%s:", i ? " | " : "", path->verdict);
		for (size_t k = 0; k < path->nsteps; k++) {
			const struct trace_step *s = &path->steps[k];

			if (s->kind == TS_RULE)
				len += (size_t)snprintf(
					out + len, sizeof(out) - len,
					" %s/%s/%zu", s->table->name,
					s->chain->name, s->rule);
			else if (s->kind == TS_POLICY)
				len += (size_t)snprintf(out + len,
							sizeof(out) - len,
							" %s/%s/P",
							s->table->name,
							s->chain->name);
		}
	}
	tracer_free(tr);
	run_free(&r);
	return out;
}

static const char filter_basic[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -s 10.0.0.0/8 -p tcp --dport 22 -j ACCEPT\n"
	"-A INPUT -i eth+ ! -s 10.0.0.0/8 -p udp --dport 53 -j ACCEPT\n"
	"-A INPUT -p icmp --icmp-type echo-request -j ACCEPT\n"
	"-A INPUT -p tcp --tcp-flags SYN,ACK SYN --dport 80 -j REJECT\n"
	"COMMIT\n";

static void test_basic_verdicts(void **state)
{
	(void)state;
	assert_string_equal(trace_of(filter_basic, "-i lo -s 1.2.3.4 -d "
						   "1.2.3.4 -p tcp --sport 1 "
						   "--dport 2"),
			    "ACCEPT: filter/INPUT/1");
	assert_string_equal(trace_of(filter_basic,
				     "-i eth0 -s 10.1.2.3 -d 10.0.0.1 -p tcp "
				     "--sport 1000 --dport 22"),
			    "ACCEPT: filter/INPUT/2");
	assert_string_equal(trace_of(filter_basic,
				     "-i eth0 -s 10.1.2.3 -d 10.0.0.1 -p tcp "
				     "--sport 1000 --dport 23"),
			    "DROP: filter/INPUT/P");
	/* ! -s, and the eth+ wildcard. */
	assert_string_equal(trace_of(filter_basic,
				     "-i eth7 -s 192.0.2.1 -d 10.0.0.1 -p udp "
				     "--sport 1000 --dport 53"),
			    "ACCEPT: filter/INPUT/3");
	assert_string_equal(trace_of(filter_basic,
				     "-i eth7 -s 10.0.2.1 -d 10.0.0.1 -p udp "
				     "--sport 1000 --dport 53"),
			    "DROP: filter/INPUT/P");
	assert_string_equal(trace_of(filter_basic,
				     "-i wlan0 -s 192.0.2.1 -d 10.0.0.1 -p udp "
				     "--sport 1000 --dport 53"),
			    "DROP: filter/INPUT/P");
	assert_string_equal(
		trace_of(filter_basic,
			 "-i wlan0 -s 192.0.2.1 -d 10.0.0.1 -p icmp "
			 "--icmp-type 8"),
		"ACCEPT: filter/INPUT/4");
	assert_string_equal(
		trace_of(filter_basic,
			 "-i wlan0 -s 192.0.2.1 -d 10.0.0.1 -p icmp "
			 "--icmp-type echo-reply"),
		"DROP: filter/INPUT/P");
	/* A NEW tcp packet is a SYN unless told otherwise. */
	assert_string_equal(trace_of(filter_basic,
				     "-i wlan0 -s 192.0.2.1 -d 10.0.0.1 -p tcp "
				     "--sport 5 --dport 80"),
			    "REJECT: filter/INPUT/5");
	assert_string_equal(trace_of(filter_basic,
				     "-i wlan0 -s 192.0.2.1 -d 10.0.0.1 -p tcp "
				     "--sport 5 --dport 80 --tcp-flags ALL "
				     "SYN,ACK"),
			    "DROP: filter/INPUT/P");
	/* OUTPUT: policy ACCEPT, no rules. */
	assert_string_equal(trace_of(filter_basic, "-o eth0 -s 10.0.0.1 -d "
						   "192.0.2.1 -p udp --sport 1 "
						   "--dport 2"),
			    "ACCEPT: filter/OUTPUT/P");
}

static const char chains[] = "*filter\n"
			     ":INPUT ACCEPT [0:0]\n"
			     ":FORWARD DROP [0:0]\n"
			     ":OUTPUT ACCEPT [0:0]\n"
			     ":a - [0:0]\n"
			     ":b - [0:0]\n"
			     ":c - [0:0]\n"
			     "-A FORWARD -j LOG\n"
			     "-A FORWARD -s 10.0.0.0/8 -j a\n"
			     "-A FORWARD -s 10.1.0.0/16 -j ACCEPT\n"
			     "-A a -s 10.2.0.0/16 -g b\n"
			     "-A a -s 10.3.0.0/16 -j DROP\n"
			     "-A b -s 10.2.2.0/24 -j RETURN\n"
			     "-A b -s 10.2.3.0/24 -j c\n"
			     "-A c -j RETURN\n"
			     "-A c -j ACCEPT\n"
			     "COMMIT\n";

static void test_jumps_gotos_returns(void **state)
{
	const char *fwd = "-i a -o b -d 192.0.2.1 -p udp --sport 1 --dport 2 "
			  "-s ";
	char words[256];

	(void)state;
	/* a falls off its end: back to FORWARD, rule 3. */
	snprintf(words, sizeof(words), "%s10.1.0.1", fwd);
	assert_string_equal(trace_of(chains, words),
			    "ACCEPT: filter/FORWARD/1 filter/FORWARD/2 "
			    "filter/FORWARD/3");
	snprintf(words, sizeof(words), "%s10.3.0.1", fwd);
	assert_string_equal(trace_of(chains, words),
			    "DROP: filter/FORWARD/1 filter/FORWARD/2 "
			    "filter/a/2");
	/* RETURN from b (reached by a goto) goes back to FORWARD, not a. */
	snprintf(words, sizeof(words), "%s10.2.2.1", fwd);
	assert_string_equal(trace_of(chains, words),
			    "DROP: filter/FORWARD/1 filter/FORWARD/2 "
			    "filter/a/1 filter/b/1 filter/FORWARD/P");
	/* c returns to b, b ends: back to FORWARD's caller: the policy. */
	snprintf(words, sizeof(words), "%s10.2.3.1", fwd);
	assert_string_equal(trace_of(chains, words),
			    "DROP: filter/FORWARD/1 filter/FORWARD/2 "
			    "filter/a/1 filter/b/2 filter/c/1 "
			    "filter/FORWARD/P");
	snprintf(words, sizeof(words), "%s192.0.2.9", fwd);
	assert_string_equal(trace_of(chains, words),
			    "DROP: filter/FORWARD/1 filter/FORWARD/P");
}

static const char vpn[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -i ext -p udp --dport 4500 -j ACCEPT\n"
	"-A INPUT -i ext -p esp -j ACCEPT\n"
	"-A FORWARD -i ext -s 10.0.2.0/24 -m policy --dir in --pol ipsec "
	"--mode tunnel --tunnel-dst 203.0.113.7 --tunnel-src 0.0.0.0/0 "
	"-j ACCEPT\n"
	"-A FORWARD -i ext -s 10.0.3.0/24 -m policy --dir in --pol ipsec "
	"--strict --reqid 7 --proto esp --next --reqid 8 -j ACCEPT\n"
	"-A FORWARD -i ext -s 10.0.4.0/24 -m policy --dir in --pol none "
	"-j ACCEPT\n"
	"-A FORWARD -o ext -m policy --dir out --pol ipsec --spi 0x100 "
	"-j ACCEPT\n"
	"COMMIT\n";

static void test_policy_in(void **state)
{
	const char *base = "-i ext -o lan -d 10.0.1.5 -p udp --sport 1 "
			   "--dport 2 ";
	char w[512];

	(void)state;
	snprintf(w, sizeof(w),
		 "%s-s 10.0.2.5 --ipsec-in "
		 "mode=tunnel,proto=esp,src=198.51.100.1,dst=203.0.113.7 "
		 "--ipsec-leg inner",
		 base);
	assert_string_equal(trace_of(vpn, w), "ACCEPT: filter/FORWARD/1");
	/* Wrong tunnel end, transport mode, no SA at all. */
	snprintf(w, sizeof(w),
		 "%s-s 10.0.2.5 --ipsec-in "
		 "mode=tunnel,proto=esp,src=198.51.100.1,dst=203.0.113.8 "
		 "--ipsec-leg inner",
		 base);
	assert_string_equal(trace_of(vpn, w), "DROP: filter/FORWARD/P");
	snprintf(w, sizeof(w),
		 "%s-s 10.0.2.5 --ipsec-in "
		 "mode=transport,proto=esp,src=198.51.100.1,dst=203.0.113.7 "
		 "--ipsec-leg inner",
		 base);
	assert_string_equal(trace_of(vpn, w), "DROP: filter/FORWARD/P");
	snprintf(w, sizeof(w), "%s-s 10.0.2.5", base);
	assert_string_equal(trace_of(vpn, w), "DROP: filter/FORWARD/P");
	/* --pol none: only without a sec_path. */
	snprintf(w, sizeof(w), "%s-s 10.0.4.5", base);
	assert_string_equal(trace_of(vpn, w), "ACCEPT: filter/FORWARD/3");
	snprintf(w, sizeof(w),
		 "%s-s 10.0.4.5 --ipsec-in src=1.1.1.1,dst=2.2.2.2 "
		 "--ipsec-leg inner",
		 base);
	assert_string_equal(trace_of(vpn, w), "DROP: filter/FORWARD/P");
	/* --strict needs as many SAs as elements: one SA is not enough. */
	snprintf(w, sizeof(w),
		 "%s-s 10.0.3.5 --ipsec-in src=1.1.1.1,dst=2.2.2.2,reqid=7 "
		 "--ipsec-leg inner",
		 base);
	assert_string_equal(trace_of(vpn, w), "DROP: filter/FORWARD/P");
}

static const char strict1[] =
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A FORWARD -m policy --dir in --pol ipsec --strict --reqid 7 "
	"--proto esp -j ACCEPT\n"
	"-A FORWARD -m policy --dir in --pol ipsec --reqid 9 -j ACCEPT\n"
	"-A FORWARD -m policy --dir out --pol ipsec --strict --spi 1 --next "
	"--spi 2 -j ACCEPT\n"
	"COMMIT\n";

static void test_policy_strict_and_out(void **state)
{
	const char *base = "-i ext -o lan -s 10.0.3.5 -d 10.0.1.5 -p udp "
			   "--sport 1 --dport 2 --ipsec-leg inner ";
	char w[512];

	(void)state;
	snprintf(w, sizeof(w), "%s--ipsec-in src=1.1.1.1,dst=2.2.2.2,reqid=7",
		 base);
	assert_string_equal(trace_of(strict1, w), "ACCEPT: filter/FORWARD/1");
	snprintf(w, sizeof(w),
		 "%s--ipsec-in src=1.1.1.1,dst=2.2.2.2,reqid=7,proto=ah", base);
	assert_string_equal(trace_of(strict1, w), "DROP: filter/FORWARD/P");
	/* Not strict: any SA of the chain may match. */
	snprintf(w, sizeof(w),
		 "%s--ipsec-in src=1.1.1.1,dst=2.2.2.2,reqid=9 --ipsec-in "
		 "src=3.3.3.3,dst=4.4.4.4,reqid=1",
		 base);
	assert_string_equal(trace_of(strict1, w), "ACCEPT: filter/FORWARD/2");
	/* --dir out --strict: the bundle in order, and exactly as long.
	 * iptables stores --spi in host order and the kernel compares it
	 * with the SA's SPI in network order: on a little-endian machine
	 * --spi 1 matches SPI 0x01000000, not SPI 1. */
	snprintf(w, sizeof(w),
		 "%s--ipsec-out src=1.1.1.1,dst=2.2.2.2,spi=0x01000000 "
		 "--ipsec-out src=3.3.3.3,dst=4.4.4.4,spi=0x02000000",
		 base);
	assert_string_equal(trace_of(strict1, w), "ACCEPT: filter/FORWARD/3");
	snprintf(w, sizeof(w),
		 "%s--ipsec-out src=1.1.1.1,dst=2.2.2.2,spi=1 --ipsec-out "
		 "src=3.3.3.3,dst=4.4.4.4,spi=2",
		 base);
	assert_string_equal(trace_of(strict1, w), "DROP: filter/FORWARD/P");
	snprintf(w, sizeof(w),
		 "%s--ipsec-out src=1.1.1.1,dst=2.2.2.2,spi=0x02000000 "
		 "--ipsec-out src=3.3.3.3,dst=4.4.4.4,spi=0x01000000",
		 base);
	assert_string_equal(trace_of(strict1, w), "DROP: filter/FORWARD/P");
	snprintf(w, sizeof(w),
		 "%s--ipsec-out src=1.1.1.1,dst=2.2.2.2,spi=0x01000000", base);
	assert_string_equal(trace_of(strict1, w), "DROP: filter/FORWARD/P");
}

static void test_ipsec_legs(void **state)
{
	const char *base = "-i ext -o lan -s 10.0.2.5 -d 10.0.1.5 -p udp "
			   "--sport 1 --dport 2 --ipsec-in ";

	(void)state;
	char w[512];

	/* ESP in UDP: the outer packet is udp 4500, accepted by rule 1. */
	snprintf(w, sizeof(w), "%s%s", base,
		 "src=198.51.100.1,dst=203.0.113.7,encap=udp");
	assert_string_equal(trace_of(vpn, w),
			    "ACCEPT: filter/INPUT/1 filter/FORWARD/1");
	snprintf(w, sizeof(w), "%s%s", base,
		 "src=198.51.100.1,dst=203.0.113.7");
	assert_string_equal(trace_of(vpn, w),
			    "ACCEPT: filter/INPUT/2 filter/FORWARD/1");
	snprintf(w, sizeof(w), "%s%s --ipsec-leg outer", base,
		 "src=198.51.100.1,dst=203.0.113.7,proto=ah");
	assert_string_equal(trace_of(vpn, w), "DROP: filter/INPUT/P");
	/* The outer packet dropped: the inner one never exists. */
	snprintf(w, sizeof(w), "%s%s", base,
		 "src=198.51.100.1,dst=203.0.113.7,proto=ah");
	assert_string_equal(trace_of(vpn, w), "DROP: filter/INPUT/P");
}

/* The ESP in UDP packet belongs to the tunnel's own connection:
 * ESTABLISHED, whatever the packet inside it is, and no nat. */
static const char legs_ct[] =
	"*nat\n"
	":PREROUTING ACCEPT [0:0]\n"
	":INPUT ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	"-A POSTROUTING -o ext -j MASQUERADE\n"
	"COMMIT\n"
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT DROP [0:0]\n"
	"-A INPUT -p udp --dport 4500 -m conntrack --ctstate NEW -j DROP\n"
	"-A INPUT -p udp --dport 4500 -m conntrack --ctstate ESTABLISHED "
	"-j ACCEPT\n"
	"-A FORWARD -m conntrack --ctstate NEW -j ACCEPT\n"
	"-A OUTPUT -p udp --sport 4500 -m conntrack --ctstate ESTABLISHED "
	"-j ACCEPT\n"
	"COMMIT\n";

static void test_ipsec_outer_state(void **state)
{
	(void)state;
	/* Out of the tunnel: the outer packet is accepted as ESTABLISHED,
	 * the NEW inner one passes nat PREROUTING and FORWARD. */
	assert_string_equal(
		trace_of(legs_ct,
			 "-i ext -o lan -s 10.0.2.5 -d 10.0.1.5 -p udp "
			 "--sport 1 --dport 2 --ipsec-in mode=tunnel,proto=esp,"
			 "src=198.51.100.1,dst=203.0.113.7,encap=udp"),
		"ACCEPT: filter/INPUT/2 nat/PREROUTING/P filter/FORWARD/1 "
		"nat/POSTROUTING/P");
	/* Into it: MASQUERADE for the inner packet only; the outer one
	 * passes no nat chain. */
	assert_string_equal(
		trace_of(legs_ct,
			 "-i lan -o ext -s 10.0.1.5 -d 10.0.2.5 -p udp "
			 "--sport 1 --dport 2 --ipsec-out mode=tunnel,proto=esp,"
			 "src=203.0.113.7,dst=198.51.100.1,encap=udp "
			 "--ipsec-leg both"),
		"ACCEPT: nat/PREROUTING/P filter/FORWARD/1 "
		"nat/POSTROUTING/1 filter/OUTPUT/1");
}

static const char nat[] =
	"*nat\n"
	":PREROUTING ACCEPT [0:0]\n"
	":INPUT ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -i wan -p tcp --dport 80 -j DNAT --to-destination "
	"192.168.1.10:8080\n"
	"-A POSTROUTING -o wan -m policy --dir out --pol ipsec -j ACCEPT\n"
	"-A POSTROUTING -o wan -j MASQUERADE\n"
	"COMMIT\n"
	"*mangle\n"
	":PREROUTING ACCEPT [0:0]\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	"-A PREROUTING -i lan -j MARK --set-mark 0x5/0xff\n"
	"-A PREROUTING -i lan -j CONNMARK --save-mark\n"
	"COMMIT\n"
	"*filter\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A FORWARD -d 192.168.1.10 -p tcp --dport 8080 -m conntrack "
	"--ctstate DNAT -j ACCEPT\n"
	"-A FORWARD -m mark --mark 0x5/0xff -m connmark --mark 5 -j ACCEPT\n"
	"-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
	"COMMIT\n";

static void test_nat_and_marks(void **state)
{
	(void)state;
	assert_string_equal(
		trace_of(nat, "-i wan -o lan -s 198.51.100.1 -d 203.0.113.7 "
			      "-p tcp --sport 999 --dport 80"),
		"ACCEPT: mangle/PREROUTING/P nat/PREROUTING/1 mangle/FORWARD/P "
		"filter/FORWARD/1 mangle/POSTROUTING/P nat/POSTROUTING/P");
	/* Not the first packet: nat is not consulted, no DNAT seen. */
	assert_string_equal(
		trace_of(nat, "-i wan -o lan -s 198.51.100.1 -d 203.0.113.7 "
			      "-p tcp --sport 999 --dport 80 --ctstate "
			      "ESTABLISHED"),
		"ACCEPT: mangle/PREROUTING/P mangle/FORWARD/P filter/FORWARD/3 "
		"mangle/POSTROUTING/P");
	/* MARK and CONNMARK --save-mark, seen by FORWARD. */
	assert_string_equal(
		trace_of(nat, "-i lan -o wan -s 192.168.1.5 -d 1.1.1.1 -p udp "
			      "--sport 1 --dport 2"),
		"ACCEPT: mangle/PREROUTING/1 mangle/PREROUTING/2 "
		"mangle/PREROUTING/P nat/PREROUTING/P mangle/FORWARD/P "
		"filter/FORWARD/2 mangle/POSTROUTING/P nat/POSTROUTING/2");
	/* The IPsec exemption before MASQUERADE. */
	assert_string_equal(
		trace_of(nat, "-i lan -o wan -s 192.168.1.5 -d 10.0.2.1 -p udp "
			      "--sport 1 --dport 2 --ipsec-out "
			      "src=203.0.113.7,dst=198.51.100.1"),
		"ACCEPT: mangle/PREROUTING/1 mangle/PREROUTING/2 "
		"mangle/PREROUTING/P nat/PREROUTING/P mangle/FORWARD/P "
		"filter/FORWARD/2 mangle/POSTROUTING/P nat/POSTROUTING/1");
}

static const char misc[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p tcp -m multiport --dports 20:22,80,443 -j ACCEPT\n"
	"-A INPUT -m iprange --src-range 10.0.0.5-10.0.0.9 -j ACCEPT\n"
	"-A INPUT -m addrtype --dst-type BROADCAST -j DROP\n"
	"-A INPUT -m addrtype ! --dst-type LOCAL -j DROP\n"
	"-A INPUT -m length --length 1000:2000 -j ACCEPT\n"
	"-A INPUT -p udp -m limit --limit 1/s -j ACCEPT\n"
	"-A INPUT -m comment --comment hello -j REJECT\n"
	"COMMIT\n";

static void test_other_matches(void **state)
{
	(void)state;
	assert_string_equal(trace_of(misc, "-i e -s 1.1.1.1 -d 2.2.2.2 -p tcp "
					   "--sport 1 --dport 21"),
			    "ACCEPT: filter/INPUT/1");
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.9 -d 2.2.2.2 -p tcp "
					   "--sport 1 --dport 23"),
			    "ACCEPT: filter/INPUT/2");
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.10 -d 2.2.2.255 "
					   "--local 2.2.2.2/24 -p tcp --sport "
					   "1 --dport 23"),
			    "DROP: filter/INPUT/3");
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.10 -d 2.2.2.3 "
					   "--local 2.2.2.2/24 -p tcp --sport "
					   "1 --dport 23"),
			    "DROP: filter/INPUT/4");
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.10 -d 2.2.2.2 "
					   "--local 2.2.2.2/24 -p tcp --sport "
					   "1 --dport 23 --length 1500"),
			    "ACCEPT: filter/INPUT/5");
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.10 -d 2.2.2.2 "
					   "--local 2.2.2.2/24 -p tcp --sport "
					   "1 --dport 23 --length 100"),
			    "REJECT: filter/INPUT/7");
	/* limit may match: both outcomes. */
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.10 -d 2.2.2.2 "
					   "--local 2.2.2.2 -p udp --sport "
					   "1 --dport 23 --length 100"),
			    "REJECT: filter/INPUT/7 | ACCEPT: filter/INPUT/6");
}

static void test_unknown_fields_fork(void **state)
{
	(void)state;
	/* No --dport: rule 2 of filter_basic can go either way. */
	assert_string_equal(
		trace_of(filter_basic, "-i eth0 -s 10.1.2.3 -d 10.0.0.1 -p tcp "
				       "--sport 1000"),
		"DROP: filter/INPUT/P | REJECT: filter/INPUT/5 | ACCEPT: "
		"filter/INPUT/2");
	/* No addrtype answer without --local. */
	assert_string_equal(trace_of(misc, "-i e -s 10.0.0.10 -d 2.2.2.3 -p "
					   "tcp --sport 1 --dport 23 --length "
					   "100"),
			    "REJECT: filter/INPUT/7 | DROP: filter/INPUT/4 | "
			    "DROP: filter/INPUT/3");
}

static void test_json(void **state)
{
	struct run r;
	struct trace_packet p;
	struct trace_result res;
	struct tracer *tr;
	char *argv[] = { "-i", "lo", "--json" }, err[128], *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(run_all(&r, filter_basic), 0);
	assert_int_equal(trace_packet_parse(3, argv, &p, err, sizeof(err)), 0);
	assert_true(p.json);
	tr = tracer_new(&r.rs);
	tracer_run(tr, &p, &res);
	trace_print_json(&res, out);
	fclose(out);
	assert_string_equal(buf, "{\"verdict\": \"ACCEPT\", \"matched\": "
				 "[{\"table\": \"filter\", \"chain\": "
				 "\"INPUT\", \"rule\": 1, \"line\": 5}]}\n");
	free(buf);
	tracer_free(tr);
	run_free(&r);
}

static void test_packet_words(void **state)
{
	struct trace_packet p;
	char err[256];
	char *none[] = { "-s", "1.2.3.4" };
	char *port[] = { "-i", "x", "--dport", "5" };
	char *sa[] = { "-i", "x", "--ipsec-in", "mode=tunnel,src=1.1.1.1" };
	char *st[] = { "-i", "x", "--ctstate", "NEW,ESTABLISHED" };
	char *ok[] = { "-i",	  "x",	 "-p",	      "udp",
		       "--dport", "5",	 "--ctstate", "ESTABLISHED,DNAT",
		       "--mark",  "0x10" };

	(void)state;
	assert_int_equal(trace_packet_parse(2, none, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "needs -i"));
	assert_int_equal(trace_packet_parse(4, port, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "need -p"));
	assert_int_equal(trace_packet_parse(4, sa, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dst=ADDR"));
	assert_int_equal(trace_packet_parse(4, st, &p, err, sizeof(err)), -1);
	assert_int_equal(trace_packet_parse(10, ok, &p, err, sizeof(err)), 0);
	assert_int_equal(p.mark, 0x10);
	assert_int_equal(p.dport, 5);
}

/* trace_command on @r's ruleset with the router addresses @locals: the
 * --json line (or the error) of the packet @words. */
/* A raw table does not hide the nat table after it: conntrack runs
 * between them, whether raw's chain was walked or not. */
static void test_raw_then_nat(void **state)
{
	static const char conf[] =
		"*raw\n"
		"-A PREROUTING -p tcp --dport 1 -j ACCEPT\n"
		"COMMIT\n"
		"*nat\n"
		"-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination "
		"10.0.0.9\n"
		"COMMIT\n"
		"*filter\n"
		":FORWARD DROP [0:0]\n"
		"-A FORWARD -d 10.0.0.9 -j ACCEPT\n"
		"COMMIT\n";

	(void)state;
	assert_string_equal(trace_of(conf, "-i a -o b -s 192.0.2.1 -d "
					   "198.51.100.1 -p tcp --sport 5 "
					   "--dport 80"),
			    "ACCEPT: raw/PREROUTING/P nat/PREROUTING/1 "
			    "filter/FORWARD/1 nat/POSTROUTING/P");
}

/* A chain long enough for the tracer's address index (64 rules and up):
 * it may skip only rules whose -s or -d the packet is not in; an
 * inverted or non-prefix mask is never skipped. */
static void test_long_chain(void **state)
{
	char *conf = malloc(64 * 1024);
	size_t n = 0;

	(void)state;
	assert_non_null(conf);
	n += (size_t)sprintf(conf + n, "*filter\n:INPUT DROP [0:0]\n"
				       ":FORWARD DROP [0:0]\n"
				       ":OUTPUT ACCEPT [0:0]\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(
			conf + n,
			"-A FORWARD -s 10.9.%d.%d -d 172.16.%d.0/24 "
			"-p udp --dport %d -j ACCEPT\n",
			i / 256, i % 256, i % 200, 1000 + i);
	n += (size_t)sprintf(conf + n,
			     "-A FORWARD ! -s 10.0.0.0/8 -p udp --dport 7 "
			     "-j ACCEPT\n"
			     "-A FORWARD -s 10.9.0.1/255.255.0.255 -p udp "
			     "--dport 8 -j ACCEPT\n"
			     "-A FORWARD -s 10.9.1.0/24 -p udp --dport 9 "
			     "-j DROP\n"
			     "-A FORWARD -d 172.16.7.9 -j REJECT\n");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(conf + n,
				     "-A FORWARD -s 10.8.0.%d -d 172.17.0.%d "
				     "-j ACCEPT\n",
				     i, i);
	sprintf(conf + n, "COMMIT\n");
	assert_string_equal(trace_of(conf, "-i a -o b -s 10.9.0.250 -d "
					   "172.16.50.1 -p udp --sport 1 "
					   "--dport 1250"),
			    "ACCEPT: filter/FORWARD/251");
	assert_string_equal(trace_of(conf, "-i a -o b -s 192.0.2.1 -d "
					   "172.16.50.1 -p udp --sport 1 "
					   "--dport 7"),
			    "ACCEPT: filter/FORWARD/301");
	assert_string_equal(trace_of(conf, "-i a -o b -s 10.9.77.1 -d "
					   "172.16.50.1 -p udp --sport 1 "
					   "--dport 8"),
			    "ACCEPT: filter/FORWARD/302");
	assert_string_equal(trace_of(conf, "-i a -o b -s 10.9.1.5 -d "
					   "172.16.50.1 -p udp --sport 1 "
					   "--dport 9"),
			    "DROP: filter/FORWARD/303");
	assert_string_equal(trace_of(conf, "-i a -o b -s 10.9.1.5 -d "
					   "172.16.7.9 -p udp --sport 1 "
					   "--dport 10"),
			    "REJECT: filter/FORWARD/304");
	assert_string_equal(trace_of(conf, "-i a -o b -s 10.8.0.99 -d "
					   "172.17.0.99 -p tcp --sport 1 "
					   "--dport 10"),
			    "ACCEPT: filter/FORWARD/404");
	assert_string_equal(trace_of(conf, "-i a -o b -s 10.8.0.99 -d "
					   "172.17.0.98 -p tcp --sport 1 "
					   "--dport 10"),
			    "DROP: filter/FORWARD/P");
	free(conf);
}

static const char *command_of(struct run *r, const char *const *locals,
			      size_t n, const char *words)
{
	static char text[2048];
	char buf[512], *argv[32], *save, *out = NULL, *err = NULL;
	size_t outlen = 0, errlen = 0;
	FILE *o = open_memstream(&out, &outlen);
	FILE *e = open_memstream(&err, &errlen);
	int argc = 0, rc;

	snprintf(buf, sizeof(buf), "%s --json", words);
	for (char *w = strtok_r(buf, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	rc = trace_command(&r->rs, locals, n, argc, argv, o, e);
	fclose(o);
	fclose(e);
	snprintf(text, sizeof(text), "%s", rc < 0 ? err : out);
	free(out);
	free(err);
	return text;
}

/* The router's addresses from the config: an address(IFACE) assignment
 * whose value -D gives is a router address all the same (the expander
 * keeps it); trace_command gives every packet those addresses, as
 * --local would, with the broadcast of their network when the length is
 * known; IPv6 ones are left out; one that is no address is an error. */
static void test_config_addresses(void **state)
{
	static const char *const defs[] = { "WAN_IP=198.51.100.20",
					    "LAN=10.1.0.0/16", NULL };
	static const char conf[] =
		"WAN_IP = address(nosuchif0)\n"
		"LAN = network(nosuchif1)\n"
		"OTHER = 192.0.2.1\n"
		"*filter\n"
		":INPUT DROP [0:0]\n"
		"-A INPUT -m addrtype --dst-type LOCAL -p tcp -j ACCEPT\n"
		"-A INPUT -m addrtype --dst-type BROADCAST -j DROP\n"
		"-A INPUT -s $LAN -d $OTHER -j ACCEPT\n"
		"COMMIT\n";
	static const char *const with_len[] = { "198.51.100.20/24",
						"2001:db8::1" };
	static const char *const bad[] = { "198.51.100.20", "nonsense" };
	const char *const *addrs;
	struct run r;

	(void)state;
	assert_int_equal(run_expand_d(&r, conf, defs), 0);
	assert_clean(&r);
	/* network() is no address of the router; OTHER is no address()
	 * value. */
	assert_int_equal(expander_addresses(r.ex, &addrs), 1);
	assert_string_equal(addrs[0], "198.51.100.20");
	ruleset_init(&r.rs);
	r.have_rs = true;
	assert_int_equal(build_ruleset(&r.rs, &r.cmds, &r.dl), 0);
	assert_string_equal(command_of(&r, addrs, 1,
				       "-i x -d 198.51.100.20 -p tcp"),
			    "{\"verdict\": \"ACCEPT\", \"matched\": "
			    "[{\"table\": \"filter\", \"chain\": "
			    "\"INPUT\", \"rule\": 1, \"line\": 6}]}\n");
	/* Not the router's: decided, no fork. */
	assert_string_equal(command_of(&r, addrs, 1,
				       "-i x -d 198.51.100.21 -p udp"),
			    "{\"verdict\": \"DROP\", \"matched\": "
			    "[{\"table\": \"filter\", \"chain\": "
			    "\"INPUT\", \"policy\": true}]}\n");
	assert_string_equal(command_of(&r, with_len, 2,
				       "-i x -d 198.51.100.255 -p udp"),
			    "{\"verdict\": \"DROP\", \"matched\": "
			    "[{\"table\": \"filter\", \"chain\": "
			    "\"INPUT\", \"rule\": 2, \"line\": 7}]}\n");
	/* Without them addrtype is undecided: both outcomes. */
	assert_non_null(
		strstr(command_of(&r, NULL, 0, "-i x -d 198.51.100.20 -p tcp"),
		       "\"undecided\""));
	assert_non_null(
		strstr(command_of(&r, bad, 2, "-i x -d 198.51.100.20 -p tcp"),
		       "router address 'nonsense'"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_verdicts),
		cmocka_unit_test(test_long_chain),
		cmocka_unit_test(test_raw_then_nat),
		cmocka_unit_test(test_jumps_gotos_returns),
		cmocka_unit_test(test_policy_in),
		cmocka_unit_test(test_policy_strict_and_out),
		cmocka_unit_test(test_ipsec_legs),
		cmocka_unit_test(test_ipsec_outer_state),
		cmocka_unit_test(test_nat_and_marks),
		cmocka_unit_test(test_other_matches),
		cmocka_unit_test(test_unknown_fields_fork),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_packet_words),
		cmocka_unit_test(test_config_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
