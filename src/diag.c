/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diag.c - collecting diagnostics, and printing them once, nftables-style:
 *
 *   vpn.conf:12:13: error: missing prefix length after '/'
 *     --source  0.0.0.0/
 *               ^~~~~~~~
 *     hint: write 0.0.0.0/0 for any address
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bigmem.h"
#include "diag.h"

void diag_list_init(struct diag_list *dl)
{
	memset(dl, 0, sizeof(*dl));
	dl->max_errors = DIAG_DEFAULT_MAX_ERRORS;
}

void diag_list_free(struct diag_list *dl)
{
	for (size_t i = 0; i < dl->count; i++) {
		free(dl->items[i].message);
		if (!dl->items[i].hint_shared)
			free(dl->items[i].hint);
	}
	free(dl->items);
	free(dl->seen);
	memset(dl, 0, sizeof(*dl));
}

static void seen_forget(struct diag_list *dl);

void diag_list_truncate(struct diag_list *dl, size_t count)
{
	while (dl->count > count) {
		struct diag *d = &dl->items[--dl->count];

		if (d->severity == DIAG_ERROR)
			dl->errors--;
		else
			dl->warnings--;
		free(d->message);
		if (!d->hint_shared)
			free(d->hint);
	}
	seen_forget(dl);
}

/* vasprintf, through a buffer on the stack first: most messages fit in
 * it, and vasprintf grows its own buffer by realloc as it writes (a
 * third of what `check` spent on 100 000 warnings). */
