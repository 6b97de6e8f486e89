/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helpers.h - shared by the unit tests of the first stages: run config
 * text through the reader, the expander, the builder and the validator,
 * and look the results and diagnostics up.  Everything is static inline so
 * that a test file using only part of it does not warn.
 *
 * Include it after <cmocka.h>.
 */
#ifndef IPTLOAD_TEST_HELPERS_H
#define IPTLOAD_TEST_HELPERS_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "diag.h"
#include "expand.h"
#include "reader.h"
#include "ruleset.h"
#include "validate.h"

/*
 * skip_bug(): skip a test that shows a known bug in src/ (each use carries
 * a "BUG:" comment).  Build with -Dc_args=-DIPTLOAD_RUN_BUG_TESTS to run
 * those tests anyway and watch them fail, or pass once the bug is fixed.
 */
#ifdef IPTLOAD_RUN_BUG_TESTS
#define skip_bug() ((void)0)
#else
#define skip_bug() skip()
#endif

/*
 * One run of the pipeline over one config text.  The source must outlive
 * the diagnostics and the commands, which point into it, so it is part of
 * the run and freed last.
 */
struct run {
	struct source *src;
	struct script script;
	struct expander *ex;
	struct cmd_list cmds;
	struct ruleset rs;
	bool have_rs;
	struct diag_list dl;
	int read_rc;
	int expand_rc;
	int build_rc;
	int validate_rc;
};

static inline void run_init(struct run *r, const char *text)
{
	memset(r, 0, sizeof(*r));
	r->src = source_from_string("t.conf", text);
	diag_list_init(&r->dl);
	r->ex = expander_new();
}

static inline void run_free(struct run *r)
{
	if (r->have_rs)
		ruleset_free(&r->rs);
	cmd_list_free(&r->cmds);
	expander_free(r->ex);
	script_free(&r->script);
	diag_list_free(&r->dl);
	source_free(r->src);
	memset(r, 0, sizeof(*r));
}

/* Reader only. */
static inline int run_read(struct run *r, const char *text)
{
	run_init(r, text);
	r->read_rc = reader_read(r->src, &r->script, &r->dl);
	return r->read_rc;
}

/* Reader and expander; @defines is a NULL-terminated list of -D values
 * (or NULL), applied before the file as main() does. */
static inline int run_expand_d(struct run *r, const char *text,
			       const char *const *defines)
{
	run_read(r, text);
	for (size_t i = 0; defines && defines[i]; i++)
		assert_int_equal(expander_define(r->ex, defines[i], &r->dl), 0);
	r->expand_rc = expander_run(r->ex, &r->script, &r->cmds, &r->dl);
	return r->read_rc < 0 ? -1 : r->expand_rc;
}

static inline int run_expand(struct run *r, const char *text)
{
	return run_expand_d(r, text, NULL);
}

/* Every stage up to the builder. */
static inline int run_build(struct run *r, const char *text)
{
	int rc = run_expand(r, text);

	ruleset_init(&r->rs);
	r->have_rs = true;
	r->build_rc = build_ruleset(&r->rs, &r->cmds, &r->dl);
	return rc < 0 ? -1 : r->build_rc;
}

/* Every stage up to the validator (which runs only on a clean build, as
 * main() runs it). */
static inline int run_all(struct run *r, const char *text)
{
	if (run_build(r, text) < 0)
		return -1;
	r->validate_rc = validate_ruleset(&r->rs, &r->dl);
	return r->validate_rc;
}

/* Print the diagnostics, for a failing test's log. */
static inline void run_dump(const struct run *r)
{
	diag_list_print(&r->dl, stderr);
}

/* Assert that the run ended without any diagnostic at all. */
static inline void assert_clean_(const struct run *r, const char *file,
				 int line)
{
	if (r->dl.count != 0 || r->dl.errors != 0) {
		run_dump(r);
		_fail(file, line);
	}
}
#define assert_clean(r) assert_clean_((r), __FILE__, __LINE__)

