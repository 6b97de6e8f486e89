/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_lint.c - lint.c: each lint fires on the mistake it is for, with
 * its witness, stays quiet on the right ruleset, and is silenced by a
 * lint-ignore marker (a config comment or -m comment).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "lint.h"

/* A VPN router in short: IKE and NAT-T in, the tunnel both ways. */
#define VPN_HEAD                                                        \
	"*filter\n"                                                     \
	":INPUT DROP [0:0]\n"                                           \
	":FORWARD DROP [0:0]\n"                                         \
	":OUTPUT ACCEPT [0:0]\n"                                        \
	"-A INPUT -i ext -d 203.0.113.7 -p udp --dport 500 -j ACCEPT\n" \
	"-A INPUT -i ext -d 203.0.113.7 -p udp --dport 4500 -j ACCEPT\n"
#define VPN_IN                                                              \
	"-A FORWARD -i ext -o lan -s 10.0.2.0/24 -d 10.0.1.0/24 -m policy " \
	"--dir in --pol ipsec --mode tunnel --tunnel-dst 203.0.113.7 "      \
	"-j ACCEPT\n"
#define VPN_OUT                                                             \
	"-A FORWARD -i lan -o ext -s 10.0.1.0/24 -d 10.0.2.0/24 -m policy " \
	"--dir out --pol ipsec --mode tunnel --tunnel-src 203.0.113.7 "     \
	"-j ACCEPT\n"

/* Run the lints over @conf; returns the number of warnings. */
static size_t lint_of(struct run *r, const char *conf)
{
	if (run_all(r, conf) < 0) {
		run_dump(r);
		fail_msg("config does not build");
	}
	lint_ruleset(&r->rs, "t.conf", &r->dl);
	return r->dl.warnings;
}

static void test_clean(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r, VPN_HEAD VPN_IN VPN_OUT "COMMIT\n"), 0);
	run_free(&r);
}

static void test_shadowed(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(lint_of(&r,
				 "*filter\n"
				 "-A INPUT -s 10.0.0.0/8 -p tcp -j DROP\n"
				 "-A INPUT -s 10.1.0.0/16 -p tcp --dport 22 "
				 "-j ACCEPT\n"
				 "-A INPUT -s 10.1.0.0/16 -p udp -j ACCEPT\n"
				 "-A INPUT -p tcp -m limit --limit 1/s "
				 "-j DROP\n"
				 "-A INPUT -p tcp -m limit --limit 1/s "
				 "-j ACCEPT\n"
				 "-A INPUT -m conntrack --ctstate "
				 "ESTABLISHED,RELATED -j ACCEPT\n"
				 "-A INPUT -m conntrack --ctstate RELATED "
				 "-j LOG\n"
				 "COMMIT\n"),
			 2);
	d = assert_warning_at(&r, 3, 1,
			      "no packet reaches this rule: rule 1 of filter "
			      "INPUT (line 2) takes every packet it would "
			      "match [shadowed]");
	assert_non_null(strstr(d->hint, "-s 10.1.0.1"));
	assert_non_null(strstr(d->hint, "--dport 22"));
	/* The same limit twice: two buckets, not shadowed.  The rule after
	 * the ESTABLISHED,RELATED accept is. */
	assert_non_null(find_diag(&r, DIAG_WARNING, "rule 6 of filter INPUT"));
	run_free(&r);
}

/* A rule that earlier rules cover only together: a port range or an
 * address split over rules, a multiport list; and what must stay quiet:
 * a gap, a rule without ports after port rules (later fragments pass
 * the port rules by), a change in between, an iprange beside the split
 * address, a limit. */
