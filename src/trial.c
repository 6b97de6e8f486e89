/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trial.c - a full trial load in a scratch network namespace, and, when
 * the kernel refuses a table, the rule it refuses.
 *
 * The kernel checks a table as a whole and answers with one errno; libiptc
 * cannot say which rule was at fault.  A forked child enters a new network
 * namespace (unshare, not a program), commits the ruleset there through
 * the committer, and if a table is refused, searches for the shortest
 * prefix of that table's rules (chains in table order, rules in chain
 * order, every user chain present) that the kernel still refuses: the last
 * rule of that prefix is the one that makes the table unacceptable.  A
 * rule that is only refused once something jumps to it is found as that
 * jump.  What the kernel logged about it (x_tables and extension
 * messages in /dev/kmsg) comes back with it.  The live namespace is never
 * touched: the child's namespace dies with it.  The IPv6 tables are
 * tried the same way, in the same commit: a refused table is found by its
 * family and name.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commit.h"
#include "trial.h"

/* What the child sends back through the pipe. */
struct trial_result {
	int status; /* 0 accepted, 1 refused, 2 could not try */
	int table;  /* the refused table's index in rs->tables */
	int chain;  /* index in the table's chains, or -1 */
	int rule;   /* index in the chain */
	char reason[256];
	char kernel[512]; /* what the kernel logged, lines joined by "; " */
};

/* Read what x_tables and its extensions logged since @fd was opened. */
static void read_kmsg(int fd, char *out, size_t size)
{
	char rec[1024];
	ssize_t n;
	size_t len = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0) {
		char *msg = memchr(rec, ';', (size_t)n);

		rec[n] = '\0';
		if (!msg++)
			continue;
		msg[strcspn(msg, "\n")] = '\0';
		if (!strstr(msg, "x_tables") && !strstr(msg, "xt_") &&
		    !strstr(msg, "ip_tables") && !strstr(msg, "ipt_") &&
		    !strstr(msg, "ip6_tables") && !strstr(msg, "ip6t_"))
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					len ? "; " : "", msg);
		if (len >= size)
			break;
	}
}

/* Keep only table @id named, and of it the first @k rules. */
static void keep_prefix(struct ruleset *rs, int id, size_t k,
			const size_t *full)
{
	struct table *t = &rs->tables[id];

	for (int i = 0; i < RULESET_TABLES; i++)
		if (i != id)
			rs->tables[i].named = false;
	for (size_t i = 0; i < t->nchains; i++) {
		size_t n = full[i] < k ? full[i] : k;

		t->chains[i]->nrules = n;
		k -= n;
	}
}

/* Commit quietly; returns 0 accepted, 1 refused, 2 other failure. */
static int try_commit(const struct ruleset *rs, const char *lock,
		      struct trial_result *res)
{
	struct commit_options opt = { .wait_seconds = -1, .lock_path = lock };
	struct commit_report report = { 0 };
	struct diag_list dl;
	int rc;

	diag_list_init(&dl);
	rc = commit_ruleset(rs, &opt, &report, &dl);
	if (rc < 0 && dl.count)
		snprintf(res->reason, sizeof(res->reason), "%s",
			 dl.items[0].message);
	diag_list_free(&dl);
	if (rc == 0)
		return 0;
	return report.status == COMMIT_REFUSED ? 1 : 2;
}

/* The index in rs->tables of the table @r says was refused, or -1. */
static int failed_index(const struct ruleset *rs, const struct commit_report *r)
{
	for (int i = 0; i < RULESET_TABLES; i++)
		if (r->failed_table &&
		    rs->tables[i].family == r->failed_family &&
		    strcmp(rs->tables[i].name, r->failed_table) == 0)
			return i;
	return -1;
}