static inline size_t count_sev(const struct run *r, enum diag_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < r->dl.count; i++)
		n += r->dl.items[i].severity == sev;
	return n;
}

/* The first diagnostic of @sev whose message contains @needle, or NULL. */
static inline const struct diag *
find_diag(const struct run *r, enum diag_severity sev, const char *needle)
{
	for (size_t i = 0; i < r->dl.count; i++)
		if (r->dl.items[i].severity == sev &&
		    strstr(r->dl.items[i].message, needle))
			return &r->dl.items[i];
	return NULL;
}

/*
 * Assert a diagnostic of @sev with exactly @msg at @line:@col exists, and
 * return it (for further checks of its hint or width).
 */
static inline const struct diag *
assert_diag_(const struct run *r, enum diag_severity sev, unsigned line,
	     unsigned col, const char *msg, const char *file, int fline)
{
	for (size_t i = 0; i < r->dl.count; i++) {
		const struct diag *d = &r->dl.items[i];

		if (d->severity == sev && strcmp(d->message, msg) == 0 &&
		    d->has_loc && d->loc.line == line && d->loc.col == col)
			return d;
	}
	fprintf(stderr, "expected %s at %u:%u: %s\ngot:\n",
		sev == DIAG_ERROR ? "error" : "warning", line, col, msg);
	run_dump(r);
	_fail(file, fline);
	return NULL;
}
#define assert_error_at(r, line, col, msg) \
	assert_diag_((r), DIAG_ERROR, (line), (col), (msg), __FILE__, __LINE__)
#define assert_warning_at(r, line, col, msg)                            \
	assert_diag_((r), DIAG_WARNING, (line), (col), (msg), __FILE__, \
		     __LINE__)

/* Assert an error whose message contains @needle; returns it. */
static inline const struct diag *assert_error_like_(const struct run *r,
						    const char *needle,
						    const char *file, int line)
{
	const struct diag *d = find_diag(r, DIAG_ERROR, needle);

	if (!d) {
		fprintf(stderr, "expected an error containing: %s\ngot:\n",
			needle);
		run_dump(r);
		_fail(file, line);
	}
	return d;
}
#define assert_error_like(r, needle) \
	assert_error_like_((r), (needle), __FILE__, __LINE__)

/* The chain @name of table @table in the run's ruleset; must exist. */
static inline struct chain *get_chain(struct run *r, const char *table,
				      const char *name)
{
	struct table *t = ruleset_table(&r->rs, table);
	struct chain *c;

	assert_non_null(t);
	c = table_find_chain(t, name);
	if (!c)
		fail_msg("no chain %s in table %s", name, table);
	return c;
}

/* The target name of rule @i (0-based) of @c. */
static inline const char *rule_target(const struct chain *c, size_t i)
{
	assert_true(i < c->nrules);
	return rule_target_name(FAMILY_IPV4, c->rules[i].entry);
}

/* The @k-th match (0-based) of entry @e, or NULL past the last. */
static inline const struct xt_entry_match *
entry_match(const struct ipt_entry *e, size_t k)
{
	size_t off = sizeof(*e);

	while (off < e->target_offset) {
		const struct xt_entry_match *m =
			(const void *)((const char *)e + off);

		if (k-- == 0)
			return m;
		assert_true(m->u.match_size > 0);
		off += m->u.match_size;
	}
	return NULL;
}

static inline size_t entry_nmatches(const struct ipt_entry *e)
{
	size_t n = 0;

	while (entry_match(e, n))
		n++;
	return n;
}

/* An address in network order, from dotted text. */
static inline uint32_t addr_be(const char *dotted)
{
	unsigned a, b, c, d;

	assert_int_equal(sscanf(dotted, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	return htonl(a << 24 | b << 16 | c << 8 | d);
}

#endif
