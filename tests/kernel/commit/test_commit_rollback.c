/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_commit_rollback - all or nothing across tables.  Runs with the
 * fail_replace.c shim preloaded, which makes the commit of a chosen table
 * fail as if the kernel had refused it (see IPTLOAD_FAIL there).
 *
 * For every position of the refused table in a ruleset naming raw, mangle,
 * nat and filter, every table must be byte-identical afterwards to what it
 * was before (iptables-legacy-save -c text and the kernel's own bytes,
 * counters included), and the error must name the table.  Also: a real
 * kernel refusal, a refusal that comes after the new rules went live,
 * EAGAIN once (faked and real; with the model dropped, as apply drops it,
 * and built again, or not), EAGAIN forever, and a roll-back that fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <linux/netfilter_ipv4/ipt_ttl.h>

#include "helpers.h"
#include "xtadapter.h"

/* The shim's counters and hook, found at run time. */
static unsigned *shim_failed;
static void (**shim_before)(const char *table, int optname);

/* What every namespace holds before the commit: all four tables, with user
 * chains, jumps, DROP policies and counters that must survive a refusal. */
static const char preload[] =
	"*raw\n"
	":PREROUTING ACCEPT [11:1100]\n"
	":OUTPUT DROP [12:1200]\n"
	":r_old - [0:0]\n"
	"[13:1300] -A PREROUTING -j r_old\n"
	"[14:1400] -A r_old -s 192.0.2.0/24 -j DROP\n"
	"COMMIT\n"
	"*mangle\n"
	":PREROUTING ACCEPT [21:2100]\n"
	":INPUT ACCEPT [0:0]\n"
	":FORWARD DROP [22:2200]\n"
	":OUTPUT ACCEPT [0:0]\n"
	":POSTROUTING ACCEPT [23:2300]\n"
	":m_old - [0:0]\n"
	"[24:2400] -A FORWARD -p udp -g m_old\n"
	"[25:2500] -A m_old -j ACCEPT\n"
	"COMMIT\n"
	"*nat\n"
	":PREROUTING ACCEPT [31:3100]\n"
	":INPUT ACCEPT [0:0]\n"
	":OUTPUT ACCEPT [32:3200]\n"
	":POSTROUTING ACCEPT [0:0]\n"
	":n_old - [0:0]\n"
	":n_zzz - [0:0]\n"
	"[33:3300] -A POSTROUTING -s 10.0.0.0/8 -j n_old\n"
	"[34:3400] -A n_old -j n_zzz\n"
	"[0:0] -A n_zzz -j RETURN\n"
	"COMMIT\n"
	"*filter\n"
	":INPUT DROP [41:4100]\n"
	":FORWARD DROP [42:4200]\n"
	":OUTPUT ACCEPT [43:4300]\n"
	":f_old - [0:0]\n"
	"[44:4400] -A INPUT -i lo -j ACCEPT\n"
	"[45:4500] -A INPUT -p tcp -j f_old\n"
	"[46:4600] -A f_old -j DROP\n"
	"COMMIT\n";

static const char *const order[] = { "raw", "mangle", "nat", "filter" };

/* A model naming raw, mangle, nat and filter, each unlike the preload. */
static void build_model(struct ruleset *rs)
{
	struct table *t;

	ruleset_init(rs);
	t = ruleset_table(rs, "raw");
	t->named = true;
	table_add_chain(t, "r_new", NULL);
	model_append(t, "PREROUTING", &(struct rule_spec){ .target = "r_new" });
	model_append(t, "r_new",
		     &(struct rule_spec){ .proto = 17, .target = "ACCEPT" });

	t = ruleset_table(rs, "mangle");
	t->named = true;
	model_append(t, "OUTPUT",
		     &(struct rule_spec){ .dst = "10.1.0.0/16",
					  .target = "RETURN" });

	t = ruleset_table(rs, "nat");
	t->named = true;
	table_add_chain(t, "n_new", NULL);
	model_append(t, "PREROUTING",
		     &(struct rule_spec){ .target = "n_new", .go = true });

	t = ruleset_table(rs, "filter");
	t->named = true;
	table_add_chain(t, "f_new", NULL);
	model_policy(t, "FORWARD", POLICY_DROP, 0, 0);
	model_append(t, "INPUT", &(struct rule_spec){ .target = "f_new" });
	model_append(t, "f_new",
		     &(struct rule_spec){ .src = "10.2.0.0/16",
					  .target = "ACCEPT" });
}

