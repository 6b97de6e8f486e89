/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expand.c - variables and lists.
 *
 * A variable holds one value or a list of values.  A command that uses
 * list variables is expanded once per combination of their elements, the
 * first list used varying slowest; a list used twice in one command takes
 * the same element in both places.  Variables set with -D win over the
 * file's assignments, so an init script can override PUBLIC_IP.
 */
#include <stdlib.h>
#include <string.h>

#include "expand.h"

/* One variable: its values and where it was defined. */
struct var {
	char *name;
	char **values;
	size_t nvalues;
	bool is_list;
	bool from_cli;
	struct src_loc loc;
};

/* Variables by name: open addressing over a power-of-two array. */
struct expander {
	struct var *slots;
	size_t size;
	size_t used;
	struct source *cli_source; /* text of -D definitions, for locations */
};

static size_t var_hash(const char *name)
{
	size_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct var *var_slot(const struct expander *ex, const char *name)
{
	size_t i = var_hash(name) & (ex->size - 1);

	while (ex->slots[i].name && strcmp(ex->slots[i].name, name) != 0)
		i = (i + 1) & (ex->size - 1);
	return &ex->slots[i];
}

static struct var *var_find(const struct expander *ex, const char *name)
{
	struct var *v = var_slot(ex, name);

	return v->name ? v : NULL;
}

static void var_clear_values(struct var *v)
{
	for (size_t i = 0; i < v->nvalues; i++)
		free(v->values[i]);
	free(v->values);
	v->values = NULL;
	v->nvalues = 0;
}

static void expander_grow(struct expander *ex)
{
	struct var *old = ex->slots;
	size_t old_size = ex->size;

	ex->size = old_size ? old_size * 2 : 64;
	ex->slots = calloc(ex->size, sizeof(*ex->slots));
	if (!ex->slots)
		abort();
	for (size_t i = 0; i < old_size; i++)
		if (old[i].name)
			*var_slot(ex, old[i].name) = old[i];
	free(old);
}

/* The variable called @name, created empty if it does not exist. */
static struct var *var_get(struct expander *ex, const char *name)
{
	struct var *v;

	if ((ex->used + 1) * 2 > ex->size)
		expander_grow(ex);
	v = var_slot(ex, name);
	if (!v->name) {
		v->name = strdup(name);
		if (!v->name)
			abort();
		ex->used++;
	}
	return v;
}

struct expander *expander_new(void)
{
	struct expander *ex = calloc(1, sizeof(*ex));

	if (!ex)
		abort();
	expander_grow(ex);
	return ex;
}

void expander_free(struct expander *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->size; i++) {
		var_clear_values(&ex->slots[i]);
		free(ex->slots[i].name);
	}
	free(ex->slots);
	source_free(ex->cli_source);
	free(ex);
}

static void push_value(char ***values, size_t *n, char *value)
{
	*values = reallocarray(*values, *n + 1, sizeof(**values));
	if (!*values)
		abort();
	(*values)[(*n)++] = value;
}

int expander_define(struct expander *ex, const char *def, struct diag_list *dl)
{
	const char *eq = strchr(def, '=');
	char *name;
	struct var *v;

	if (!eq || !reader_is_var_name(def, (size_t)(eq - def))) {
		diag_error(dl, NULL, 0, "-D takes NAME=VALUE, not '%s'", def);
		return -1;
	}
	name = strndup(def, (size_t)(eq - def));
	if (!name)
		abort();
	v = var_get(ex, name);
	free(name);
	var_clear_values(v);
	push_value(&v->values, &v->nvalues, strdup(eq + 1));
	v->is_list = false;
	v->from_cli = true;
	v->loc = (struct src_loc){ 0 };
	return 0;
}

/*
 * The list variables a word list uses, in order of first use.  Each is
 * bound to one element at a time by @pick.
 */
struct bindings {
	const struct var **vars;
	size_t *pick;
	size_t count;
};

static void bindings_free(struct bindings *b)
{
	free(b->vars);
	free(b->pick);
	memset(b, 0, sizeof(*b));
}

/* Check that every variable in @words exists; note the list variables. */
static int collect_bindings(const struct expander *ex, const struct word *words,
			    size_t nwords, struct bindings *b,
			    struct diag_list *dl)
{
	int rc = 0;

	for (size_t i = 0; i < nwords; i++) {
		for (size_t j = 0; j < words[i].npieces; j++) {
			const struct piece *p = &words[i].pieces[j];
			const struct var *v;
			size_t k;

			if (p->kind != PIECE_VAR)
				continue;
			v = var_find(ex, p->text);
			if (!v) {
				rc = diag_error(dl, &p->loc, p->width,
						"undefined variable '%s'",
						p->text);
				diag_hint(dl, "define it first: %s = VALUE, "
					      "or on the command line with "
					      "-D %s=VALUE",
					  p->text, p->text);
				continue;
			}
			if (!v->is_list)
				continue;
			for (k = 0; k < b->count && b->vars[k] != v; k++)
				;
			if (k < b->count)
				continue;
			b->vars = reallocarray(b->vars, b->count + 1,
					       sizeof(*b->vars));
			b->pick = reallocarray(b->pick, b->count + 1,
					       sizeof(*b->pick));
			if (!b->vars || !b->pick)
				abort();
			b->vars[b->count] = v;
			b->pick[b->count++] = 0;
		}
	}
	return rc;
}

