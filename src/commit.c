/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commit.c - loads the named tables of a ruleset into the kernel.
 *
 * The only file that includes <libiptc/libiptc.h>.  One function,
 * commit_ruleset(), owns the transaction:
 *
 *   1. take the xtables lock (the same flock iptables -w uses);
 *   2. for every named table, in enum table_id order: iptc_init, copy the
 *      live state into a snapshot, then edit the handle until it holds
 *      exactly the model (nothing reaches the kernel yet);
 *   3. commit the handles in the same order; on EAGAIN re-read, rebuild and
 *      commit again, a bounded number of times;
 *   4. if table N is refused, rebuild tables 1..N-1 (and N, if the refusal
 *      came after its rules went live) from their snapshots and commit them;
 *   5. free the handles, then drop the lock.
 *
 * libiptc keeps global state (the last function called, for
 * iptc_strerror), so everything here runs in one thread, and errno is
 * decoded right after the call that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libiptc.h>

#include "commit.h"

#define LOCK_DEFAULT_PATH "/run/xtables.lock"
#define NSEC_PER_SEC 1000000000LL
/* Lock polling starts at 1 ms and doubles up to this pause. */
#define LOCK_POLL_MAX_NS (20 * 1000 * 1000LL)

/* Which libiptc step failed; selects the wording of the error. */
enum fail_step {
	FAIL_INIT,
	FAIL_SNAPSHOT,
	FAIL_CLEAR,
	FAIL_CREATE,
	FAIL_POLICY,
	FAIL_APPEND,
	FAIL_COMMIT,
};

/*
 * Why a libiptc call failed: errno and libiptc's text for it, both taken
 * right after the call (any later libiptc call changes what iptc_strerror
 * says), the chain concerned, and the config location to blame, if any.
 */
struct iptc_failure {
	enum fail_step step;
	int err;
	char reason[128];
	char chain[XT_TABLE_MAXNAMELEN];
	const struct src_loc *loc;
};

/*
 * A table's live state in model form: chains in libiptc's order, each rule
 * a malloc'd copy of the kernel's entry whose standard target names its
 * verdict or chain again, as iptc_append_entry wants it.
 */
struct snapshot {
	struct chain **chains;
	size_t nchains;
};

/* One named table's part of the transaction. */
struct table_txn {
	const struct table *model;
	struct xtc_handle *h;	/* being edited; NULL once freed */
	struct snapshot before; /* the live state @h was read from */
};

/* The whole transaction: the named tables in commit order. */
struct txn {
	struct table_txn tables[TABLE_COUNT];
	size_t count;
	struct commit_report *report;
	struct diag_list *dl;
};

/* ---- the xtables lock ---- */

/* The lock file: the option, else $XTABLES_LOCKFILE (as iptables reads
 * it), else the path iptables was built with. */
static const char *lock_path(const struct commit_options *opt)
{
	const char *env;

	if (opt && opt->lock_path)
		return opt->lock_path;
	env = getenv("XTABLES_LOCKFILE");
	if (env && env[0] != '\0')
		return env;
	return LOCK_DEFAULT_PATH;
}

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * Try for the lock until @deadline (CLOCK_MONOTONIC ns).  Polling with
 * LOCK_NB, rather than a blocking flock cut short by alarm() as iptables
 * does, leaves the process's signal handlers and timers alone and cannot
 * miss a deadline that expires before flock starts to sleep.  Returns 0,
 * or -1 with errno (EWOULDBLOCK when the deadline passed).
 */
static int lock_poll(int fd, int64_t deadline)
{
	int64_t pause = NSEC_PER_SEC / 1000;
	int64_t now, step;
	struct timespec ts;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		now = monotonic_ns();
		if (now >= deadline) {
			errno = EWOULDBLOCK;
			return -1;
		}
		step = deadline - now < pause ? deadline - now : pause;
		ts.tv_sec = step / NSEC_PER_SEC;
		ts.tv_nsec = step % NSEC_PER_SEC;
		nanosleep(&ts, NULL);
		if (pause < LOCK_POLL_MAX_NS)
			pause *= 2;
	}
}

/* Wait for the lock without a bound: a blocking flock, resumed after
 * signals. */
