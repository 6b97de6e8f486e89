/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_encode_target.c - the native target encoders (encode_target.c)
 * against the libxtables adapter: each line is parsed twice, natively and
 * with ENCODE_NO_NATIVE_TARGETS, and must give the same target bytes; a
 * line the native encoder leaves to the adapter must give what the adapter
 * gives (bytes, or the same error at the same place), once.  The kernel
 * suite compares both with iptables-legacy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "helpers.h"

#include "encode.h"

/* One line parsed one way: its status, target bytes and diagnostics. */
struct parsed {
	int rc;
	bool native;
	struct xt_entry_target *t;
	struct diag_list dl;
};

static void parse_one_way(const struct cmd *c, enum family f, unsigned flags,
			  struct parsed *out)
{
	struct parsed_cmd pc;
	size_t first = 0;

	diag_list_init(&out->dl);
	if (c->argc && (strcmp(c->args[0].text, "iptables") == 0 ||
			strcmp(c->args[0].text, "ip6tables") == 0))
		first = 1;
	out->rc = encode_parse(c, first, f, &pc, flags, &out->dl);
	out->native = pc.native_target;
	out->t = NULL;
	if (out->rc == 0 && pc.ext_target) {
		out->t = malloc(pc.ext_target->u.target_size);
		assert_non_null(out->t);
		memcpy(out->t, pc.ext_target, pc.ext_target->u.target_size);
	}
	parsed_cmd_free(&pc);
}

static void parsed_free(struct parsed *p)
{
	free(p->t);
	diag_list_free(&p->dl);
}