static void test_shadowed_union(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(
		lint_of(&r, "*filter\n"
			    "-A INPUT -p tcp --dport 0:1023 -j ACCEPT\n"
			    "-A INPUT -p tcp --dport 1024:65535 -j DROP\n"
			    "-A INPUT -p tcp --dport 1000:2000 -j ACCEPT\n"
			    "-A INPUT -p tcp -j DROP\n"
			    "-A INPUT -p udp --dport 53 -j ACCEPT\n"
			    "-A INPUT -p udp --dport 123 -j ACCEPT\n"
			    "-A INPUT -p udp -m multiport --dports 53,123 "
			    "-j DROP\n"
			    "-A INPUT -p udp -m multiport --dports 53,124 "
			    "-j DROP\n"
			    "-A INPUT -p udp --sport 0:1023 -j ACCEPT\n"
			    "-A INPUT -p udp --sport 1025:65535 -j ACCEPT\n"
			    "-A INPUT -p udp --sport 1000:2000 -j ACCEPT\n"
			    "-A FORWARD -s 10.0.0.0/9 -j DROP\n"
			    "-A FORWARD -s 10.128.0.0/9 -j DROP\n"
			    "-A FORWARD -s 10.0.0.0/8 -p udp -j ACCEPT\n"
			    "-A FORWARD -s 10.0.0.0/7 -j ACCEPT\n"
			    "-A FORWARD ! -s 10.0.0.0/8 -j DROP\n"
			    "-A FORWARD -i eth0 -j ACCEPT\n"
			    "-A OUTPUT -d 192.168.0.0/17 -j ACCEPT\n"
			    "-A OUTPUT -j MARK --set-mark 1\n"
			    "-A OUTPUT -d 192.168.128.0/17 -j ACCEPT\n"
			    "-A OUTPUT -d 192.168.0.0/16 -j ACCEPT\n"
			    "-A OUTPUT -d 172.16.0.0/13 -j DROP\n"
			    "-A OUTPUT -d 172.24.0.0/13 -m iprange "
			    "--dst-range 172.24.0.0-172.24.0.9 -j DROP\n"
			    "-A OUTPUT -d 172.16.0.0/12 -j DROP\n"
			    "-A OUTPUT -p tcp --dport 0:1023 "
			    "-m limit --limit 1/s -j DROP\n"
			    "-A OUTPUT -p tcp --dport 1024:65535 -j DROP\n"
			    "-A OUTPUT -p tcp --dport 80 -j DROP\n"
			    "COMMIT\n"),
		4);
	d = assert_warning_at(&r, 4, 1,
			      "no packet reaches this rule: rules 1, 2 of "
			      "filter INPUT (lines 2, 3) take every packet it "
			      "would match together [shadowed]");
	assert_non_null(strstr(d->hint, "-p tcp --sport 0 --dport 1000"));
	/* Only the rules that take some of its packets are named. */
	assert_warning_at(&r, 8, 1,
			  "no packet reaches this rule: rules 5, 6 of filter "
			  "INPUT (lines 6, 7) take every packet it would match "
			  "together [shadowed]");
	d = assert_warning_at(&r, 15, 1,
			      "no packet reaches this rule: rules 1, 2 of "
			      "filter FORWARD (lines 13, 14) take every packet "
			      "it would match together [shadowed]");
	assert_non_null(strstr(d->hint, "-s 10.0.0.10"));
	/* Every source: 10/8 dropped, 11/8 accepted, the rest dropped. */
	assert_warning_at(&r, 18, 1,
			  "no packet reaches this rule: rules 1, 2, 4, 5 of "
			  "filter FORWARD (lines 13, 14, 16, 17) take every "
			  "packet it would match together [shadowed]");
	run_free(&r);
}

/* multiport lists with ranges, one of them inverted: between them every
 * port. */
/* The shadowing lints on a long chain, where earlier rules are found
 * through indexes by source, destination and port: each kind of cover
 * among hundreds of unrelated rules, and nothing else. */