static char *format_text(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

static char *format_text(const char *fmt, va_list ap)
{
	char buf[512], *text;
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		abort();
	if ((size_t)n < sizeof(buf)) {
		text = malloc((size_t)n + 1);
		if (!text)
			abort();
		memcpy(text, buf, (size_t)n + 1);
	} else if (vasprintf(&text, fmt, again) < 0) {
		abort();
	}
	va_end(again);
	return text;
}

static void diag_vadd(struct diag_list *dl, enum diag_severity sev,
		      const struct src_loc *loc, unsigned width,
		      const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* A new diagnostic at the end of @dl, or NULL when it is dropped. */
static struct diag *diag_new(struct diag_list *dl, enum diag_severity sev,
			     const struct src_loc *loc, unsigned width)
{
	struct diag *d;

	if (sev == DIAG_ERROR) {
		if (dl->errors++ >= dl->max_errors) {
			dl->dropped++;
			return NULL;
		}
	} else {
		dl->warnings++;
	}
	if (dl->count == dl->capacity) {
		dl->capacity = dl->capacity ? dl->capacity * 2 : 8;
		dl->items = reallocarray(dl->items, dl->capacity,
					 sizeof(*dl->items));
		if (!dl->items)
			abort();
	}
	d = &dl->items[dl->count++];
	memset(d, 0, sizeof(*d));
	d->severity = sev;
	if (loc) {
		d->loc = *loc;
		d->has_loc = true;
	}
	d->width = width ? width : 1;
	return d;
}

/* Whether two chains of macro call sites name the same places. */
static bool via_same(const struct src_loc *a, const struct src_loc *b)
{
	for (; a && b && a != b; a = a->via, b = b->via)
		if (a->src != b->src || a->line != b->line || a->col != b->col)
			return false;
	return a == b;
}

/* Whether @d says what a new diagnostic would. */
static bool diag_same(const struct diag *d, enum diag_severity sev,
		      const struct src_loc *loc, unsigned width,
		      const char *message)
{
	if (d->severity != sev || d->has_loc != (loc != NULL) ||
	    strcmp(d->message, message) != 0)
		return false;
	return !loc ||
	       (d->loc.src == loc->src && d->loc.line == loc->line &&
		d->loc.col == loc->col && d->width == (width ? width : 1) &&
		via_same(d->loc.via, loc->via));
}

/* A hash of what diag_same compares (FNV-1a). */
static uint64_t diag_key(enum diag_severity sev, const struct src_loc *loc,
			 unsigned width, const char *message)
{
	uint64_t h = 14695981039346656037ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)

	MIX(sev);
	if (loc) {
		MIX((uintptr_t)loc->src);
		MIX(loc->line);
		MIX(loc->col);
		MIX(width ? width : 1);
		for (const struct src_loc *v = loc->via; v; v = v->via) {
			MIX((uintptr_t)v->src);
			MIX(v->line);
			MIX(v->col);
		}
	}
	for (const unsigned char *p = (const void *)message; *p; p++)
		MIX(*p);
#undef MIX
	return h;
}

/*
 * dl->seen indexes what was said: an open-addressed table of keys with
 * the index + 1 of their diagnostic, or SEEN_DROPPED for an error past
 * dl->max_errors, known by its key only (so that its repeats are not
 * counted either, whatever order they come in).  Item 0: a free slot.
 */
#define SEEN_DROPPED SIZE_MAX

static void seen_put(struct diag_list *dl, uint64_t key, size_t item)
{
	size_t mask, k;

	if (2 * (dl->nseen + 1) > dl->seen_cap) {
		struct diag_seen *old = dl->seen;
		size_t old_cap = dl->seen_cap;

		dl->seen_cap = old_cap ? 2 * old_cap : 64;
		dl->seen = calloc(dl->seen_cap, sizeof(*dl->seen));
		if (!dl->seen)
			abort();
		dl->nseen = 0;
		for (size_t j = 0; j < old_cap; j++)
			if (old[j].item)
				seen_put(dl, old[j].key, old[j].item);
		free(old);
	}
	mask = dl->seen_cap - 1;
	for (k = key & mask; dl->seen[k].item; k = (k + 1) & mask)
		;
	dl->seen[k].key = key;
	dl->seen[k].item = item;
	dl->nseen++;
}

/* Drop the entries of diagnostics no longer in the list (truncated). */
static void seen_forget(struct diag_list *dl)
{
	struct diag_seen *old = dl->seen;
	size_t old_cap = dl->seen_cap;

	dl->seen = NULL;
	dl->seen_cap = dl->nseen = 0;
	for (size_t j = 0; j < old_cap; j++)
		if (old[j].item == SEEN_DROPPED ||
		    (old[j].item && old[j].item <= dl->count))
			seen_put(dl, old[j].key, old[j].item);
	free(old);
}

static bool seen_find(const struct diag_list *dl, uint64_t key,
		      enum diag_severity sev, const struct src_loc *loc,
		      unsigned width, const char *message)
{
	size_t mask = dl->seen_cap - 1;

	if (!dl->seen_cap)
		return false;
	for (size_t k = key & mask; dl->seen[k].item; k = (k + 1) & mask) {
		const struct diag_seen *e = &dl->seen[k];

		if (e->key != key)
			continue;
		if (e->item == SEEN_DROPPED ||
		    diag_same(&dl->items[e->item - 1], sev, loc, width,
			      message))
			return true;
	}
	return false;
}

/*
 * A statement built more than once (for each family of "family both",
 * for each member of a list) finds the same problem each time: it is
 * said, and counted, once, whatever the order the stages found it in.
 * The hint of a repeat is dropped with it (dl->hint_skip).
 */
static void diag_vadd(struct diag_list *dl, enum diag_severity sev,
		      const struct src_loc *loc, unsigned width,
		      const char *fmt, va_list ap)
{
	char *message = format_text(fmt, ap);
	uint64_t key = diag_key(sev, loc, width, message);
	struct diag *d;

	if (seen_find(dl, key, sev, loc, width, message)) {
		free(message);
		dl->hint_skip = true;
		return;
	}
	dl->hint_skip = false;
	d = diag_new(dl, sev, loc, width);
	if (!d) {
		free(message);
		seen_put(dl, key, SEEN_DROPPED);
		return;
	}
	d->message = message;
	seen_put(dl, key, dl->count);
}

void diag_warning_take(struct diag_list *dl, const struct src_loc *loc,
		       unsigned width, char *text, size_t hint_at)
{
	struct diag *d = diag_new(dl, DIAG_WARNING, loc, width);

	dl->hint_skip = false;
	d->message = text;
	d->hint = text + hint_at;
	d->hint_shared = true;
}

int diag_error(struct diag_list *dl, const struct src_loc *loc, unsigned width,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(dl, DIAG_ERROR, loc, width, fmt, ap);
	va_end(ap);
	return -1;
}

void diag_warning(struct diag_list *dl, const struct src_loc *loc,
		  unsigned width, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(dl, DIAG_WARNING, loc, width, fmt, ap);
	va_end(ap);
}

void diag_hint(struct diag_list *dl, const char *fmt, ...)
{
	struct diag *d;
	va_list ap;

	/* The diagnostic the hint belongs to may have been dropped. */
	if (dl->count == 0 || dl->dropped > 0 || dl->hint_skip)
		return;
	d = &dl->items[dl->count - 1];
	if (!d->hint_shared)
		free(d->hint);
	d->hint_shared = false;
	va_start(ap, fmt);
	d->hint = format_text(fmt, ap);
	va_end(ap);
}

/* The edit distance of two short names (Levenshtein), SIZE_MAX when
 * either is too long to bother. */
static size_t name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *diag_closest(const char *word, const char *const *candidates,
			 size_t n)
{
	const char *best = NULL;
	size_t best_d = 3; /* at most two edits away */

	for (size_t i = 0; i < n; i++) {
		size_t d = name_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

struct src_loc src_loc_advance(const struct src_loc *loc, unsigned cols)
{
	struct src_loc l = *loc;

	l.col += cols;
	return l;
}

/* A line of a source whose text was dropped. */
struct kept_line {
	unsigned line;
	char *text; /* without the newline */
};

static int kept_cmp(const void *a, const void *b)
{
	const struct kept_line *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

/* The kept line @line of @src, or NULL. */
static const char *kept_line(const struct source *src, unsigned line,
			     size_t *len)
{
	struct kept_line key = { .line = line };
	const struct kept_line *k =
		src->nkept ? bsearch(&key, src->kept, src->nkept,
				     sizeof(*src->kept), kept_cmp) :
			     NULL;

	if (!k)
		return NULL;
	*len = strlen(k->text);
	return k->text;
}

/* Where the last line looked up starts: diagnostics are printed in
 * line order, so each lookup goes on from the one before. */
struct line_cursor {
	const struct source *src;
	unsigned line;
	const char *p;
};

/* The text of line @line of @src, and its length without the newline. */
static const char *source_line(struct line_cursor *cur,
			       const struct source *src, unsigned line,
			       size_t *len)
{
	const char *p = src->text, *end = src->text + src->len;
	unsigned n = 1;

	if (!src->text)
		return kept_line(src, line, len);
	if (cur->src == src && cur->line <= line) {
		p = cur->p;
		n = cur->line;
	}
	for (; n < line && p < end; n++) {
		p = memchr(p, '\n', end - p);
		if (!p)
			return NULL;
		p++;
	}
	if (p >= end && line > 1)
		return NULL;
	cur->src = src;
	cur->line = line;
	cur->p = p;
	*len = strcspn(p, "\n");
	if ((size_t)(end - p) < *len)
		*len = end - p;
	return p;
}

/* Control bytes (NUL, escape sequences, ...) other than tab: such a line
 * is not printed, since the caret could not line up under it and the
 * bytes could reach the terminal. */
static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Eight bytes at a time: every message and hint is looked at, and
 * `check` of a big ruleset prints 100 000 of them.  A word with a byte
 * below 0x20 or a 0x7f (and perhaps a false alarm above one) is looked
 * at byte by byte. */
static bool has_control(const char *text, size_t len)
{
	const uint64_t ones = 0x0101010101010101u, highs = ones << 7;
	size_t i = 0;

#ifdef __SSE2__
	/* Sixteen at a time where there is SSE2 (every x86-64): a byte is
	 * below 0x20 when the unsigned minimum with 0x1f is itself. */
	const __m128i c1f = _mm_set1_epi8(0x1f), c7f = _mm_set1_epi8(0x7f);

	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(text + i));
		__m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x);
		__m128i del = _mm_cmpeq_epi8(x, c7f);

		if (!_mm_movemask_epi8(_mm_or_si128(low, del)))
			continue;
		for (size_t k = i; k < i + 16; k++)
			if (is_control((unsigned char)text[k]))
				return true;
	}
#endif

	for (; i + 8 <= len; i += 8) {
		uint64_t x, del;

		memcpy(&x, text + i, 8);
		del = x ^ (ones * 0x7f);
		if (!(((x - ones * 0x20) & ~x) & highs) &&
		    !(((del - ones) & ~del) & highs))
			continue;
		for (size_t k = i; k < i + 8; k++)
			if (is_control((unsigned char)text[k]))
				return true;
	}
	for (; i < len; i++)
		if (is_control((unsigned char)text[i]))
			return true;
	return false;
}

/*
 * The text being printed: one buffer, written at once by diag_list_print
 * (stderr has no buffer, and 100 000 warnings would be a million write
 * calls), appended to without stdio's per-call work.
 */
struct text_out {
	char *buf;
	size_t len, cap;
};

static void out_put(struct text_out *o, const char *s, size_t n)
{
	if (o->cap - o->len < n) {
		while (o->cap - o->len < n)
			o->cap = o->cap ? 2 * o->cap : 4096;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			abort();
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void out_str(struct text_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_chr(struct text_out *o, char c)
{
	out_put(o, &c, 1);
}

/* @v in decimal, as printf's %u and %zu write it. */
static void out_uint(struct text_out *o, size_t v)
{
	char digits[24];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_put(o, digits + n, sizeof(digits) - n);
}

/* Write @text with control bytes as \xNN: messages quote config text. */
static void put_clean(struct text_out *o, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(text);

	if (!has_control(text, len)) {
		out_put(o, text, len);
		return;
	}
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;

		if (is_control(c)) {
			const char esc[4] = { '\\', 'x', hex[c >> 4],
					      hex[c & 15] };

			out_put(o, esc, 4);
		} else {
			out_chr(o, (char)c);
		}
	}
}

/* Print the source line and a caret under [col, col + width).  Tabs are
 * kept in the marker line so that it lines up under any tab width. */
static void print_excerpt(struct line_cursor *cur, const struct diag *d,
			  struct text_out *out)
{
	const char *text;
	size_t len, col = d->loc.col ? d->loc.col - 1 : 0;
	enum {
		EXCERPT_MAX = 200
	};

	if (!d->loc.src || d->loc.line == 0)
		return;
	text = source_line(cur, d->loc.src, d->loc.line, &len);
	if (!text || len > EXCERPT_MAX || col > len || has_control(text, len))
		return;
	out_put(out, "  ", 2);
	out_put(out, text, len);
	out_put(out, "\n  ", 3);
	for (size_t i = 0; i < col; i++)
		out_chr(out, text[i] == '\t' ? '\t' : ' ');
	out_chr(out, '^');
	for (size_t i = 1; i < d->width && col + i < len; i++)
		out_chr(out, '~');
	out_chr(out, '\n');
}

/* Order of printing: by file (in order of first appearance), line and
 * column; diagnostics without a location come last.  Stages find errors
 * in their own order; the reader of the output wants the file's order. */
static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = *(const struct diag *const *)a;
	const struct diag *y = *(const struct diag *const *)b;

	if (x->has_loc != y->has_loc)
		return x->has_loc ? -1 : 1;
	/* A file read again (apply builds a dropped model again, main.c)
	 * is the same file. */
	if (x->loc.src != y->loc.src &&
	    (!x->loc.src || !y->loc.src ||
	     strcmp(x->loc.src->name, y->loc.src->name) != 0))
		return x < y ? -1 : 1;
	if (x->loc.line != y->loc.line)
		return x->loc.line < y->loc.line ? -1 : 1;
	if (x->loc.col != y->loc.col)
		return x->loc.col < y->loc.col ? -1 : 1;
	return x < y ? -1 : x > y;
}

static bool in_order(const struct diag **order, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (diag_cmp(&order[i - 1], &order[i]) > 0)
			return false;
	return true;
}

/* How many "from" lines a diagnostic shows at most. */
#define VIA_SHOWN 6

/* The call and include sites the text came through, innermost first; of
 * a deep chain, the innermost ones and the outermost (in the file the
 * user named) are shown. */
static void print_vias(const struct diag *d, struct text_out *out)
{
	const struct src_loc *v, *last = NULL;
	unsigned n = 0, shown = 0;

	for (v = d->has_loc ? d->loc.via : NULL; v; v = v->via) {
		n++;
		last = v;
	}
	for (v = d->has_loc ? d->loc.via : NULL; v; v = v->via) {
		if (shown == VIA_SHOWN - 1 && v != last) {
			out_str(out, "  ... ");
			out_uint(out, n - VIA_SHOWN);
			out_str(out, " more\n");
			v = last;
		}
		out_str(out, "  from ");
		out_str(out, v->src->name);
		out_chr(out, ':');
		out_uint(out, v->line);
		out_chr(out, ':');
		out_uint(out, v->col);
		out_chr(out, '\n');
		shown++;
	}
}

static void print_all(const struct diag_list *dl, struct text_out *out)
{
	const struct diag **order = calloc(dl->count + 1, sizeof(*order));
	struct line_cursor cur = { 0 };

	if (!order)
		abort();
	for (size_t i = 0; i < dl->count; i++)
		order[i] = &dl->items[i];
	/* Nearly always found in order already (the lints walk the rules
	 * in order); diag_cmp is a total order, so qsort would leave a
	 * sorted array as it is. */
	if (!in_order(order, dl->count))
		qsort(order, dl->count, sizeof(*order), diag_cmp);
	for (size_t i = 0; i < dl->count; i++) {
		const struct diag *d = order[i];
		const char *what = d->severity == DIAG_ERROR ? "error" :
							       "warning";

		if (d->has_loc && d->loc.src) {
			out_str(out, d->loc.src->name);
			out_chr(out, ':');
			out_uint(out, d->loc.line);
			out_chr(out, ':');
			out_uint(out, d->loc.col);
			out_put(out, ": ", 2);
		} else {
			out_str(out, "iptload: ");
		}
		out_str(out, what);
		out_put(out, ": ", 2);
		put_clean(out, d->message);
		out_chr(out, '\n');
		if (d->has_loc)
			print_excerpt(&cur, d, out);
		if (d->hint) {
			out_str(out, "  hint: ");
			put_clean(out, d->hint);
			out_chr(out, '\n');
		}
		print_vias(d, out);
	}
	if (dl->dropped) {
		out_str(out, "iptload: ");
		out_uint(out, dl->dropped);
		out_str(out, " more errors not shown\n");
	}
	free(order);
}

/* Printed into memory first and written at once (struct text_out). */
void diag_list_print(const struct diag_list *dl, FILE *out)
{
	struct text_out o = { 0 };

	print_all(dl, &o);
	if (o.len)
		fwrite(o.buf, 1, o.len, out);
	free(o.buf);
}

struct source *source_from_bytes(const char *name, const char *data, size_t len)
{
	struct source *src = calloc(1, sizeof(*src));

	if (!src)
		abort();
	src->name = strdup(name);
	src->len = len;
	src->text = malloc(len + 1);
	if (!src->name || !src->text)
		abort();
	memcpy(src->text, data, len);
	src->text[len] = '\0';
	return src;
}

struct source *source_from_string(const char *name, const char *text)
{
	return source_from_bytes(name, text, strlen(text));
}

static char *reason(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *reason(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* Refuse a file that someone other than its owner, root, could have
 * written, like sshd's StrictModes. */
static char *untrusted(const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return reason("it is owned by uid %u, not by root",
			      (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return reason("it is writable by %s (mode %04o); run chmod "
			      "go-w on it",
			      st->st_mode & S_IWOTH ? "everyone" : "its group",
			      (unsigned)(st->st_mode & 07777));
	return NULL;
}

/*
 * The same for @name, an entry on the way to a config: a directory or a
 * symlink that someone else owns, or a directory that someone else may
 * write, lets them put another file in the config's place.  A directory
 * writable by all but sticky and owned by root or us (as /tmp) is safe:
 * nobody else can rename or remove what is in it, and the next entry
 * down is checked for its own owner.  A symlink's mode means nothing.
 */
static char *untrusted_entry(const char *name, const struct stat *st)
{
	const char *what = S_ISDIR(st->st_mode) ? "the directory" :
						  "the symlink";

	/* The file itself: checked once open, on what was opened. */
	if (!S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode))
		return NULL;
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return reason("%s %s is owned by uid %u, not by root", what,
			      name, (unsigned)st->st_uid);
	if (S_ISLNK(st->st_mode) || !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return NULL;
	if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))
		return NULL;
	return reason("%s %s is writable by %s (mode %04o); run chmod go-w "
		      "on it",
		      what, name,
		      st->st_mode & S_IWOTH ? "everyone" : "its group",
		      (unsigned)(st->st_mode & 07777));
}

/* Check every entry of @path from its first component down to the last,
 * without following a symlink at the end of each. */
static char *untrusted_walk(const char *path)
{
	char *copy = strdup(path), *why = NULL;
	struct stat st;

	if (!copy)
		abort();
	for (char *p = copy;; p++) {
		bool end = *p == '\0';

		/* Each prefix that ends before a '/', then the whole path. */
		if (!end && (*p != '/' || p == copy))
			continue;
		*p = '\0';
		if (lstat(copy, &st) < 0)
			why = reason("%s: %s", copy, strerror(errno));
		else
			why = untrusted_entry(copy, &st);
		if (why || end)
			break;
		*p = '/';
	}
	free(copy);
	return why;
}

/*
 * Open @path for reading, refusing what could hang or be swapped: every
 * entry on the path as written and as resolved is checked (a symlinked
 * config is fine, a symlink or directory others control is not), and the
 * resolved file is opened with O_NOFOLLOW and O_NONBLOCK (a FIFO must not
 * block), then checked to be a regular file we trust.
 */
static FILE *open_trusted(const char *path, struct stat *st, char **why)
{
	char *real = realpath(path, NULL);
	int fd;

	if (!real) {
		*why = reason("%s", strerror(errno));
		return NULL;
	}
	*why = untrusted_walk(path);
	if (!*why && strcmp(real, path) != 0)
		*why = untrusted_walk(real);
	fd = *why ? -1 :
		    open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (!*why && fd < 0)
		*why = reason("%s", strerror(errno));
	free(real);
	if (fd >= 0 && fstat(fd, st) < 0)
		*why = reason("%s", strerror(errno));
	else if (fd >= 0 && !S_ISREG(st->st_mode))
		*why = reason("it is not a regular file");
	else if (fd >= 0)
		*why = untrusted(st);
	if (*why) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return fdopen(fd, "r");
}

/* Double the room for @src's text (a file that grew since fstat, or
 * standard input), in a plain buffer. */
static void source_grow(struct source *src, size_t *cap)
{
	char *more = malloc(*cap * 2);

	if (!more)
		abort();
	memcpy(more, src->text, src->len);
	if (src->mapped)
		bigmem_free(src->text, src->mapped);
	else
		free(src->text);
	src->text = more;
	src->mapped = 0;
	*cap *= 2;
}

/* Read @f (of size @st's, 0 for stdin) into a new source called @name;
 * closes @f unless it is stdin. */
static struct source *source_load(FILE *f, bool is_stdin, const char *name,
				  const struct stat *st, char **why)
{
	struct source *src;
	size_t cap = 4096, n;

	src = calloc(1, sizeof(*src));
	if (!src)
		abort();
	src->name = strdup(name);
	if (!src->name)
		abort();
	/* A big file goes straight into huge pages (bigmem.h), with room
	 * for what fstat said and the NUL. */
	if (!is_stdin && st->st_size >= (off_t)BIGMEM_PAGE &&
	    st->st_size <= SOURCE_MAX_BYTES) {
		src->text = bigmem_alloc((size_t)st->st_size + 2, &src->mapped);
		cap = src->mapped;
	} else {
		src->text = malloc(cap);
		if (!src->text)
			abort();
	}
	while ((n = fread(src->text + src->len, 1, cap - src->len - 1, f)) >
	       0) {
		src->len += n;
		if (src->len > SOURCE_MAX_BYTES) {
			*why = reason("it is larger than %u MiB",
				      SOURCE_MAX_BYTES >> 20);
			break;
		}
		if (cap - src->len - 1 == 0)
			source_grow(src, &cap);
	}
	if (!*why && ferror(f))
		*why = reason("%s", strerror(errno));
	src->text[src->len] = '\0';
	if (!is_stdin)
		fclose(f);
	if (*why) {
		source_free(src);
		return NULL;
	}
	return src;
}

struct source *source_read(const char *path, char **why)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct stat st = { 0 };
	FILE *f;

	*why = NULL;
	f = is_stdin ? stdin : open_trusted(path, &st, why);
	if (!f) {
		if (!*why)
			*why = reason("%s", strerror(errno));
		return NULL;
	}
	return source_load(f, is_stdin, is_stdin ? "<stdin>" : path, &st, why);
}

struct source *source_reread(int fd, const char *name, char **why)
{
	struct stat st;
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	FILE *f;

	*why = NULL;
	if (copy < 0 || lseek(copy, 0, SEEK_SET) < 0 || fstat(copy, &st) < 0 ||
	    !(f = fdopen(copy, "r"))) {
		*why = reason("%s", strerror(errno));
		if (copy >= 0)
			close(copy);
		return NULL;
	}
	return source_load(f, false, name, &st, why);
}

void source_keep_line(struct source *src, unsigned line)
{
	struct line_cursor cur = { 0 };
	const char *text;
	size_t len;

	if (!src->text || line == 0)
		return;
	text = source_line(&cur, src, line, &len);
	if (!text)
		return;
	if (src->nkept == src->kept_cap) {
		src->kept_cap = src->kept_cap ? src->kept_cap * 2 : 16;
		src->kept = reallocarray(src->kept, src->kept_cap,
					 sizeof(*src->kept));
		if (!src->kept)
			abort();
	}
	src->kept[src->nkept].line = line;
	src->kept[src->nkept].text = strndup(text, len);
	if (!src->kept[src->nkept++].text)
		abort();
}

void diag_list_keep_lines(const struct diag_list *dl, struct source *src)
{
	for (size_t i = 0; i < dl->count; i++)
		if (dl->items[i].has_loc && dl->items[i].loc.src == src)
			source_keep_line(src, dl->items[i].loc.line);
}

void source_drop_text(struct source *src)
{
	size_t n = 0;

	if (!src->text)
		return;
	if (src->mapped)
		bigmem_free(src->text, src->mapped);
	else
		free(src->text);
	src->text = NULL;
	src->len = 0;
	src->mapped = 0;
	/* Sorted for bsearch, each line once. */
	if (src->nkept)
		qsort(src->kept, src->nkept, sizeof(*src->kept), kept_cmp);
	for (size_t i = 0; i < src->nkept; i++) {
		if (n > 0 && src->kept[n - 1].line == src->kept[i].line) {
			free(src->kept[i].text);
			continue;
		}
		src->kept[n++] = src->kept[i];
	}
	src->nkept = n;
}

void source_take_text(struct source *to, struct source *from)
{
	if (to->mapped)
		bigmem_free(to->text, to->mapped);
	else
		free(to->text);
	to->text = from->text;
	to->len = from->len;
	to->mapped = from->mapped;
	from->text = NULL;
	from->mapped = 0;
	source_free(from);
}

void source_free(struct source *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->nkept; i++)
		free(src->kept[i].text);
	free(src->kept);
	free(src->name);
	if (src->mapped)
		bigmem_free(src->text, src->mapped);
	else
		free(src->text);
	free(src);
}