/* The kernel state after committing the model with no fault at all, read
 * in a namespace of its own. */
static void clean_commit_state(struct kstate *ks)
{
	struct commit_options opt = test_commit_options(0);
	struct diag_list dl;
	struct ruleset rs;

	test_netns_fresh();
	test_restore(preload);
	build_model(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, NULL, &dl), 0);
	kstate_read(ks);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

/* Result of one commit under a fault. */
struct outcome {
	int rc;
	struct commit_report report;
	struct diag_list dl;
	unsigned shim_failed;
	struct kstate before, after;
};

/* The drop_model and rebuild_model hooks of apply, over build_model. */
struct model_hooks {
	struct ruleset *rs;
	unsigned drops, rebuilds;
	bool rebuild_fails; /* as when the config changed meanwhile */
};

static void hook_drop(void *arg, const struct table *t)
{
	struct model_hooks *m = arg;

	m->drops++;
	for (int id = 0; id < RULESET_TABLES; id++)
		if (&m->rs->tables[id] == t)
			table_drop_entries(&m->rs->tables[id]);
}

static int hook_rebuild(void *arg, char *why, size_t size)
{
	struct model_hooks *m = arg;

	m->rebuilds++;
	if (m->rebuild_fails) {
		snprintf(why, size, "the config changed");
		return -1;
	}
	ruleset_free(m->rs);
	build_model(m->rs);
	return 0;
}

/* run() with @hooks (NULL: none) given to commit_ruleset. */
static void run_hooked(const char *fail, bool extra_target,
		       struct model_hooks *hooks, struct outcome *o)
{
	struct commit_options opt = test_commit_options(0);
	struct ruleset rs;

	memset(o, 0, sizeof(*o));
	test_netns_fresh();
	test_restore(preload);
	kstate_read(&o->before);
	build_model(&rs);
	if (extra_target)
		model_append(
			ruleset_table(&rs, "filter"), "INPUT",
			&(struct rule_spec){ .target = "IPTLOAD_NO_SUCH_TARGET",
					     .extension = true });
	if (hooks) {
		hooks->rs = &rs;
		opt.drop_model = hook_drop;
		opt.rebuild_model = hook_rebuild;
		opt.model_arg = hooks;
	}
	diag_list_init(&o->dl);
	setenv("IPTLOAD_FAIL", fail, 1);
	o->rc = commit_ruleset(&rs, &opt, &o->report, &o->dl);
	o->shim_failed = *shim_failed;
	unsetenv("IPTLOAD_FAIL");
	kstate_read(&o->after);
	ruleset_free(&rs);
}

/* In a fresh namespace with the preload: commit the model (plus, when
 * @extra_target, a rule in filter whose target the kernel cannot find)
 * with IPTLOAD_FAIL=@fail. */
static void run(const char *fail, bool extra_target, struct outcome *o)
{
	run_hooked(fail, extra_target, NULL, o);
}

static void outcome_free(struct outcome *o)
{
	diag_list_free(&o->dl);
	kstate_free(&o->before);
	kstate_free(&o->after);
}

/* Fail each table in turn: everything is as before, the error says which
 * table and why, and that the earlier ones were put back. */
static void test_refuse_each_position(void **state)
{
	for (unsigned pos = 0; pos < 4; pos++) {
		char fail[32], quoted[32];
		struct outcome o;

		snprintf(fail, sizeof(fail), "%s:EINVAL", order[pos]);
		snprintf(quoted, sizeof(quoted), "'%s'", order[pos]);
		run(fail, false, &o);
		assert_int_equal(o.rc, -1);
		assert_int_equal(o.shim_failed, 1);
		assert_int_equal(o.report.status, COMMIT_REFUSED);
		assert_string_equal(o.report.failed_table, order[pos]);
		assert_int_equal(o.report.tables_committed, pos);
		assert_int_equal(o.report.tables_restored, pos);
		assert_int_equal(o.dl.errors, 1);
		if (!diag_has(&o.dl, "refused table", quoted,
			      "Invalid argument", "nothing was changed", NULL))
			fail_msg("message: %s", diag_text(&o.dl, 0));
		if (pos > 0 && !diag_has(&o.dl, "'raw'", "put back", NULL))
			fail_msg("message: %s", diag_text(&o.dl, 0));
		kstate_assert_equal(&o.before, &o.after);
		outcome_free(&o);
	}
}

