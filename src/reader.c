/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reader.c - the tokenizer and statement parser.
 *
 * A statement is one line.  It goes on over the next line when the line
 * ends with a backslash, or when the next line is indented (so rules pasted
 * from a blog, one option per indented line, read as they are).  A blank
 * line ends a statement; a comment line does not.  Words split like a
 * shell's: '...' is literal, "..." allows $NAME, \x outside quotes is x.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

/* A growable byte buffer for the literal text of a piece. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

static void buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			abort();
	}
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* The state of reading one source. */
struct reader {
	const struct source *src;
	struct diag_list *dl;
	const char *line;  /* current physical line */
	size_t line_len;
	unsigned lineno;
	struct stmt cur;   /* statement being read */
	bool have_cur;
	bool cur_broken;   /* an error was found in it: drop it */
	bool continued;    /* previous line ended with a backslash */
	struct script *out;
	int status;
};

bool reader_is_var_name(const char *name, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
			return false;
	return true;
}

static struct src_loc reader_loc(const struct reader *r, size_t col)
{
	return (struct src_loc){ .src = r->src,
				 .line = r->lineno,
				 .col = (unsigned)col + 1 };
}

static void reader_error(struct reader *r, size_t col, unsigned width,
			 const char *msg)
{
	struct src_loc loc = reader_loc(r, col);

	diag_error(r->dl, &loc, width, "%s", msg);
	r->cur_broken = true;
	r->status = -1;
}

static void word_add_piece(struct word *w, enum piece_kind kind,
			   const char *text, size_t len, struct src_loc loc,
			   unsigned width)
{
	struct piece *p;

	w->pieces = reallocarray(w->pieces, w->npieces + 1, sizeof(*p));
	if (!w->pieces)
		abort();
	p = &w->pieces[w->npieces++];
	p->kind = kind;
	p->text = strndup(text, len);
	if (!p->text)
		abort();
	p->loc = loc;
	p->width = width;
}

/* Move the literal text gathered so far into a piece of @w. */
static void flush_text(struct reader *r, struct word *w, struct buf *b,
		       size_t *text_start, size_t pos)
{
	if (b->len > 0)
		word_add_piece(w, PIECE_TEXT, b->data, b->len,
			       reader_loc(r, *text_start),
			       (unsigned)(pos - *text_start));
	b->len = 0;
	*text_start = pos;
}

static void explain_bad_dollar(struct reader *r, size_t pos)
{
	const char *rest = r->line + pos + 1;
	size_t n = 0;

	while (pos + 1 + n < r->line_len && !isspace((unsigned char)rest[n]))
		n++;
	reader_error(r, pos, 1, "'$' is not followed by a variable name");
	if (n > 0 && isdigit((unsigned char)rest[0]))
		diag_hint(r->dl,
			  "did you mean '%.*s'? '$' starts a variable "
			  "reference such as $NAME or ${NAME}",
			  (int)n, rest);
	else
		diag_hint(r->dl, "write $NAME or ${NAME}, or '\\$' for a "
				 "literal dollar sign");
}

/* Read $NAME or ${NAME} at @pos; returns the position after it. */
static size_t read_var(struct reader *r, struct word *w, size_t pos)
{
	const char *s = r->line;
	size_t start = pos + 1, end;
	bool braced = start < r->line_len && s[start] == '{';

	if (braced)
		start++;
	for (end = start; end < r->line_len &&
			  (isalnum((unsigned char)s[end]) || s[end] == '_');
	     end++)
		;
	if (end == start || !reader_is_var_name(s + start, end - start)) {
		explain_bad_dollar(r, pos);
		return end > pos + 1 ? end : pos + 1;
	}
	if (braced) {
		if (end >= r->line_len || s[end] != '}') {
			reader_error(r, pos, (unsigned)(end - pos),
				     "'${' without a closing '}'");
			return end;
		}
		end++;
	}
	word_add_piece(w, PIECE_VAR, s + (braced ? pos + 2 : pos + 1),
		       end - pos - (braced ? 3 : 1), reader_loc(r, pos),
		       (unsigned)(end - pos));
	return end;
}

/* Read a quoted run starting at the quote at @pos into @b (and pieces of
 * @w for variables in double quotes); returns the position after it. */
static size_t read_quoted(struct reader *r, struct word *w, struct buf *b,
			  size_t *text_start, size_t pos)
{
	const char *s = r->line;
	char q = s[pos];
	size_t i = pos + 1;

	while (i < r->line_len && s[i] != q) {
		if (q == '"' && s[i] == '$') {
			flush_text(r, w, b, text_start, i);
			i = read_var(r, w, i);
			*text_start = i;
			continue;
		}
		if (q == '"' && s[i] == '\\' && i + 1 < r->line_len &&
		    strchr("\"\\$", s[i + 1]))
			i++;
		buf_putc(b, s[i++]);
	}
	if (i >= r->line_len) {
		reader_error(r, pos, 1,
			     q == '"' ? "unterminated double quote"
				      : "unterminated single quote");
		diag_hint(r->dl, "close it with %c on the same line", q);
		return r->line_len;
	}
	return i + 1;
}