static int lock_block(int fd)
{
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* Say why the lock could not be had; always returns -1. */
static int lock_error(const char *path, int wait, int err, struct diag_list *dl)
{
	if (err != EWOULDBLOCK) {
		diag_error(dl, NULL, 1, "cannot take the xtables lock %s: %s",
			   path, strerror(err));
		return -1;
	}
	if (wait == 0) {
		diag_error(dl, NULL, 1,
			   "another program is holding the xtables lock (%s)",
			   path);
		diag_hint(dl, "use -w SECONDS to wait for it, or -w alone to "
			      "wait as long as it takes");
	} else {
		diag_error(dl, NULL, 1,
			   "another program is still holding the xtables lock "
			   "(%s) after %d second%s",
			   path, wait, wait == 1 ? "" : "s");
		diag_hint(dl, "use a larger -w SECONDS to wait longer, or -w "
			      "alone to wait as long as it takes");
	}
	return -1;
}

/*
 * Take the xtables lock, waiting @opt->wait_seconds at most (-1: as long
 * as it takes).  Returns the descriptor that holds it (closing it releases
 * the lock), or -1 with an error in @dl.
 */
static int lock_take(const struct commit_options *opt, struct diag_list *dl)
{
	const char *path = lock_path(opt);
	int wait = opt ? opt->wait_seconds : 0;
	int fd, rc, err;

	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return lock_error(path, wait, errno, dl);
	if (wait < 0)
		rc = lock_block(fd);
	else
		rc = lock_poll(fd, monotonic_ns() + wait * NSEC_PER_SEC);
	if (rc == 0)
		return fd;
	err = errno;
	close(fd);
	return lock_error(path, wait, err, dl);
}

/* ---- failures ---- */

/* Record why the libiptc call just made failed.  Call it first thing: it
 * reads errno and asks iptc_strerror before anything else can change
 * them. */
static void failure_take(struct iptc_failure *f, enum fail_step step,
			 const char *chain, const struct src_loc *loc)
{
	f->err = errno;
	snprintf(f->reason, sizeof(f->reason), "%s", iptc_strerror(f->err));
	f->step = step;
	snprintf(f->chain, sizeof(f->chain), "%s", chain ? chain : "");
	f->loc = loc && loc->src ? loc : NULL;
}

/* A failure of our own making (out of memory, an unrestorable policy). */
static void failure_set(struct iptc_failure *f, enum fail_step step, int err,
			const char *reason, const char *chain)
{
	f->err = err;
	snprintf(f->reason, sizeof(f->reason), "%s",
		 reason ? reason : strerror(err));
	f->step = step;
	snprintf(f->chain, sizeof(f->chain), "%s", chain ? chain : "");
	f->loc = NULL;
}

/* A zero-padded xt_chainlabel holding @name: libiptc's prototypes take
 * 32-byte arrays and may read all of them. */
static void label_set(xt_chainlabel label, const char *name)
{
	memset(label, 0, sizeof(xt_chainlabel));
	snprintf(label, sizeof(xt_chainlabel), "%s", name);
}

static const char *policy_name(enum chain_policy p)
{
	return p == POLICY_DROP ? IPTC_LABEL_DROP : IPTC_LABEL_ACCEPT;
}

/* ---- snapshots ---- */

static void chain_free_copy(struct chain *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i].entry);
	free(c->rules);
	free(c);
}

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->nchains; i++)
		chain_free_copy(s->chains[i]);
	free(s->chains);
	s->chains = NULL;
	s->nchains = 0;
}

/* The hook of built-in chain @name, or -1. */
static int builtin_hook(const char *name)
{
	for (int hook = 0; hook < NF_INET_NUMHOOKS; hook++) {
		if (strcmp(hook_chain_name(hook), name) == 0)
			return hook;
	}
	return -1;
}

/*
 * Copy rule @e, read from handle @h, in the form iptc_append_entry takes.
 * In a handle a standard target carries the kernel's verdict or jump
 * offset under the empty name; iptc_get_target() gives the verdict or
 * chain name back ("" for a fall-through).
 */
