/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_xtadapter.c - the libxtables adapter, through its own API and
 * through the pipeline: option lookup as getopt_long does it, clones of an
 * extension used twice, old-API parsers that take more words, errors that
 * leave the next rule unharmed, the checks of the kernel's limits, saving,
 * and what iptload refuses on purpose.  The kernel suite compares the
 * bytes with iptables; these tests pin the behaviour down without root
 * (without the rights to ask the kernel, the newest revision is assumed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "helpers.h"
#include "print.h"
#include "xtadapter.h"

/* The first rule of @chain in @table, printed as iptables-save does. */
static char *printed_rule(struct run *r, const char *table, const char *chain,
			  size_t i)
{
	struct chain *c = get_chain(r, table, chain);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_true(i < c->nrules);
	print_rule(ruleset_table(&r->rs, table), chain, c->rules[i].entry, f);
	fclose(f);
	return text;
}

/* @config must build cleanly; its first INPUT rule prints as @expected. */
static void assert_prints(const char *config, const char *expected)
{
	struct run r;
	char *text;

	assert_int_equal(run_all(&r, config), 0);
	text = printed_rule(&r, "filter", "INPUT", 0);
	assert_string_equal(text, expected);
	free(text);
	run_free(&r);
}

static void test_option_lookup(void **state)
{
	struct xtrule *r = xtadapter_rule_new(FAMILY_IPV4);
	bool missing;
	struct xtext *x = xtadapter_add_match(r, "conntrack", &missing);
	struct xtopt o;

	(void)state;
	assert_non_null(x);
	assert_false(missing);
	assert_string_equal(xtadapter_ext_name(x), "conntrack");
	assert_int_equal(xtadapter_find_option(x, "ctstate", 7, true, &o), 1);
	assert_string_equal(o.name, "ctstate");
	assert_true(o.takes_arg);
	/* --ctsta: --ctstate or --ctstatus. */
	assert_int_equal(xtadapter_find_option(x, "ctsta", 5, false, &o), -1);
	/* --ctex: only --ctexpire. */
	assert_int_equal(xtadapter_find_option(x, "ctex", 4, false, &o), 1);
	assert_string_equal(o.name, "ctexpire");
	assert_int_equal(xtadapter_find_option(x, "ctex", 4, true, &o), 0);
	assert_int_equal(xtadapter_find_option(x, "nosuch", 6, false, &o), 0);
	xtadapter_rule_free(r);
}

static void test_unknown_and_bad_names(void **state)
{
	struct xtrule *r = xtadapter_rule_new(FAMILY_IPV4);
	bool failed, missing;

	(void)state;
	assert_null(xtadapter_add_match(r, "nosuchmatch", &missing));
	assert_true(missing);
	assert_string_equal(xtadapter_error(r), "no match named 'nosuchmatch'");
	/* Never a path for dlopen(). */
	assert_null(xtadapter_add_match(r, "../x", &missing));
	assert_true(missing);
	/* Not an extension: a chain name, not an error. */
	assert_null(xtadapter_add_target(r, "my-chain", &failed));
	assert_false(failed);
	assert_non_null(xtadapter_add_target(r, "LOG", &failed));
	assert_false(failed);
	xtadapter_rule_free(r);
	assert_true(xtadapter_is_target(FAMILY_IPV4, "MASQUERADE"));
	assert_false(xtadapter_is_target(FAMILY_IPV4, "ACCEPT"));
	assert_false(xtadapter_is_target(FAMILY_IPV4, "my-chain"));
}

/* A second -m of the same extension is a clone; the options reach the
 * newest instance, and an option of a later extension shadows it. */
static void test_same_match_twice(void **state)
{
	struct run r;

	(void)state;
	assert_prints("-A INPUT -m mark --mark 1 -m mark ! --mark 2/0xff\n",
		      "-A INPUT -m mark --mark 0x1 -m mark ! --mark 0x2/0xff");
	/* As in iptables: --mark is connmark's here, given twice. */
	assert_int_equal(run_all(&r, "-A INPUT -m mark --mark 1 -m connmark "
				     "--mark 2 -m mark --mark 3\n"),
			 -1);
	assert_error_at(&r, 1, 56,
			"connmark: option \"--mark\" can only be used once.");
	run_free(&r);
}

/* sctp's parser takes the second word of --chunk-types itself. */
static void test_old_api_takes_more_words(void **state)
{
	(void)state;
	assert_prints("-A INPUT -p sctp -m sctp --chunk-types any INIT,DATA "
		      "--dport 1\n",
		      "-A INPUT -p sctp -m sctp --dport 1 --chunk-types any "
		      "DATA,INIT");
	/* And -p sctp alone loads it for --dport, as in iptables. */
	assert_prints("-A INPUT -p sctp --dport 5\n",
		      "-A INPUT -p sctp -m sctp --dport 5");
}

/* An error ends its rule only; every rule starts with fresh flags. */
static void test_errors_are_per_rule(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(
		run_all(&r, "-A INPUT -m connmark --mark 1 --mark 2\n"
			    "-A INPUT -m connmark --mark 3\n"
			    "-A INPUT -m conntrack --ctproto BOGUS\n"
			    "-A INPUT -m conntrack --ctstate NEW\n"
			    "-A INPUT -m hashlimit --hashlimit-upto 1/s\n"),
		-1);
	assert_int_equal(r.dl.errors, 3);
	assert_error_at(&r, 1, 31,
			"connmark: option \"--mark\" can only be used once.");
	/* The message quotes the value: the caret goes under it. */
	assert_error_at(&r, 3, 33, "unknown protocol \"BOGUS\" specified");
	assert_error_at(&r, 5, 13,
			"hashlimit: option \"--hashlimit-name\" must be "
			"specified");
	assert_int_equal(get_chain(&r, "filter", "INPUT")->nrules, 2);
	run_free(&r);
}

static void test_target_options_and_aliases(void **state)
{
	(void)state;
	assert_prints("-A INPUT -j LOG --log-pref=x --log-level 7\n",
		      "-A INPUT -j LOG --log-prefix x --log-level 7");
	assert_prints("-A INPUT -m state --state NEW\n",
		      "-A INPUT -m state --state NEW");
	assert_prints("-A INPUT -j REJECT --reject-with tcp-rst -p tcp\n",
		      "-A INPUT -p tcp -j REJECT --reject-with tcp-reset");
}

/* A chain beats a target extension of its name, as in iptables-restore. */
static void test_chain_named_like_target(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_all(&r, "*filter\n:LOG - [0:0]\n"
				     "-A INPUT -j LOG\nCOMMIT\n"),
			 0);
	assert_string_equal(rule_target(get_chain(&r, "filter", "INPUT"), 0),
			    "LOG");
	assert_true(rule_is_standard(
		FAMILY_IPV4, get_chain(&r, "filter", "INPUT")->rules[0].entry));
	run_free(&r);
	assert_int_equal(run_all(&r,
				 "*filter\n:LOG - [0:0]\n"
				 "-A INPUT -j LOG --log-prefix x\nCOMMIT\n"),
			 -1);
	assert_error_like(&r, "--log-prefix is an option of the LOG target "
			      "extension");
	run_free(&r);
	assert_int_equal(run_all(&r, "-N LOG\n"), -1);
	assert_error_like(&r, "is the name of a target extension");
	run_free(&r);
}