/* The kernel itself refuses filter (an unknown target): raw, mangle and
 * nat, already committed, are put back. */
static void test_kernel_refuses_last_table(void **state)
{
	struct outcome o;

	run("", true, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.shim_failed, 0);
	assert_int_equal(o.report.status, COMMIT_REFUSED);
	assert_string_equal(o.report.failed_table, "filter");
	assert_int_equal(o.report.tables_restored, 3);
	if (!diag_has(&o.dl, "'filter'", "No chain/target/match by that name",
		      "'raw', 'mangle', 'nat'", "put back", NULL))
		fail_msg("message: %s", diag_text(&o.dl, 0));
	kstate_assert_equal(&o.before, &o.after);
	outcome_free(&o);
}

/* The counters of nat cannot be written after its new rules went live:
 * libiptc reports a failure, and nat itself must be put back too. */
static void test_counters_fail_after_replace(void **state)
{
	struct outcome o;

	run("nat.counters:EINVAL:1:1", false, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.shim_failed, 1);
	assert_int_equal(o.report.status, COMMIT_REFUSED);
	assert_string_equal(o.report.failed_table, "nat");
	assert_int_equal(o.report.tables_restored, 3);
	kstate_assert_equal(&o.before, &o.after);
	outcome_free(&o);
}

/* EAGAIN once: the table is read again and committed; success. */
static void test_eagain_once(void **state)
{
	struct kstate clean;
	struct outcome o;

	clean_commit_state(&clean);
	run("mangle:EAGAIN:1:1", false, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.dl.count, 0);
	assert_int_equal(o.shim_failed, 1);
	assert_int_equal(o.report.status, COMMIT_OK);
	assert_int_equal(o.report.retries, 1);
	assert_int_equal(o.report.tables_committed, 4);
	kstate_assert_equal(&clean, &o.after);
	kstate_free(&clean);
	outcome_free(&o);
}

/* The same with each table's model dropped once it is in its handle (as
 * apply does): it is built again for the retry, once, and the outcome is
 * the same. */
static void test_eagain_dropped_model(void **state)
{
	struct model_hooks hooks = { 0 };
	struct kstate clean;
	struct outcome o;

	clean_commit_state(&clean);
	run_hooked("mangle:EAGAIN:1:1", false, &hooks, &o);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.dl.count, 0);
	assert_int_equal(hooks.drops, 4);
	assert_int_equal(hooks.rebuilds, 1);
	assert_int_equal(o.report.retries, 1);
	assert_int_equal(o.report.tables_committed, 4);
	kstate_assert_equal(&clean, &o.after);
	kstate_free(&clean);
	outcome_free(&o);
}

/* A dropped model that cannot be built again as it was: the table is not
 * committed, the error says why, and everything is put back. */
