/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_commit_load - commit_ruleset() makes the kernel hold exactly the
 * model: the same tables, chains, policies, rules and counters as
 * iptables-legacy-restore -c of the same ruleset, byte for byte, whatever
 * the tables held before; and tables the model does not name stay as they
 * were.  Each case runs in its own fresh network namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "helpers.h"

/* What the namespaces hold before the commit: user chains that must go, a
 * chain name the model reuses, jumps, and a nat table the model does not
 * name. */
static const char preload[] = "*filter\n"
			      ":INPUT ACCEPT [0:0]\n"
			      ":FORWARD ACCEPT [0:0]\n"
			      ":OUTPUT ACCEPT [0:0]\n"
			      ":old_a - [0:0]\n"
			      ":old_b - [0:0]\n"
			      "[1:2] -A INPUT -j old_a\n"
			      "[0:0] -A OUTPUT -d 10.9.9.9/32 -j DROP\n"
			      "[0:0] -A old_a -j old_b\n"
			      "[0:0] -A old_b -j DROP\n"
			      "COMMIT\n"
			      "*mangle\n"
			      ":PREROUTING ACCEPT [0:0]\n"
			      ":INPUT ACCEPT [0:0]\n"
			      ":FORWARD DROP [4:40]\n"
			      ":OUTPUT ACCEPT [0:0]\n"
			      ":POSTROUTING ACCEPT [0:0]\n"
			      ":mark - [0:0]\n"
			      "[0:0] -A FORWARD -j mark\n"
			      "[9:9] -A mark -j ACCEPT\n"
			      "COMMIT\n"
			      "*nat\n"
			      ":PREROUTING ACCEPT [0:0]\n"
			      ":INPUT ACCEPT [0:0]\n"
			      ":OUTPUT ACCEPT [0:0]\n"
			      ":POSTROUTING ACCEPT [0:0]\n"
			      "[0:0] -A POSTROUTING -s 10.0.0.0/8 -j RETURN\n"
			      "COMMIT\n";

/* The model of build_model(), as iptables-legacy-save -c prints it. */
static const char filter_text[] = "*filter\n"
				  ":INPUT DROP [5:300]\n"
				  ":FORWARD DROP [0:0]\n"
				  ":OUTPUT ACCEPT [0:0]\n"
				  ":log_drop - [0:0]\n"
				  ":svc - [0:0]\n"
				  "[0:0] -A INPUT -i lo -j ACCEPT\n"
				  "[7:420] -A INPUT -p tcp -j svc\n"
				  "[0:0] -A INPUT -s 10.0.0.0/8 -g log_drop\n"
				  "[0:0] -A INPUT\n"
				  "[0:0] -A log_drop -j DROP\n"
				  "[3:180] -A svc -p tcp -j ACCEPT\n"
				  "[0:0] -A svc -j RETURN\n"
				  "COMMIT\n";
/* FORWARD goes from DROP to ACCEPT but keeps the preload's policy
 * counters: the model gives none, and built-in policies keep theirs. */
static const char mangle_text[] =
	"*mangle\n"
	":PREROUTING ACCEPT [0:0]\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD ACCEPT [4:40]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	":mark - [0:0]\n"
	"[0:0] -A PREROUTING -d 192.0.2.0/24 -j mark\n"
	"[0:0] -A mark -p udp -j RETURN\n"
	"COMMIT\n";

/* filter with a user chain, a jump, a goto and DROP policies; mangle with
 * a user chain of the same name as one it holds before. */
static void build_model(struct ruleset *rs)
{
	struct table *f, *m;

	ruleset_init(rs);
	f = ruleset_table(rs, "filter");
	m = ruleset_table(rs, "mangle");
	f->named = m->named = true;
	/* Created in this order on purpose: libiptc sorts user chains. */
	table_add_chain(f, "svc", NULL);
	table_add_chain(f, "log_drop", NULL);
	model_policy(f, "INPUT", POLICY_DROP, 5, 300);
	model_policy(f, "FORWARD", POLICY_DROP, 0, 0);
	model_append(f, "INPUT",
		     &(struct rule_spec){ .in = "lo", .target = "ACCEPT" });
	model_append(
		f, "INPUT",
		&(struct rule_spec){
			.proto = 6, .target = "svc", .pcnt = 7, .bcnt = 420 });
	model_append(f, "INPUT",
		     &(struct rule_spec){ .src = "10.0.0.0/8",
					  .target = "log_drop",
					  .go = true });
	model_append(f, "INPUT", &(struct rule_spec){ .target = "" });
	model_append(f, "svc",
		     &(struct rule_spec){ .proto = 6,
					  .target = "ACCEPT",
					  .pcnt = 3,
					  .bcnt = 180 });
	model_append(f, "svc", &(struct rule_spec){ .target = "RETURN" });
	model_append(f, "log_drop", &(struct rule_spec){ .target = "DROP" });

	table_add_chain(m, "mark", NULL);
	model_append(m, "PREROUTING",
		     &(struct rule_spec){ .dst = "192.0.2.0/24",
					  .target = "mark" });
	model_append(m, "mark",
		     &(struct rule_spec){ .proto = 17, .target = "RETURN" });
}