/* Read one word at @pos; returns the position after it. */
static size_t read_word(struct reader *r, size_t pos)
{
	struct word w = { .loc = reader_loc(r, pos) };
	struct buf b = { 0 };
	size_t text_start = pos, start = pos;
	const char *s = r->line;

	while (pos < r->line_len && !isspace((unsigned char)s[pos])) {
		if (s[pos] == '\'' || s[pos] == '"') {
			w.quoted = true;
			pos = read_quoted(r, &w, &b, &text_start, pos);
		} else if (s[pos] == '$') {
			flush_text(r, &w, &b, &text_start, pos);
			pos = read_var(r, &w, pos);
			text_start = pos;
		} else if (s[pos] == '\\' && pos + 1 < r->line_len) {
			w.quoted = true;
			buf_putc(&b, s[pos + 1]);
			pos += 2;
		} else {
			buf_putc(&b, s[pos++]);
		}
	}
	flush_text(r, &w, &b, &text_start, pos);
	free(b.data);
	if (w.npieces == 0 && w.quoted) /* "" is an empty word */
		word_add_piece(&w, PIECE_TEXT, "", 0, w.loc, 0);
	w.width = (unsigned)(pos - start);
	r->cur.words = reallocarray(r->cur.words, r->cur.nwords + 1,
				    sizeof(w));
	if (!r->cur.words)
		abort();
	r->cur.words[r->cur.nwords++] = w;
	return pos;
}

/* Split the physical line into words of the current statement. */
static void read_line_words(struct reader *r, size_t pos)
{
	const char *s = r->line;
	const char *nul = memchr(s, '\0', r->line_len);

	r->continued = false;
	if (nul) {
		reader_error(r, (size_t)(nul - s), 1,
			     "NUL byte in config text");
		return;
	}
	while (pos < r->line_len) {
		if (isspace((unsigned char)s[pos])) {
			pos++;
		} else if (s[pos] == '#') {
			return;
		} else if (s[pos] == '\\' && pos + 1 == r->line_len) {
			r->continued = true;
			return;
		} else {
			pos = read_word(r, pos);
		}
	}
}

static void word_free(struct word *w)
{
	for (size_t i = 0; i < w->npieces; i++)
		free(w->pieces[i].text);
	free(w->pieces);
}

