/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commit.c - loads the named tables of a ruleset into the kernel.
 *
 * The only file that includes <libiptc/libiptc.h>.  One function,
 * commit_ruleset(), owns the transaction:
 *
 *   1. take the xtables lock (the same flock iptables -w uses);
 *   2. for every named table, in enum table_id order: if the kernel holds
 *      it already, read it raw (one IPT_SO_GET_ENTRIES) and compare it
 *      with the model; a table found equal is done.  Otherwise iptc_init,
 *      read the live table into a model ("before"), merge in the live
 *      chains the config preserves ("target": the model itself when there
 *      is nothing to merge), plan the change (plan.c), and edit the
 *      handle by that plan only: rules that stay are not touched, so
 *      libiptc carries their counters over (nothing reaches the kernel
 *      yet);
 *   3. commit the handles that changed, in the same order; a table whose
 *      plan is empty is not committed at all; on EAGAIN read, plan, edit
 *      and commit again, a bounded number of times;
 *   4. if table N is refused, put tables 1..N-1 (and N, if the refusal
 *      came after its rules went live) back as they were read, by the
 *      same plan-and-edit route;
 *   5. free the handles, then drop the lock.
 *
 * libiptc keeps global state (the last function called, for
 * iptc_strerror), so everything here runs in one thread, and errno is
 * decoded right after the call that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>

#include "cache.h"
#include "commit.h"
#include "plan.h"
#include "print.h"

#define LOCK_DEFAULT_PATH "/run/xtables.lock"
#define NSEC_PER_SEC 1000000000LL
/* Lock polling starts at 1 ms and doubles up to this pause. */
#define LOCK_POLL_MAX_NS (20 * 1000 * 1000LL)

/* ---- the two libraries: libip4tc (IPv4) and libip6tc (IPv6) ---- */

/*
 * libip4tc and libip6tc have the same API over the family's entry type;
 * the functions that take or give entries are wrapped so that both fit
 * one table of operations.  A handle remembers which library made it
 * (tc_init), so that the rest of this file calls tc_*(..., h) and never
 * asks which family it holds.
 */
struct tc_ops {
	const char *names_path;	     /* the tables the kernel holds */
	int sock_family, sock_level; /* for the raw read */
	struct xtc_handle *(*init)(const char *table);
	void (*free)(struct xtc_handle *h);
	const char *(*strerror)(int err);
	const char *(*first_chain)(struct xtc_handle *h);
	const char *(*next_chain)(struct xtc_handle *h);
	const struct entry *(*first_rule)(const char *chain,
					  struct xtc_handle *h);
	const struct entry *(*next_rule)(const struct entry *prev,
					 struct xtc_handle *h);
	const char *(*get_target)(const struct entry *e, struct xtc_handle *h);
	const char *(*get_policy)(const char *chain, struct xt_counters *c,
				  struct xtc_handle *h);
	int (*builtin)(const char *chain, struct xtc_handle *const h);
	int (*create_chain)(const xt_chainlabel chain, struct xtc_handle *h);
	int (*flush_entries)(const xt_chainlabel chain, struct xtc_handle *h);
	int (*delete_num_entry)(const xt_chainlabel chain, unsigned int n,
				struct xtc_handle *h);
	int (*delete_chain)(const xt_chainlabel chain, struct xtc_handle *h);
	int (*insert_entry)(const xt_chainlabel chain, const struct entry *e,
			    unsigned int n, struct xtc_handle *h);
	int (*set_counter)(const xt_chainlabel chain, unsigned int n,
			   struct xt_counters *c, struct xtc_handle *h);
	int (*set_policy)(const xt_chainlabel chain, const xt_chainlabel policy,
			  struct xt_counters *c, struct xtc_handle *h);
	int (*commit)(struct xtc_handle *h);
};

static const struct entry *v4_first_rule(const char *chain,
					 struct xtc_handle *h)
{
	return (const struct entry *)iptc_first_rule(chain, h);
}

static const struct entry *v4_next_rule(const struct entry *prev,
					struct xtc_handle *h)
{
	return (const struct entry *)iptc_next_rule(entry_v4(prev), h);
}

static const char *v4_get_target(const struct entry *e, struct xtc_handle *h)
{
	return iptc_get_target(entry_v4(e), h);
}

static int v4_insert_entry(const xt_chainlabel chain, const struct entry *e,
			   unsigned int n, struct xtc_handle *h)
{
	return iptc_insert_entry(chain, entry_v4(e), n, h);
}

static const struct entry *v6_first_rule(const char *chain,
					 struct xtc_handle *h)
{
	return (const struct entry *)ip6tc_first_rule(chain, h);
}

static const struct entry *v6_next_rule(const struct entry *prev,
					struct xtc_handle *h)
{
	return (const struct entry *)ip6tc_next_rule(entry_v6(prev), h);
}

static const char *v6_get_target(const struct entry *e, struct xtc_handle *h)
{
	return ip6tc_get_target(entry_v6(e), h);
}

static int v6_insert_entry(const xt_chainlabel chain, const struct entry *e,
			   unsigned int n, struct xtc_handle *h)
{
	return ip6tc_insert_entry(chain, entry_v6(e), n, h);
}

static const struct tc_ops tc_ops[FAMILY_COUNT] = {
	[FAMILY_IPV4] = {
		.names_path = "/proc/net/ip_tables_names",
		.sock_family = AF_INET,
		.sock_level = IPPROTO_IP,
		.init = iptc_init,
		.free = iptc_free,
		.strerror = iptc_strerror,
		.first_chain = iptc_first_chain,
		.next_chain = iptc_next_chain,
		.first_rule = v4_first_rule,
		.next_rule = v4_next_rule,
		.get_target = v4_get_target,
		.get_policy = iptc_get_policy,
		.builtin = iptc_builtin,
		.create_chain = iptc_create_chain,
		.flush_entries = iptc_flush_entries,
		.delete_num_entry = iptc_delete_num_entry,
		.delete_chain = iptc_delete_chain,
		.insert_entry = v4_insert_entry,
		.set_counter = iptc_set_counter,
		.set_policy = iptc_set_policy,
		.commit = iptc_commit,
	},
	[FAMILY_IPV6] = {
		.names_path = "/proc/net/ip6_tables_names",
		.sock_family = AF_INET6,
		.sock_level = IPPROTO_IPV6,
		.init = ip6tc_init,
		.free = ip6tc_free,
		.strerror = ip6tc_strerror,
		.first_chain = ip6tc_first_chain,
		.next_chain = ip6tc_next_chain,
		.first_rule = v6_first_rule,
		.next_rule = v6_next_rule,
		.get_target = v6_get_target,
		.get_policy = ip6tc_get_policy,
		.builtin = ip6tc_builtin,
		.create_chain = ip6tc_create_chain,
		.flush_entries = ip6tc_flush_entries,
		.delete_num_entry = ip6tc_delete_num_entry,
		.delete_chain = ip6tc_delete_chain,
		.insert_entry = v6_insert_entry,
		.set_counter = ip6tc_set_counter,
		.set_policy = ip6tc_set_policy,
		.commit = ip6tc_commit,
	},
};

/* Live handles and the family of each: at most every table of both
 * families, plus the few a roll-back or a check opens beside them. */
static struct {
	struct xtc_handle *h;
	enum family family;
} tc_handles[4 * RULESET_TABLES];
/* The family of the last library called: each has its own idea of the
 * last function called, which its strerror reads. */
static enum family tc_last;

static const struct tc_ops *tc_of(struct xtc_handle *h)
{
	for (size_t i = 0; i < sizeof(tc_handles) / sizeof(*tc_handles); i++)
		if (tc_handles[i].h == h) {
			tc_last = tc_handles[i].family;
			return &tc_ops[tc_last];
		}
	abort(); /* a handle tc_init did not make */
}

static struct xtc_handle *tc_init(enum family f, const char *table)
{
	struct xtc_handle *h;

	tc_last = f;
	h = tc_ops[f].init(table);
	if (!h)
		return NULL;
	for (size_t i = 0; i < sizeof(tc_handles) / sizeof(*tc_handles); i++)
		if (!tc_handles[i].h) {
			tc_handles[i].h = h;
			tc_handles[i].family = f;
			return h;
		}
	abort(); /* more handles than tables: a leak of ours */
}

static void tc_free(struct xtc_handle *h)
{
	const struct tc_ops *ops = tc_of(h);

	for (size_t i = 0; i < sizeof(tc_handles) / sizeof(*tc_handles); i++)
		if (tc_handles[i].h == h)
			tc_handles[i].h = NULL;
	ops->free(h);
}

static const char *tc_strerror(int err)
{
	return tc_ops[tc_last].strerror(err);
}

#define TC(h) tc_of(h)