static struct ipt_entry *entry_copy(const struct ipt_entry *e,
				    struct xtc_handle *h)
{
	struct ipt_entry *copy = malloc(e->next_offset);
	struct xt_entry_target *t;

	if (!copy)
		return NULL;
	memcpy(copy, e, e->next_offset);
	t = (struct xt_entry_target *)((char *)copy + copy->target_offset);
	if (t->u.user.name[0] == '\0') {
		const char *name = iptc_get_target(e, h);

		memset(t->u.user.name, 0, sizeof(t->u.user.name));
		snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	}
	return copy;
}

/* Append a copy of rule @e to snapshot chain @c. */
static int chain_copy_rule(struct chain *c, const struct ipt_entry *e,
			   struct xtc_handle *h)
{
	struct rule *rules;

	if (c->nrules == c->capacity) {
		size_t cap = c->capacity ? 2 * c->capacity : 8;

		rules = realloc(c->rules, cap * sizeof(*rules));
		if (!rules)
			return -1;
		c->rules = rules;
		c->capacity = cap;
	}
	memset(&c->rules[c->nrules], 0, sizeof(c->rules[0]));
	c->rules[c->nrules].entry = entry_copy(e, h);
	if (!c->rules[c->nrules].entry)
		return -1;
	c->nrules++;
	return 0;
}

/* A snapshot chain for chain @name of @h, with its policy but no rules. */
static struct chain *chain_copy_head(const char *name, struct xtc_handle *h,
				     struct iptc_failure *f)
{
	struct chain *c = calloc(1, sizeof(*c));
	const char *policy;

	if (!c) {
		failure_set(f, FAIL_SNAPSHOT, ENOMEM, NULL, name);
		return NULL;
	}
	label_set(c->name, name);
	c->hook = -1;
	c->policy = POLICY_NONE;
	if (!iptc_builtin(name, h))
		return c;
	c->hook = builtin_hook(name);
	policy = iptc_get_policy(name, &c->policy_counters, h);
	if (policy && strcmp(policy, IPTC_LABEL_ACCEPT) == 0)
		c->policy = POLICY_ACCEPT;
	else if (policy && strcmp(policy, IPTC_LABEL_DROP) == 0)
		c->policy = POLICY_DROP;
	if (c->hook < 0 || c->policy == POLICY_NONE) {
		/* libiptc could not put such a chain back. */
		failure_set(f, FAIL_SNAPSHOT, EINVAL,
			    "built-in chain with a policy other than ACCEPT "
			    "or DROP",
			    name);
		free(c);
		return NULL;
	}
	return c;
}

static int snapshot_add(struct snapshot *s, struct chain *c)
{
	struct chain **chains;

	chains = realloc(s->chains, (s->nchains + 1) * sizeof(*chains));
	if (!chains)
		return -1;
	s->chains = chains;
	s->chains[s->nchains++] = c;
	return 0;
}

/* Copy what handle @h holds (as read at iptc_init) into @s. */
static int snapshot_take(struct xtc_handle *h, struct snapshot *s,
			 struct iptc_failure *f)
{
	const struct ipt_entry *e;
	const char *name;
	struct chain *c;

	for (name = iptc_first_chain(h); name; name = iptc_next_chain(h)) {
		c = chain_copy_head(name, h, f);
		if (!c)
			goto fail;
		if (snapshot_add(s, c) < 0) {
			chain_free_copy(c);
			goto nomem;
		}
		for (e = iptc_first_rule(name, h); e; e = iptc_next_rule(e, h))
			if (chain_copy_rule(c, e, h) < 0)
				goto nomem;
	}
	return 0;
nomem:
	failure_set(f, FAIL_SNAPSHOT, ENOMEM, NULL, NULL);
fail:
	snapshot_free(s);
	return -1;
}

/* True when rules @a and @b are the same bytes, counters aside. */
static bool entry_same(const struct ipt_entry *a, const struct ipt_entry *b)
{
	size_t at = offsetof(struct ipt_entry, counters);
	size_t after = at + sizeof(a->counters);

	return a->next_offset == b->next_offset && memcmp(a, b, at) == 0 &&
	       memcmp((const char *)a + after, (const char *)b + after,
		      a->next_offset - after) == 0;
}

