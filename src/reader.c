/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reader.c - the tokenizer and statement parser.
 *
 * A statement is one line.  It goes on over the next line when the line
 * ends with a backslash, or when the next line is indented (so rules pasted
 * from a blog, one option per indented line, read as they are).  A blank
 * line ends a statement; a comment line does not.  Words split like a
 * shell's: '...' is literal, "..." allows $NAME, \x outside quotes is x.
 * In "...", \" \\ \$ and (unlike a shell, as iptables-save writes it)
 * \' are escapes; any other backslash stays.
 */
#include <ctype.h>
#include <stddef.h>
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

/* Append @n bytes of @s. */
static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 32;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			abort();
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* The bytes a word's plain run stops at: blanks (isspace's), quotes,
 * '$', '\\' and '=' (which read_word looks at one by one). */
static const char plain_stop[] = " \t\n\v\f\r'\"$\\=";

/* The words a statement has room for at first (a power of two). */
#define STMT_WORDS_FIRST 32

/* The state of reading one source. */
struct reader {
	const struct source *src;
	struct diag_list *dl;
	const char *line; /* current physical line */
	size_t line_len;
	const char *nul; /* the first NUL byte in it, or NULL */
	unsigned lineno;
	struct stmt cur; /* statement being read */
	bool have_cur;
	bool cur_broken;    /* an error was found in it: drop it */
	bool continued;	    /* previous line ended with a backslash */
	size_t cur_indent;  /* indentation of the statement's first line */
	struct script *out; /* a define's body being read, or NULL */
	stmt_sink_fn *sink; /* where top-level statements go */
	void *sink_arg;
	struct stmt define; /* the define block being read, if any */
	bool in_define;
	int status;
	struct buf word; /* the literal text of the word being read: one
			    buffer for every word, so a word costs no
			    allocation of its own here */
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

/*
 * The statement's pool: the words a line is read into take their first
 * piece and its text from blocks that are freed with the statement, so
 * that reading a rule costs a few allocations, not one per word.
 */
#define POOL_BLOCK 4096

struct text_pool {
	struct text_pool *next;
	size_t used, size;
	max_align_t data[];
};

static void *pool_alloc(struct text_pool **pool, size_t n)
{
	struct text_pool *b = *pool;
	void *at;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!b || b->size - b->used < n) {
		size_t size = n > POOL_BLOCK ? n : POOL_BLOCK;

		b = malloc(sizeof(*b) + size);
		if (!b)
			abort();
		b->next = *pool;
		b->used = 0;
		b->size = size;
		*pool = b;
	}
	at = (char *)b->data + b->used;
	b->used += n;
	return at;
}

static void pool_free(struct text_pool *pool)
{
	while (pool) {
		struct text_pool *next = pool->next;

		free(pool);
		pool = next;
	}
}

/* Before the pieces array of @w grows: a pooled word (one piece, in the
 * statement's pool) gets an array and a text of its own. */
static void word_unshare(struct word *w)
{
	struct piece *own;

	if (!w->pooled)
		return;
	own = malloc(sizeof(*own));
	if (!own)
		abort();
	*own = w->pieces[0];
	own->text = strdup(own->text);
	if (!own->text)
		abort();
	w->pieces = own;
	w->pooled = false;
}

/* Append a piece to @w: its first one from *@pool when @pool is given,
 * else (and any further one) from malloc. */
static void word_add_piece(struct word *w, struct text_pool **pool,
			   enum piece_kind kind, const char *text, size_t len,
			   struct src_loc loc, unsigned width)
{
	struct piece *p;

	if (w->npieces == 0 && pool) {
		p = pool_alloc(pool, sizeof(*p) + len + 1);
		memset(p, 0, sizeof(*p));
		p->text = (char *)(p + 1);
		memcpy(p->text, text, len);
		p->text[len] = '\0';
		w->pieces = p;
		w->pooled = true;
	} else {
		word_unshare(w);
		w->pieces = reallocarray(w->pieces, w->npieces + 1, sizeof(*p));
		if (!w->pieces)
			abort();
		p = &w->pieces[w->npieces];
		memset(p, 0, sizeof(*p));
		p->text = strndup(text, len);
		if (!p->text)
			abort();
	}
	w->npieces++;
	p->kind = kind;
	p->loc = loc;
	p->width = width;
}