/* Which step failed; selects the wording of the error. */
enum fail_step {
	FAIL_INIT,
	FAIL_SNAPSHOT,
	FAIL_PRESERVE, /* the merge reported its own errors */
	FAIL_CLEAR,
	FAIL_CREATE,
	FAIL_POLICY,
	FAIL_APPEND,
	FAIL_COUNTERS,
	FAIL_HANDOVER,
	FAIL_REBUILD, /* the dropped model could not be built again */
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

/* One named table's part of the transaction. */
struct table_txn {
	const struct table *model;
	struct xtc_handle *h;	/* being edited; NULL once freed */
	struct table *before;	/* the live state @h was read from */
	struct table *merged;	/* the model with the preserved chains, when
				   it has preserve globs */
	struct table_plan plan; /* from @before to what is committed: the
				   model, or @merged */
	bool existed;		/* the kernel held it before iptc_init */
	bool committed;
	/* What the plan leads to: @model or @merged (NULL: the fast path
	 * found the table unchanged without a plan). */
	const struct table *target;
	/* opt->committed's digest of the target, taken before the model
	 * was dropped (txn_drop_model), when @digested. */
	struct cache_digest digest;
	bool digested;
};

/* The whole transaction: the named tables in commit order. */
struct txn {
	struct table_txn tables[RULESET_TABLES];
	size_t count;
	struct ruleset before, merged; /* hold the tables the txns point to */
	const struct commit_options *opt;
	struct commit_report *report;
	struct diag_list *dl;
	unsigned absent; /* bit per table id: not held by the kernel before
			    the first pass (a later one finds it made) */
	bool dropped;	 /* opt->drop_model was called, and no rebuild since */
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

/*
 * The signals that stop iptload (Ctrl-C, a hang-up, a systemd stop) are
 * held back from the moment the lock is taken until it is released, so
 * that none can land between two tables' commits or in a roll-back: they
 * are delivered once the transaction is whole.  Waiting for the lock is
 * still interruptible.  *@old receives the mask to restore.
 */
static void stop_signals_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
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
	snprintf(f->reason, sizeof(f->reason), "%s", tc_strerror(f->err));
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

/* ---- which tables exist ---- */

/*
 * True when /proc/net/ip_tables_names lists @name.  iptc_init would
 * instantiate a missing table (and register its hooks), which reading
 * must not do.
 */
bool commit_table_loaded(enum family fam, const char *name)
{
	FILE *f = fopen(tc_ops[fam].names_path, "re");
	char line[64];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = strcmp(line, name) == 0;
	}
	fclose(f);
	return found;
}

/* ---- reading a handle into a model ---- */

/* Names of every chain in @h, copied: the chain iterator lives in the
 * handle. */
static xt_chainlabel *handle_chain_names(struct xtc_handle *h, size_t *n)
{
	xt_chainlabel *names = NULL, *more;
	const char *name;

	*n = 0;
	for (name = TC(h)->first_chain(h); name; name = TC(h)->next_chain(h)) {
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

/* Zero a name field after its NUL.  The kernel copies an extension's
 * name out only up to the NUL; the rest of the field is whatever was in
 * libiptc's buffer, and would make equal rules compare unequal. */
static void name_zero_tail(char *name, size_t size)
{
	size_t len = strnlen(name, size);

	memset(name + len, 0, size - len);
}

/*
 * Copy rule @e, read from handle @h, in the form the builder makes and
 * iptc_insert_entry takes, so that the planner can compare it with a rule
 * from the config byte for byte.  In a handle a standard target carries
 * the kernel's verdict or jump offset under the empty name; the copy
 * names the verdict or chain again (iptc_get_target; "" for a
 * fall-through) and zeroes the number, as encode.c leaves it.
 */
static struct entry *entry_copy(enum family fam, const struct entry *e,
				struct xtc_handle *h)
{
	size_t size = entry_next_offset(fam, e);
	struct entry *copy = malloc(size);
	struct xt_entry_target *t;

	if (!copy)
		return NULL;
	memcpy(copy, e, size);
	for (size_t off = entry_head_size(fam);
	     off < entry_target_offset(fam, copy);) {
		struct xt_entry_match *m = entry_match_at(copy, off);

		if (m->u.match_size < sizeof(*m))
			break; /* malformed: the planner will see it differ */
		name_zero_tail(m->u.user.name, sizeof(m->u.user.name));
		off += m->u.match_size;
	}
	t = entry_target(fam, copy);
	name_zero_tail(t->u.user.name, sizeof(t->u.user.name));
	if (t->u.user.name[0] == '\0') {
		const char *name = TC(h)->get_target(e, h);

		memset(t->u.user.name, 0, sizeof(t->u.user.name));
		snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
		if (t->u.target_size ==
		    XT_ALIGN(sizeof(struct xt_standard_target)))
			((struct xt_standard_target *)t)->verdict = 0;
	}
	return copy;
}

/* The policy and policy counters of built-in chain @name into @c. */
static int read_policy(struct xtc_handle *h, const char *name, struct chain *c,
		       struct iptc_failure *f)
{
	const char *policy = TC(h)->get_policy(name, &c->policy_counters, h);

	if (policy && strcmp(policy, IPTC_LABEL_ACCEPT) == 0) {
		c->policy = POLICY_ACCEPT;
		return 0;
	}
	if (policy && strcmp(policy, IPTC_LABEL_DROP) == 0) {
		c->policy = POLICY_DROP;
		return 0;
	}
	/* libiptc could not put such a chain back. */
	failure_set(f, FAIL_SNAPSHOT, EINVAL,
		    "built-in chain with a policy other than ACCEPT or DROP",
		    name);
	return -1;
}

/* The chains of @h (as @names lists them) into @t, without rules. */
static int read_chains(struct xtc_handle *h, xt_chainlabel *names, size_t n,
		       struct table *t, struct iptc_failure *f)
{
	for (size_t i = 0; i < n; i++) {
		struct chain *c;

		if (!TC(h)->builtin(names[i], h)) {
			table_add_chain(t, names[i], NULL);
			continue;
		}
		c = table_find_chain(t, names[i]);
		if (!c || c->hook < 0) {
			failure_set(f, FAIL_SNAPSHOT, EINVAL,
				    "a built-in chain this table should not "
				    "have",
				    names[i]);
			return -1;
		}
		if (read_policy(h, names[i], c, f) < 0)
			return -1;
	}
	return 0;
}

/*
 * Make @t (from ruleset_init, the same table) what handle @h holds, as it
 * was read at iptc_init: chains, policies, rules, and all their counters.
 * Chains first, so that every jump finds its chain.
 */
static int handle_read(struct xtc_handle *h, struct table *t,
		       struct iptc_failure *f)
{
	const struct entry *e;
	xt_chainlabel *names;
	size_t n;
	int rc = -1;

	table_reset(t);
	names = handle_chain_names(h, &n);
	if (!names) {
		failure_set(f, FAIL_SNAPSHOT, ENOMEM, NULL, NULL);
		return -1;
	}
	if (read_chains(h, names, n, t, f) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct chain *c = table_find_chain(t, names[i]);

		for (e = TC(h)->first_rule(names[i], h); e;
		     e = TC(h)->next_rule(e, h)) {
			struct rule r = { .entry =
						  entry_copy(t->family, e, h) };

			if (!r.entry) {
				failure_set(f, FAIL_SNAPSHOT, ENOMEM, NULL,
					    names[i]);
				goto out;
			}
			chain_insert_rule(t, c, c->nrules, r);
		}
	}
	rc = 0;
out:
	free(names);
	return rc;
}

int commit_read_live(struct ruleset *live, unsigned families, const char *only,
		     struct diag_list *dl)
{
	for (int id = 0; id < RULESET_TABLES; id++) {
		struct table *t = &live->tables[id];
		struct iptc_failure f;
		struct xtc_handle *h;
		int rc;

		if (!(families & 1u << t->family) ||
		    (only && strcmp(only, t->name) != 0) ||
		    !commit_table_loaded(t->family, t->name))
			continue;
		h = tc_init(t->family, t->name);
		if (!h) {
			failure_take(&f, FAIL_INIT, NULL, NULL);
			return diag_error(dl, NULL, 1,
					  "cannot read table '%s' from the "
					  "kernel: %s",
					  t->name, f.reason);
		}
		rc = handle_read(h, t, &f);
		tc_free(h);
		if (rc < 0)
			return diag_error(dl, NULL, 1,
					  "cannot read table '%s' from the "
					  "kernel%s%s%s: %s",
					  t->name,
					  f.chain[0] ? " (chain '" : "",
					  f.chain, f.chain[0] ? "')" : "",
					  f.reason);
		t->named = true;
	}
	return 0;
}

/* ---- editing a handle by a plan ---- */

/* Create the chains the plan adds, before any rule can jump to them. */
static int edit_create_chains(struct xtc_handle *h, const struct table_plan *p,
			      struct iptc_failure *f)
{
	xt_chainlabel label;

	for (size_t i = 0; i < p->nchains; i++) {
		const struct chain *c = p->chains[i].target;

		if (p->chains[i].live)
			continue;
		label_set(label, c->name);
		if (!TC(h)->create_chain(label, h)) {
			failure_take(f, FAIL_CREATE, c->name, &c->loc);
			return -1;
		}
	}
	return 0;
}

/* Delete the rules that go (from the last, so that the places of the
 * others do not move), then the chains that go: by now nothing jumps to
 * them. */
static int edit_delete(struct xtc_handle *h, const struct table_plan *p,
		       struct iptc_failure *f)
{
	xt_chainlabel label;

	for (size_t i = 0; i < p->nchains; i++) {
		const struct chain_plan *cp = &p->chains[i];

		if (!cp->live)
			continue;
		label_set(label, cp->live->name);
		if (!cp->target && cp->ndeleted) {
			if (!TC(h)->flush_entries(label, h))
				goto fail;
			continue;
		}
		for (size_t k = cp->ndeleted; k-- > 0;)
			if (!TC(h)->delete_num_entry(label, cp->deleted[k], h))
				goto fail;
		continue;
fail:
		failure_take(f, FAIL_CLEAR, cp->live->name, NULL);
		return -1;
	}
	for (size_t i = 0; i < p->nchains; i++) {
		const struct chain_plan *cp = &p->chains[i];

		if (cp->target)
			continue;
		label_set(label, cp->live->name);
		if (!TC(h)->delete_chain(label, h)) {
			failure_take(f, FAIL_CLEAR, cp->live->name, NULL);
			return -1;
		}
	}
	return 0;
}

/* The size of the largest rule plan @p inserts, and never less than an
 * entry's head. */
static size_t plan_largest_insert(const struct table_plan *p)
{
	size_t largest = entry_head_size(p->family);

	for (size_t i = 0; i < p->nchains; i++) {
		const struct chain_plan *cp = &p->chains[i];

		for (size_t k = 0; k < cp->ninserted; k++) {
			const struct entry *e =
				cp->target->rules[cp->inserted[k].pos].entry;

			if (entry_next_offset(p->family, e) > largest)
				largest = entry_next_offset(p->family, e);
		}
	}
	return largest;
}

/*
 * Insert the rules the plan adds, each with the counters it plans.  The
 * model's entries are not ours to change (the plan may point into the
 * caller's ruleset), so each goes through @buf, large enough for any of
 * them; libiptc copies it.
 */
static int edit_insert(struct xtc_handle *h, enum family fam,
		       const struct chain_plan *cp, struct entry *buf,
		       struct iptc_failure *f)
{
	const struct chain *c = cp->target;
	xt_chainlabel label;

	label_set(label, c->name);
	for (size_t k = 0; k < cp->ninserted; k++) {
		const struct rule *r = &c->rules[cp->inserted[k].pos];
		int ok;

		memcpy(buf, r->entry, entry_next_offset(fam, r->entry));
		*entry_counters(fam, buf) = cp->inserted[k].counters;
		ok = TC(h)->insert_entry(label, buf,
					 (unsigned)cp->inserted[k].pos, h);
		if (!ok) {
			failure_take(f, FAIL_APPEND, c->name, &r->loc);
			return -1;
		}
	}
	return 0;
}

/* Counters of rules that stay but must be written, and the policies:
 * set on every built-in chain of a table being committed, since libiptc
 * would otherwise reset their counters (COUNTER_MAP_ZEROED). */
static int edit_counters(struct xtc_handle *h, const struct chain_plan *cp,
			 struct iptc_failure *f)
{
	const struct chain *c = cp->target;
	xt_chainlabel label, policy;
	struct xt_counters counters;

	label_set(label, c->name);
	for (size_t k = 0; k < cp->ncounter_sets; k++) {
		counters = cp->counter_sets[k].counters;
		if (!TC(h)->set_counter(label,
					(unsigned)cp->counter_sets[k].rulenum,
					&counters, h)) {
			failure_take(f, FAIL_COUNTERS, c->name, NULL);
			return -1;
		}
	}
	if (c->hook < 0)
		return 0;
	label_set(policy, policy_name(c->policy));
	counters = cp->policy_counters;
	if (!TC(h)->set_policy(label, policy, &counters, h)) {
		failure_take(f, FAIL_POLICY, c->name, &c->loc);
		return -1;
	}
	return 0;
}

/* Edit @h (in memory) by plan @p; nothing reaches the kernel. */
static int handle_edit(struct xtc_handle *h, const struct table_plan *p,
		       struct iptc_failure *f)
{
	struct entry *buf;
	int rc = -1;

	if (edit_create_chains(h, p, f) < 0 || edit_delete(h, p, f) < 0)
		return -1;
	buf = malloc(plan_largest_insert(p));
	if (!buf) {
		failure_set(f, FAIL_APPEND, ENOMEM, NULL, NULL);
		return -1;
	}
	for (size_t i = 0; i < p->nchains; i++) {
		const struct chain_plan *cp = &p->chains[i];

		if (cp->target && (edit_insert(h, p->family, cp, buf, f) < 0 ||
				   edit_counters(h, cp, f) < 0))
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- one table: read, plan, edit ---- */

/*
 * Read table @name into @live (the kernel's state), find what is to be
 * committed (@model, or @merged: @model with the preserved live chains),
 * plan the change into @plan, and edit the handle by it.  The plan points
 * into @model or @merged, which must outlive it.  Returns the handle, or
 * NULL with @f set (FAIL_PRESERVE: errors are already in @dl).
 */
static struct xtc_handle *
table_open(const char *name, const struct table *model, bool restore,
	   bool existed, struct table *live, struct table *merged,
	   struct table_plan *plan, const struct table **targetp,
	   struct diag_list *dl, struct iptc_failure *f)
{
	struct xtc_handle *h = tc_init(model->family, name);
	const struct table *target;

	if (!h) {
		failure_take(f, FAIL_INIT, NULL, NULL);
		return NULL;
	}
	if (handle_read(h, live, f) < 0)
		goto fail;
	target = plan_target(merged, model, live, model->preserve,
			     model->npreserve, !restore, dl);
	if (!target) {
		failure_set(f, FAIL_PRESERVE, EINVAL, NULL, NULL);
		goto fail;
	}
	if (targetp)
		*targetp = target;
	plan_free(plan);
	plan_table(live, target,
		   restore ? PLAN_COUNTERS_RESTORE : PLAN_COUNTERS_APPLY,
		   !existed, plan);
	if (plan->changed && handle_edit(h, plan, f) < 0)
		goto fail;
	return h;
fail:
	tc_free(h);
	return NULL;
}

/* How to read, plan and edit a table again after EAGAIN: @fn with its
 * state in @arg. */
struct reopen {
	struct xtc_handle *(*fn)(struct reopen *r, struct iptc_failure *f);
	void *arg;
};

/*
 * Commit *@hp.  On EAGAIN (the table changed since it was read) read,
 * plan and edit it again through @reopen, and commit again,
 * COMMIT_MAX_RETRIES times at most.  *@hp stays owned by the caller; it
 * is NULL if a re-read failed.
 */
static int handle_commit(struct xtc_handle **hp, struct reopen *reopen,
			 unsigned *retries, struct iptc_failure *f)
{
	for (unsigned tries = 0;; tries++) {
		if (TC(*hp)->commit(*hp))
			return 0;
		failure_take(f, FAIL_COMMIT, NULL, NULL);
		if (f->err != EAGAIN || tries == COMMIT_MAX_RETRIES)
			return -1;
		(*retries)++;
		tc_free(*hp);
		*hp = reopen->fn(reopen, f);
		if (!*hp)
			return -1;
	}
}

/* ---- an unchanged table, found without libiptc ---- */

/*
 * One table as the kernel hands it out: IPT_SO_GET_INFO's hooks and
 * sizes, and IPT_SO_GET_ENTRIES's blob (a header followed by info.size
 * bytes of entries), mapped on its own: @map_size bytes, or none.
 */
struct raw_table {
	struct ipt_getinfo info;
	struct ipt_get_entries *blob;
	size_t map_size;
};

/* A blob this large is mapped in a multiple of it, x86-64's huge page. */
#define BLOB_HUGE (2u << 20)

/*
 * Map @size bytes for a blob.  A large one in huge pages, where the
 * kernel gives them: the kernel writes the blob once and the walk reads
 * it once, so its cost is mostly page faults, one per 4 KiB page
 * otherwise (54 MB at 100 000 rules; in a virtual machine each fault is
 * dear: the walk took 8 times longer).
 */
static int raw_blob_map(struct raw_table *rt, size_t size)
{
	bool huge = size >= BLOB_HUGE;
	size_t map_size =
		huge ? (size + BLOB_HUGE - 1) / BLOB_HUGE * BLOB_HUGE : size;
	void *p = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	/* Advice only: without it the walk is as right, only slower. */
	if (huge)
		madvise(p, map_size, MADV_HUGEPAGE);
	rt->blob = p;
	rt->map_size = map_size;
	return 0;
}

static void raw_table_free(struct raw_table *rt)
{
	if (rt->blob)
		munmap(rt->blob, rt->map_size);
	rt->blob = NULL;
}

/*
 * Read table @name of family @f into @rt with one GET_INFO and one
 * GET_ENTRIES (IPT_SO_ or IP6T_SO_), as iptc_init does, without
 * libiptc's parse.  The two families' getinfo and get_entries have one
 * layout.  The caller has checked that the kernel holds the table:
 * GET_INFO would instantiate it.  Returns 0, or -1 (the caller then
 * takes libiptc's path, which reports a real error).  raw_table_free()
 * @rt in either case.
 */
static int raw_table_read(enum family f, const char *name, struct raw_table *rt)
{
	socklen_t len = sizeof(rt->info);
	int level = f == FAMILY_IPV6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int get_info = f == FAMILY_IPV6 ? IP6T_SO_GET_INFO : IPT_SO_GET_INFO;
	int get_entries = f == FAMILY_IPV6 ? IP6T_SO_GET_ENTRIES :
					     IPT_SO_GET_ENTRIES;
	size_t size;
	int fd, rc = -1;

	rt->blob = NULL;
	fd = socket(f == FAMILY_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -1;
	memset(&rt->info, 0, sizeof(rt->info));
	snprintf(rt->info.name, sizeof(rt->info.name), "%s", name);
	if (getsockopt(fd, level, get_info, &rt->info, &len) < 0)
		goto out;
	size = sizeof(*rt->blob) + rt->info.size;
	if (raw_blob_map(rt, size) < 0)
		goto out;
	memcpy(rt->blob->name, rt->info.name, sizeof(rt->blob->name));
	rt->blob->size = rt->info.size;
	len = (socklen_t)size;
	/* EAGAIN (the table changed size since GET_INFO, despite the lock)
	 * leaves it to libiptc too. */
	if (getsockopt(fd, level, get_entries, rt->blob, &len) == 0)
		rc = 0;
out:
	close(fd);
	return rc;
}

static bool canon_raw_table(enum family f, const struct raw_table *rt,
			    struct cache_digest *d);

/* Read table @name of family @f raw and hand its digest to @fn; one the
 * kernel does not hold is never instantiated here. */
static void raw_table_hand(enum family f, const char *name,
			   commit_digest_fn *fn, void *arg)
{
	struct commit_table_digest d = { .family = f, .name = name };
	struct raw_table rt = { .blob = NULL };

	d.held = commit_table_loaded(f, name) &&
		 raw_table_read(f, name, &rt) == 0 &&
		 canon_raw_table(f, &rt, &d.digest);
	fn(&d, arg);
	raw_table_free(&rt);
}

int commit_read_raw(const struct commit_table_id *ids, size_t n,
		    const struct commit_options *opt, commit_digest_fn *fn,
		    void *arg)
{
	struct diag_list scratch;
	int fd;

	/* The caller takes the full path on any failure, which reports it
	 * again: the words are not needed here. */
	diag_list_init(&scratch);
	fd = lock_take(opt, &scratch);
	diag_list_free(&scratch);
	if (fd < 0)
		return -1;
	if (opt->veto && opt->veto(opt->veto_arg)) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		raw_table_hand(ids[i].family, ids[i].name, fn, arg);
	close(fd);
	return 0;
}

/* A chain found in a raw table: its twin in the model, and where its
 * rules are. */
struct raw_chain {
	const struct chain *model;	/* NULL in a walk without a model */
	char name[XT_TABLE_MAXNAMELEN]; /* zero-padded */
	int hook;			/* NF_INET_*, or -1 */
	unsigned first; /* offset of its first rule (of its foot if none);
			   a jump to the chain lands here */
	unsigned foot;	/* offset of its last entry: the policy, or the
			   RETURN libiptc ends a user chain with */
};

/* One raw table being compared with its model. */
struct raw_walk {
	const struct table *model; /* NULL: the chains are only cut out */
	enum family f;
	const struct ipt_getinfo *info;
	const char *base;	  /* the first entry */
	struct raw_chain *chains; /* in blob order, so by ascending offset */
	size_t nchains;
	size_t capacity; /* of @chains, without a model */
};

#define STANDARD_TARGET_SIZE XT_ALIGN(sizeof(struct xt_standard_target))

/*
 * The entry at @off, or NULL when none fits there: the kernel checked the
 * table when it took it, but this walk trusts no offset it reads.
 */
static const struct entry *raw_entry(const struct raw_walk *w, unsigned off)
{
	const struct entry *e;
	const struct xt_entry_target *t;
	unsigned left = w->info->size - off, to, next;
	size_t head = entry_head_size(w->f);

	/* Both families' entries are aligned as their u64 counters. */
	if (off % __alignof__(struct ipt_entry) != 0 || off > w->info->size ||
	    left < head)
		return NULL;
	e = (const void *)(w->base + off);
	to = entry_target_offset(w->f, e);
	next = entry_next_offset(w->f, e);
	if (to < head || next > left || next < to + sizeof(*t))
		return NULL;
	t = (const void *)(w->base + off + to);
	if (t->u.target_size < sizeof(*t) || t->u.target_size > next - to)
		return NULL;
	return e;
}

static const struct xt_entry_target *raw_target(enum family f,
						const struct entry *e)
{
	return (const void *)((const char *)e + entry_target_offset(f, e));
}

/* The chain name an ERROR entry (a user chain's head, or the table's
 * end) carries, into @label; false for any other entry. */
static bool raw_error_name(enum family f, const struct entry *e,
			   xt_chainlabel label)
{
	const struct xt_error_target *t = (const void *)raw_target(f, e);

	if (t->target.u.target_size < sizeof(*t) ||
	    strncmp(t->target.u.user.name, XT_ERROR_TARGET,
		    sizeof(t->target.u.user.name)) != 0)
		return false;
	memset(label, 0, sizeof(xt_chainlabel));
	memcpy(label, t->errorname,
	       strnlen(t->errorname, sizeof(t->errorname)));
	return true;
}

/* The built-in chain whose hook enters the table at @off, or -1. */
static int raw_hook_at(const struct raw_walk *w, unsigned off)
{
	for (int hook = 0; hook < NF_INET_NUMHOOKS; hook++)
		if ((w->info->valid_hooks & 1u << hook) &&
		    w->info->hook_entry[hook] == off)
			return hook;
	return -1;
}

/* Start a chain at @first: built in for @hook >= 0, else user chain
 * @label.  False when the walk has a model without such a chain. */
static bool raw_chain_open(struct raw_walk *w, int hook, const char *label,
			   unsigned first)
{
	const char *name = hook >= 0 ? hook_chain_name(hook) : label;
	const struct chain *c = NULL;
	struct raw_chain *rc;

	if (w->model) {
		c = table_find_chain(w->model, name);
		if (!c || c->hook != hook || w->nchains == w->model->nchains)
			return false;
	} else if (w->nchains == w->capacity) {
		w->capacity = w->capacity ? 2 * w->capacity : 16;
		w->chains = reallocarray(w->chains, w->capacity,
					 sizeof(*w->chains));
		if (!w->chains)
			abort();
	}
	rc = &w->chains[w->nchains++];
	rc->model = c;
	memset(rc->name, 0, sizeof(rc->name));
	memcpy(rc->name, name, strnlen(name, sizeof(rc->name) - 1));
	rc->hook = hook;
	rc->first = first;
	rc->foot = first;
	return true;
}

/* End the open chain at @foot, the entry before the next chain's start.
 * A built-in chain ends at its hook's underflow (the policy). */
static bool raw_chain_close(struct raw_walk *w, unsigned foot)
{
	struct raw_chain *rc = &w->chains[w->nchains - 1];
	int hook = rc->hook;

	if (foot < rc->first)
		return false; /* a user chain without its RETURN */
	rc->foot = foot;
	return hook < 0 || w->info->underflow[hook] == foot;
}

/*
 * Cut the blob into chains as libiptc's parse does: a chain starts at a
 * hook's entry point or after an ERROR head; it ends just before the next
 * start; the last entry is an ERROR entry of its own.  In a walk with a
 * model each chain is bound to the model's chain of that name.  False when
 * the blob is not laid out that way or has a chain the model lacks.
 */
static bool raw_split(struct raw_walk *w)
{
	unsigned off = 0, prev = 0, size = w->info->size;
	xt_chainlabel label;

	while (off < size) {
		const struct entry *e = raw_entry(w, off);
		unsigned next;
		int hook;
		bool head;

		if (!e)
			return false;
		next = entry_next_offset(w->f, e);
		hook = raw_hook_at(w, off);
		head = raw_error_name(w->f, e, label);
		if (hook >= 0 && head)
			return false;
		if ((hook >= 0 || head) && w->nchains > 0 &&
		    !raw_chain_close(w, prev))
			return false;
		if (head && off + next == size)
			return true; /* the table's end */
		if (hook >= 0 || head) {
			if (!raw_chain_open(w, hook, label,
					    head ? off + next : off))
				return false;
		} else if (w->nchains == 0) {
			return false; /* an entry before any chain */
		}
		prev = off;
		off += next;
	}
	return false; /* no end */
}

static int model_ptr_cmp(const void *a, const void *b)
{
	const struct chain *x = *(const struct chain *const *)a;
	const struct chain *y = *(const struct chain *const *)b;

	return x < y ? -1 : x > y;
}

/* True when every chain of the model was found, each exactly once. */
static bool raw_chains_all(const struct raw_walk *w)
{
	const struct chain **seen;
	bool all = w->nchains == w->model->nchains;

	if (!all || w->nchains < 2)
		return all;
	seen = malloc(w->nchains * sizeof(*seen));
	if (!seen)
		return false;
	for (size_t i = 0; i < w->nchains; i++)
		seen[i] = w->chains[i].model;
	qsort(seen, w->nchains, sizeof(*seen), model_ptr_cmp);
	for (size_t i = 1; all && i < w->nchains; i++)
		all = seen[i] != seen[i - 1];
	free(seen);
	return all;
}

static int raw_chain_cmp(const void *key, const void *elem)
{
	unsigned off = *(const unsigned *)key;
	const struct raw_chain *rc = elem;

	return off < rc->first ? -1 : off > rc->first;
}

/*
 * The name libiptc gives a standard target with @verdict (iptc_get_target)
 * into @name, zero-padded: the verdict's label, "" for a fall-through to
 * @next (the following entry), or the user chain a jump lands on.  False
 * for anything else.
 */
static bool raw_verdict_name(const struct raw_walk *w, int verdict,
			     unsigned next, char *name, size_t size)
{
	const struct raw_chain *to;
	const char *label = NULL;

	memset(name, 0, size);
	if (verdict < 0) {
		switch (verdict) {
		case -NF_ACCEPT - 1:
			label = IPTC_LABEL_ACCEPT;
			break;
		case -NF_DROP - 1:
			label = IPTC_LABEL_DROP;
			break;
		case -NF_QUEUE - 1:
			label = IPTC_LABEL_QUEUE;
			break;
		case XT_RETURN:
			label = IPTC_LABEL_RETURN;
			break;
		}
		if (label)
			snprintf(name, size, "%s", label);
		return label != NULL;
	}
	if ((unsigned)verdict == next)
		return true; /* a fall-through: "" */
	to = bsearch(&(unsigned){ (unsigned)verdict }, w->chains, w->nchains,
		     sizeof(*w->chains), raw_chain_cmp);
	if (!to || to->hook >= 0)
		return false; /* mid-chain, or a built-in chain */
	/* A chain name (CHAIN_NAME_MAX) always fits a target's name. */
	memcpy(name, to->name, strnlen(to->name, size - 1));
	return true;
}

/* The kernel's name field @k (what follows its NUL is left over from the
 * kernel's own copy) against the model's zero-padded @m. */
static bool name_same(const char *k, const char *m, size_t size)
{
	size_t len = strnlen(k, size);

	if (memcmp(k, m, len) != 0)
		return false;
	for (size_t i = len; i < size; i++)
		if (m[i] != '\0')
			return false;
	return true;
}

/* Whether a rule or policy that stays keeps the kernel's counters, as
 * plan.c decides for PLAN_COUNTERS_APPLY: the model gives none, or the
 * same ones. */
static bool raw_counters_kept(const struct xt_counters *kernel,
			      const struct xt_counters *model)
{
	return (model->pcnt == 0 && model->bcnt == 0) ||
	       (model->pcnt == kernel->pcnt && model->bcnt == kernel->bcnt);
}

/* A match (or a target that is not standard: the header is the same) of
 * the kernel, with @room bytes of its entry left, against the model's. */
static bool raw_ext_same(const struct xt_entry_match *k,
			 const struct xt_entry_match *m, size_t room)
{
	size_t size = k->u.match_size;

	return size >= sizeof(*k) && size <= room && size == m->u.match_size &&
	       name_same(k->u.user.name, m->u.user.name,
			 sizeof(k->u.user.name)) &&
	       k->u.user.revision == m->u.user.revision &&
	       memcmp(k->data, m->data, size - sizeof(*k)) == 0;
}

/*
 * The targets of kernel entry @ke at @off and model entry @me.  The
 * kernel's standard target has no name and a verdict or offset; the
 * model's names the verdict or chain and holds verdict 0 (as handle_read
 * makes it: entry_copy).
 */
static bool raw_target_same(const struct raw_walk *w, unsigned off,
			    const struct entry *ke, const struct entry *me)
{
	const struct xt_standard_target *kt =
		(const void *)raw_target(w->f, ke);
	const struct xt_standard_target *mt =
		(const void *)raw_target(w->f, me);
	unsigned knext = entry_next_offset(w->f, ke);
	size_t tail = offsetof(struct xt_standard_target, verdict) +
		      sizeof(kt->verdict);
	char name[sizeof(kt->target.u.user.name)];

	if (kt->target.u.user.name[0] != '\0')
		return raw_ext_same((const void *)kt, (const void *)mt,
				    knext - entry_target_offset(w->f, ke));
	return kt->target.u.target_size == STANDARD_TARGET_SIZE &&
	       mt->target.u.target_size == STANDARD_TARGET_SIZE &&
	       raw_verdict_name(w, kt->verdict, off + knext, name,
				sizeof(name)) &&
	       name_same(name, mt->target.u.user.name, sizeof(name)) &&
	       kt->target.u.user.revision == mt->target.u.user.revision &&
	       mt->verdict == 0 &&
	       memcmp((const char *)kt + tail, (const char *)mt + tail,
		      STANDARD_TARGET_SIZE - tail) == 0;
}

/* Kernel entry @ke at @off against model rule @me, byte for byte but for
 * the counters, comefrom and nfcache, as rule_entries_equal compares the
 * rules handle_read makes. */
static bool raw_rule_same(const struct raw_walk *w, unsigned off,
			  const struct entry *ke, const struct entry *me)
{
	enum family f = w->f;
	unsigned to = entry_target_offset(f, ke);

	if (memcmp(entry_ip(f, ke), entry_ip(f, me), entry_ip_size(f)) != 0 ||
	    to != entry_target_offset(f, me) ||
	    entry_next_offset(f, ke) != entry_next_offset(f, me) ||
	    !raw_counters_kept(entry_counters(f, ke), entry_counters(f, me)))
		return false;
	for (unsigned m = (unsigned)entry_head_size(f); m < to;) {
		const struct xt_entry_match *km =
			(const void *)((const char *)ke + m);
		const struct xt_entry_match *mm =
			(const void *)((const char *)me + m);

		if (!raw_ext_same(km, mm, to - m))
			return false;
		m += km->u.match_size;
	}
	return raw_target_same(w, off, ke, me);
}

/* The verdict of a chain's foot entry: a standard target without
 * matches.  False for anything else. */
static bool raw_foot_verdict(enum family f, const struct entry *e, int *verdict)
{
	const struct xt_standard_target *t = (const void *)raw_target(f, e);

	if (entry_target_offset(f, e) != entry_head_size(f) ||
	    t->target.u.target_size != STANDARD_TARGET_SIZE ||
	    t->target.u.user.name[0] != '\0')
		return false;
	*verdict = t->verdict;
	return true;
}

/* A chain's foot: a built-in chain's policy and its counters, a user
 * chain's RETURN. */
static bool raw_foot_same(const struct raw_walk *w, const struct raw_chain *rc)
{
	const struct entry *e = (const void *)(w->base + rc->foot);
	const struct chain *c = rc->model;
	int verdict;

	if (!raw_foot_verdict(w->f, e, &verdict))
		return false;
	if (c->hook < 0)
		return verdict == XT_RETURN;
	if (verdict !=
	    (c->policy == POLICY_DROP ? -NF_DROP - 1 : -NF_ACCEPT - 1))
		return false;
	return raw_counters_kept(entry_counters(w->f, e), &c->policy_counters);
}

/* One chain: the same rules in the same order, and the same foot. */
static bool raw_chain_same(const struct raw_walk *w, const struct raw_chain *rc)
{
	const struct chain *c = rc->model;
	size_t k = 0;

	for (unsigned off = rc->first; off < rc->foot; k++) {
		const struct entry *e = (const void *)(w->base + off);

		if (k == c->nrules ||
		    !raw_rule_same(w, off, e, c->rules[k].entry))
			return false;
		off += entry_next_offset(w->f, e);
	}
	return k == c->nrules && raw_foot_same(w, rc);
}

/*
 * True when the kernel's table @rt holds exactly @model as the slow path
 * would find it (iptc_init, handle_read, plan_table with
 * PLAN_COUNTERS_APPLY): the same chains (by name: libiptc orders user
 * chains its own way), policies and rules, and no counters to write.
 * False when anything differs, or is laid out unlike what libiptc
 * writes: the slow path then decides.
 */
static bool raw_table_same(const struct table *model,
			   const struct raw_table *rt)
{
	struct raw_walk w = {
		.model = model,
		.f = model->family,
		.info = &rt->info,
		.base = (const char *)rt->blob->entrytable,
	};
	bool same;

	if (rt->info.valid_hooks != model->valid_hooks || model->nchains == 0)
		return false;
	w.chains = malloc(model->nchains * sizeof(*w.chains));
	if (!w.chains)
		return false;
	same = raw_split(&w) && raw_chains_all(&w);
	for (size_t i = 0; same && i < w.nchains; i++)
		same = raw_chain_same(&w, &w.chains[i]);
	free(w.chains);
	return same;
}

/* ---- a table's digest, for the apply cache ---- */

/*
 * The digest of what a table means to the no-op comparison above, the
 * same whether it is taken from the kernel's blob or from the model about
 * to be committed, so that an apply need not read back what it committed:
 * the valid hooks; the chains sorted by name, each with its hook and its
 * foot's verdict; each rule's ip part, offsets, matches (names without
 * what follows their NUL) and target, a standard one by the name of its
 * verdict or chain ("" for a fall-through), as libiptc names it.
 * Counters, comefrom, nfcache and where things lie are left out, as the
 * comparison leaves them.  Two tables with one digest hold the same
 * rules in the same chains, so a wrong guess about the kernel's layout
 * can only cost a cache miss, never a wrong no-op.
 */

/* What a digest is fed, tagged so that no two kinds of item meet. */
enum canon_tag {
	CANON_CHAIN = 1,
	CANON_RULE,
	CANON_MATCH,
	CANON_EXT_TARGET,
	CANON_STD_TARGET
};

/*
 * A digest being fed: small pieces (a tag, a name, a rule's head) are
 * gathered in @buf and handed to the hash a few KiB at a time, since a
 * table of 100 000 rules is a few million of them.
 */
struct canon {
	struct cache_hash h;
	size_t n;
	unsigned char buf[4096];
};

static void canon_init(struct canon *c)
{
	cache_hash_init(&c->h);
	c->n = 0;
}

static void canon_flush(struct canon *c)
{
	cache_hash_add(&c->h, c->buf, c->n);
	c->n = 0;
}

static inline void canon_put(struct canon *c, const void *p, size_t len)
{
	if (len > sizeof(c->buf) - c->n) {
		canon_flush(c);
		if (len > sizeof(c->buf)) {
			cache_hash_add(&c->h, p, len);
			return;
		}
	}
	memcpy(c->buf + c->n, p, len);
	c->n += len;
}

static struct cache_digest canon_end(struct canon *c)
{
	canon_flush(c);
	return cache_hash_end(&c->h);
}

static void canon_tag(struct canon *h, enum canon_tag tag)
{
	unsigned char t = (unsigned char)tag;

	canon_put(h, &t, 1);
}

/* A name field of @size bytes: up to its NUL, then zeros. */
static void canon_name(struct canon *h, const char *name, size_t size)
{
	char buf[XT_EXTENSION_MAXNAMELEN > XT_TABLE_MAXNAMELEN ?
			 XT_EXTENSION_MAXNAMELEN :
			 XT_TABLE_MAXNAMELEN] = { 0 };

	memcpy(buf, name, strnlen(name, size));
	canon_put(h, buf, size);
}

/* A match, or a target that is not standard (the same header). */
static void canon_ext(struct canon *h, enum canon_tag tag,
		      const struct xt_entry_match *m)
{
	uint16_t size = m->u.match_size;

	canon_tag(h, tag);
	canon_put(h, &size, sizeof(size));
	canon_name(h, m->u.user.name, sizeof(m->u.user.name));
	canon_put(h, &m->u.user.revision, 1);
	canon_put(h, m->data, size - sizeof(*m));
}

/* A standard target named @name: its revision and the bytes after the
 * verdict (the verdict itself is the name). */
static void canon_std(struct canon *h, const char *name,
		      const struct xt_standard_target *t)
{
	size_t tail = offsetof(struct xt_standard_target, verdict) +
		      sizeof(t->verdict);

	canon_tag(h, CANON_STD_TARGET);
	canon_name(h, name, sizeof(t->target.u.user.name));
	canon_put(h, &t->target.u.user.revision, 1);
	canon_put(h, (const char *)t + tail, STANDARD_TARGET_SIZE - tail);
}

/* A rule's head and matches, up to its target; false when a match does
 * not fit. */
static bool canon_rule_head(struct canon *h, enum family f,
			    const struct entry *e)
{
	unsigned to = entry_target_offset(f, e), next = entry_next_offset(f, e);
	uint32_t offsets[2] = { to, next };

	canon_tag(h, CANON_RULE);
	canon_put(h, entry_ip(f, e), entry_ip_size(f));
	canon_put(h, offsets, sizeof(offsets));
	for (unsigned m = (unsigned)entry_head_size(f); m < to;) {
		const struct xt_entry_match *em =
			(const void *)((const char *)e + m);

		if (to - m < sizeof(*em) || em->u.match_size < sizeof(*em) ||
		    em->u.match_size > to - m)
			return false;
		canon_ext(h, CANON_MATCH, em);
		m += em->u.match_size;
	}
	return true;
}

/* A chain's header: name, hook and the verdict of its foot. */
static void canon_chain(struct canon *h, const char *name, int hook,
			int32_t foot, uint64_t nrules)
{
	int32_t v[2] = { hook, foot };

	canon_tag(h, CANON_CHAIN);
	canon_name(h, name, XT_TABLE_MAXNAMELEN);
	canon_put(h, v, sizeof(v));
	canon_put(h, &nrules, sizeof(nrules));
}

static int raw_chain_name_cmp(const void *a, const void *b)
{
	const struct raw_chain *x = *(const struct raw_chain *const *)a;
	const struct raw_chain *y = *(const struct raw_chain *const *)b;

	return strcmp(x->name, y->name);
}

/* One chain of the kernel's blob. */
static bool canon_raw_chain(struct canon *h, const struct raw_walk *w,
			    const struct raw_chain *rc)
{
	uint64_t n = 0;
	int foot;

	if (!raw_foot_verdict(w->f, (const void *)(w->base + rc->foot), &foot))
		return false;
	for (unsigned off = rc->first; off < rc->foot; n++)
		off += entry_next_offset(w->f, (const void *)(w->base + off));
	canon_chain(h, rc->name, rc->hook, foot, n);
	for (unsigned off = rc->first; off < rc->foot;) {
		const struct entry *e = (const void *)(w->base + off);
		const struct xt_standard_target *t =
			(const void *)raw_target(w->f, e);
		unsigned next = entry_next_offset(w->f, e);
		char name[sizeof(t->target.u.user.name)];

		if (!canon_rule_head(h, w->f, e))
			return false;
		if (t->target.u.user.name[0] != '\0')
			canon_ext(h, CANON_EXT_TARGET, (const void *)t);
		else if (t->target.u.target_size != STANDARD_TARGET_SIZE ||
			 !raw_verdict_name(w, t->verdict, off + next, name,
					   sizeof(name)))
			return false;
		else
			canon_std(h, name, t);
		off += next;
	}
	return true;
}

/* The digest of the kernel's table @rt into @d; false when its blob is not
 * laid out as libiptc writes tables (no digest then). */
static bool canon_raw_table(enum family f, const struct raw_table *rt,
			    struct cache_digest *d)
{
	struct raw_walk w = {
		.f = f,
		.info = &rt->info,
		.base = (const char *)rt->blob->entrytable,
	};
	const struct raw_chain **sorted = NULL;
	struct canon h;
	bool ok;

	canon_init(&h);
	canon_put(&h, &rt->info.valid_hooks, sizeof(rt->info.valid_hooks));
	ok = raw_split(&w);
	if (ok && w.nchains > 0) {
		sorted = malloc(w.nchains * sizeof(*sorted));
		if (!sorted)
			abort();
		for (size_t i = 0; i < w.nchains; i++)
			sorted[i] = &w.chains[i];
		qsort(sorted, w.nchains, sizeof(*sorted), raw_chain_name_cmp);
	}
	for (size_t i = 0; ok && i < w.nchains; i++)
		ok = (i == 0 || strcmp(sorted[i - 1]->name, sorted[i]->name)) &&
		     canon_raw_chain(&h, &w, sorted[i]);
	free(sorted);
	free(w.chains);
	*d = canon_end(&h);
	return ok;
}

/* Whether the model's target named @name is a standard one for libiptc:
 * a fall-through, a verdict, or a jump to a chain of @t. */
static bool model_target_standard(const struct table *t, const char *name)
{
	static const char *const labels[] = { "", "ACCEPT", "DROP", "QUEUE",
					      "RETURN" };

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(name, labels[i]) == 0)
			return true;
	return table_find_chain(t, name) != NULL;
}

static int chain_name_cmp(const void *a, const void *b)
{
	const struct chain *x = *(const struct chain *const *)a;
	const struct chain *y = *(const struct chain *const *)b;

	return strcmp(x->name, y->name);
}

/* One chain of the model. */
static void canon_model_chain(struct canon *h, const struct table *t,
			      const struct chain *c)
{
	int32_t foot = c->hook < 0		? XT_RETURN :
		       c->policy == POLICY_DROP ? -NF_DROP - 1 :
						  -NF_ACCEPT - 1;

	canon_chain(h, c->name, c->hook, foot, c->nrules);
	for (size_t k = 0; k < c->nrules; k++) {
		const struct entry *e = c->rules[k].entry;
		const struct xt_standard_target *st =
			(const void *)raw_target(t->family, e);
		char name[sizeof(st->target.u.user.name) + 1] = { 0 };

		memcpy(name, st->target.u.user.name,
		       sizeof(st->target.u.user.name));
		/* A model's entry is well formed: the builder made it, or
		 * handle_read copied it from libiptc. */
		canon_rule_head(h, t->family, e);
		if (st->target.u.target_size == STANDARD_TARGET_SIZE &&
		    model_target_standard(t, name) && st->verdict == 0)
			canon_std(h, name, st);
		else
			canon_ext(h, CANON_EXT_TARGET, (const void *)st);
	}
}

/* The digest of model @t, as canon_raw_table would find it in the kernel
 * once committed. */
static struct cache_digest canon_model_table(const struct table *t)
{
	const struct chain **sorted;
	struct canon h;

	canon_init(&h);
	canon_put(&h, &t->valid_hooks, sizeof(t->valid_hooks));
	sorted = malloc((t->nchains ? t->nchains : 1) * sizeof(*sorted));
	if (!sorted)
		abort();
	for (size_t i = 0; i < t->nchains; i++)
		sorted[i] = t->chains[i];
	qsort(sorted, t->nchains, sizeof(*sorted), chain_name_cmp);
	for (size_t i = 0; i < t->nchains; i++)
		canon_model_chain(&h, t, sorted[i]);
	free(sorted);
	return canon_end(&h);
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
	const char *name = t->name, *fam = family_suffix(t->family);

	switch (f->step) {
	case FAIL_INIT:
		diag_error(x->dl, loc, 1,
			   "cannot read table '%s'%s from the kernel: %s", name,
			   fam, f->reason);
		break;
	case FAIL_SNAPSHOT:
		diag_error(x->dl, loc, 1,
			   "cannot copy table '%s'%s before changing it%s%s%s: "
			   "%s",
			   name, fam, f->chain[0] ? " (chain '" : "", f->chain,
			   f->chain[0] ? "')" : "", f->reason);
		break;
	case FAIL_PRESERVE:
		break; /* plan_merge said why */
	case FAIL_CLEAR:
		diag_error(x->dl, loc, 1,
			   "cannot remove rules or chain '%s' of table '%s'%s: "
			   "%s",
			   f->chain, name, fam, f->reason);
		break;
	case FAIL_CREATE:
		diag_error(x->dl, loc, 1,
			   "cannot create chain '%s' in table '%s'%s: %s",
			   f->chain, name, fam, f->reason);
		break;
	case FAIL_POLICY:
		diag_error(
			x->dl, loc, 1,
			"cannot set the policy of chain '%s' in table '%s'%s: "
			"%s",
			f->chain, name, fam, f->reason);
		break;
	case FAIL_APPEND:
		diag_error(x->dl, loc, 1,
			   "libiptc refused this rule in chain '%s' of table "
			   "'%s'%s: %s",
			   f->chain, name, fam, f->reason);
		break;
	case FAIL_COUNTERS:
		diag_error(x->dl, loc, 1,
			   "cannot keep the counters of chain '%s' in table "
			   "'%s'%s: %s",
			   f->chain, name, fam, f->reason);
		break;
	case FAIL_HANDOVER:
		diag_error(x->dl, loc, 1, "table '%s'%s was not committed: %s",
			   name, fam, f->reason);
		break;
	case FAIL_REBUILD:
		diag_error(x->dl, loc, 1,
			   "table '%s'%s changed in the kernel during the "
			   "commit, and the config could not be built again "
			   "to retry: %s",
			   name, fam, f->reason);
		break;
	case FAIL_COMMIT:
		diag_error(x->dl, loc, 1, "cannot commit table '%s'%s: %s",
			   name, fam, f->reason);
		break;
	}
}

/* (Re)read, merge, plan and edit table @tt. */
static struct xtc_handle *txn_open(struct txn *x, struct table_txn *tt,
				   struct iptc_failure *f)
{
	return table_open(tt->model->name, tt->model, x->opt->restore,
			  tt->existed, tt->before, tt->merged, &tt->plan,
			  &tt->target, x->dl, f);
}

/*
 * The fast path for table @tt: true when the kernel holds exactly its
 * model already, found with one raw read, without libiptc (whose
 * iptc_init parses the whole table) and without a model of the live
 * table.  Only for the plain case: a table the kernel holds (reading it
 * raw would instantiate it otherwise), no preserve globs (the live
 * chains they keep are merged in first), not putting tables back (whose
 * counters may have to be written).  Anything else, and any difference,
 * goes the slow way, which reports exactly as before.
 */
static bool txn_unchanged(const struct txn *x, struct table_txn *tt)
{
	struct raw_table rt;
	bool same;

	if (x->opt->restore || tt->model->npreserve > 0 || !tt->existed)
		return false;
	same = raw_table_read(tt->model->family, tt->model->name, &rt) == 0 &&
	       raw_table_same(tt->model, &rt);
	raw_table_free(&rt);
	return same;
}

/* The bit of table @t in a set of tables of both families. */
static unsigned table_bit(const struct table *t)
{
	return 1u << (t->family * TABLE_COUNT + t->id);
}

/*
 * Let the caller drop the model of table @tt, now in its libiptc handle
 * (which holds its own copy of each rule): the models, libiptc's copies
 * and the blob of a commit are then never all in memory at once.  Only a
 * table to be committed, and not when this pass will start again anyway.
 * The apply cache's digest is taken first: the merged target shares the
 * model's entries.  Each table as soon as it is edited; with apply
 * --confirm's hook, whose printing of the tables read may start the pass
 * again (txn_note_print_misses), all of them just before the first
 * commit instead, so that the start again needs no rebuild.
 */
static void txn_drop_model(struct txn *x, struct table_txn *tt)
{
	if (!tt->plan.changed || !x->opt->drop_model || x->opt->restore ||
	    plan_missed())
		return;
	if (x->opt->committed) {
		tt->digest =
			canon_model_table(tt->target ? tt->target : tt->model);
		tt->digested = true;
	}
	x->opt->drop_model(x->opt->model_arg, tt->model);
	x->dropped = true;
}

/* Read every named table and plan and build its new contents in memory.
 * Nothing reaches the kernel; on failure nothing was changed (a table
 * the kernel did not hold may have been instantiated, empty). */
static int txn_prepare(struct txn *x)
{
	struct iptc_failure f;

	for (size_t i = 0; i < x->count; i++) {
		struct table_txn *tt = &x->tables[i];

		tt->existed = commit_table_loaded(tt->model->family,
						  tt->model->name) &&
			      !(x->absent & table_bit(tt->model));
		if (!tt->existed)
			x->absent |= table_bit(tt->model);
		if (txn_unchanged(x, tt))
			continue; /* its plan stays empty: not committed */
		tt->h = txn_open(x, tt, &f);
		if (!tt->h) {
			x->report->failed_table = tt->model->name;
			x->report->failed_family = tt->model->family;
			report_build_failure(x, tt->model, &f);
			return -1;
		}
		if (!x->opt->before_commit)
			txn_drop_model(x, tt);
	}
	return 0;
}

/*
 * True when the kernel holds table @name as @before, counters aside;
 * false when it differs or cannot be read.  libiptc reports a failed
 * commit when only the counters could not be written, after the new rules
 * went live: this tells which of the two happened.
 */
static bool table_matches(const char *name, const struct table *before)
{
	struct table_plan plan = { 0 };
	struct iptc_failure f;
	struct xtc_handle *h;
	struct ruleset scratch;
	struct table *now;
	bool same = false;

	ruleset_init(&scratch);
	now = ruleset_table_in(&scratch, before->family, name);
	h = tc_init(before->family, name);
	if (h && handle_read(h, now, &f) == 0) {
		plan_table(now, before, PLAN_COUNTERS_IGNORE, false, &plan);
		same = !plan.changed;
		plan_free(&plan);
	}
	if (h)
		tc_free(h);
	ruleset_free(&scratch);
	return same;
}

/* True when a failed commit may have changed the table anyway: EAGAIN
 * means the kernel applied nothing, any other error may come after. */
static bool failure_may_have_applied(const struct iptc_failure *f)
{
	return f->step == FAIL_COMMIT && f->err != EAGAIN;
}

/* Putting one table back as it was read: the state of the reads. */
struct restore {
	struct reopen reopen;
	const struct table *before;
	struct table *now, *merged;
	struct table_plan plan;
	struct diag_list scratch_dl;
};

/* Read the table again and plan and edit the way back to @before. */
static struct xtc_handle *restore_open(struct reopen *ro,
				       struct iptc_failure *f)
{
	struct restore *r = ro->arg;

	return table_open(r->before->name, r->before, true, true, r->now,
			  r->merged, &r->plan, NULL, &r->scratch_dl, f);
}

/* Put table @before back as it was read; returns 0 or -1 with @f set.
 * Preserve globs play no part: the model @before is exact. */
static int table_restore(struct txn *x, const struct table *before,
			 struct iptc_failure *f)
{
	struct ruleset scratch_now, scratch_merged;
	struct restore r = { .before = before };
	struct xtc_handle *h;
	int rc = 0;

	r.reopen.fn = restore_open;
	r.reopen.arg = &r;
	ruleset_init(&scratch_now);
	ruleset_init(&scratch_merged);
	diag_list_init(&r.scratch_dl);
	r.now = ruleset_table_in(&scratch_now, before->family, before->name);
	r.merged =
		ruleset_table_in(&scratch_merged, before->family, before->name);
	h = restore_open(&r.reopen, f);
	if (!h)
		rc = -1;
	else if (r.plan.changed)
		rc = handle_commit(&h, &r.reopen, &x->report->retries, f);
	if (h)
		tc_free(h);
	plan_free(&r.plan);
	diag_list_free(&r.scratch_dl);
	ruleset_free(&scratch_now);
	ruleset_free(&scratch_merged);
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
	struct iptc_failure why[RULESET_TABLES]; /* per table, if lost */
	bool failed[RULESET_TABLES];
};

/* Put back the committed tables among 0..@last-1 of @x. */
static void txn_restore(struct txn *x, size_t last, struct roll_back *rb)
{
	for (size_t i = 0; i < last; i++) {
		struct table_txn *tt = &x->tables[i];

		if (!tt->committed)
			continue;
		if (table_restore(x, tt->before, &rb->why[i]) == 0) {
			x->report->tables_restored++;
			rb->nrestored++;
			names_append(rb->restored, sizeof(rb->restored),
				     tt->model->name);
			continue;
		}
		if (failure_may_have_applied(&rb->why[i]) &&
		    table_matches(tt->model->name, tt->before)) {
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
		   "the kernel refused table '%s'%s%s: %s; %s", t->name,
		   family_suffix(t->family), retries, f->reason, outcome);
	if (f->err == EAGAIN)
		diag_hint(x->dl,
			  "another program that ignores the xtables "
			  "lock is editing it; try again when it is done");
	else
		diag_hint(x->dl, "the kernel log (dmesg) may tell why");
}

/*
 * Table @failed was refused with @f after the tables before it were
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
	if (failure_may_have_applied(f) &&
	    !table_matches(bad->model->name, bad->before)) {
		bad->committed = true;
		last = failed + 1;
	}
	txn_restore(x, last, &rb);
	x->report->failed_table = bad->model->name;
	x->report->failed_family = bad->model->family;
	x->report->status = rb.nlost > 0 ? COMMIT_PARTIAL : COMMIT_REFUSED;
	if (f->step == FAIL_COMMIT) {
		report_refusal(x, bad->model, f, &rb);
	} else {
		/* Re-reading the table after EAGAIN failed, or the hand-over
		 * before the commit. */
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

/*
 * apply --confirm's hook saves the tables it replaces as text (confirm.c):
 * print them once here, sealed, so that an extension their text needs and
 * libxtables has not loaded yet is noted now, and loaded with the lock
 * released before the commit (commit_pass starts again), rather than
 * missed in the saved text.
 */
static void txn_note_print_misses(const struct txn *x)
{
	FILE *null;

	if (!x->opt->before_commit)
		return;
	null = fopen("/dev/null", "w");
	if (!null)
		return;
	for (size_t i = 0; i < x->count; i++)
		if (x->tables[i].h)
			print_table(x->tables[i].before, null);
	fclose(null);
}

/* Give the table about to be committed to the caller's hook. */
static int txn_hand_over(struct txn *x, struct table_txn *tt,
			 struct iptc_failure *f)
{
	if (!x->opt->before_commit ||
	    x->opt->before_commit(tt->before, x->opt->before_commit_arg) == 0)
		return 0;
	failure_set(f, FAIL_HANDOVER, EPIPE,
		    "the confirm watchdog could not take the previous table",
		    NULL);
	return -1;
}

/* A retry of one table of the transaction. */
struct txn_reopen {
	struct reopen reopen;
	struct txn *x;
	struct table_txn *tt;
};

static struct xtc_handle *txn_reopen_fn(struct reopen *ro,
					struct iptc_failure *f)
{
	struct txn_reopen *r = ro->arg;
	const struct commit_options *opt = r->x->opt;
	struct xtc_handle *h;
	char why[sizeof(f->reason)];

	if (r->x->dropped) {
		if (opt->rebuild_model(opt->model_arg, why, sizeof(why)) < 0) {
			failure_set(f, FAIL_REBUILD, EAGAIN, why, NULL);
			return NULL;
		}
		r->x->dropped = false;
	}
	h = txn_open(r->x, r->tt, f);
	r->tt->digested = false; /* planned again: digested at the end */

	if (h && txn_hand_over(r->x, r->tt, f) < 0) {
		tc_free(h);
		return NULL;
	}
	return h;
}

/* The per-table report line. */
static void txn_report_table(struct txn *x, const struct table_txn *tt)
{
	struct commit_table_report *tr =
		&x->report->tables[x->report->ntables++];

	tr->name = tt->model->name;
	tr->family = tt->model->family;
	tr->created = tt->plan.created;
	tr->committed = tt->committed;
	tr->rules_added = tt->plan.rules_added;
	tr->rules_removed = tt->plan.rules_removed;
	tr->chains_added = tt->plan.chains_added;
	tr->chains_removed = tt->plan.chains_removed;
	tr->policies_changed = tt->plan.policies_changed;
}

/* Commit the changed tables in order; roll back on the first refusal. */
static int txn_commit(struct txn *x)
{
	struct iptc_failure f;

	for (size_t i = 0; x->opt->before_commit && i < x->count; i++)
		txn_drop_model(x, &x->tables[i]);
	for (size_t i = 0; i < x->count; i++) {
		struct table_txn *tt = &x->tables[i];
		struct txn_reopen r = { .x = x, .tt = tt };

		r.reopen.fn = txn_reopen_fn;
		r.reopen.arg = &r;
		if (!tt->plan.changed) {
			x->report->tables_unchanged++;
			continue;
		}
		if (txn_hand_over(x, tt, &f) < 0 ||
		    handle_commit(&tt->h, &r.reopen, &x->report->retries, &f) <
			    0) {
			txn_roll_back(x, i, &f);
			return -1;
		}
		tt->committed = true;
		x->report->tables_committed++;
		/* Its rules are the kernel's now, and a roll-back opens a
		 * handle of its own: give libiptc's copy back before the
		 * next table's blob is laid out, which then reuses that
		 * memory instead of touching as much fresh (a dual-stack
		 * load of 100 000 + 100 000 rules: a quarter fewer page
		 * faults, bench/README.md). */
		tc_free(tt->h);
		tt->h = NULL;
	}
	for (size_t i = 0; i < x->count; i++)
		txn_report_table(x, &x->tables[i]);
	return 0;
}

/* Hand every table's digest to opt->committed: the kernel holds each
 * table's target now (counters aside), so it is digested, not read back
 * (which costs as much as a cached reapply). */
static void txn_hand_digests(const struct txn *x)
{
	for (size_t i = 0; i < x->count; i++) {
		const struct table_txn *tt = &x->tables[i];
		const struct table *t = tt->target ? tt->target : tt->model;
		struct commit_table_digest d = {
			.family = tt->model->family,
			.name = tt->model->name,
			.held = true,
		};

		d.digest = tt->digested ? tt->digest : canon_model_table(t);
		x->opt->committed(&d, x->opt->committed_arg);
	}
}

static void txn_free(struct txn *x)
{
	for (size_t i = 0; i < x->count; i++) {
		if (x->tables[i].h)
			tc_free(x->tables[i].h);
		plan_free(&x->tables[i].plan);
	}
	ruleset_free(&x->before);
	ruleset_free(&x->merged);
}

/* A pass starts again with some models dropped: build them again first
 * (with the lock released).  Returns 0, or -1 with the error reported. */
static int txn_rebuild(struct txn *x)
{
	char why[sizeof(((struct iptc_failure *)NULL)->reason)];

	if (x->opt->rebuild_model(x->opt->model_arg, why, sizeof(why)) == 0)
		return 0;
	x->report->status = COMMIT_REFUSED;
	diag_error(x->dl, NULL, 1,
		   "nothing was changed: the config could not be built again "
		   "to compare it with the kernel's tables once more: %s",
		   why);
	return -1;
}

/* One pass of commit_ruleset; @absent as in struct txn, kept across. */
static int commit_pass(const struct ruleset *rs,
		       const struct commit_options *opt,
		       struct commit_report *report, struct diag_list *dl,
		       unsigned *absent)
{
	static const struct commit_options defaults = { .wait_seconds = 0 };
	struct commit_report scratch;
	struct txn x = { .count = 0 };
	sigset_t old_mask;
	int lock_fd, rc;
	bool again;

	x.opt = opt ? opt : &defaults;
	x.report = report ? report : &scratch;
	x.dl = dl;
	x.absent = *absent;
	memset(x.report, 0, sizeof(*x.report));
	for (int id = 0; id < RULESET_TABLES; id++) {
		if (rs->tables[id].named)
			x.tables[x.count++].model = &rs->tables[id];
	}
	if (x.count == 0)
		return 0;

	/* No libxtables load (whose failures exit()) under the lock. */
	plan_seal();
	lock_fd = lock_take(x.opt, dl);
	if (lock_fd < 0) {
		plan_unseal();
		x.report->status = COMMIT_LOCK_FAILED;
		return -1;
	}
	stop_signals_hold(&old_mask);
	if (x.opt->veto && x.opt->veto(x.opt->veto_arg)) {
		x.report->status = COMMIT_VETOED;
		close(lock_fd);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		plan_unseal();
		return -1;
	}
	ruleset_init(&x.before);
	ruleset_init(&x.merged);
	for (size_t i = 0; i < x.count; i++) {
		x.tables[i].before = ruleset_table_of(&x.before,
						      x.tables[i].model->family,
						      x.tables[i].model->id);
		x.tables[i].merged = ruleset_table_of(&x.merged,
						      x.tables[i].model->family,
						      x.tables[i].model->id);
	}
	rc = txn_prepare(&x);
	if (rc == 0)
		txn_note_print_misses(&x);
	/* A plan (or the text apply --confirm saves) wanted an extension's
	 * save text that libxtables had not loaded: load it with the lock
	 * released, then start again. */
	again = rc == 0 && plan_missed();
	*absent = x.absent;
	if (rc < 0)
		x.report->status = COMMIT_REFUSED;
	else if (!again)
		rc = txn_commit(&x);
	if (rc == 0 && !again && x.opt->committed)
		txn_hand_digests(&x);
	txn_free(&x);
	/* Only now, with every handle freed, may another program edit;
	 * then a stop signal held back meanwhile may end us. */
	close(lock_fd);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	plan_unseal();
	plan_load_missed(); /* each at most once: the recursion ends */
	if (again && x.dropped && txn_rebuild(&x) < 0)
		return -1;
	return again ? commit_pass(rs, opt, report, dl, absent) : rc;
}

int commit_ruleset(const struct ruleset *rs, const struct commit_options *opt,
		   struct commit_report *report, struct diag_list *dl)
{
	unsigned absent = 0;

	return commit_pass(rs, opt, report, dl, &absent);
}