static void test_eagain_rebuild_fails(void **state)
{
	struct model_hooks hooks = { .rebuild_fails = true };
	struct outcome o;

	run_hooked("nat:EAGAIN:1:1", false, &hooks, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(hooks.rebuilds, 1);
	assert_int_equal(o.report.status, COMMIT_REFUSED);
	assert_string_equal(o.report.failed_table, "nat");
	assert_int_equal(o.report.tables_restored, 2);
	if (!diag_has(&o.dl, "'nat'", "could not be built again",
		      "the config changed", NULL))
		fail_msg("message: %s", diag_text(&o.dl, 0));
	kstate_assert_equal(&o.before, &o.after);
	outcome_free(&o);
}

/* Nothing to commit: the model is not dropped. */
static void test_unchanged_not_dropped(void **state)
{
	struct commit_options opt = test_commit_options(0);
	struct model_hooks hooks = { 0 };
	struct diag_list dl;
	struct ruleset rs;

	test_netns_fresh();
	build_model(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, NULL, &dl), 0);
	hooks.rs = &rs;
	opt.drop_model = hook_drop;
	opt.rebuild_model = hook_rebuild;
	opt.model_arg = &hooks;
	assert_int_equal(commit_ruleset(&rs, &opt, NULL, &dl), 0);
	assert_int_equal(hooks.drops, 0);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

/* EAGAIN every time: bounded retries, then a refusal; all put back. */
static void test_eagain_forever(void **state)
{
	struct outcome o;

	run("nat:EAGAIN", false, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.shim_failed, COMMIT_MAX_RETRIES + 1);
	assert_int_equal(o.report.retries, COMMIT_MAX_RETRIES);
	assert_int_equal(o.report.status, COMMIT_REFUSED);
	assert_string_equal(o.report.failed_table, "nat");
	assert_int_equal(o.report.tables_restored, 2);
	if (!diag_has(&o.dl, "'nat'", "kept changing", "xtables lock", NULL))
		fail_msg("message: %s", diag_text(&o.dl, 0));
	kstate_assert_equal(&o.before, &o.after);
	outcome_free(&o);
}

/* Putting raw back fails too: a loud error, status COMMIT_PARTIAL; raw
 * keeps the new version, every other table is as before. */
static void test_roll_back_fails(void **state)
{
	char *raw_after, *mangle_before, *mangle_after;
	struct kstate clean;
	struct outcome o;
	char *raw_clean;

	clean_commit_state(&clean);
	run("nat:EINVAL,raw:EIO:2", false, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.shim_failed, 2);
	assert_int_equal(o.report.status, COMMIT_PARTIAL);
	assert_string_equal(o.report.failed_table, "nat");
	assert_int_equal(o.report.tables_restored, 1);
	assert_true(diag_has(&o.dl, "'nat'", "ROLL-BACK FAILED", "'raw'", "mix",
			     NULL));
	assert_true(diag_has(&o.dl, "ROLL-BACK FAILED", "table 'raw'",
			     "Input/output error", NULL));
	raw_after = kstate_table_text(&o.after, "raw");
	raw_clean = kstate_table_text(&clean, "raw");
	assert_string_equal(raw_after, raw_clean);
	mangle_before = kstate_table_text(&o.before, "mangle");
	mangle_after = kstate_table_text(&o.after, "mangle");
	assert_string_equal(mangle_before, mangle_after);
	free(raw_after);
	free(raw_clean);
	free(mangle_before);
	free(mangle_after);
	kstate_free(&clean);
	outcome_free(&o);
}

/* @text with every "[packets:bytes]" counter written as "[-]". */
static char *without_counters(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	assert_non_null(out);
	while (*text) {
		if (*text == '[' && strchr(text, ']')) {
			text = strchr(text, ']') + 1;
			o += sprintf(o, "[-]");
			continue;
		}
		*o++ = *text++;
	}
	*o = '\0';
	return out;
}

static void assert_table_same(const struct kstate *a, const struct kstate *b,
			      const char *name, bool counters)
{
	char *ta = kstate_table_text(a, name), *tb = kstate_table_text(b, name);

	if (!counters) {
		char *sa = without_counters(ta), *sb = without_counters(tb);

		free(ta);
		free(tb);
		ta = sa;
		tb = sb;
	}
	if (strcmp(ta, tb) != 0)
		fail_msg("table %s:\n--- expected:\n%s--- got:\n%s", name, ta,
			 tb);
	free(ta);
	free(tb);
}

/* Putting raw back works but its counters cannot be written: the rules
 * are as before, the counters are not, and a warning says so; no
 * COMMIT_PARTIAL, since the ruleset is the old one. */
static void test_roll_back_loses_counters(void **state)
{
	struct outcome o;

	run("nat:EINVAL,raw.counters:EIO:2:1", false, &o);
	assert_int_equal(o.rc, -1);
	assert_int_equal(o.shim_failed, 2);
	assert_int_equal(o.report.status, COMMIT_REFUSED);
	assert_int_equal(o.report.tables_restored, 2);
	assert_int_equal(o.dl.errors, 1);
	assert_int_equal(o.dl.warnings, 1);
	assert_true(
		diag_has(&o.dl, "'nat'", "'raw', 'mangle'", "put back", NULL));
	assert_non_null(strstr(diag_text(&o.dl, 1), "'raw' put back, but "
						    "without the packet"));
	assert_table_same(&o.before, &o.after, "raw", false);
	assert_table_same(&o.before, &o.after, "mangle", true);
	assert_table_same(&o.before, &o.after, "nat", true);
	assert_table_same(&o.before, &o.after, "filter", true);
	outcome_free(&o);
}

/* Hook: another program that ignores our lock appends a rule to filter
 * just before our first commit of it reaches the kernel. */
static unsigned race_runs;

static void race_before(const char *table, int optname)
{
	if (strcmp(table, "filter") != 0 || optname != IPT_SO_SET_REPLACE ||
	    race_runs++ > 0)
		return;
	if (test_iptables(test_path(2, "race.lock"), "-t", "filter", "-A",
			  "OUTPUT", "-j", "ACCEPT", NULL) != 0)
		fail_msg("the racing iptables-legacy failed");
}

/* A real race: the kernel answers EAGAIN; we read filter again (with the
 * other program's rule) and replace it; the result is exactly the model.
 * Only filter's policy counters differ from a clean commit: the racing
 * iptables-legacy's own commit reset them (libiptc zeroes built-in
 * policy counters unless told otherwise), before we read them again. */
static void test_real_race(void **state)
{
	struct kstate clean;
	struct outcome o;

	clean_commit_state(&clean);
	race_runs = 0;
	*shim_before = race_before;
	run("", false, &o);
	*shim_before = NULL;
	assert_int_equal(race_runs, 2);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.report.retries, 1);
	assert_int_equal(o.report.status, COMMIT_OK);
	assert_table_same(&clean, &o.after, "raw", true);
	assert_table_same(&clean, &o.after, "mangle", true);
	assert_table_same(&clean, &o.after, "nat", true);
	assert_table_same(&clean, &o.after, "filter", false);
	kstate_free(&clean);
	outcome_free(&o);
}