static void test_shadowed_long(void **state)
{
	char *conf = malloc(128 * 1024);
	size_t n = 0;
	struct run r;

	(void)state;
	assert_non_null(conf);
	n += (size_t)sprintf(conf + n, "*filter\n");
	for (int i = 0; i < 500; i++) /* rules 1-500 */
		n += (size_t)sprintf(conf + n,
				     "-A INPUT -s 198.51.%d.%d -p tcp "
				     "--dport %d -j ACCEPT\n",
				     i / 256, i % 256, 1000 + i);
	n += (size_t)sprintf(conf + n,
			     "-A INPUT -s 10.0.0.0/8 -p tcp -j DROP\n" /* 501 */
			     "-A INPUT -s 192.168.0.0/17 -j DROP\n"
			     "-A INPUT -s 192.168.128.0/17 -j DROP\n"
			     "-A INPUT -d 203.0.113.9 -p tcp --dport 0:1023 "
			     "-j DROP\n"
			     "-A INPUT -d 203.0.113.9 -p tcp --dport "
			     "1024:65535 -j DROP\n"); /* 505 */
	for (int i = 0; i < 200; i++)		      /* 506-705 */
		n += (size_t)sprintf(conf + n,
				     "-A INPUT -d 203.0.113.7 -p tcp --dport "
				     "%d -j ACCEPT\n",
				     20000 + i);
	for (int i = 0; i < 300; i++) /* 706-1005 */
		n += (size_t)sprintf(conf + n,
				     "-A INPUT -s 198.52.%d.%d -p udp "
				     "--dport %d -j ACCEPT\n",
				     i / 256, i % 256, 2000 + i);
	sprintf(conf + n,
		"-A INPUT -s 10.1.2.3 -p tcp --dport 22 -j ACCEPT\n" /* 1006 */
		"-A INPUT -s 192.168.0.0/16 -j ACCEPT\n"
		"-A INPUT -d 203.0.113.9 -p tcp --dport 1000:2000 "
		"-j ACCEPT\n"
		"-A INPUT -d 203.0.113.7 -p tcp --dport 20100 -j DROP\n"
		"-A INPUT -d 203.0.113.7 -p tcp --dport 30000 -j DROP\n"
		"-A INPUT -s 198.52.0.7 -p udp --dport 2007 -j DROP\n"
		"COMMIT\n");
	assert_int_equal(lint_of(&r, conf), 5);
	assert_warning_at(&r, 1007, 1,
			  "no packet reaches this rule: rule 501 of filter "
			  "INPUT (line 502) takes every packet it would match "
			  "[shadowed]");
	assert_warning_at(&r, 1008, 1,
			  "no packet reaches this rule: rules 502, 503 of "
			  "filter INPUT (lines 503, 504) take every packet it "
			  "would match together [shadowed]");
	assert_warning_at(&r, 1009, 1,
			  "no packet reaches this rule: rules 504, 505 of "
			  "filter INPUT (lines 505, 506) take every packet it "
			  "would match together [shadowed]");
	assert_warning_at(&r, 1010, 1,
			  "no packet reaches this rule: rule 606 of filter "
			  "INPUT (line 607) takes every packet it would match "
			  "[shadowed]");
	assert_warning_at(&r, 1012, 1,
			  "no packet reaches this rule: rule 713 of filter "
			  "INPUT (line 714) takes every packet it would match "
			  "[shadowed]");
	run_free(&r);
	free(conf);
}

static void test_shadowed_union_multiport(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r, "*filter\n"
				     "-A INPUT -p udp -m multiport "
				     "--dports 10:20,30 -j DROP\n"
				     "-A INPUT -p udp -m multiport "
				     "! --dports 10:20,30 -j ACCEPT\n"
				     "-A INPUT -p udp --dport 15:40 -j LOG\n"
				     "COMMIT\n"),
			 1);
	assert_warning_at(&r, 4, 1,
			  "no packet reaches this rule: rules 1, 2 of filter "
			  "INPUT (lines 2, 3) take every packet it would match "
			  "together [shadowed]");
	run_free(&r);
}

static void test_shadowed_union_silenced(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r,
				 "*filter\n"
				 "-A INPUT -p tcp --dport 0:1023 -j DROP\n"
				 "-A INPUT -p tcp --dport 1024:65535 "
				 "-j DROP\n"
				 "# kept for later: lint-ignore:shadowed\n"
				 "-A INPUT -p tcp --dport 1000:2000 "
				 "-m multiport --sports 1000,2000 -j ACCEPT\n"
				 "COMMIT\n"),
			 0);
	run_free(&r);
}

static void test_spoofable(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(lint_of(&r, VPN_HEAD VPN_OUT
				 "-A FORWARD -i ext -o lan -s 10.0.2.0/24 "
				 "-j ACCEPT\n"
				 "-A FORWARD -s 10.0.2.0/25 -m policy --dir in "
				 "--pol none -j ACCEPT\n"
				 "-A FORWARD -s 10.0.2.0/24 -m conntrack "
				 "--ctstate ESTABLISHED -j ACCEPT\n"
				 "COMMIT\n"),
			 2);
	d = assert_warning_at(&r, 8, 1,
			      "accepts packets from the VPN network "
			      "10.0.2.0/24 without -m policy --dir in --pol "
			      "ipsec: anyone can send them from outside the "
			      "tunnel [spoofable]");
	assert_non_null(strstr(d->hint, "-i ext -o lan -s 10.0.2.1"));
	assert_warning_at(&r, 9, 1,
			  "accepts packets from the VPN network 10.0.2.0/24 "
			  "without -m policy --dir in --pol ipsec: anyone can "
			  "send them from outside the tunnel [spoofable]");
	run_free(&r);
}

