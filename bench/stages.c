// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stages - time iptload's pipeline one stage at a time, for profiling.
 *
 *	stages [--commit] FILE
 *
 * Runs what `iptload check FILE` (or, with --commit, `iptload apply`)
 * runs, in the same order as main.c's load_config(), and prints for each
 * stage its wall and CPU time, the heap in use after it (glibc mallinfo2:
 * arena plus mmapped bytes) and the process's peak RSS so far:
 *
 *	read      the file into memory (source_read)
 *	parse     text to the in-memory tables: the reader, the expander and
 *	          the builder, streamed statement by statement as in
 *	          load_config (bench/perf-by-stage splits it among them)
 *	validator the kernel's checks (validate_ruleset)
 *	committer libiptc: init, load, commit (commit_ruleset; --commit)
 *	free      the tables
 *
 * Built with -DSTAGES_COUNT_ALLOCS and the linker's --wrap for malloc,
 * calloc, realloc, reallocarray, strdup, strndup and free (bench/profile
 * does), it also counts iptload's own calls to the allocator per stage
 * (not those inside libc, libiptc or libxtables), per rule.
 *
 * It links the static library of a build (bench/profile builds it); it
 * is a measuring tool, not part of iptload.  With --commit it changes the
 * firewall of the namespace it runs in: run it only under unshare -n, as
 * bench/profile does.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "build.h"
#include "commit.h"
#include "diag.h"
#include "expand.h"
#include "pipeline.h"
#include "reader.h"
#include "ruleset.h"
#include "validate.h"

#ifdef STAGES_COUNT_ALLOCS
/* Calls to the allocator from iptload's code since the start. */
static unsigned long n_allocs, n_frees;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_reallocarray(void *p, size_t n, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_reallocarray(void *p, size_t n, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n)
{
	n_allocs++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	n_allocs++;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	n_allocs++;
	return __real_realloc(p, n);
}

void *__wrap_reallocarray(void *p, size_t n, size_t size)
{
	n_allocs++;
	return __real_reallocarray(p, n, size);
}

char *__wrap_strdup(const char *s)
{
	n_allocs++;
	return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	n_allocs++;
	return __real_strndup(s, n);
}

void __wrap_free(void *p)
{
	if (p)
		n_frees++;
	__real_free(p);
}
#else
static const unsigned long n_allocs, n_frees;
#endif

/* A point in time, for the differences printed per stage. */
struct mark {
	struct timespec wall;
	double cpu;
	unsigned long allocs, frees;
};

static struct mark mark_now(void)
{
	struct mark m;
	struct rusage ru;

	m.allocs = n_allocs;
	m.frees = n_frees;
	clock_gettime(CLOCK_MONOTONIC, &m.wall);
	getrusage(RUSAGE_SELF, &ru);
	m.cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return m;
}

/* Peak RSS of this process so far, in KiB. */
static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* What one stage cost; printed once the rule count is known. */
struct stage {
	const char *name;
	double wall, cpu;
	double heap_mib;	     /* in use after the stage */
	double peak_mib;	     /* of the process, so far */
	unsigned long allocs, frees; /* iptload's allocator calls */
};

static struct stage stages[8];
static size_t nstages;

/* Record the stage that ends now and start the next stage's clock. */
static void stage_done(const char *name, struct mark *since)
{
	struct mark now = mark_now();
	struct mallinfo2 mi = mallinfo2();
	struct stage *st = &stages[nstages++];

	st->name = name;
	st->wall = (double)(now.wall.tv_sec - since->wall.tv_sec) +
		   (double)(now.wall.tv_nsec - since->wall.tv_nsec) / 1e9;
	st->cpu = now.cpu - since->cpu;
	st->heap_mib = (double)(mi.uordblks + mi.hblkhd) / 1048576.0;
	st->peak_mib = (double)peak_rss_kib() / 1024.0;
	st->allocs = now.allocs - since->allocs;
	st->frees = now.frees - since->frees;
	*since = mark_now();
}

static void stages_print(size_t rules)
{
	double n = rules ? (double)rules : 1.0;
#ifdef STAGES_COUNT_ALLOCS
	const bool counted = true;
#else
	const bool counted = false;
#endif

	printf("%-10s %12s %12s %11s %13s %13s", "stage", "wall", "CPU",
	       "wall/rule", "heap after", "peak RSS");
	if (counted)
		printf(" %12s %11s", "allocs/rule", "frees/rule");
	printf("\n");
	for (size_t i = 0; i < nstages; i++) {
		const struct stage *st = &stages[i];

		printf("%-10s %9.1f ms %9.1f ms %8.2f us %9.1f MiB "
		       "%9.1f MiB",
		       st->name, st->wall * 1e3, st->cpu * 1e3,
		       st->wall * 1e6 / n, st->heap_mib, st->peak_mib);
		if (counted)
			printf(" %12.1f %11.1f", (double)st->allocs / n,
			       (double)st->frees / n);
		printf("\n");
	}
}

static size_t count_rules(const struct ruleset *rs)
{
	size_t n = 0;

	for (int id = 0; id < TABLE_COUNT; id++)
		for (size_t i = 0; i < rs->tables[id].nchains; i++)
			n += rs->tables[id].chains[i]->nrules;
	return n;
}

int main(int argc, char **argv)
{
	struct commit_options copt = { .wait_seconds = 10 };
	struct builder *b;
	bool commit = argc == 3 && strcmp(argv[1], "--commit") == 0;
	struct expander *ex;
	struct diag_list dl;
	struct ruleset rs;
	struct source *src;
	struct mark m;
	char *why = NULL;
	size_t rules = 0;
	int rc = 0;

	if (argc != 2 + commit) {
		fprintf(stderr, "usage: stages [--commit] FILE\n");
		return 64;
	}
	m = mark_now();
	src = source_read(argv[argc - 1], &why);
	if (!src) {
		fprintf(stderr, "stages: %s: %s\n", argv[argc - 1], why);
		free(why);
		return 2;
	}
	stage_done("read", &m);
	ex = expander_new();
	diag_list_init(&dl);
	ruleset_init(&rs);
	b = builder_new(&rs, &dl);
	rc |= pipeline_run(src, ex, b, &dl);
	rc |= builder_finish(b);
	rules = count_rules(&rs);
	stage_done("parse", &m);
	if (rc == 0)
		rc = validate_ruleset(&rs, &dl);
	stage_done("validator", &m);
	if (rc == 0 && commit) {
		rc = commit_ruleset(&rs, &copt, NULL, &dl);
		stage_done("committer", &m);
	}
	ruleset_free(&rs);
	stage_done("free", &m);
	stages_print(rules);
	printf("%zu rules, %s\n", rules, rc == 0 ? "ok" : "FAILED");
	diag_list_print(&dl, stderr);
	diag_list_free(&dl);
	expander_free(ex);
	source_free(src);
	return rc == 0 ? 0 : 1;
}