static void stmt_free(struct stmt *s)
{
	for (size_t i = 0; i < s->nwords; i++)
		word_free(&s->words[i]);
	free(s->words);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

/* The word's text if it is one unquoted literal piece, else NULL. */
static const char *word_plain(const struct word *w)
{
	if (w->quoted || w->npieces != 1 || w->pieces[0].kind != PIECE_TEXT)
		return NULL;
	return w->pieces[0].text;
}

static bool word_is(const struct word *w, const char *text)
{
	const char *p = word_plain(w);

	return p && strcmp(p, text) == 0;
}

/* Drop words [from, to) of @s. */
static void stmt_drop_words(struct stmt *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		word_free(&s->words[i]);
	memmove(&s->words[from], &s->words[to],
		(s->nwords - to) * sizeof(*s->words));
	s->nwords -= to - from;
}

/* Turn NAME=value (one word) into NAME = value (three). */
static void split_glued_assignment(struct stmt *s)
{
	const char *p = s->nwords >= 1 ? word_plain(&s->words[0]) : NULL;
	const char *eq = p ? strchr(p, '=') : NULL;
	struct word *w;

	if (!eq || !reader_is_var_name(p, (size_t)(eq - p)))
		return;
	s->words = reallocarray(s->words, s->nwords + 2, sizeof(*s->words));
	if (!s->words)
		abort();
	memmove(&s->words[3], &s->words[1],
		(s->nwords - 1) * sizeof(*s->words));
	s->nwords += 2;
	w = &s->words[0];
	memset(&s->words[1], 0, 2 * sizeof(*s->words));
	word_add_piece(&s->words[1], PIECE_TEXT, "=", 1,
		       src_loc_advance(&w->loc, (unsigned)(eq - p)), 1);
	s->words[1].loc = s->words[1].pieces[0].loc;
	s->words[1].width = 1;
	word_add_piece(&s->words[2], PIECE_TEXT, eq + 1, strlen(eq + 1),
		       src_loc_advance(&w->loc, (unsigned)(eq - p + 1)),
		       (unsigned)strlen(eq + 1));
	s->words[2].loc = s->words[2].pieces[0].loc;
	s->words[2].width = (unsigned)strlen(eq + 1);
	w->pieces[0].text[eq - p] = '\0';
	w->width = (unsigned)(eq - p);
}

static int classify_assignment(struct reader *r, struct stmt *s)
{
	struct word *last = &s->words[s->nwords - 1];

	s->kind = STMT_ASSIGN;
	s->name = strdup(word_plain(&s->words[0]));
	if (!s->name)
		abort();
	stmt_drop_words(s, 0, 2);
	if (s->nwords == 0)
		return diag_error(r->dl, &s->loc, 1,
				  "missing value after '='");
	if (word_is(&s->words[0], "{")) {
		if (!word_is(last, "}"))
			return diag_error(r->dl, &s->words[0].loc, 1,
					  "list without a closing '}'");
		stmt_drop_words(s, s->nwords - 1, s->nwords);
		stmt_drop_words(s, 0, 1);
		s->is_list = true;
	} else if (s->nwords > 1) {
		diag_error(r->dl, &s->words[1].loc, s->words[1].width,
			   "a value of several words must be quoted");
		diag_hint(r->dl, "write %s = \"...\" for one value, or "
				 "%s = { a b } for a list",
			  s->name, s->name);
		return -1;
	}
	for (size_t i = 0; i < s->nwords; i++)
		if (word_is(&s->words[i], "{") || word_is(&s->words[i], "}"))
			return diag_error(r->dl, &s->words[i].loc, 1,
					  "unexpected '%s' inside a list",
					  word_plain(&s->words[i]));
	return 0;
}

/* A command may not contain bare braces: they belong to lists only. */
static int check_command(struct reader *r, struct stmt *s)
{
	for (size_t i = 0; i < s->nwords; i++) {
		const struct word *w = &s->words[i];

		if (!word_is(w, "{") && !word_is(w, "}"))
			continue;
		diag_error(r->dl, &w->loc, 1, "unexpected '%s'",
			   word_plain(w));
		diag_hint(r->dl, "braces only enclose lists: "
				 "NAME = { a b }; quote a literal brace");
		return -1;
	}
	return 0;
}

/* Finish the current statement: classify it and append it to the script. */
static void finish_stmt(struct reader *r)
{
	struct stmt *s = &r->cur;
	int rc = 0;

	if (!r->have_cur)
		return;
	r->have_cur = false;
	if (!r->cur_broken && s->nwords > 0) {
		split_glued_assignment(s);
		if (s->nwords >= 2 && word_plain(&s->words[0]) &&
		    reader_is_var_name(word_plain(&s->words[0]),
				       strlen(word_plain(&s->words[0]))) &&
		    word_is(&s->words[1], "="))
			rc = classify_assignment(r, s);
		else
			rc = check_command(r, s);
		if (rc < 0)
			r->status = -1;
	}
	if (r->cur_broken || rc < 0 || s->nwords + (s->name != NULL) == 0) {
		stmt_free(s);
		return;
	}
	if (r->out->count == r->out->capacity) {
		r->out->capacity = r->out->capacity ? r->out->capacity * 2 : 64;
		r->out->stmts = reallocarray(r->out->stmts, r->out->capacity,
					     sizeof(*s));
		if (!r->out->stmts)
			abort();
	}
	r->out->stmts[r->out->count++] = *s;
	memset(s, 0, sizeof(*s));
}

/* Index of the first non-blank byte of the line, or line_len. */
static size_t first_nonblank(const struct reader *r)
{
	size_t i = 0;

	while (i < r->line_len && (r->line[i] == ' ' || r->line[i] == '\t' ||
				   r->line[i] == '\r'))
		i++;
	return i;
}

static void read_physical_line(struct reader *r)
{
	size_t start = first_nonblank(r);
	bool indented = start > 0;

	if (start == r->line_len) { /* blank line ends a statement */
		if (!r->continued)
			finish_stmt(r);
		return;
	}
	if (r->line[start] == '#')
		return;
	if (!(r->continued || (indented && r->have_cur))) {
		finish_stmt(r);
		r->have_cur = true;
		r->cur_broken = false;
		r->cur.kind = STMT_COMMAND;
		r->cur.loc = reader_loc(r, start);
	}
	read_line_words(r, start);
}

int reader_read(const struct source *src, struct script *out,
		struct diag_list *dl)
{
	struct reader r = { .src = src, .dl = dl, .out = out };
	const char *p = src->text, *end = src->text + src->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		r.lineno++;
		r.line = p;
		r.line_len = len;
		if (len > 0 && p[len - 1] == '\r')
			r.line_len--;
		read_physical_line(&r);
		p += len + 1;
	}
	finish_stmt(&r);
	return r.status;
}

void script_free(struct script *s)
{
	for (size_t i = 0; i < s->count; i++)
		stmt_free(&s->stmts[i]);
	free(s->stmts);
	memset(s, 0, sizeof(*s));
}
