/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diag.h - source locations and the one error type of iptload.
 *
 * Every node made from config text carries a struct src_loc from the moment
 * the reader creates it.  Stages never print: they append diagnostics to a
 * struct diag_list, and main() prints the list once, with the source line
 * and a caret under the offending text.
 */
#ifndef IPTLOAD_DIAG_H
#define IPTLOAD_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

struct kept_line;

/*
 * A config file held in memory: its name as the user wrote it, and its
 * text.  Once the stages that read the text are done, apply drops it
 * (source_drop_text): @text is then NULL, and the lines a diagnostic may
 * still show are in @kept.
 */
struct source {
	char *name;
	char *text;
	size_t len;
	size_t mapped; /* @text is a bigmem buffer of this size, or 0 */
	struct kept_line *kept; /* sorted by line once the text is dropped */
	size_t nkept, kept_cap;
};

/*
 * Where a piece of config text starts: 1-based line and column (in bytes)
 * in @src.  @via is the location that pulled this text in (an include or a
 * macro call), or NULL at top level.
 */
struct src_loc {
	const struct source *src;
	unsigned line;
	unsigned col;
	const struct src_loc *via;
};

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
};

/* One diagnostic: what is wrong, where, and (optionally) what to write. */
struct diag {
	enum diag_severity severity;
	struct src_loc loc;
	bool has_loc;
	unsigned width; /* how many columns the caret marker covers, >= 1 */
	char *message;
	char *hint;	  /* "did you mean ..." text, or NULL */
	bool hint_shared; /* @hint is in @message's allocation */
};

/* An entry of struct diag_list's index of what was said (diag.c). */
struct diag_seen {
	uint64_t key;
	size_t item;
};

/*
 * All diagnostics of one run, in the order they were found.  After
 * @max_errors errors further ones are counted but not stored.
 */
struct diag_list {
	struct diag *items;
	size_t count;
	size_t capacity;
	size_t errors;
	size_t warnings;
	size_t dropped;
	size_t max_errors;
	bool hint_skip;		/* the last diagnostic repeated one: no hint */
	struct diag_seen *seen; /* index of what was said (diag.c) */
	size_t seen_cap, nseen;
};

#define DIAG_DEFAULT_MAX_ERRORS 20

void diag_list_init(struct diag_list *dl);
void diag_list_free(struct diag_list *dl);

/* Forget the diagnostics after the first @count (a step that is done
 * again another way, and would report them twice). */
void diag_list_truncate(struct diag_list *dl, size_t count);

/* Append an error at @loc (NULL: no location); returns -1 so callers can
 * write "return diag_error(...)". */
int diag_error(struct diag_list *dl, const struct src_loc *loc, unsigned width,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_warning(struct diag_list *dl, const struct src_loc *loc,
		  unsigned width, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Attach a hint to the most recent diagnostic. */
/*
 * Add a warning whose message is @text and whose hint is @text +
 * @hint_at, two strings in one malloc'd block that @dl takes over: for a
 * caller that gives many warnings (the lints), without a format.
 */
void diag_warning_take(struct diag_list *dl, const struct src_loc *loc,
		       unsigned width, char *text, size_t hint_at);
void diag_hint(struct diag_list *dl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print every diagnostic as "file:line:col: error: message", the source
 * line, a caret marker, the hint and the include/macro chain. */
void diag_list_print(const struct diag_list *dl, FILE *out);

/* The candidate closest to @word, at most two edits away, or NULL: for
 * "did you mean" hints. */
const char *diag_closest(const char *word, const char *const *candidates,
			 size_t n);

/* A location @cols bytes further along the same line. */
struct src_loc src_loc_advance(const struct src_loc *loc, unsigned cols);

/* The largest config file iptload reads, to fail cleanly on /dev/zero. */
#define SOURCE_MAX_BYTES (64u << 20)

/*
 * Read @path ("-" = stdin) into a new source.  A file must be a regular
 * file owned by root (or by the user running iptload) and writable by
 * nobody else: the config decides what the firewall lets through.  On
 * failure returns NULL and sets *@why to a malloc'd reason.
 */
struct source *source_read(const char *path, char **why);
/* The file open at @fd read again from its start, as source @name (no
 * checks: the caller compares it with what source_read gave). */
struct source *source_reread(int fd, const char *name, char **why);
/* A source whose text is given; used for tests and the fuzz target.
 * The bytes version keeps NUL bytes, which the reader must reject. */
struct source *source_from_string(const char *name, const char *text);
struct source *source_from_bytes(const char *name, const char *data,
				 size_t len);
void source_free(struct source *src);

/* Keep line @line of @src (which still has its text) for the messages
 * printed after source_drop_text. */
void source_keep_line(struct source *src, unsigned line);
/* Keep the line of every diagnostic of @dl located in @src. */
void diag_list_keep_lines(const struct diag_list *dl, struct source *src);
/* Free @src's text, keeping only the lines kept so far: its name stays,
 * so messages still say file:line:col; the source line is printed under
 * those at a kept line. */
void source_drop_text(struct source *src);
/* Give @to, which dropped its text, the text of @from (the same file read
 * again), and free @from. */
void source_take_text(struct source *to, struct source *from);

#endif