static bool chain_same(const struct chain *a, const struct chain *b)
{
	if (memcmp(a->name, b->name, sizeof(a->name)) != 0 ||
	    a->hook != b->hook || a->policy != b->policy ||
	    a->nrules != b->nrules)
		return false;
	for (size_t i = 0; i < a->nrules; i++) {
		if (!entry_same(a->rules[i].entry, b->rules[i].entry))
			return false;
	}
	return true;
}

/* True when two snapshots hold the same table, counters aside. */
static bool snapshot_same(const struct snapshot *a, const struct snapshot *b)
{
	if (a->nchains != b->nchains)
		return false;
	for (size_t i = 0; i < a->nchains; i++) {
		if (!chain_same(a->chains[i], b->chains[i]))
			return false;
	}
	return true;
}

/* ---- making a handle hold a list of chains ---- */

/* Names of every chain in @h, copied: the chain iterator lives in the
 * handle and must not run while chains are flushed or deleted. */
static xt_chainlabel *handle_chain_names(struct xtc_handle *h, size_t *n)
{
	xt_chainlabel *names = NULL, *more;
	const char *name;

	*n = 0;
	for (name = iptc_first_chain(h); name; name = iptc_next_chain(h)) {
		more = realloc(names, (*n + 1) * sizeof(*names));
		if (!more) {
			free(names);
			return NULL;
		}
		names = more;
		label_set(names[(*n)++], name);
	}
	if (!names)
		names = malloc(sizeof(*names));
	return names;
}

/* Empty @h: flush every chain (which drops every jump), then delete every
 * user chain. */
static int handle_clear(struct xtc_handle *h, struct iptc_failure *f)
{
	xt_chainlabel *names;
	size_t n, i;
	int rc = -1;

	names = handle_chain_names(h, &n);
	if (!names) {
		failure_set(f, FAIL_CLEAR, ENOMEM, NULL, NULL);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!iptc_flush_entries(names[i], h)) {
			failure_take(f, FAIL_CLEAR, names[i], NULL);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (iptc_builtin(names[i], h))
			continue;
		if (!iptc_delete_chain(names[i], h)) {
			failure_take(f, FAIL_CLEAR, names[i], NULL);
			goto out;
		}
	}
	rc = 0;
out:
	free(names);
	return rc;
}

/* Create the user chains and set the built-in policies, with their
 * counters, before any rule can jump anywhere. */
static int handle_add_chains(struct xtc_handle *h, struct chain *const *chains,
			     size_t n, struct iptc_failure *f)
{
	xt_chainlabel label, policy;
	struct xt_counters counters;

	for (size_t i = 0; i < n; i++) {
		const struct chain *c = chains[i];

		label_set(label, c->name);
		if (c->hook < 0) {
			if (!iptc_create_chain(label, h)) {
				failure_take(f, FAIL_CREATE, c->name, &c->loc);
				return -1;
			}
			continue;
		}
		label_set(policy, policy_name(c->policy));
		counters = c->policy_counters;
		if (!iptc_set_policy(label, policy, &counters, h)) {
			failure_take(f, FAIL_POLICY, c->name, &c->loc);
			return -1;
		}
	}
	return 0;
}

static int handle_add_rules(struct xtc_handle *h, struct chain *const *chains,
			    size_t n, struct iptc_failure *f)
{
	xt_chainlabel label;

	for (size_t i = 0; i < n; i++) {
		const struct chain *c = chains[i];

		label_set(label, c->name);
		for (size_t j = 0; j < c->nrules; j++) {
			const struct rule *r = &c->rules[j];

			if (!iptc_append_entry(label, r->entry, h)) {
				failure_take(f, FAIL_APPEND, c->name, &r->loc);
				return -1;
			}
		}
	}
	return 0;
}

/* Edit @h (in memory) until it holds exactly @chains: their user chains,
 * policies, policy counters, rules and rule counters. */
static int handle_load(struct xtc_handle *h, struct chain *const *chains,
		       size_t n, struct iptc_failure *f)
{
	if (handle_clear(h, f) < 0 || handle_add_chains(h, chains, n, f) < 0 ||
	    handle_add_rules(h, chains, n, f) < 0)
		return -1;
	return 0;
}