/* Hook: at every commit call that reaches the kernel, the xtables lock
 * must be held (by the commit, so another open of it cannot take it). */
static unsigned lock_checks, lock_was_free;

static void lock_check_before(const char *table, int optname)
{
	struct commit_options opt = test_commit_options(0);
	int fd = open(opt.lock_path, O_RDONLY | O_CLOEXEC);

	lock_checks++;
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0)
		lock_was_free++;
	if (fd >= 0)
		close(fd);
}

/* The lock is held through the commits and the roll-back, and released
 * when commit_ruleset returns. */
static void test_lock_held_throughout(void **state)
{
	struct commit_options opt = test_commit_options(0);
	struct outcome o;
	int fd;

	lock_checks = lock_was_free = 0;
	*shim_before = lock_check_before;
	run("filter:EINVAL", false, &o);
	*shim_before = NULL;
	assert_int_equal(o.rc, -1);
	/* raw, mangle, nat: SET_REPLACE and SET_ADD_COUNTERS to commit, the
	 * same again to put them back. */
	assert_int_equal(lock_checks, 12);
	assert_int_equal(lock_was_free, 0);
	fd = open(opt.lock_path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	kstate_assert_equal(&o.before, &o.after);
	outcome_free(&o);
}

/* Signal test: how many table commits had reached the kernel when each
 * signal was delivered, and whether the lock was free then. */
static unsigned sig_replaces, sig_seen[3], sig_lock_free[3];
static const int stop_signals[3] = { SIGINT, SIGTERM, SIGHUP };

static void on_stop_signal(int sig)
{
	struct commit_options opt = test_commit_options(0);
	int fd = open(opt.lock_path, O_RDONLY | O_CLOEXEC);

	for (int i = 0; i < 3; i++)
		if (stop_signals[i] == sig) {
			sig_seen[i] = sig_replaces;
			sig_lock_free[i] =
				fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;
		}
	if (fd >= 0)
		close(fd);
}

/* Hook: Ctrl-C, a systemd stop and a hang-up arrive right before the
 * first table's commit. */
static void signal_before(const char *table, int optname)
{
	if (optname != IPT_SO_SET_REPLACE)
		return;
	if (++sig_replaces == 1)
		for (int i = 0; i < 3; i++)
			raise(stop_signals[i]);
}

/* SIGINT, SIGTERM and SIGHUP that arrive between two table commits wait
 * until every table is committed and the lock is released. */
static void test_signals_wait_for_the_end(void **state)
{
	struct sigaction sa = { .sa_handler = on_stop_signal }, old[3];
	struct kstate clean;
	struct outcome o;

	clean_commit_state(&clean);
	sig_replaces = 0;
	memset(sig_seen, 0, sizeof(sig_seen));
	for (int i = 0; i < 3; i++)
		sigaction(stop_signals[i], &sa, &old[i]);
	*shim_before = signal_before;
	run("", false, &o);
	*shim_before = NULL;
	for (int i = 0; i < 3; i++)
		sigaction(stop_signals[i], &old[i], NULL);
	assert_int_equal(o.rc, 0);
	assert_int_equal(o.report.tables_committed, 4);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sig_seen[i], 4);
		assert_true(sig_lock_free[i]);
	}
	kstate_assert_equal(&clean, &o.after);
	kstate_free(&clean);
	outcome_free(&o);
}