static void assert_table_text(const struct kstate *ks, const char *name,
			      const char *want)
{
	char *got = kstate_table_text(ks, name);

	if (strcmp(got, want) != 0)
		fail_msg("table %s:\n--- expected:\n%s--- got:\n%s", name, want,
			 got);
	free(got);
}

/* The model goes in; iptables-legacy-restore of the same text in another
 * namespace gives the same save text and the same kernel bytes. */
static void test_load_matches_restore(void **state)
{
	struct commit_options opt = test_commit_options(0);
	struct commit_report report;
	struct kstate ours, oracle, before;
	char *nat_before, *nat_after;
	struct diag_list dl;
	struct ruleset rs;
	char *text;

	test_netns_fresh();
	test_restore(preload);
	kstate_read(&before);
	build_model(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, &report, &dl), 0);
	assert_int_equal(dl.count, 0);
	assert_int_equal(report.status, COMMIT_OK);
	assert_int_equal(report.tables_committed, 2);
	assert_int_equal(report.retries, 0);
	assert_null(report.failed_table);
	kstate_read(&ours);
	assert_table_text(&ours, "filter", filter_text);
	assert_table_text(&ours, "mangle", mangle_text);
	/* nat was not named: untouched, counters included. */
	nat_before = kstate_table_text(&before, "nat");
	nat_after = kstate_table_text(&ours, "nat");
	assert_string_equal(nat_before, nat_after);

	test_netns_fresh();
	test_restore(preload);
	if (asprintf(&text, "%s%s", filter_text, mangle_text) < 0)
		fail();
	test_restore(text);
	kstate_read(&oracle);
	kstate_assert_equal(&oracle, &ours);

	free(text);
	free(nat_before);
	free(nat_after);
	kstate_free(&before);
	kstate_free(&ours);
	kstate_free(&oracle);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

/* Committing the same model twice is harmless and gives the same bytes;
 * a fresh namespace (no table instantiated yet) works too. */
static void test_load_twice_from_nothing(void **state)
{
	struct commit_options opt = test_commit_options(0);
	struct kstate first, second;
	struct diag_list dl;
	struct ruleset rs;

	test_netns_fresh();
	build_model(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, NULL, &dl), 0);
	kstate_read(&first);
	assert_int_equal(commit_ruleset(&rs, &opt, NULL, &dl), 0);
	kstate_read(&second);
	kstate_assert_equal(&first, &second);
	assert_table_text(&second, "filter", filter_text);
	assert_int_equal(dl.count, 0);
	kstate_free(&first);
	kstate_free(&second);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

/* A ruleset that names no table touches nothing: no table appears. */
static void test_nothing_named(void **state)
{
	struct commit_options opt = test_commit_options(0);
	struct commit_report report;
	struct diag_list dl;
	struct ruleset rs;
	struct kstate ks;

	test_netns_fresh();
	ruleset_init(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, &report, &dl), 0);
	assert_int_equal(report.status, COMMIT_OK);
	assert_int_equal(report.tables_committed, 0);
	kstate_read(&ks);
	assert_string_equal(ks.save, "");
	kstate_free(&ks);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

/* libiptc refuses a rule before anything reaches the kernel (a jump to a
 * built-in chain): the error points at the rule, and nothing changed. */
static void test_rule_refused_by_libiptc(void **state)
{
	struct source *src = source_from_string("t.conf", "-A svc -j INPUT\n");
	struct src_loc loc = { .src = src, .line = 1, .col = 1 };
	struct commit_options opt = test_commit_options(0);
	struct commit_report report;
	struct kstate before, after;
	struct diag_list dl;
	struct ruleset rs;

	test_netns_fresh();
	test_restore(preload);
	kstate_read(&before);
	build_model(&rs);
	model_append(ruleset_table(&rs, "filter"), "svc",
		     &(struct rule_spec){ .target = "INPUT", .loc = &loc });
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, &report, &dl), -1);
	assert_int_equal(report.status, COMMIT_REFUSED);
	assert_string_equal(report.failed_table, "filter");
	assert_int_equal(report.tables_committed, 0);
	assert_int_equal(dl.count, 1);
	assert_true(dl.items[0].has_loc);
	assert_ptr_equal(dl.items[0].loc.src, src);
	assert_int_equal(dl.items[0].loc.line, 1);
	assert_true(diag_has(&dl, "chain 'svc'", "'filter'", NULL));
	kstate_read(&after);
	kstate_assert_equal(&before, &after);
	kstate_free(&before);
	kstate_free(&after);
	diag_list_free(&dl);
	ruleset_free(&rs);
	source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_matches_restore),
		cmocka_unit_test(test_load_twice_from_nothing),
		cmocka_unit_test(test_nothing_named),
		cmocka_unit_test(test_rule_refused_by_libiptc),
	};
	int rc;

	test_setup();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_teardown();
	return rc;
}
