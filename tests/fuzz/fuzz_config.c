/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target over reader, expander, builder and
 * validator: any bytes in, diagnostics or a ruleset out, no crash, no
 * leak, no undefined behaviour.  Nothing here touches the kernel.
 *
 * Each input goes through both forms of the pipeline: the staged one
 * (reader_read, expander_run, build_ruleset: the unit tests') and the
 * streamed one main.c runs (pipeline_run).
 * They must agree on every diagnostic and every rule, or the target
 * traps.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "diag.h"
#include "expand.h"
#include "pipeline.h"
#include "reader.h"
#include "ruleset.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct expander *ex;
	struct diag_list dl;
	struct ruleset rs;
	int status;
};

static void run_init(struct run *r)
{
	r->ex = expander_new();
	expander_forbid_includes(r->ex);
	diag_list_init(&r->dl);
	ruleset_init(&r->rs);
	r->status = 0;
}

static void run_free(struct run *r)
{
	ruleset_free(&r->rs);
	expander_free(r->ex);
	diag_list_free(&r->dl);
}

static void staged(struct run *r, const struct source *src)
{
	struct script script = { 0 };
	struct cmd_list cmds = { 0 };
	int rc = reader_read(src, &script, &r->dl);

	/* As main.c validates: only what every stage accepted. */
	if (expander_run(r->ex, &script, &cmds, &r->dl) < 0)
		rc = -1;
	if (build_ruleset(&r->rs, &cmds, &r->dl) < 0)
		rc = -1;
	if (rc == 0)
		validate_ruleset(&r->rs, &r->dl);
	cmd_list_free(&cmds);
	script_free(&script);
}

static void streamed(struct run *r, const struct source *src)
{
	struct builder *b = builder_new(&r->rs, &r->dl);

	r->status = pipeline_run(src, r->ex, b, &r->dl);
	if (builder_finish(b) == 0 && r->status == 0)
		validate_ruleset(&r->rs, &r->dl);
}

static int diag_order(const void *pa, const void *pb)
{
	const struct diag *a = *(const struct diag *const *)pa;
	const struct diag *b = *(const struct diag *const *)pb;

	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col ? -1 : 1;
	return strcmp(a->message, b->message);
}

/* The same diagnostics, in whatever order they were found: the staged
 * pipeline reads the whole text before it expands any of it. */
static bool same_diags(const struct diag_list *a, const struct diag_list *b)
{
	const struct diag **sa, **sb;
	bool same = true;

	if (a->count != b->count || a->errors != b->errors)
		return false;
	if (a->dropped) /* which ones were kept depends on the order */
		return true;
	sa = calloc(a->count + 1, sizeof(*sa));
	sb = calloc(b->count + 1, sizeof(*sb));
	if (!sa || !sb)
		abort();
	for (size_t i = 0; i < a->count; i++) {
		sa[i] = &a->items[i];
		sb[i] = &b->items[i];
	}
	qsort(sa, a->count, sizeof(*sa), diag_order);
	qsort(sb, b->count, sizeof(*sb), diag_order);
	for (size_t i = 0; same && i < a->count; i++)
		same = diag_order(&sa[i], &sb[i]) == 0;
	free(sa);
	free(sb);
	return same;
}

static bool same_rules(const struct ruleset *a, const struct ruleset *b)
{
	for (int id = 0; id < RULESET_TABLES; id++) {
		const struct table *ta = &a->tables[id], *tb = &b->tables[id];

		if (ta->named != tb->named || ta->nchains != tb->nchains)
			return false;
		for (size_t i = 0; i < ta->nchains; i++) {
			const struct chain *ca = ta->chains[i];
			const struct chain *cb = tb->chains[i];

			if (strcmp(ca->name, cb->name) != 0 ||
			    ca->nrules != cb->nrules ||
			    ca->policy != cb->policy)
				return false;
			for (size_t k = 0; k < ca->nrules; k++)
				if (!rule_entries_equal(ta->family,
							ca->rules[k].entry,
							cb->rules[k].entry))
					return false;
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source *src =
		source_from_bytes("fuzz.conf", (const char *)data, size);
	FILE *devnull = fopen("/dev/null", "w");
	struct run one, two;

	run_init(&one);
	run_init(&two);
	staged(&one, src);
	streamed(&two, src);
	if (!same_diags(&one.dl, &two.dl) || !same_rules(&one.rs, &two.rs))
		__builtin_trap();
	if (devnull) {
		diag_list_print(&two.dl,
				devnull); /* the printer is fuzzed too */
		fclose(devnull);
	}
	run_free(&one);
	run_free(&two);
	source_free(src);
	return 0;
}