static void test_ike(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r, "*filter\n"
				     ":INPUT DROP [0:0]\n"
				     ":FORWARD DROP [0:0]\n"
				     "-A INPUT -i ext -d 203.0.113.7 -p udp "
				     "--dport 500 -j ACCEPT\n" VPN_IN VPN_OUT
				     "COMMIT\n"),
			 1);
	assert_non_null(find_diag(&r, DIAG_WARNING,
				  "needs ESP or udp 4500 (NAT traversal) to "
				  "its address on ext, and neither is "
				  "accepted [ike]"));
	run_free(&r);
	/* ESP instead of NAT-T is enough; no IKE is not. */
	assert_int_equal(
		lint_of(&r, "*filter\n"
			    ":INPUT DROP [0:0]\n"
			    ":FORWARD DROP [0:0]\n"
			    "-A INPUT -i ext -p esp -j ACCEPT\n" VPN_IN VPN_OUT
			    "COMMIT\n"),
		1);
	assert_non_null(find_diag(&r, DIAG_WARNING, "udp port 500"));
	run_free(&r);
}

static void test_return_path(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r, VPN_HEAD VPN_IN "COMMIT\n"), 1);
	assert_warning_at(&r, 7, 1,
			  "traffic out of the tunnel is forwarded, but the "
			  "answers back into it are not accepted (no -m policy "
			  "--dir out rule and no ESTABLISHED accept) "
			  "[return-path]");
	run_free(&r);
	assert_int_equal(lint_of(&r, VPN_HEAD VPN_IN
				 "-A FORWARD -m conntrack --ctstate "
				 "ESTABLISHED -j ACCEPT\n"
				 "COMMIT\n"),
			 0);
	run_free(&r);
}

static void test_masquerade(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r, VPN_HEAD VPN_IN VPN_OUT
				 "COMMIT\n"
				 "*nat\n"
				 "-A POSTROUTING -o ext -j MASQUERADE\n"
				 "COMMIT\n"),
			 1);
	assert_non_null(find_diag(&r, DIAG_WARNING,
				  "MASQUERADE catches traffic bound for the "
				  "IPsec tunnel"));
	run_free(&r);
	assert_int_equal(lint_of(&r, VPN_HEAD VPN_IN VPN_OUT
				 "COMMIT\n"
				 "*nat\n"
				 "-A POSTROUTING -m policy --dir out --pol "
				 "ipsec -j ACCEPT\n"
				 "-A POSTROUTING -o ext -j MASQUERADE\n"
				 "-A POSTROUTING -o ext2 -m policy --dir out "
				 "--pol none -j SNAT --to-source 1.2.3.4\n"
				 "COMMIT\n"),
			 0);
	run_free(&r);
}

static void test_silenced(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(lint_of(&r, "*filter\n"
				     "-A INPUT -p tcp -j DROP\n"
				     "-A INPUT -p tcp --dport 1 -j ACCEPT # "
				     "lint-ignore\n"
				     "# lint-ignore:shadowed\n"
				     "-A INPUT -p tcp --dport 2 -j ACCEPT\n"
				     "-A INPUT -p tcp --dport 3 -m comment "
				     "--comment 'lint-ignore:shadowed' "
				     "-j ACCEPT\n"
				     "-A INPUT -p tcp --dport 4 -j ACCEPT # "
				     "lint-ignore:spoofable\n"
				     "COMMIT\n"),
			 1);
	assert_non_null(find_diag(&r, DIAG_WARNING, "shadowed"));
	assert_int_equal(r.dl.items[r.dl.count - 1].loc.line, 7);
	run_free(&r);
}

int main(void)
{
	/* Every witness packet the lints build is also parsed from its
	 * words, and must be the same. */
	lint_check_witnesses = true;

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_shadowed),
		cmocka_unit_test(test_shadowed_union),
		cmocka_unit_test(test_shadowed_long),
		cmocka_unit_test(test_shadowed_union_multiport),
		cmocka_unit_test(test_shadowed_union_silenced),
		cmocka_unit_test(test_spoofable),
		cmocka_unit_test(test_ike),
		cmocka_unit_test(test_return_path),
		cmocka_unit_test(test_masquerade),
		cmocka_unit_test(test_silenced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