/*
 * Read table @name and, when @before is given, copy its live state there;
 * then make the handle hold @chains.  Returns the handle, or NULL.
 */
static struct xtc_handle *handle_open(const char *name,
				      struct chain *const *chains, size_t n,
				      struct snapshot *before,
				      struct iptc_failure *f)
{
	struct xtc_handle *h = iptc_init(name);

	if (!h) {
		failure_take(f, FAIL_INIT, NULL, NULL);
		return NULL;
	}
	if ((before && snapshot_take(h, before, f) < 0) ||
	    handle_load(h, chains, n, f) < 0) {
		iptc_free(h);
		if (before)
			snapshot_free(before);
		return NULL;
	}
	return h;
}

/*
 * Commit *@hp.  On EAGAIN (the table changed since it was read) read it
 * again, re-snapshot it into @before when given, rebuild and commit again,
 * COMMIT_MAX_RETRIES times at most.  *@hp stays owned by the caller; it is
 * NULL if a re-read failed.
 */
static int handle_commit(struct xtc_handle **hp, const char *name,
			 struct chain *const *chains, size_t n,
			 struct snapshot *before, unsigned *retries,
			 struct iptc_failure *f)
{
	for (unsigned tries = 0;; tries++) {
		if (iptc_commit(*hp))
			return 0;
		failure_take(f, FAIL_COMMIT, NULL, NULL);
		if (f->err != EAGAIN || tries == COMMIT_MAX_RETRIES)
			return -1;
		(*retries)++;
		iptc_free(*hp);
		if (before)
			snapshot_free(before);
		*hp = handle_open(name, chains, n, before, f);
		if (!*hp)
			return -1;
	}
}

/* ---- the transaction ---- */

static const struct src_loc *table_loc(const struct table *t)
{
	return t->loc.src ? &t->loc : NULL;
}

/* Report a failure to read or build table @t, before anything was
 * committed. */
static void report_build_failure(struct txn *x, const struct table *t,
				 const struct iptc_failure *f)
{
	const struct src_loc *loc = f->loc ? f->loc : table_loc(t);
	const char *name = t->name;

	switch (f->step) {
	case FAIL_INIT:
		diag_error(x->dl, loc, 1,
			   "cannot read table '%s' from the kernel: %s", name,
			   f->reason);
		break;
	case FAIL_SNAPSHOT:
		diag_error(x->dl, loc, 1,
			   "cannot copy table '%s' before changing it%s%s%s: "
			   "%s",
			   name, f->chain[0] ? " (chain '" : "", f->chain,
			   f->chain[0] ? "')" : "", f->reason);
		break;
	case FAIL_CLEAR:
		diag_error(x->dl, loc, 1,
			   "cannot empty chain '%s' of table '%s': %s",
			   f->chain, name, f->reason);
		break;
	case FAIL_CREATE:
		diag_error(x->dl, loc, 1,
			   "cannot create chain '%s' in table '%s': %s",
			   f->chain, name, f->reason);
		break;
	case FAIL_POLICY:
		diag_error(x->dl, loc, 1,
			   "cannot set the policy of chain '%s' in table '%s': "
			   "%s",
			   f->chain, name, f->reason);
		break;
	case FAIL_APPEND:
		diag_error(x->dl, loc, 1,
			   "libiptc refused this rule in chain '%s' of table "
			   "'%s': %s",
			   f->chain, name, f->reason);
		break;
	case FAIL_COMMIT:
		diag_error(x->dl, loc, 1, "cannot commit table '%s': %s", name,
			   f->reason);
		break;
	}
}

/* Read every named table and build its new contents in memory.  Nothing
 * reaches the kernel; on failure nothing was changed. */
static int txn_prepare(struct txn *x)
{
	struct iptc_failure f;

	for (size_t i = 0; i < x->count; i++) {
		struct table_txn *tt = &x->tables[i];
		const struct table *t = tt->model;

		tt->h = handle_open(t->name, t->chains, t->nchains, &tt->before,
				    &f);
		if (!tt->h) {
			x->report->failed_table = t->name;
			report_build_failure(x, t, &f);
			return -1;
		}
	}
	return 0;
}