/* Move the literal text gathered so far into a piece of @w. */
static void flush_text(struct reader *r, struct word *w, struct buf *b,
		       size_t *text_start, size_t pos, bool quoted)
{
	if (b->len > 0) {
		word_add_piece(w, &r->cur.pool, PIECE_TEXT, b->data, b->len,
			       reader_loc(r, *text_start),
			       (unsigned)(pos - *text_start));
		w->pieces[w->npieces - 1].quoted = quoted;
	}
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
	word_add_piece(w, &r->cur.pool, PIECE_VAR,
		       s + (braced ? pos + 2 : pos + 1),
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

	flush_text(r, w, b, text_start, pos, false);
	while (i < r->line_len && s[i] != q) {
		if (q == '"' && s[i] == '$') {
			flush_text(r, w, b, text_start, i, true);
			i = read_var(r, w, i);
			*text_start = i;
			continue;
		}
		if (q == '"' && s[i] == '\\' && i + 1 < r->line_len &&
		    strchr("\"\\$'", s[i + 1]))
			i++;
		buf_putc(b, s[i++]);
	}
	if (i >= r->line_len) {
		reader_error(r, pos, 1,
			     q == '"' ? "unterminated double quote" :
					"unterminated single quote");
		diag_hint(r->dl, "close it with %c on the same line", q);
		return r->line_len;
	}
	flush_text(r, w, b, text_start, i + 1, true);
	return i + 1;
}

/* Read one word at @pos; returns the position after it. */
static size_t read_word(struct reader *r, size_t pos)
{
	struct word w = { .loc = reader_loc(r, pos), .glued_eq = -1 };
	struct buf b = r->word;
	size_t text_start = pos, start = pos;
	const char *s = r->line;
	/* The common word, plain bytes up to a blank or the end of the
	 * line, goes from the line to the pool in one copy.  The line is
	 * not NUL-terminated, but '\n' (or the end of the text, which is)
	 * stops strcspn in time. */
	size_t plain = strcspn(s + pos, plain_stop);

	if (plain > r->line_len - pos)
		plain = r->line_len - pos;
	if (plain > 0 && (pos + plain == r->line_len ||
			  isspace((unsigned char)s[pos + plain]))) {
		word_add_piece(&w, &r->cur.pool, PIECE_TEXT, s + pos, plain,
			       w.loc, (unsigned)plain);
		pos += plain;
	}
	while (pos < r->line_len && !isspace((unsigned char)s[pos])) {
		if (s[pos] == '\'' || s[pos] == '"') {
			w.quoted = true;
			pos = read_quoted(r, &w, &b, &text_start, pos);
		} else if (s[pos] == '$') {
			flush_text(r, &w, &b, &text_start, pos, false);
			pos = read_var(r, &w, pos);
			text_start = pos;
		} else if (s[pos] == '\\' && pos + 1 == r->line_len) {
			r->continued = true; /* "udp\" ends the line too */
			break;
		} else if (s[pos] == '\\') {
			w.quoted = true;
			flush_text(r, &w, &b, &text_start, pos, false);
			buf_putc(&b, s[pos + 1]);
			pos += 2;
			flush_text(r, &w, &b, &text_start, pos, true);
		} else if (s[pos] == '=') {
			if (w.glued_eq < 0 && !w.quoted && w.npieces == 0)
				w.glued_eq = (int)b.len;
			buf_putc(&b, s[pos++]);
		} else {
			/* A run of plain bytes at once.  The line is not
			 * NUL-terminated, but '\n' (or the end of the text,
			 * which is) stops strcspn in time. */
			size_t n = strcspn(s + pos, plain_stop);

			if (n > r->line_len - pos)
				n = r->line_len - pos;
			buf_put(&b, s + pos, n);
			pos += n;
		}
	}
	flush_text(r, &w, &b, &text_start, pos, false);
	r->word = b;			/* it may have grown */
	if (w.npieces == 0 && w.quoted) /* "" is an empty word */
		word_add_piece(&w, &r->cur.pool, PIECE_TEXT, "", 0, w.loc, 0);
	w.width = (unsigned)(pos - start);
	/* Room for a rule's words at once, then grow by doubling (the array
	 * is full whenever its length is a power of two from 32 on): a 1 MB
	 * line of words must not cost a copy per word. */
	if (r->cur.nwords == 0 ||
	    (r->cur.nwords >= STMT_WORDS_FIRST &&
	     (r->cur.nwords & (r->cur.nwords - 1)) == 0)) {
		r->cur.words = reallocarray(r->cur.words,
					    r->cur.nwords ? r->cur.nwords * 2 :
							    STMT_WORDS_FIRST,
					    sizeof(w));
		if (!r->cur.words)
			abort();
	}
	r->cur.words[r->cur.nwords++] = w;
	return pos;
}

/* Split the physical line into words of the current statement. */
static void read_line_words(struct reader *r, size_t pos)
{
	const char *s = r->line;
	const char *nul = r->nul;

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
		if (!(w->pooled && i == 0))
			free(w->pieces[i].text);
	if (!w->pooled)
		free(w->pieces);
}

void stmt_free(struct stmt *s)
{
	for (size_t i = 0; i < s->nwords; i++)
		word_free(&s->words[i]);
	free(s->words);
	free(s->name);
	for (size_t i = 0; i < s->nparams; i++)
		free(s->params[i]);
	free(s->params);
	if (s->body) {
		script_free(s->body);
		free(s->body);
	}
	pool_free(s->pool);
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

/* Turn NAME=value (one word) into NAME = value (three words).  The value
 * keeps the rest of the word's pieces: NAME="a b" and NAME=${X}.0 work. */
static void split_glued_assignment(struct stmt *s)
{
	struct word *w = s->nwords >= 1 ? &s->words[0] : NULL;
	struct word eq = { 0 }, value = { 0 };
	struct piece *first;
	size_t at;

	if (!w || w->glued_eq <= 0 ||
	    !reader_is_var_name(w->pieces[0].text, (size_t)w->glued_eq))
		return;
	first = &w->pieces[0];
	at = (size_t)w->glued_eq;
	word_add_piece(&eq, NULL, PIECE_TEXT, "=", 1,
		       src_loc_advance(&w->loc, (unsigned)at), 1);
	eq.loc = eq.pieces[0].loc;
	eq.width = 1;
	eq.glued_eq = -1;
	value.loc = src_loc_advance(&w->loc, (unsigned)at + 1);
	value.width = w->width > at + 1 ? w->width - (unsigned)at - 1 : 0;
	value.quoted = w->quoted;
	value.glued_eq = -1;
	if (first->text[at + 1] != '\0' || w->npieces == 1)
		word_add_piece(&value, NULL, PIECE_TEXT, first->text + at + 1,
			       strlen(first->text + at + 1), value.loc,
			       value.width);
	for (size_t i = 1; i < w->npieces; i++) {
		word_unshare(&value);
		value.pieces = reallocarray(value.pieces, value.npieces + 1,
					    sizeof(*value.pieces));
		if (!value.pieces)
			abort();
		value.pieces[value.npieces++] = w->pieces[i];
	}
	w->npieces = 1;
	first->text[at] = '\0';
	w->width = (unsigned)at;
	w->quoted = false;
	s->words = reallocarray(s->words, s->nwords + 2, sizeof(*s->words));
	if (!s->words)
		abort();
	memmove(&s->words[3], &s->words[1],
		(s->nwords - 1) * sizeof(*s->words));
	s->words[1] = eq;
	s->words[2] = value;
	s->nwords += 2;
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
		return diag_error(r->dl, &s->loc, 1, "missing value after '='");
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
		diag_hint(r->dl,
			  "write %s = \"...\" for one value, or "
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
		diag_error(r->dl, &w->loc, 1, "unexpected '%s'", word_plain(w));
		diag_hint(r->dl, "braces only enclose lists: "
				 "NAME = { a b }; quote a literal brace");
		return -1;
	}
	return 0;
}

static void script_push(struct script *sc, struct stmt *s)
{
	if (sc->count == sc->capacity) {
		sc->capacity = sc->capacity ? sc->capacity * 2 : 64;
		sc->stmts = reallocarray(sc->stmts, sc->capacity, sizeof(*s));
		if (!sc->stmts)
			abort();
	}
	sc->stmts[sc->count++] = *s;
	memset(s, 0, sizeof(*s));
}

/* A finished statement goes into the define body being read, or out. */
static void emit(struct reader *r, struct stmt *s)
{
	struct stmt taken = *s;

	if (r->out) {
		script_push(r->out, s);
		return;
	}
	memset(s, 0, sizeof(*s));
	r->sink(&taken, r->sink_arg);
}

static bool looks_like_assignment(const struct stmt *s)
{
	const char *p = s->nwords ? word_plain(&s->words[0]) : NULL;

	if (s->nwords && s->words[0].glued_eq > 0)
		return reader_is_var_name(s->words[0].pieces[0].text,
					  (size_t)s->words[0].glued_eq);
	return p && reader_is_var_name(p, strlen(p)) && s->nwords >= 2 &&
	       word_is(&s->words[1], "=");
}

/* Keep a broken assignment as a marker: its variable exists, value
 * unknown, so that its uses are not reported a second time. */
static void keep_broken_assignment(struct reader *r, struct stmt *s)
{
	const struct word *w = &s->words[0];
	size_t len = w->glued_eq > 0 ? (size_t)w->glued_eq :
				       strlen(w->pieces[0].text);
	struct stmt marker = { .kind = STMT_ASSIGN,
			       .loc = s->loc,
			       .broken = true };

	marker.name = strndup(w->pieces[0].text, len);
	if (!marker.name)
		abort();
	stmt_free(s);
	emit(r, &marker);
}

/* The name of a macro call NAME(...) or define header, or 0 if none:
 * returns the length of NAME when @text starts with NAME( . */
static size_t call_name_len(const char *text)
{
	const char *paren = text ? strchr(text, '(') : NULL;

	if (!paren || !reader_is_var_name(text, (size_t)(paren - text)))
		return 0;
	return (size_t)(paren - text);
}

/* "define NAME(P1, P2) {": the header's words joined, then split. */
static int parse_define(struct reader *r, struct stmt *s)
{
	char header[256] = "";
	size_t len = 0, nlen;
	const char *p;
	char *end;

	if (r->in_define)
		return diag_error(r->dl, &s->words[0].loc, 6,
				  "define inside the body of %s",
				  r->define.name);
	if (s->nwords < 3 || !word_is(&s->words[s->nwords - 1], "{"))
		goto bad;
	for (size_t i = 1; i + 1 < s->nwords; i++) {
		const char *t = word_plain(&s->words[i]);

		if (!t || len + strlen(t) + 1 >= sizeof(header))
			goto bad;
		len += (size_t)snprintf(header + len, sizeof(header) - len,
					"%s", t);
	}
	nlen = call_name_len(header);
	end = strrchr(header, ')');
	if (!nlen || !end || end[1] != '\0')
		goto bad;
	*end = '\0';
	s->kind = STMT_DEFINE;
	s->name = strndup(header, nlen);
	s->body = calloc(1, sizeof(*s->body));
	if (!s->name || !s->body)
		abort();
	for (p = header + nlen + 1; *p;) {
		size_t n = strcspn(p, ",");

		s->params = reallocarray(s->params, s->nparams + 1,
					 sizeof(*s->params));
		if (!s->params)
			abort();
		s->params[s->nparams++] = strndup(p, n);
		if (!reader_is_var_name(p, n))
			return diag_error(r->dl, &s->words[1].loc,
					  s->words[1].width,
					  "parameter '%.*s' of %s is not a "
					  "name",
					  (int)n, p, s->name);
		p += n + (p[n] == ',');
	}
	for (size_t i = 0; i < s->nwords; i++)
		word_free(&s->words[i]);
	free(s->words);
	s->words = NULL;
	s->nwords = 0;
	r->define = *s;
	memset(s, 0, sizeof(*s));
	r->in_define = true;
	r->out = r->define.body;
	return 1; /* consumed: the body follows */
bad:
	diag_error(r->dl, &s->words[0].loc, s->words[0].width,
		   "a macro is defined as: define NAME(PARAM, ...) {");
	diag_hint(r->dl, "the body follows on the next lines and ends with "
			 "a line that is only '}'");
	return -1;
}

static void arg_push(struct word **args, size_t *nargs, struct word *cur)
{
	*args = reallocarray(*args, *nargs + 1, sizeof(**args));
	if (!*args)
		abort();
	(*args)[(*nargs)++] = *cur;
	memset(cur, 0, sizeof(*cur));
	cur->glued_eq = -1;
}

/* Split the pieces of @w into the arguments at commas. */
static int split_call_word(struct reader *r, const struct word *w,
			   struct word **args, size_t *nargs, struct word *cur)
{
	for (size_t j = 0; j < w->npieces; j++) {
		const struct piece *p = &w->pieces[j];
		const char *t = p->text;

		if (p->kind == PIECE_VAR || p->quoted) {
			word_add_piece(cur, NULL, p->kind, t, strlen(t), p->loc,
				       p->width);
			cur->pieces[cur->npieces - 1].quoted = p->quoted;
			continue;
		}
		for (;;) {
			size_t n = strcspn(t, ",");

			if (n)
				word_add_piece(cur, NULL, PIECE_TEXT, t, n,
					       p->loc, (unsigned)n);
			if (t[n] != ',')
				break;
			if (cur->npieces == 0)
				return diag_error(r->dl, &p->loc, 1,
						  "empty macro argument");
			cur->loc = cur->pieces[0].loc;
			arg_push(args, nargs, cur);
			t += n + 1;
		}
	}
	return 0;
}

/* "NAME(ARG, ARG)": the arguments become the statement's words. */
static int parse_call(struct reader *r, struct stmt *s)
{
	struct word *first = &s->words[0], *last = &s->words[s->nwords - 1];
	struct piece *lp = &last->pieces[last->npieces - 1];
	size_t nlen = call_name_len(first->pieces[0].text), lplen;
	struct word *args = NULL, cur = { .glued_eq = -1 };
	size_t nargs = 0;
	int rc = 0;

	lplen = lp->kind == PIECE_TEXT ? strlen(lp->text) : 0;
	if (!lplen || lp->text[lplen - 1] != ')') {
		diag_error(r->dl, &last->loc, last->width,
			   "a macro call ends with ')'");
		return -1;
	}
	lp->text[lplen - 1] = '\0';
	s->name = strndup(first->pieces[0].text, nlen);
	if (!s->name)
		abort();
	memmove(first->pieces[0].text, first->pieces[0].text + nlen + 1,
		strlen(first->pieces[0].text + nlen + 1) + 1);
	for (size_t i = 0; rc == 0 && i < s->nwords; i++) {
		if (i > 0 && cur.npieces > 0) {
			rc = diag_error(r->dl, &s->words[i].loc,
					s->words[i].width,
					"separate macro arguments with commas");
			break;
		}
		rc = split_call_word(r, &s->words[i], &args, &nargs, &cur);
	}
	if (rc == 0 && cur.npieces > 0) {
		cur.loc = cur.pieces[0].loc;
		arg_push(&args, &nargs, &cur);
	} else if (rc == 0 && nargs > 0) {
		rc = diag_error(r->dl, &last->loc, last->width,
				"empty macro argument after ','");
	}
	word_free(&cur);
	for (size_t i = 0; i < s->nwords; i++)
		word_free(&s->words[i]);
	free(s->words);
	s->words = args;
	s->nwords = nargs;
	s->kind = STMT_CALL;
	return rc;
}

static int classify(struct reader *r, struct stmt *s)
{
	const char *w0 = word_plain(&s->words[0]);

	split_glued_assignment(s);
	if (looks_like_assignment(s))
		return classify_assignment(r, s);
	if (w0 && strcmp(w0, "define") == 0)
		return parse_define(r, s);
	if (w0 && strcmp(w0, "include") == 0) {
		if (s->nwords != 2)
			return diag_error(r->dl, &s->words[0].loc, 7,
					  "include takes one file name or "
					  "pattern, in quotes");
		s->kind = STMT_INCLUDE;
		word_free(&s->words[0]);
		memmove(&s->words[0], &s->words[1], sizeof(*s->words));
		s->nwords = 1;
		return 0;
	}
	if (s->words[0].npieces > 0 &&
	    s->words[0].pieces[0].kind == PIECE_TEXT && !s->words[0].quoted &&
	    call_name_len(s->words[0].pieces[0].text))
		return parse_call(r, s);
	if (r->in_define && s->nwords == 1 && word_is(&s->words[0], "}")) {
		stmt_free(s);
		r->in_define = false;
		r->out = NULL;
		emit(r, &r->define);
		return 1; /* consumed */
	}
	return check_command(r, s);
}

/* Finish the current statement: classify it and append it to the script. */
static void finish_stmt(struct reader *r)
{
	struct stmt *s = &r->cur;
	int rc = 0;

	if (!r->have_cur)
		return;
	r->have_cur = false;
	if (r->cur_broken && looks_like_assignment(s)) {
		keep_broken_assignment(r, s);
		return;
	}
	if (!r->cur_broken && s->nwords > 0) {
		rc = classify(r, s);
		if (rc < 0)
			r->status = -1;
		if (rc == 1)
			return;
	}
	if (r->cur_broken || rc < 0 || s->nwords + (s->name != NULL) == 0) {
		stmt_free(s);
		return;
	}
	emit(r, s);
}

/* Index of the first non-blank byte of the line, or line_len. */
static size_t first_nonblank(const struct reader *r)
{
	size_t i = 0;

	while (i < r->line_len &&
	       (r->line[i] == ' ' || r->line[i] == '\t' || r->line[i] == '\r'))
		i++;
	return i;
}

/* True while the statement is NAME = { ... without its closing brace:
 * a list may span lines, nftables-style, its '}' back at column 1. */
static bool list_open(const struct reader *r)
{
	const struct stmt *s = &r->cur;

	if (!r->have_cur || r->cur_broken || s->nwords < 3 ||
	    !word_is(&s->words[1], "=") || !word_is(&s->words[2], "{"))
		return false;
	for (size_t i = 3; i < s->nwords; i++)
		if (word_is(&s->words[i], "}"))
			return false;
	return true;
}

/* "define NAME(...) {" ends its line: what follows is the body. */
static bool opens_block(const struct stmt *s)
{
	return s->nwords >= 2 && word_is(&s->words[0], "define") &&
	       word_is(&s->words[s->nwords - 1], "{");
}

static void read_physical_line(struct reader *r)
{
	size_t start = first_nonblank(r);
	bool indented = start > 0;
	/* An open list goes on over indented lines and a line starting
	 * with its '}'; anything else at column 1 is a new statement, so
	 * a forgotten '}' is reported where it is missing. */
	bool in_list = list_open(r) && (start > 0 || (start < r->line_len &&
						      r->line[start] == '}'));

	if (start == r->line_len) { /* blank line ends a statement */
		if (!list_open(r)) {
			r->continued = false; /* as in a shell */
			finish_stmt(r);
		}
		return;
	}
	if (r->line[start] == '#')
		return;
	/* Indented deeper than the statement's first line: a continuation.
	 * Inside a macro body the first lines are indented themselves. */
	if (!(r->continued || in_list ||
	      (indented && r->have_cur && start > r->cur_indent))) {
		finish_stmt(r);
		r->have_cur = true;
		r->cur_broken = false;
		r->cur.kind = STMT_COMMAND;
		r->cur.loc = reader_loc(r, start);
		r->cur_indent = start;
	}
	read_line_words(r, start);
	if (!r->continued && opens_block(&r->cur))
		finish_stmt(r); /* the body starts on the next line */
}

static void push_sink(struct stmt *s, void *arg)
{
	script_push(arg, s);
}

int reader_read(const struct source *src, struct script *out,
		struct diag_list *dl)
{
	return reader_each(src, push_sink, out, dl);
}

int reader_each(const struct source *src, stmt_sink_fn *sink, void *arg,
		struct diag_list *dl)
{
	struct reader r = {
		.src = src, .dl = dl, .sink = sink, .sink_arg = arg
	};
	const char *p = src->text, *end = src->text + src->len;
	/* The next NUL byte in the text (one search, not one per line). */
	const char *nul = memchr(p, '\0', (size_t)(end - p));

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (nul && nul < p)
			nul = memchr(p, '\0', (size_t)(end - p));
		r.lineno++;
		r.line = p;
		r.line_len = len;
		r.nul = nul && nul < p + len ? nul : NULL;
		if (len > 0 && p[len - 1] == '\r')
			r.line_len--;
		read_physical_line(&r);
		p += len + 1;
	}
	finish_stmt(&r);
	if (r.in_define) {
		diag_error(dl, &r.define.loc, 6,
			   "define %s has no closing '}' line", r.define.name);
		diag_hint(dl, "end the body with a line that is only '}'");
		stmt_free(&r.define);
		r.status = -1;
	}
	free(r.word.data);
	return r.status;
}

void script_free(struct script *s)
{
	for (size_t i = 0; i < s->count; i++)
		stmt_free(&s->stmts[i]);
	free(s->stmts);
	memset(s, 0, sizeof(*s));
}