static void test_kernel_limits(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_all(&r, "-A FORWARD -j MASQUERADE\n"
				     "-t nat -A PREROUTING -j MASQUERADE\n"
				     "-t mangle -A FORWARD -p tcp -j TCPMSS "
				     "--set-mss 1400\n"
				     "-A INPUT -m esp --espspi 1\n"),
			 -1);
	assert_error_at(&r, 1, 15,
			"the MASQUERADE target is only valid in the nat table");
	assert_error_at(&r, 2, 25,
			"the MASQUERADE target cannot be used in PREROUTING: "
			"the kernel allows it only in POSTROUTING");
	assert_error_like(&r, "TCPMSS only works on TCP SYN packets");
	assert_error_at(&r, 4, 13, "the esp match needs -p esp");
	run_free(&r);
	/* Through a user chain: the validator, per hook. */
	assert_int_equal(run_all(&r, "-N own\n"
				     "-A own -m owner --uid-owner 0\n"
				     "-A OUTPUT -j own\n"
				     "-A INPUT -j own\n"),
			 -1);
	assert_error_at(&r, 2, 1,
			"the owner match cannot be used in INPUT: the kernel "
			"allows it only in OUTPUT and POSTROUTING (chain own "
			"is reached from INPUT)");
	run_free(&r);
	assert_int_equal(run_all(&r, "-t nat -N masq\n"
				     "-t nat -A masq -j MASQUERADE\n"
				     "-t nat -A POSTROUTING -j masq\n"),
			 0);
	run_free(&r);
}