/*
 * True when the kernel holds table @tt as it was read into @tt->before,
 * counters aside; false when it differs or cannot be read.  libiptc reports
 * a failed commit when only the counters could not be written, after the
 * new rules went live: this tells which of the two happened.
 */
static bool table_matches_snapshot(struct table_txn *tt)
{
	struct snapshot now = { 0 };
	struct iptc_failure f;
	struct xtc_handle *h;
	bool same;

	h = iptc_init(tt->model->name);
	if (!h)
		return false;
	if (snapshot_take(h, &now, &f) < 0) {
		iptc_free(h);
		return false;
	}
	same = snapshot_same(&now, &tt->before);
	snapshot_free(&now);
	iptc_free(h);
	return same;
}

/* True when a failed commit may have changed the table anyway: EAGAIN
 * means the kernel applied nothing, any other error may come after. */
static bool failure_may_have_applied(const struct iptc_failure *f)
{
	return f->step == FAIL_COMMIT && f->err != EAGAIN;
}

/* Put table @tt back as it was read; returns 0 or -1 with @f set. */
static int table_restore(struct txn *x, struct table_txn *tt,
			 struct iptc_failure *f)
{
	struct xtc_handle *h;
	int rc;

	h = handle_open(tt->model->name, tt->before.chains, tt->before.nchains,
			NULL, f);
	if (!h)
		return -1;
	rc = handle_commit(&h, tt->model->name, tt->before.chains,
			   tt->before.nchains, NULL, &x->report->retries, f);
	if (h)
		iptc_free(h);
	return rc;
}

/* Append "'name'" to a list of table names being built in @buf. */
static void names_append(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s'%s'", len ? ", " : "", name);
}

/* What putting tables back achieved, for the error message. */
struct roll_back {
	char restored[96];    /* tables put back, as a list */
	char lost[96];	      /* tables that could not be */
	char no_counters[96]; /* put back without their counters */
	unsigned nrestored, nlost;
	struct iptc_failure why[TABLE_COUNT]; /* per table, if lost */
	bool failed[TABLE_COUNT];
};

/* Put back tables 0..@last-1 of @x from their snapshots. */
static void txn_restore(struct txn *x, size_t last, struct roll_back *rb)
{
	for (size_t i = 0; i < last; i++) {
		struct table_txn *tt = &x->tables[i];

		if (table_restore(x, tt, &rb->why[i]) == 0) {
			x->report->tables_restored++;
			rb->nrestored++;
			names_append(rb->restored, sizeof(rb->restored),
				     tt->model->name);
			continue;
		}
		if (failure_may_have_applied(&rb->why[i]) &&
		    table_matches_snapshot(tt)) {
			/* The rules are back; only the counters are not. */
			x->report->tables_restored++;
			rb->nrestored++;
			names_append(rb->restored, sizeof(rb->restored),
				     tt->model->name);
			names_append(rb->no_counters, sizeof(rb->no_counters),
				     tt->model->name);
			continue;
		}
		rb->failed[i] = true;
		rb->nlost++;
		names_append(rb->lost, sizeof(rb->lost), tt->model->name);
	}
}

/* What became of the other tables, in words. */
static void roll_back_outcome(const struct roll_back *rb, char *buf,
			      size_t size)
{
	if (rb->nlost > 0)
		snprintf(buf, size,
			 "ROLL-BACK FAILED: %s could not be put back as %s, "
			 "so the kernel holds a mix of the old and the new "
			 "ruleset%s%s",
			 rb->lost, rb->nlost == 1 ? "it was" : "they were",
			 rb->restored[0] ? "; put back: " : "", rb->restored);
	else if (rb->nrestored > 0)
		snprintf(
			buf, size,
			"nothing was changed (%s had been committed and %s put "
			"back as before)",
			rb->restored, rb->nrestored == 1 ? "was" : "were");
	else
		snprintf(buf, size, "nothing was changed");
}