/* The value of a variable under the current bindings. */
static const char *bound_value(const struct expander *ex,
			       const struct bindings *b, const char *name)
{
	const struct var *v = var_find(ex, name);

	for (size_t k = 0; k < b->count; k++)
		if (b->vars[k] == v)
			return v->values[b->pick[k]];
	return v->nvalues ? v->values[0] : "";
}

static char *word_text(const struct expander *ex, const struct bindings *b,
		       const struct word *w)
{
	size_t len = 0;
	char *text;

	for (size_t i = 0; i < w->npieces; i++)
		len += strlen(w->pieces[i].kind == PIECE_TEXT
				      ? w->pieces[i].text
				      : bound_value(ex, b, w->pieces[i].text));
	text = malloc(len + 1);
	if (!text)
		abort();
	text[0] = '\0';
	for (size_t i = 0; i < w->npieces; i++)
		strcat(text, w->pieces[i].kind == PIECE_TEXT
				     ? w->pieces[i].text
				     : bound_value(ex, b, w->pieces[i].text));
	return text;
}

/* Advance to the next combination; false after the last one.  An empty
 * list has no combination at all. */
static bool bindings_next(struct bindings *b)
{
	for (size_t k = b->count; k-- > 0;) {
		if (++b->pick[k] < b->vars[k]->nvalues)
			return true;
		b->pick[k] = 0;
	}
	return false;
}

static bool bindings_empty(const struct bindings *b)
{
	for (size_t k = 0; k < b->count; k++)
		if (b->vars[k]->nvalues == 0)
			return true;
	return false;
}

static void cmd_list_push(struct cmd_list *cl, struct cmd c)
{
	if (cl->count == cl->capacity) {
		cl->capacity = cl->capacity ? cl->capacity * 2 : 256;
		cl->items = reallocarray(cl->items, cl->capacity, sizeof(c));
		if (!cl->items)
			abort();
	}
	cl->items[cl->count++] = c;
}

static int expand_command(struct expander *ex, const struct stmt *s,
			  struct cmd_list *out, struct diag_list *dl)
{
	struct bindings b = { 0 };

	if (collect_bindings(ex, s->words, s->nwords, &b, dl) < 0) {
		bindings_free(&b);
		return -1;
	}
	if (bindings_empty(&b)) {
		bindings_free(&b);
		return 0;
	}
	do {
		struct cmd c = { .loc = s->loc, .argc = s->nwords };

		c.args = calloc(s->nwords, sizeof(*c.args));
		if (!c.args)
			abort();
		for (size_t i = 0; i < s->nwords; i++) {
			c.args[i].text = word_text(ex, &b, &s->words[i]);
			c.args[i].loc = s->words[i].loc;
			c.args[i].width = s->words[i].width;
		}
		cmd_list_push(out, c);
	} while (bindings_next(&b));
	bindings_free(&b);
	return 0;
}

static int expand_assignment(struct expander *ex, const struct stmt *s,
			     struct diag_list *dl)
{
	struct var *v = var_find(ex, s->name);
	char **values = NULL;
	size_t nvalues = 0;
	bool is_list = s->is_list;

	if (v && v->from_cli)
		return 0; /* -D wins over the file */
	for (size_t i = 0; i < s->nwords; i++) {
		struct bindings b = { 0 };

		if (collect_bindings(ex, &s->words[i], 1, &b, dl) < 0) {
			bindings_free(&b);
			for (size_t j = 0; j < nvalues; j++)
				free(values[j]);
			free(values);
			return -1;
		}
		if (b.count > 0)
			is_list = true;
		if (!bindings_empty(&b)) {
			do {
				push_value(&values, &nvalues,
					   word_text(ex, &b, &s->words[i]));
			} while (bindings_next(&b));
		}
		bindings_free(&b);
	}
	v = var_get(ex, s->name);
	var_clear_values(v);
	v->values = values;
	v->nvalues = nvalues;
	v->is_list = is_list;
	v->loc = s->loc;
	return 0;
}

int expander_run(struct expander *ex, const struct script *s,
		 struct cmd_list *out, struct diag_list *dl)
{
	int status = 0;

	for (size_t i = 0; i < s->count; i++) {
		const struct stmt *st = &s->stmts[i];
		int rc = st->kind == STMT_ASSIGN
				 ? expand_assignment(ex, st, dl)
				 : expand_command(ex, st, out, dl);

		if (rc < 0)
			status = -1;
	}
	return status;
}

void cmd_list_free(struct cmd_list *cl)
{
	for (size_t i = 0; i < cl->count; i++) {
		for (size_t j = 0; j < cl->items[i].argc; j++)
			free(cl->items[i].args[j].text);
		free(cl->items[i].args);
	}
	free(cl->items);
	memset(cl, 0, sizeof(*cl));
}