/* The same checks through the adapter's own entry point. */
static void test_check_entry(void **state)
{
	struct run r;
	struct chain *c;
	char why[256];
	int which = 7;

	(void)state;
	assert_int_equal(run_all(&r, "-t nat -A POSTROUTING -m comment "
				     "--comment x -j MASQUERADE\n"),
			 0);
	c = get_chain(&r, "nat", "POSTROUTING");
	assert_int_equal(xtadapter_check_entry(
				 "nat", 1u << NF_INET_POST_ROUTING, FAMILY_IPV4,
				 c->rules[0].entry, why, sizeof(why), &which),
			 0);
	assert_int_equal(
		xtadapter_check_entry("nat",
				      1u << NF_INET_LOCAL_OUT |
					      1u << NF_INET_POST_ROUTING,
				      FAMILY_IPV4, c->rules[0].entry, why,
				      sizeof(why), &which),
		-1);
	assert_int_equal(which, -1);
	assert_string_equal(why, "the MASQUERADE target cannot be used in "
				 "OUTPUT: the kernel allows it only in "
				 "POSTROUTING");
	assert_int_equal(xtadapter_check_entry("filter", 0, FAMILY_IPV4,
					       c->rules[0].entry, why,
					       sizeof(why), &which),
			 -1);
	run_free(&r);
}

/* What iptables would do silently and iptload refuses. */
static void test_stricter_than_iptables(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_all(&r, "-A INPUT -j LOG --log-prefix "
				     "123456789012345678901234567890\n"
				     "-A INPUT -m conntrack --ctorigsrc "
				     "localhost\n"),
			 -1);
	assert_error_at(&r, 1, 17,
			"LOG: the value of --log-prefix has 30 characters, "
			"but only 29 fit (iptables would cut it short)");
	assert_error_like(&r, "conntrack: \"localhost\" is not an IPv4 "
			      "address, and host names are not resolved");
	run_free(&r);
}

/* What an extension prints on stderr comes back as a warning. */
static void test_notes_are_warnings(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_all(&r, "-A INPUT -j NFLOG --nflog-range 5\n"), 0);
	assert_int_equal(count_sev(&r, DIAG_WARNING), 1);
	assert_string_equal(r.dl.items[0].message,
			    "--nflog-range has never worked and is no longer "
			    "supported, please use --nflog-size instead");
	run_free(&r);
}

/* Saving: unknown names and data of a size the extension does not
 * expect print the name only, never more. */
static void test_save_fallbacks(void **state)
{
	union {
		struct xt_entry_match m;
		unsigned char bytes[64];
	} u;
	struct ipt_ip ip = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&u, 0, sizeof(u));
	u.m.u.user.match_size = sizeof(u);
	strcpy(u.m.u.user.name, "nosuch");
	f = open_memstream(&text, &len);
	assert_int_equal(xtadapter_save_match(FAMILY_IPV4, &ip, &u.m, f), -1);
	/* conntrack's data is far bigger than 32 bytes. */
	strcpy(u.m.u.user.name, "conntrack");
	u.m.u.user.revision = 3;
	assert_int_equal(xtadapter_save_match(FAMILY_IPV4, &ip, &u.m, f), 0);
	fclose(f);
	assert_string_equal(text, " -m conntrack");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_lookup),
		cmocka_unit_test(test_unknown_and_bad_names),
		cmocka_unit_test(test_same_match_twice),
		cmocka_unit_test(test_old_api_takes_more_words),
		cmocka_unit_test(test_errors_are_per_rule),
		cmocka_unit_test(test_target_options_and_aliases),
		cmocka_unit_test(test_chain_named_like_target),
		cmocka_unit_test(test_kernel_limits),
		cmocka_unit_test(test_check_entry),
		cmocka_unit_test(test_stricter_than_iptables),
		cmocka_unit_test(test_notes_are_warnings),
		cmocka_unit_test(test_save_fallbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