/* Sealed-libxtables test: what saving a match libxtables has not loaded
 * yet gave while the lock was held. */
static int sealed_save_rc = 1;
static bool sealed_loaded;

/* Whether libipt_ttl.so is mapped into this process. */
static bool ttl_loaded(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "libipt_ttl.so") != NULL;
	fclose(f);
	return found;
}

/* "-m ttl --ttl-eq 5" as an entry's match. */
static int save_ttl(void)
{
	/* A byte buffer, not a struct: xt_entry_match ends in a flexible
	 * array, which clang refuses in the middle of a struct. */
	_Alignas(8) unsigned char buf[XT_ALIGN(sizeof(struct xt_entry_match)) +
				      XT_ALIGN(sizeof(struct ipt_ttl_info))] = { 0 };
	struct xt_entry_match *m = (struct xt_entry_match *)buf;
	struct ipt_ttl_info *info = (struct ipt_ttl_info *)m->data;
	struct ipt_ip ip = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	m->u.match_size = sizeof(buf);
	strcpy(m->u.user.name, "ttl");
	info->mode = IPT_TTL_EQ;
	info->ttl = 5;
	rc = xtadapter_save_match(FAMILY_IPV4, &ip, m, out);
	fclose(out);
	free(text);
	return rc;
}

static void sealed_before(const char *table, int optname)
{
	if (optname != IPT_SO_SET_REPLACE || sealed_save_rc != 1)
		return;
	sealed_save_rc = save_ttl();
	sealed_loaded = ttl_loaded();
}

/* Under the lock the planner can load no extension (libxtables exit()s
 * where a .so fails to register): an extension not loaded before is "not
 * known"; once the lock is released it loads again. */
static void test_no_extension_load_under_lock(void **state)
{
	struct outcome o;

	assert_false(ttl_loaded());
	*shim_before = sealed_before;
	run("", false, &o);
	*shim_before = NULL;
	assert_int_equal(o.rc, 0);
	assert_int_equal(sealed_save_rc, -1);
	assert_false(sealed_loaded);
	assert_int_equal(save_ttl(), 0);
	assert_true(ttl_loaded());
	outcome_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_each_position),
		cmocka_unit_test(test_kernel_refuses_last_table),
		cmocka_unit_test(test_counters_fail_after_replace),
		cmocka_unit_test(test_eagain_once),
		cmocka_unit_test(test_eagain_dropped_model),
		cmocka_unit_test(test_eagain_rebuild_fails),
		cmocka_unit_test(test_unchanged_not_dropped),
		cmocka_unit_test(test_eagain_forever),
		cmocka_unit_test(test_roll_back_fails),
		cmocka_unit_test(test_roll_back_loses_counters),
		cmocka_unit_test(test_real_race),
		cmocka_unit_test(test_lock_held_throughout),
		cmocka_unit_test(test_signals_wait_for_the_end),
		cmocka_unit_test(test_no_extension_load_under_lock),
	};
	int rc;

	shim_failed = dlsym(RTLD_DEFAULT, "fail_replace_failed");
	shim_before = dlsym(RTLD_DEFAULT, "fail_replace_before");
	if (!shim_failed || !shim_before) {
		fprintf(stderr, "fail_replace.so is not preloaded "
				"(LD_PRELOAD); meson test sets it\n");
		return 1;
	}
	test_setup();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_teardown();
	return rc;
}