/* The refusal of table @t, with what the roll-back achieved. */
static void report_refusal(struct txn *x, const struct table *t,
			   const struct iptc_failure *f,
			   const struct roll_back *rb)
{
	char retries[80] = "", outcome[384];

	if (f->err == EAGAIN)
		snprintf(retries, sizeof(retries),
			 " %d times in a row (it kept changing under us)",
			 COMMIT_MAX_RETRIES + 1);
	roll_back_outcome(rb, outcome, sizeof(outcome));
	diag_error(x->dl, table_loc(t), 1,
		   "the kernel refused table '%s'%s: %s; %s", t->name, retries,
		   f->reason, outcome);
	if (f->err == EAGAIN)
		diag_hint(x->dl,
			  "another program that ignores the xtables "
			  "lock is editing it; try again when it is done");
	else
		diag_hint(x->dl, "the kernel log (dmesg) may tell why");
}

/*
 * Table @failed was refused with @f after tables 0..@failed-1 were
 * committed.  Put those back, and @failed itself if its rules went live,
 * then report.
 */
static void txn_roll_back(struct txn *x, size_t failed,
			  const struct iptc_failure *f)
{
	struct table_txn *bad = &x->tables[failed];
	struct roll_back rb;
	size_t last = failed;

	memset(&rb, 0, sizeof(rb));
	if (failure_may_have_applied(f) && !table_matches_snapshot(bad))
		last = failed + 1;
	txn_restore(x, last, &rb);
	x->report->failed_table = bad->model->name;
	x->report->status = rb.nlost > 0 ? COMMIT_PARTIAL : COMMIT_REFUSED;
	if (f->step == FAIL_COMMIT) {
		report_refusal(x, bad->model, f, &rb);
	} else {
		/* Re-reading the table after EAGAIN failed. */
		char outcome[384];

		report_build_failure(x, bad->model, f);
		roll_back_outcome(&rb, outcome, sizeof(outcome));
		diag_hint(x->dl, "%s", outcome);
	}
	for (size_t i = 0; i < last; i++) {
		const struct table *t = x->tables[i].model;

		if (!rb.failed[i])
			continue;
		diag_error(x->dl, table_loc(t), 1,
			   "ROLL-BACK FAILED: table '%s' could not be put back "
			   "as it was: %s; it holds this config's version",
			   t->name, rb.why[i].reason);
	}
	if (rb.no_counters[0])
		diag_warning(x->dl, NULL, 1,
			     "%s put back, but without the packet and byte "
			     "counters it had",
			     rb.no_counters);
}

/* Commit the prepared tables in order; roll back on the first refusal. */
static int txn_commit(struct txn *x)
{
	struct iptc_failure f;

	for (size_t i = 0; i < x->count; i++) {
		struct table_txn *tt = &x->tables[i];
		const struct table *t = tt->model;

		if (handle_commit(&tt->h, t->name, t->chains, t->nchains,
				  &tt->before, &x->report->retries, &f) < 0) {
			txn_roll_back(x, i, &f);
			return -1;
		}
		x->report->tables_committed++;
	}
	return 0;
}

static void txn_free(struct txn *x)
{
	for (size_t i = 0; i < x->count; i++) {
		if (x->tables[i].h)
			iptc_free(x->tables[i].h);
		snapshot_free(&x->tables[i].before);
	}
}

int commit_ruleset(const struct ruleset *rs, const struct commit_options *opt,
		   struct commit_report *report, struct diag_list *dl)
{
	struct commit_report scratch;
	struct txn x = { .count = 0 };
	int lock_fd, rc;

	x.report = report ? report : &scratch;
	x.dl = dl;
	memset(x.report, 0, sizeof(*x.report));
	for (int id = 0; id < TABLE_COUNT; id++) {
		if (rs->tables[id].named)
			x.tables[x.count++].model = &rs->tables[id];
	}
	if (x.count == 0)
		return 0;

	lock_fd = lock_take(opt, dl);
	if (lock_fd < 0) {
		x.report->status = COMMIT_LOCK_FAILED;
		return -1;
	}
	rc = txn_prepare(&x);
	if (rc < 0)
		x.report->status = COMMIT_REFUSED;
	else
		rc = txn_commit(&x);
	txn_free(&x);
	/* Only now, with every handle freed, may another program edit. */
	close(lock_fd);
	return rc;
}