/* The child: runs in its own network namespace, reports through @res. */
static void trial_child(struct ruleset *rs, const char *lock,
			struct trial_result *res)
{
	struct commit_options opt = { .wait_seconds = -1, .lock_path = lock };
	struct commit_report report = { 0 };
	struct diag_list dl;
	size_t *full, total = 0, lo, hi;
	struct table *t;
	int kmsg;

	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(res->reason, sizeof(res->reason),
			 "cannot make a scratch network namespace: %s",
			 strerror(errno));
		res->status = 2;
		return;
	}
	diag_list_init(&dl);
	res->status = commit_ruleset(rs, &opt, &report, &dl) == 0 ? 0 : 1;
	if (res->status && dl.count)
		snprintf(res->reason, sizeof(res->reason), "%s",
			 dl.items[0].message);
	diag_list_free(&dl);
	res->table = failed_index(rs, &report);
	if (res->status == 0 || res->table < 0) {
		res->status = res->status && report.status != COMMIT_REFUSED ?
				      2 :
				      res->status;
		return;
	}
	t = &rs->tables[res->table];
	full = calloc(t->nchains + 1, sizeof(*full));
	if (!full)
		abort();
	for (size_t i = 0; i < t->nchains; i++)
		total += full[i] = t->chains[i]->nrules;
	/* The shortest refused prefix: prefix 0 (chains only) is assumed
	 * accepted, prefix total is refused. */
	lo = 0;
	hi = total;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		keep_prefix(rs, res->table, mid, full);
		if (try_commit(rs, lock, res) == 1)
			hi = mid;
		else
			lo = mid;
	}
	/* Once more with the culprit last, to catch what the kernel logs. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	keep_prefix(rs, res->table, hi, full);
	if (try_commit(rs, lock, res) == 1)
		read_kmsg(kmsg, res->kernel, sizeof(res->kernel));
	if (kmsg >= 0)
		close(kmsg);
	res->chain = -1;
	for (size_t i = 0, k = hi; i < t->nchains; i++) {
		if (k <= full[i]) {
			res->chain = (int)i;
			res->rule = (int)k - 1;
			break;
		}
		k -= full[i];
	}
	for (size_t i = 0; i < t->nchains; i++)
		t->chains[i]->nrules = full[i];
	free(full);
}

static void report(const struct ruleset *rs, const struct trial_result *res,
		   struct diag_list *dl)
{
	const struct table *t = &rs->tables[res->table];
	const struct rule *r = NULL;

	if (res->chain >= 0 && (size_t)res->chain < t->nchains &&
	    res->rule >= 0 && (size_t)res->rule < t->chains[res->chain]->nrules)
		r = &t->chains[res->chain]->rules[res->rule];
	if (r) {
		diag_error(dl, &r->loc, 1,
			   "the kernel refuses table %s%s with this rule in it "
			   "(rule %d of %s)",
			   t->name, family_suffix(t->family), res->rule + 1,
			   t->chains[res->chain]->name);
	} else {
		diag_error(dl, t->loc.src ? &t->loc : NULL, 1,
			   "the kernel refuses table %s%s: %s", t->name,
			   family_suffix(t->family), res->reason);
	}
	if (res->kernel[0])
		diag_hint(dl, "the kernel logged: %s", res->kernel);
	else if (r)
		diag_hint(dl, "the kernel gave no reason in its log; the "
			      "table loads without this rule");
}

int trial_load(const struct ruleset *rs, struct diag_list *dl)
{
	struct trial_result res = { .status = 2 };
	char lock[64] = "/tmp/iptload-trial.XXXXXX"; /* + "/lock" */
	int fds[2], wstatus;
	pid_t pid;
	ssize_t n;

	/* A private lock: the scratch namespace is ours alone, and the
	 * host's lock must not wait on (or for) other programs. */
	if (!mkdtemp(lock) || pipe(fds) < 0)
		return diag_error(dl, NULL, 0, "trial load: %s",
				  strerror(errno));
	strcat(lock, "/lock");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return diag_error(dl, NULL, 0, "trial load: fork: %s",
				  strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		trial_child((struct ruleset *)rs, lock, &res);
		if (write(fds[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], &res, sizeof(res));
	close(fds[0]);
	waitpid(pid, &wstatus, 0);
	unlink(lock);
	lock[strlen(lock) - 5] = '\0';
	rmdir(lock);
	if (n != sizeof(res))
		return diag_error(dl, NULL, 0,
				  "trial load: the scratch process failed");
	if (res.status == 2)
		return diag_error(dl, NULL, 0, "trial load: %s", res.reason);
	if (res.status == 1) {
		report(rs, &res, dl);
		return -1;
	}
	return 0;
}