static void dump_target(const char *what, const struct xt_entry_target *t)
{
	const unsigned char *b = (const void *)t;

	fprintf(stderr, "%s:", what);
	for (size_t i = 0; t && i < t->u.target_size; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fprintf(stderr, "\n");
}

/* The two ways of one line agree; @want_native: the native encoder took
 * it (else it left it to the adapter). */
static void assert_same(const struct cmd *c, enum family f, bool want_native)
{
	struct parsed n, a;

	parse_one_way(c, f, 0, &n);
	parse_one_way(c, f, ENCODE_NO_NATIVE_TARGETS, &a);
	if (n.native != want_native || a.native || n.rc != a.rc ||
	    n.dl.count != a.dl.count) {
		fprintf(stderr, "line %u: native %d (want %d), rc %d vs %d\n",
			c->loc.line, n.native, want_native, n.rc, a.rc);
		diag_list_print(&n.dl, stderr);
		diag_list_print(&a.dl, stderr);
		fail();
	}
	for (size_t i = 0; i < n.dl.count; i++) {
		const struct diag *x = &n.dl.items[i], *y = &a.dl.items[i];

		assert_int_equal(x->severity, y->severity);
		assert_string_equal(x->message, y->message);
		assert_int_equal(x->loc.col, y->loc.col);
	}
	if (n.rc == 0 &&
	    (!n.t != !a.t ||
	     (n.t && (n.t->u.target_size != a.t->u.target_size ||
		      memcmp(n.t, a.t, n.t->u.target_size) != 0)))) {
		fprintf(stderr, "line %u: bytes differ\n", c->loc.line);
		dump_target("native", n.t);
		dump_target("adapter", a.t);
		fail();
	}
	parsed_free(&n);
	parsed_free(&a);
}

/* Every line of @config, in family @f, agrees both ways. */
static void check_lines(const char *config, enum family f, bool want_native)
{
	struct run r;

	assert_int_equal(run_expand(&r, config), 0);
	assert_true(r.cmds.count > 0);
	for (size_t i = 0; i < r.cmds.count; i++)
		assert_same(&r.cmds.items[i], f, want_native);
	run_free(&r);
}

static void test_nat4_native(void **state)
{
	(void)state;
	check_lines(
		"-t nat -A PREROUTING -p tcp --dport 8080 -j DNAT "
		"--to-destination 10.0.1.5:80\n"
		"-t nat -A PREROUTING -p udp -j DNAT --to-destination "
		"10.0.1.6-10.0.1.9:6000-6010 --random --persistent\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 10.0.1.7\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination :443\n"
		"-t nat -A PREROUTING -p sctp -j DNAT --to-dest 10.0.0.1:0 --rand\n"
		"-t nat -A PREROUTING -p icmp -j DNAT --to-destination 1.2.3.4:7\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:ssh\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination=1.2.3.4:65535\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 0.0.0.0 "
		"--persistent\n"
		"-t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 22\n"
		"-t nat -A PREROUTING -p udp -j REDIRECT --to-ports 1000-2000 "
		"--random\n"
		"-t nat -A PREROUTING -j REDIRECT\n"
		"-t nat -A PREROUTING -p dccp -j REDIRECT --to-ports http-alt\n"
		"-t nat -A POSTROUTING -j MASQUERADE\n"
		"-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports "
		"20000-30000 --random-fully\n"
		"-t nat -A POSTROUTING -o extif2 -j MASQUERADE --random\n"
		"-t nat -A POSTROUTING -j SNAT --to-source 203.0.113.7\n"
		"-t nat -A POSTROUTING -p tcp -j SNAT --to-source "
		"203.0.113.8-203.0.113.9:1024-65535 --persistent\n"
		"-t nat -A POSTROUTING -j SNAT --to-source 203.0.113.10 "
		"--random-fully --random\n"
		"-t nat -A POSTROUTING -j SNAT --to-s 9.9.9.9-1.1.1.1\n"
		"-t nat -A POSTROUTING -j SNAT --random --to-source 1.1.1.1 -p udp\n",
		FAMILY_IPV4, true);
}

static void test_nat6_native(void **state)
{
	(void)state;
	check_lines(
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination "
		"[2001:db8:1::5]:80\n"
		"-t nat -A PREROUTING -p udp -j DNAT --to-destination "
		"[2001:db8:1::6-2001:db8:1::9]:6000-6010 --random --persistent\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 2001:db8:1::7\n"
		"-t nat -A PREROUTING -j DNAT --to-destination "
		"2001:db8::1-2001:db8::9\n"
		"-t nat -A PREROUTING -j DNAT --to-destination [2001:db8::1]\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination []:80\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination :80\n"
		"-t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 22\n"
		"-t nat -A PREROUTING -j REDIRECT --random\n"
		"-t nat -A POSTROUTING -j MASQUERADE\n"
		"-t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 1-2 "
		"--random-fully\n"
		"-t nat -A POSTROUTING -j SNAT --to-source 2001:db8::7\n"
		"-t nat -A POSTROUTING -p tcp -j SNAT --to-source "
		"[2001:db8::8-2001:db8::9]:1024-65535 --persistent\n"
		"-t nat -A POSTROUTING -j SNAT --to-source ::1 --random-fully\n",
		FAMILY_IPV6, true);
}

/* Spellings and errors left to the extension: the same outcome and
 * message as before, and the warnings of the first pass said once. */
static void test_nat_fallback(void **state)
{
	(void)state;
	check_lines(
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:080\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:0x50\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination "
		"1.2.3.4:80-90/85\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:90-80\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80:90\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 10:80\n"
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:nosuch\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 1.2.3.4:80\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 1.2.3.04\n"
		"-t nat -A PREROUTING -j DNAT --to-destination [1.2.3.4]\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 1.2.3.4-\n"
		"-t nat -A PREROUTING -j DNAT\n"
		"-t nat -A PREROUTING -j DNAT ! --to-destination 1.2.3.4\n"
		"-t nat -A PREROUTING -j DNAT ! --random --to-destination 1.2.3.4\n"
		"-t nat -A PREROUTING -s 10.0.0.1/8 -p tcp -j DNAT "
		"--to-destination 1.2.3.4:080\n"
		"-t nat -A POSTROUTING -j SNAT --random\n"
		"-t nat -A POSTROUTING -p tcp -j SNAT --to-source 1.1.1.1:+5\n"
		"-t nat -A POSTROUTING -j MASQUERADE --to-ports 5\n"
		"-t nat -A PREROUTING -p 6 -j REDIRECT --to-ports ' 5'\n",
		FAMILY_IPV4, false);
	check_lines(
		"-t nat -A PREROUTING -p tcp -j DNAT --to-destination "
		"[2001:db8::1]junk\n"
		"-t nat -A PREROUTING -j DNAT --to-destination 2001:db8::g\n"
		"-t nat -A PREROUTING -j DNAT --to-destination [2001:db8::1\n"
		"-t nat -A PREROUTING -p ipv6-icmp -j DNAT --to-destination "
		"[::1]:5\n"
		"-t nat -A POSTROUTING -j SNAT --to-source 1.2.3.4\n",
		FAMILY_IPV6, false);
}

/* Given twice, or in the wrong family: refused either way. */
static void test_nat_refused(void **state)
{
	struct run r;
	struct parsed n;

	(void)state;
	assert_int_equal(run_expand(&r, "-t nat -A POSTROUTING -j SNAT "
					"--to-source 1.1.1.1 --to-source "
					"2.2.2.2\n"),
			 0);
	parse_one_way(&r.cmds.items[0], FAMILY_IPV4, 0, &n);
	assert_int_equal(n.rc, -1);
	assert_int_equal(n.dl.errors, 1);
	assert_string_equal(n.dl.items[0].message,
			    "--to-source may be given only once");
	assert_int_equal(n.dl.items[0].loc.col, 51);
	parsed_free(&n);
	parse_one_way(&r.cmds.items[0], FAMILY_IPV4, ENCODE_NO_NATIVE_TARGETS,
		      &n);
	assert_int_equal(n.rc, -1);
	parsed_free(&n);
	run_free(&r);
}

/* A fallback warns once: the first pass's warnings are dropped. */
static void test_nat_fallback_warns_once(void **state)
{
	struct run r;
	struct parsed n;

	(void)state;
	assert_int_equal(run_expand(&r, "-t nat -A PREROUTING -s 10.0.0.1/8 "
					"-p tcp -j DNAT --to-destination "
					"1.2.3.4:0x50\n"),
			 0);
	parse_one_way(&r.cmds.items[0], FAMILY_IPV4, 0, &n);
	assert_int_equal(n.rc, 0);
	assert_false(n.native);
	assert_int_equal(n.dl.warnings, 1);
	assert_int_equal(n.dl.count, 1);
	parsed_free(&n);
	run_free(&r);
}

static void test_marks_native(void **state)
{
	(void)state;
	check_lines("-t mangle -A PREROUTING -j MARK --set-mark 5\n"
		    "-t mangle -A PREROUTING -j MARK --set-mark 0x5/0xff\n"
		    "-t mangle -A PREROUTING -j MARK --set-xmark 0x10/0xf0\n"
		    "-t mangle -A PREROUTING -j MARK --set-xm=7\n"
		    "-t mangle -A PREROUTING -j MARK --and-mark 0xffff00ff\n"
		    "-t mangle -A PREROUTING -j MARK --or-mark 4294967295\n"
		    "-t mangle -A PREROUTING -j MARK --xor-mark 0X1F\n"
		    "-t mangle -A PREROUTING -j MARK --set-mark 0\n"
		    "-t mangle -A PREROUTING -j CONNMARK --save-mark\n"
		    "-t mangle -A PREROUTING -j CONNMARK --save-mark --nfmask "
		    "0xff --ctmask 0xf0\n"
		    "-t mangle -A PREROUTING -j CONNMARK --restore-mark --mask "
		    "0xff\n"
		    "-t mangle -A PREROUTING -j CONNMARK --restore-mark\n"
		    "-t mangle -A PREROUTING -j CONNMARK --set-mark 7\n"
		    "-t mangle -A PREROUTING -j CONNMARK --set-mark 7/0xf "
		    "--ctmask 0xff\n"
		    "-t mangle -A PREROUTING -j CONNMARK --ctmask 0xff "
		    "--set-mark 7/0xf\n"
		    "-t mangle -A PREROUTING -j CONNMARK --set-xmark 0x3/0xff\n"
		    "-t mangle -A PREROUTING -j CONNMARK --and-mark 0xfe\n"
		    "-t mangle -A PREROUTING -j CONNMARK --or-mark 1\n"
		    "-t mangle -A PREROUTING -j CONNMARK --xor-mark 1\n"
		    "-t mangle -A PREROUTING -j CONNMARK --mask 3 --save\n",
		    FAMILY_IPV4, true);
	check_lines("-t mangle -A PREROUTING -j MARK --set-mark 0x5/0xff\n"
		    "-t mangle -A PREROUTING -j CONNMARK --restore-mark "
		    "--ctmask 0xf --nfmask 0xf0\n",
		    FAMILY_IPV6, true);
}

static void test_log_reject_tcpmss_native(void **state)
{
	(void)state;
	check_lines(
		"-A INPUT -j LOG\n"
		"-A INPUT -j LOG --log-prefix 'x: ' --log-level 4 "
		"--log-tcp-options --log-uid\n"
		"-A INPUT -j LOG --log-prefix "
		"12345678901234567890123456789 --log-level debug\n"
		"-A INPUT -j LOG --log-level 0 --log-tcp-sequence "
		"--log-ip-options --log-macdecode\n"
		"-A INPUT -j LOG --log-level warning --log-pre=abc\n"
		"-A INPUT -j LOG --log-level emerg\n"
		"-A INPUT -j LOG --log-level panic\n"
		"-A INPUT -j LOG --log-level alert --log-p=crit\n"
		"-A INPUT -j REJECT\n"
		"-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
		"-A INPUT -p tcp -j REJECT --reject-with TCP-RST\n"
		"-A INPUT -j REJECT --reject-with icmp-net-unreachable\n"
		"-A INPUT -j REJECT --reject-with host-unreach\n"
		"-A INPUT -j REJECT --reject-with icmp-proto-unreachable\n"
		"-A INPUT -j REJECT --reject-with port-unreach\n"
		"-A INPUT -j REJECT --reject-with icmp-net-prohibited\n"
		"-A INPUT -j REJECT --reject-with icmp-host-prohibited\n"
		"-A INPUT -j REJECT --reject-with admin-prohib\n"
		"-t mangle -A FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu\n"
		"-t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 1400\n"
		"-t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 65515\n",
		FAMILY_IPV4, true);
	check_lines("-A INPUT -j LOG --log-prefix v6 --log-level notice\n"
		    "-A INPUT -j REJECT\n"
		    "-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
		    "-A INPUT -j REJECT --reject-with icmp6-no-route\n"
		    "-A INPUT -j REJECT --reject-with adm-prohibited\n"
		    "-A INPUT -j REJECT --reject-with icmp6-addr-unreachable\n"
		    "-A INPUT -j REJECT --reject-with port-unreach\n"
		    "-A INPUT -j REJECT --reject-with icmp6-policy-fail\n"
		    "-A INPUT -j REJECT --reject-with REJECT-ROUTE\n"
		    "-t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 65495\n",
		    FAMILY_IPV6, true);
}

/* The spellings and errors of these targets left to the extension. */
static void test_other_targets_fallback(void **state)
{
	(void)state;
	check_lines(
		"-t mangle -A PREROUTING -j MARK --set-mark 010\n"
		"-t mangle -A PREROUTING -j MARK --set-mark 0x\n"
		"-t mangle -A PREROUTING -j MARK --set-mark 5/\n"
		"-t mangle -A PREROUTING -j MARK --set-mark 4294967296\n"
		"-t mangle -A PREROUTING -j MARK --set-mark -1\n"
		"-t mangle -A PREROUTING -j MARK --and-mark 1/2\n"
		"-t mangle -A PREROUTING -j MARK --set-mark 1 --or-mark 2\n"
		"-t mangle -A PREROUTING -j MARK\n"
		"-t mangle -A PREROUTING -j MARK ! --set-mark 1\n"
		"-t mangle -A PREROUTING -j CONNMARK\n"
		"-t mangle -A PREROUTING -j CONNMARK --mask 1\n"
		"-t mangle -A PREROUTING -j CONNMARK --save-mark "
		"--restore-mark\n"
		"-t mangle -A PREROUTING -j CONNMARK --save-mark --mask 1 "
		"--ctmask 2\n"
		"-t mangle -A PREROUTING -j CONNMARK --save-mark --nfmask 1 "
		"--mask 2\n"
		"-t mangle -A PREROUTING -j CONNMARK --save-mark "
		"--left-shift-mark 8\n"
		"-t mangle -A PREROUTING -j CONNMARK --save-mark "
		"--right-shift-mark 33\n"
		"-A INPUT -j LOG --log-level 07\n"
		"-A INPUT -j LOG --log-level 8\n"
		"-A INPUT -j LOG --log-level Info\n"
		"-A INPUT -j LOG --log-level err\n"
		"-A INPUT -j LOG --log-prefix ''\n"
		"-A INPUT -j LOG --log-prefix "
		"123456789012345678901234567890\n"
		"-A INPUT -j REJECT --reject-with icmp-h\n"
		"-A INPUT -j REJECT --reject-with ''\n"
		"-A INPUT -j REJECT --reject-with echo-reply\n"
		"-A INPUT -j REJECT --reject-with icmp6-no-route\n"
		"-t mangle -A FORWARD -p tcp -j TCPMSS\n"
		"-t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 65516\n"
		"-t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 1400 "
		"--clamp-mss-to-pmtu\n",
		FAMILY_IPV4, false);
	check_lines("-A INPUT -j REJECT --reject-with icmp6-a\n"
		    "-A INPUT -j REJECT --reject-with tcp-rst\n"
		    "-A INPUT -j REJECT --reject-with icmp-net-unreachable\n"
		    "-t mangle -A FORWARD -p tcp -j TCPMSS --set-mss 65496\n",
		    FAMILY_IPV6, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat4_native),
		cmocka_unit_test(test_nat6_native),
		cmocka_unit_test(test_nat_fallback),
		cmocka_unit_test(test_nat_refused),
		cmocka_unit_test(test_nat_fallback_warns_once),
		cmocka_unit_test(test_marks_native),
		cmocka_unit_test(test_log_reject_tcpmss_native),
		cmocka_unit_test(test_other_targets_fallback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
