/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expand.c - variables, lists, macros and includes.
 *
 * A variable holds one value or a list of values.  A command that uses
 * list variables is expanded once per combination of their elements, the
 * first list used varying slowest; a list used twice in one command takes
 * the same element in both places.  Variables set with -D win over the
 * file's assignments, so an init script can override PUBLIC_IP.
 *
 * A macro call binds the parameters as variables for the length of the
 * body and restores them after; an include reads the files its pattern
 * names (sorted, relative to the including file) and expands them in
 * place.  Everything expanded through a call or an include carries the
 * chain of call and include sites in src_loc.via, so that an error in a
 * macro body names the line of the body and the line of the call.
 */
#include <errno.h>
#include <glob.h>
#include <sys/socket.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "expand.h"
#include "runtime.h"

/* How deep macro calls and includes may nest before we call it a loop. */
#define EXPAND_MAX_DEPTH 64

/* One variable: its values and where it was defined. */
struct var {
	char *name;
	char **values;
	size_t nvalues;
	bool is_list;
	bool from_cli;
	bool poisoned;	/* its assignment had an error: uses say nothing */
	bool undefined; /* a tombstone: the slot stays for open addressing */
	char *pending;	/* a run-time value not known yet: why, else NULL */
	bool runtime;	/* its values came from address()/network() */
	struct src_loc loc;
};

/* A macro: its parameters and body, in the caller's script
 * (expander_run) or kept by the expander (expander_take). */
struct macro {
	const struct stmt *def;
	bool active; /* being expanded: a call now would recurse */
};

/* One level of macro call or include: for loop messages. */
struct frame {
	const char *what; /* macro name, or file path as written */
	char *key;	  /* an include's real path, to find loops */
	struct src_loc at;
};

/* Variables by name: open addressing over a power-of-two array. */
struct expander {
	struct var *slots;
	size_t size;
	size_t used;
	struct macro *macros;
	size_t nmacros;
	struct frame stack[EXPAND_MAX_DEPTH];
	size_t depth;
	size_t calls; /* macro bodies being expanded (emit_plain) */
	const struct src_loc *via; /* the call or include being expanded */
	struct src_loc **vias;	   /* every via made, freed at the end */
	size_t nvias;
	struct source **sources; /* included files */
	size_t nsources;
	struct stmt **kept; /* defines taken by expander_take */
	size_t nkept;
	/* The command being handed out: reused, so that expanding a rule
	 * costs no allocation once these have grown. */
	struct arg *args;
	size_t args_cap;
	char *text;
	size_t text_cap;
	size_t *ends; /* where each word's text ends in @text */
	size_t ends_cap;
	bool no_includes;
	char *root_key; /* real path of the top file */
	char **ifaces;	/* read by address()/network() */
	size_t nifaces;
	char **addrs; /* the router's own: address() values, or their -D */
	size_t naddrs;
	bool boot;		     /* leave out what waits for a value */
	struct cache_inputs *inputs; /* the apply cache's notes, or NULL */
	unsigned long serial; /* of the last statement made into commands */
	/* The last "family" statement's word (NULL: none), so that the
	 * family an included file sets ends with it (include_file). */
	char *family;
	size_t left_out; /* commands left out for that reason */
	/* Spent of the budget (EXPAND_MAX_*).  What would go past it is
	 * refused; the error is said once. */
	size_t commands;
	size_t bytes;
	bool over_budget;
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

	return v->name && !v->undefined ? v : NULL;
}

static void var_clear_values(struct var *v)
{
	free(v->pending);
	v->pending = NULL;
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
	v->undefined = false;
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

void expander_forbid_includes(struct expander *ex)
{
	ex->no_includes = true;
}

void expander_set_boot(struct expander *ex)
{
	ex->boot = true;
}

void expander_note_inputs(struct expander *ex, struct cache_inputs *in)
{
	ex->inputs = in;
}

void expander_add_left_out(struct expander *ex, size_t n)
{
	ex->left_out += n;
}

size_t expander_left_out(const struct expander *ex)
{
	return ex->left_out;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort @v and drop repeats; returns how many are left. */
static size_t sort_unique(char **v, size_t count)
{
	size_t n = 0;

	/* Fewer than two: nothing to sort, and @v may be NULL, which
	 * qsort must not get. */
	if (count < 2)
		return count;
	qsort(v, count, sizeof(*v), str_cmp);
	for (size_t i = 0; i < count; i++) {
		if (n && strcmp(v[n - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[n++] = v[i];
	}
	return n;
}

size_t expander_interfaces(struct expander *ex, const char *const **names)
{
	ex->nifaces = sort_unique(ex->ifaces, ex->nifaces);
	*names = (const char *const *)ex->ifaces;
	return ex->nifaces;
}

size_t expander_addresses(struct expander *ex, const char *const **values)
{
	ex->naddrs = sort_unique(ex->addrs, ex->naddrs);
	*values = (const char *const *)ex->addrs;
	return ex->naddrs;
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
	free(ex->root_key);
	free(ex->family);
	for (size_t i = 0; i < ex->nifaces; i++)
		free(ex->ifaces[i]);
	free(ex->ifaces);
	for (size_t i = 0; i < ex->naddrs; i++)
		free(ex->addrs[i]);
	free(ex->addrs);
	free(ex->macros);
	for (size_t i = 0; i < ex->nvias; i++)
		free(ex->vias[i]);
	free(ex->vias);
	for (size_t i = 0; i < ex->nkept; i++) {
		stmt_free(ex->kept[i]);
		free(ex->kept[i]);
	}
	free(ex->kept);
	free(ex->args);
	free(ex->text);
	free(ex->ends);
	for (size_t i = 0; i < ex->nsources; i++)
		source_free(ex->sources[i]);
	free(ex->sources);
	free(ex);
}

/* @loc as seen from the current call or include site. */
static struct src_loc here(const struct expander *ex, const struct src_loc *loc)
{
	struct src_loc l = *loc;

	if (!l.via)
		l.via = ex->via;
	return l;
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
	const struct var *pending; /* a value not known yet, in --boot */
};

static void bindings_free(struct bindings *b)
{
	free(b->vars);
	free(b->pick);
	memset(b, 0, sizeof(*b));
}

static void hint_variable(const struct expander *ex, const char *name,
			  struct diag_list *dl)
{
	const char **names = calloc(ex->used + 1, sizeof(*names));
	const char *best;
	size_t n = 0;

	if (!names)
		abort();
	for (size_t i = 0; i < ex->size; i++)
		if (ex->slots[i].name && !ex->slots[i].undefined)
			names[n++] = ex->slots[i].name;
	best = diag_closest(name, names, n);
	if (best)
		diag_hint(dl, "did you mean $%s?", best);
	else
		diag_hint(dl,
			  "define it first: %s = VALUE, or on the command "
			  "line with -D %s=VALUE",
			  name, name);
	free(names);
}

/* Check that every variable in @words exists; note the list variables.
 * Returns 0, -1 after an error, 1 when a variable whose assignment was
 * broken is used (the statement is dropped without a second message), or
 * 2 in --boot when a value is not known yet (b->pending says which). */
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
				struct src_loc at = here(ex, &p->loc);

				rc = diag_error(dl, &at, p->width,
						"undefined variable '%s'",
						p->text);
				hint_variable(ex, p->text, dl);
				continue;
			}
			if (v->poisoned) {
				rc = rc ? rc :
					  1; /* reported at its definition */
				continue;
			}
			if (v->pending && ex->boot) {
				b->pending = b->pending ? b->pending : v;
				rc = rc ? rc : 2;
				continue;
			}
			if (v->pending) {
				struct src_loc at = here(ex, &p->loc);

				rc = diag_error(dl, &at, p->width,
						"$%s is not known yet: %s",
						p->text, v->pending);
				diag_hint(dl,
					  "apply --boot loads the rest of "
					  "the ruleset and leaves out the "
					  "rules that need $%s",
					  p->text);
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

static const char *piece_value(const struct expander *ex,
			       const struct bindings *b, const struct piece *p)
{
	return p->kind == PIECE_TEXT ? p->text : bound_value(ex, b, p->text);
}

/* The length of @w's text under the bindings. */
static size_t word_len(const struct expander *ex, const struct bindings *b,
		       const struct word *w)
{
	size_t len = 0;

	for (size_t i = 0; i < w->npieces; i++)
		len += strlen(piece_value(ex, b, &w->pieces[i]));
	return len;
}

/* Write @w's text to @to, which has room for it; returns its end (the
 * terminating NUL written there). */
static char *word_put(const struct expander *ex, const struct bindings *b,
		      const struct word *w, char *to)
{
	for (size_t i = 0; i < w->npieces; i++) {
		const char *v = piece_value(ex, b, &w->pieces[i]);
		size_t n = strlen(v);

		memcpy(to, v, n);
		to += n;
	}
	*to = '\0';
	return to;
}

static char *word_text(const struct expander *ex, const struct bindings *b,
		       const struct word *w)
{
	char *text = malloc(word_len(ex, b, w) + 1);

	if (!text)
		abort();
	word_put(ex, b, w, text);
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

/* The number of combinations of @b's lists, or @cap + 1 when more. */
static size_t bindings_count(const struct bindings *b, size_t cap)
{
	size_t n = 1;

	if (bindings_empty(b))
		return 0;
	for (size_t k = 0; k < b->count; k++) {
		n *= b->vars[k]->nvalues; /* both factors <= 1 000 000 */
		if (n > cap)
			return cap + 1;
	}
	return n;
}

/*
 * Spend @commands commands and @bytes bytes of text at @loc, or refuse
 * them: the config goes past the expansion budget (said once; what comes
 * later and fits is still expanded, so that a COMMIT is not missed).
 * Returns 0 or -1.
 */
static int budget_spend(struct expander *ex, const struct src_loc *loc,
			size_t commands, size_t bytes, struct diag_list *dl)
{
	struct src_loc at;

	if (commands <= EXPAND_MAX_COMMANDS - ex->commands &&
	    bytes <= EXPAND_MAX_BYTES - ex->bytes) {
		ex->commands += commands;
		ex->bytes += bytes;
		return 0;
	}
	if (ex->over_budget)
		return -1;
	ex->over_budget = true;
	at = here(ex, loc);
	if (commands > EXPAND_MAX_COMMANDS - ex->commands)
		diag_error(dl, &at, 1,
			   "the config expands to more than %u commands "
			   "(%zu before this statement, which makes %s%zu)",
			   EXPAND_MAX_COMMANDS, ex->commands,
			   commands > EXPAND_MAX_COMMANDS ? "more than " : "",
			   commands > EXPAND_MAX_COMMANDS ?
				   EXPAND_MAX_COMMANDS :
				   commands);
	else
		diag_error(dl, &at, 1,
			   "the config expands to more than %u MiB of text",
			   EXPAND_MAX_BYTES >> 20);
	diag_hint(dl, commands ? "a statement is made once per element of "
				 "every list it uses: look for lists "
				 "multiplied together" :
				 "look for values that grow by using "
				 "themselves, or lists multiplied together");
	return -1;
}

/* Grow *@buf to hold @need elements of @size bytes, by doubling. */
static void *grow(void *buf, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return buf;
	while (*cap < need)
		*cap = *cap ? *cap * 2 : 64;
	buf = reallocarray(buf, *cap, size);
	if (!buf)
		abort();
	return buf;
}

/* Whether @w holds a variable whose value is an interface's. */
static bool word_is_runtime(const struct expander *ex, const struct word *w)
{
	for (size_t i = 0; i < w->npieces; i++) {
		const struct var *v;

		if (w->pieces[i].kind != PIECE_VAR)
			continue;
		v = var_find(ex, w->pieces[i].text);
		if (v && v->runtime)
			return true;
	}
	return false;
}

/* Remember a "family" statement's word (see struct expander.family). */
static void note_family(struct expander *ex, const struct stmt *s)
{
	const struct word *w = s->nwords == 2 ? &s->words[1] : NULL;

	if (s->nwords < 1 || s->words[0].npieces != 1 ||
	    s->words[0].pieces[0].kind != PIECE_TEXT ||
	    strcmp(s->words[0].pieces[0].text, "family") != 0)
		return;
	free(ex->family);
	ex->family = NULL;
	if (w && w->npieces == 1 && w->pieces[0].kind == PIECE_TEXT) {
		ex->family = strdup(w->pieces[0].text);
		if (!ex->family)
			abort();
	}
}

/* "family $F": the family is the word's value, not its text. */
static void note_family_value(struct expander *ex, const struct cmd *c)
{
	if (c->argc == 2 && strcmp(c->args[0].text, "family") == 0 &&
	    (!ex->family || strcmp(ex->family, c->args[1].text) != 0)) {
		free(ex->family);
		ex->family = strdup(c->args[1].text);
		if (!ex->family)
			abort();
	}
}

/*
 * Whether @s's words can go to the sink as they are: each one plain text
 * piece, no variable.  Not in a macro body, whose statements are kept
 * for the next call: the sink may write into what it is handed.
 */
static bool stmt_plain(const struct expander *ex, const struct stmt *s)
{
	if (ex->calls > 0)
		return false;
	for (size_t i = 0; i < s->nwords; i++)
		if (s->words[i].npieces != 1 ||
		    s->words[i].pieces[0].kind != PIECE_TEXT)
			return false;
	return true;
}

/* emit_command for a plain statement: its words' own texts, no copy
 * (the statement outlives the sink's call). */
static int emit_plain(struct expander *ex, const struct stmt *s,
		      const struct cmd_sink *out, struct diag_list *dl)
{
	struct cmd c = { .loc = here(ex, &s->loc),
			 .stmt = ex->serial,
			 .argc = s->nwords };
	size_t len = 0;

	ex->args =
		grow(ex->args, &ex->args_cap, s->nwords + 1, sizeof(*ex->args));
	for (size_t i = 0; i < s->nwords; i++) {
		ex->args[i].text = s->words[i].pieces[0].text;
		ex->args[i].loc = here(ex, &s->words[i].loc);
		ex->args[i].width = s->words[i].width;
		ex->args[i].runtime = false;
		len += strlen(ex->args[i].text) + 1;
	}
	if (budget_spend(ex, &s->loc, 0, len, dl) < 0)
		return -1;
	c.args = ex->args;
	note_family_value(ex, &c);
	out->emit(&c, out->arg);
	return 0;
}

/* Hand one combination of @s's words to @out, in the expander's reused
 * buffers: the sink copies what it keeps. */
static int emit_command(struct expander *ex, const struct stmt *s,
			const struct bindings *b, const struct cmd_sink *out,
			struct diag_list *dl)
{
	if (b->count == 0 && stmt_plain(ex, s))
		return emit_plain(ex, s, out, dl);

	struct cmd c = { .loc = here(ex, &s->loc),
			 .stmt = ex->serial,
			 .argc = s->nwords };
	size_t len = 0;

	/* The words' text in one pass (each piece's length taken once),
	 * then the budget for it. */
	ex->ends = grow(ex->ends, &ex->ends_cap, s->nwords, sizeof(*ex->ends));
	ex->text = grow(ex->text, &ex->text_cap, 1, 1);
	for (size_t i = 0; i < s->nwords; i++) {
		const struct word *w = &s->words[i];

		for (size_t k = 0; k < w->npieces; k++) {
			const char *v = piece_value(ex, b, &w->pieces[k]);
			size_t n = strlen(v);

			ex->text =
				grow(ex->text, &ex->text_cap, len + n + 2, 1);
			memcpy(ex->text + len, v, n);
			len += n;
		}
		ex->text = grow(ex->text, &ex->text_cap, len + 2, 1);
		ex->text[len++] = '\0';
		ex->ends[i] = len;
	}
	if (budget_spend(ex, &s->loc, 0, len, dl) < 0)
		return -1;
	ex->args =
		grow(ex->args, &ex->args_cap, s->nwords + 1, sizeof(*ex->args));
	for (size_t i = 0; i < s->nwords; i++) {
		ex->args[i].text = ex->text + (i ? ex->ends[i - 1] : 0);
		ex->args[i].loc = here(ex, &s->words[i].loc);
		ex->args[i].width = s->words[i].width;
		ex->args[i].runtime = word_is_runtime(ex, &s->words[i]);
	}
	c.args = ex->args;
	note_family_value(ex, &c);
	out->emit(&c, out->arg);
	return 0;
}

static int expand_command(struct expander *ex, const struct stmt *s,
			  const struct cmd_sink *out, struct diag_list *dl)
{
	struct bindings b = { 0 };

	int rc = collect_bindings(ex, s->words, s->nwords, &b, dl);

	ex->serial++;
	note_family(ex, s);
	if (rc == 2) {
		struct src_loc at = here(ex, &s->loc);

		diag_warning(dl, &at, 1, "left out: $%s is not known yet: %s",
			     b.pending->name, b.pending->pending);
		ex->left_out++;
	}
	if (rc != 0 || bindings_empty(&b)) {
		bindings_free(&b);
		return rc < 0 ? -1 : 0;
	}
	rc = budget_spend(ex, &s->loc, bindings_count(&b, EXPAND_MAX_COMMANDS),
			  0, dl);
	while (rc == 0) {
		rc = emit_command(ex, s, &b, out, dl);
		if (!bindings_next(&b))
			break;
	}
	bindings_free(&b);
	return rc;
}

/* The value(s) of an assignment's words, evaluated now. */
struct value {
	char **values;
	size_t nvalues;
	bool is_list;
	bool poisoned;
	char *pending; /* not known yet: why */
	bool from_cli; /* saved across a macro call */
	bool runtime;  /* address()/network(), or made of them */
};

/* address(IF) or network(IF), unquoted, as the whole value. */
static bool runtime_call(const struct word *w, const char *text,
			 enum runtime_kind *kind, char **ifname)
{
	static const char *const names[] = {
		[RUNTIME_ADDRESS] = "address(", [RUNTIME_NETWORK] = "network("
	};
	size_t len = strlen(text);

	if (w->quoted || len < 3 || text[len - 1] != ')')
		return false;
	for (int k = 0; k < 2; k++) {
		size_t n = strlen(names[k]);

		if (strncmp(text, names[k], n) == 0 && len > n + 1 &&
		    !strpbrk(text + n, "( \t")) {
			*kind = (enum runtime_kind)k;
			*ifname = strndup(text + n, len - n - 1);
			return *ifname != NULL;
		}
	}
	return false;
}

/* Keep @addr, read from @ifname, as one of the router's own addresses,
 * with the length of its network when the interface says it (the
 * networks come in the order of the addresses: the IPv4 one first). */
static void note_address(struct expander *ex, const char *addr,
			 const char *ifname)
{
	char *why = NULL, **nets, *len = NULL, *both;
	size_t n = runtime_iface_values(RUNTIME_NETWORK, ifname, &nets, &why);

	cache_note_runtime(ex->inputs, true, ifname, nets, n);
	free(why);
	for (size_t i = 0; i < n && !len; i++)
		if ((strchr(nets[i], ':') != NULL) ==
		    (strchr(addr, ':') != NULL))
			len = strchr(nets[i], '/');
	if (asprintf(&both, "%s%s", addr, len ? len : "") < 0)
		abort();
	for (size_t i = 0; i < n; i++)
		free(nets[i]);
	free(nets);
	push_value(&ex->addrs, &ex->naddrs, both);
}

/* An assignment NAME = address(...) whose value -D gave: that value is
 * one of the router's own addresses all the same. */
static void note_cli_address(struct expander *ex, const struct stmt *s,
			     const struct var *v)
{
	const struct word *w = &s->words[0];

	if (s->nwords != 1 || w->quoted || w->npieces == 0 ||
	    w->pieces[0].kind != PIECE_TEXT ||
	    strncmp(w->pieces[0].text, "address(", 8) != 0)
		return;
	for (size_t i = 0; i < v->nvalues; i++)
		push_value(&ex->addrs, &ex->naddrs, strdup(v->values[i]));
}

/* Replace address(IF)/network(IF) in @out by the interface's values (a
 * list when it has several: the addresses of both families), or make the
 * value pending with the reason. */
static void resolve_runtime(struct expander *ex, const struct word *w,
			    struct value *out)
{
	enum runtime_kind kind;
	char *ifname, *why, **values;
	size_t n;

	if (out->nvalues != 1 || out->is_list ||
	    !runtime_call(w, out->values[0], &kind, &ifname))
		return;
	push_value(&ex->ifaces, &ex->nifaces, strdup(ifname));
	n = runtime_iface_values(kind, ifname, &values, &why);
	cache_note_runtime(ex->inputs, kind == RUNTIME_NETWORK, ifname, values,
			   n);
	for (size_t i = 0; i < n && kind == RUNTIME_ADDRESS; i++)
		note_address(ex, values[i], ifname);
	free(ifname);
	free(out->values[0]);
	out->runtime = true;
	if (n) {
		free(out->values);
		out->values = values;
		out->nvalues = n;
		out->is_list = n > 1;
		return;
	}
	out->values[0] = strdup("");
	out->pending = why ? why : strdup("its value is unknown");
}

/* Whether a value of @have elements and @more to come would be longer
 * than a list may be; says so once. */
static bool list_too_long(struct expander *ex, const struct word *w,
			  size_t have, size_t more, struct diag_list *dl)
{
	struct src_loc at;

	if (more <= EXPAND_MAX_LIST - have)
		return false;
	if (ex->over_budget)
		return true;
	ex->over_budget = true;
	at = here(ex, &w->loc);
	diag_error(dl, &at, w->width, "this value has more than %u elements",
		   EXPAND_MAX_LIST);
	diag_hint(dl, "a word is made once per element of every list it "
		      "uses: look for lists multiplied together");
	return true;
}

static int eval_words(struct expander *ex, const struct word *words,
		      size_t nwords, bool is_list, struct value *out,
		      struct diag_list *dl)
{
	int status = 0;

	memset(out, 0, sizeof(*out));
	out->is_list = is_list;
	for (size_t i = 0; i < nwords; i++) {
		struct bindings b = { 0 };
		int rc = collect_bindings(ex, &words[i], 1, &b, dl);

		if (rc == 2) { /* --boot: waits for what it uses */
			if (asprintf(&out->pending, "it needs $%s, and %s",
				     b.pending->name, b.pending->pending) < 0)
				abort();
			bindings_free(&b);
			return 0;
		}
		if (rc != 0) {
			/* Its uses would only repeat this error. */
			bindings_free(&b);
			out->poisoned = true;
			return rc < 0 ? -1 : 0;
		}
		if (b.count > 0)
			out->is_list = true;
		if (word_is_runtime(ex, &words[i]))
			out->runtime = true;
		if (list_too_long(ex, &words[i], out->nvalues,
				  bindings_count(&b, EXPAND_MAX_LIST), dl))
			status = -1;
		while (status == 0 && !bindings_empty(&b)) {
			if (budget_spend(ex, &words[i].loc, 0,
					 word_len(ex, &b, &words[i]) + 1,
					 dl) < 0) {
				status = -1;
				break;
			}
			push_value(&out->values, &out->nvalues,
				   word_text(ex, &b, &words[i]));
			if (!bindings_next(&b))
				break;
		}
		bindings_free(&b);
		if (status < 0) {
			out->poisoned = true;
			return -1;
		}
	}
	return status;
}

static void var_set(struct expander *ex, const char *name, struct value *val,
		    const struct src_loc *loc)
{
	struct var *v = var_get(ex, name);

	var_clear_values(v);
	v->values = val->values;
	v->nvalues = val->nvalues;
	v->is_list = val->is_list;
	v->poisoned = val->poisoned;
	v->pending = val->pending;
	v->runtime = val->runtime;
	v->undefined = false;
	v->loc = *loc;
}

static int expand_assignment(struct expander *ex, const struct stmt *s,
			     struct diag_list *dl)
{
	struct var *v = var_find(ex, s->name);
	struct value val = { .poisoned = true };
	int rc = 0;

	if (v && v->from_cli) {
		note_cli_address(ex, s, v);
		return 0; /* -D wins over the file */
	}
	if (!s->broken)
		rc = eval_words(ex, s->words, s->nwords, s->is_list, &val, dl);
	if (rc == 0 && s->nwords == 1 && !val.pending)
		resolve_runtime(ex, &s->words[0], &val);
	var_set(ex, s->name, &val, &s->loc);
	return rc;
}

static int expand_script(struct expander *ex, const struct script *s,
			 const struct cmd_sink *out, struct diag_list *dl);

static struct macro *find_macro(struct expander *ex, const char *name)
{
	for (size_t i = 0; i < ex->nmacros; i++)
		if (strcmp(ex->macros[i].def->name, name) == 0)
			return &ex->macros[i];
	return NULL;
}

static int expand_define(struct expander *ex, const struct stmt *s,
			 struct diag_list *dl)
{
	struct macro *m = find_macro(ex, s->name);

	if (m) {
		struct src_loc at = here(ex, &s->loc);

		diag_error(dl, &at, 6, "macro %s is already defined", s->name);
		diag_hint(dl, "the first definition is at %s:%u",
			  m->def->loc.src->name, m->def->loc.line);
		return -1;
	}
	ex->macros =
		reallocarray(ex->macros, ex->nmacros + 1, sizeof(*ex->macros));
	if (!ex->macros)
		abort();
	ex->macros[ex->nmacros++] = (struct macro){ .def = s };
	return 0;
}

/* Enter a call or include at @loc: the chain of sites for messages. */
static int frame_push(struct expander *ex, const char *what,
		      const struct src_loc *loc, struct diag_list *dl)
{
	struct src_loc *via;

	if (ex->depth == EXPAND_MAX_DEPTH) {
		struct src_loc at = here(ex, loc);

		return diag_error(dl, &at, 1,
				  "macro calls and includes nest more than "
				  "%d deep",
				  EXPAND_MAX_DEPTH);
	}
	via = malloc(sizeof(*via));
	ex->vias = reallocarray(ex->vias, ex->nvias + 1, sizeof(*ex->vias));
	if (!via || !ex->vias)
		abort();
	*via = here(ex, loc);
	ex->vias[ex->nvias++] = via;
	ex->stack[ex->depth++] = (struct frame){ what, NULL, *via };
	ex->via = via;
	return 0;
}

static void frame_pop(struct expander *ex)
{
	free(ex->stack[ex->depth - 1].key);
	ex->depth--;
	ex->via = ex->via->via;
}

/* "a(1) -> b(2) -> a": the chain of calls that would recurse, cut with
 * "..." where it does not fit (names may be long: snprintf's return
 * value is what it wanted to write, not what it wrote). */
static void hint_chain(const struct expander *ex, const char *name,
		       struct diag_list *dl)
{
	char chain[512] = "";
	size_t len = 0;
	int n = 0;

	for (size_t i = 0; i <= ex->depth; i++) {
		size_t room = sizeof(chain) - len;

		if (i < ex->depth)
			n = snprintf(chain + len, room, "%s (line %u) -> ",
				     ex->stack[i].what, ex->stack[i].at.line);
		else
			n = snprintf(chain + len, room, "%s", name);
		if (n < 0 || (size_t)n >= room) {
			memcpy(chain + sizeof(chain) - 4, "...", 4);
			break;
		}
		len += (size_t)n;
	}
	diag_hint(dl, "the chain is %s", chain);
}

/* Bind the macro's parameters to the call's arguments, evaluated first
 * (an argument may use a variable that is also a parameter); the old
 * variables go to @saved. */
static int bind_params(struct expander *ex, const struct stmt *call,
		       const struct stmt *def, struct value *saved,
		       struct diag_list *dl)
{
	struct value *args = calloc(def->nparams + 1, sizeof(*args));
	int status = 0;

	if (!args)
		abort();
	for (size_t i = 0; i < def->nparams; i++)
		if (eval_words(ex, &call->words[i], 1, false, &args[i], dl) < 0)
			status = -1;
	for (size_t i = 0; i < def->nparams; i++) {
		struct var *v = var_find(ex, def->params[i]);

		saved[i] = (struct value){ .poisoned = !v };
		if (v) { /* detach the old values from the slot */
			saved[i] = (struct value){ v->values,  v->nvalues,
						   v->is_list, v->poisoned,
						   v->pending, v->from_cli,
						   v->runtime };
			v->values = NULL;
			v->nvalues = 0;
			v->pending = NULL;
		}
		var_set(ex, def->params[i], &args[i], &call->loc);
		var_find(ex, def->params[i])->from_cli = false;
	}
	free(args);
	return status;
}

static void unbind_params(struct expander *ex, const struct stmt *def,
			  struct value *saved, const bool *existed)
{
	for (size_t i = def->nparams; i-- > 0;) {
		struct var *v = var_get(ex, def->params[i]);

		var_clear_values(v);
		v->values = saved[i].values;
		v->nvalues = saved[i].nvalues;
		v->is_list = saved[i].is_list;
		v->poisoned = existed[i] && saved[i].poisoned;
		v->pending = saved[i].pending;
		v->from_cli = existed[i] && saved[i].from_cli;
		v->runtime = existed[i] && saved[i].runtime;
		v->undefined = !existed[i];
	}
}

static int expand_call(struct expander *ex, const struct stmt *s,
		       const struct cmd_sink *out, struct diag_list *dl)
{
	struct macro *m = find_macro(ex, s->name);
	struct src_loc at = here(ex, &s->loc);
	struct value *saved;
	bool *existed;
	int rc;

	if (!m) {
		diag_error(dl, &at, (unsigned)strlen(s->name),
			   "no macro named %s", s->name);
		diag_hint(dl, "define it before the call: define %s(...) {",
			  s->name);
		return -1;
	}
	if (m->active) {
		diag_error(dl, &at, (unsigned)strlen(s->name),
			   "recursive call of macro %s", s->name);
		hint_chain(ex, s->name, dl);
		return -1;
	}
	if (s->nwords != m->def->nparams) {
		diag_error(dl, &at, (unsigned)strlen(s->name),
			   "macro %s takes %zu arguments, not %zu", s->name,
			   m->def->nparams, s->nwords);
		diag_hint(dl, "it is defined at %s:%u", m->def->loc.src->name,
			  m->def->loc.line);
		return -1;
	}
	saved = calloc(m->def->nparams + 1, sizeof(*saved));
	existed = calloc(m->def->nparams + 1, sizeof(*existed));
	if (!saved || !existed)
		abort();
	for (size_t i = 0; i < m->def->nparams; i++)
		existed[i] = var_find(ex, m->def->params[i]) != NULL;
	rc = bind_params(ex, s, m->def, saved, dl);
	if (rc == 0 && frame_push(ex, s->name, &s->loc, dl) == 0) {
		m->active = true;
		ex->calls++;
		rc = expand_script(ex, m->def->body, out, dl);
		ex->calls--;
		m->active = false;
		frame_pop(ex);
	} else {
		rc = -1;
	}
	unbind_params(ex, m->def, saved, existed);
	free(saved);
	free(existed);
	return rc;
}

/* The directory part of @path, with a trailing '/', or "" for none. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strndup(path, slash ? (size_t)(slash - path + 1) : 0);
}

static bool including(const struct expander *ex, const char *real)
{
	if (ex->root_key && strcmp(ex->root_key, real) == 0)
		return true;
	for (size_t i = 0; i < ex->depth; i++)
		if (ex->stack[i].key && strcmp(ex->stack[i].key, real) == 0)
			return true;
	return false;
}

/* Where an included file's statements go as they are read. */
struct take_ctx {
	struct expander *ex;
	const struct cmd_sink *out;
	struct diag_list *dl;
	int status;
};

static void take_sink(struct stmt *s, void *arg);

/*
 * A "family" line in an included file holds to the end of that file: if
 * the file changed the family, tell the builder the includer's again
 * (@family: its word, or NULL for the one iptload started in, which the
 * builder calls "default").  Frees @family.
 */
static void end_family(struct expander *ex, char *family,
		       const struct src_loc *at, unsigned width,
		       const struct cmd_sink *out)
{
	struct arg args[2] = {
		{ .text = (char *)"family", .loc = *at, .width = width },
		{ .text = family ? family : (char *)"default",
		  .loc = *at,
		  .width = width },
	};
	struct cmd c = { .loc = *at, .args = args, .argc = 2 };

	if ((!family && !ex->family) ||
	    (family && ex->family && strcmp(family, ex->family) == 0)) {
		free(family);
		return;
	}
	c.stmt = ++ex->serial;
	out->emit(&c, out->arg);
	free(ex->family);
	ex->family = family;
}

static int include_file(struct expander *ex, const struct stmt *s,
			const char *path, const struct cmd_sink *out,
			struct diag_list *dl)
{
	struct src_loc at = here(ex, &s->words[0].loc);
	char real[PATH_MAX];
	struct source *src;
	struct take_ctx ctx = { .ex = ex, .out = out, .dl = dl };
	char *why = NULL, *family;
	int rc;

	if (ex->no_includes)
		return diag_error(dl, &at, s->words[0].width,
				  "include is disabled here");
	if (!realpath(path, real) || !(src = source_read(path, &why))) {
		diag_error(dl, &at, s->words[0].width, "cannot include %s: %s",
			   path, why ? why : strerror(errno));
		free(why);
		return -1;
	}
	cache_note_file(ex->inputs, path, src->text, src->len);
	ex->sources = reallocarray(ex->sources, ex->nsources + 1,
				   sizeof(*ex->sources));
	if (!ex->sources)
		abort();
	ex->sources[ex->nsources++] = src;
	if (including(ex, real)) {
		diag_error(dl, &at, s->words[0].width,
			   "include loop: %s is already being included", path);
		hint_chain(ex, path, dl);
		return -1;
	}
	if (frame_push(ex, src->name, &s->words[0].loc, dl) < 0)
		return -1;
	ex->stack[ex->depth - 1].key = strdup(real);
	family = ex->family ? strdup(ex->family) : NULL;
	/* Read and expand statement by statement, as the top file. */
	rc = reader_each(src, take_sink, &ctx, dl);
	if (ctx.status < 0)
		rc = -1;
	frame_pop(ex);
	end_family(ex, family, &at, s->words[0].width, out);
	return rc;
}

/*
 * glob(3)'s error callback has no argument of its own: the first error
 * other than a missing directory, as errno and path, is kept here for
 * the expand_include() that runs glob.  glob runs in one thread.
 */
static struct {
	int err;
	char path[PATH_MAX];
} glob_failure;

/* A directory of the pattern that does not exist matches nothing; any
 * other error (EACCES, EIO, ELOOP) stops the glob: it must not pass for
 * a pattern that matches nothing. */
static int glob_error(const char *path, int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return 0;
	glob_failure.err = err;
	snprintf(glob_failure.path, sizeof(glob_failure.path), "%s", path);
	return 1;
}

static int expand_include(struct expander *ex, const struct stmt *s,
			  const struct cmd_sink *out, struct diag_list *dl)
{
	struct bindings b = { 0 };
	const char *from = s->loc.src ? s->loc.src->name : "";
	char *pattern, *dir, *full;
	glob_t g;
	int rc = collect_bindings(ex, s->words, 1, &b, dl);

	if (rc != 0 || b.count > 0) {
		bindings_free(&b);
		if (rc == 0) {
			struct src_loc at = here(ex, &s->words[0].loc);

			return diag_error(dl, &at, s->words[0].width,
					  "include takes one pattern, not a "
					  "list");
		}
		return rc < 0 ? -1 : 0;
	}
	pattern = word_text(ex, &b, &s->words[0]);
	dir = pattern[0] == '/' ? strdup("") : dir_of(from);
	if (!dir || asprintf(&full, "%s%s", dir, pattern) < 0)
		abort();
	glob_failure.err = 0;
	rc = glob(full, 0, glob_error, &g);
	if (rc == 0 || rc == GLOB_NOMATCH)
		cache_note_glob(ex->inputs, full, rc, g.gl_pathv,
				rc == 0 ? g.gl_pathc : 0);
	if (rc == GLOB_ABORTED) {
		struct src_loc at = here(ex, &s->words[0].loc);

		rc = diag_error(
			dl, &at, s->words[0].width, "cannot include %s: %s: %s",
			full, glob_failure.path,
			strerror(glob_failure.err ? glob_failure.err : EIO));
		globfree(&g);
	} else if (rc == GLOB_NOMATCH && strpbrk(pattern, "*?[") == NULL) {
		rc = include_file(ex, s, full, out, dl); /* says why */
	} else if (rc == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (include_file(ex, s, g.gl_pathv[i], out, dl) < 0)
				rc = -1;
		globfree(&g);
	} else if (rc == GLOB_NOMATCH) {
		rc = 0; /* a pattern that matches nothing includes nothing */
	} else {
		abort(); /* GLOB_NOSPACE: out of memory */
	}
	free(full);
	free(dir);
	free(pattern);
	return rc;
}

static int expand_stmt(struct expander *ex, const struct stmt *st,
		       const struct cmd_sink *out, struct diag_list *dl)
{
	switch (st->kind) {
	case STMT_ASSIGN:
		return expand_assignment(ex, st, dl);
	case STMT_DEFINE:
		return expand_define(ex, st, dl);
	case STMT_CALL:
		return expand_call(ex, st, out, dl);
	case STMT_INCLUDE:
		return expand_include(ex, st, out, dl);
	default:
		return expand_command(ex, st, out, dl);
	}
}

static int expand_script(struct expander *ex, const struct script *s,
			 const struct cmd_sink *out, struct diag_list *dl)
{
	int status = 0;

	for (size_t i = 0; i < s->count; i++)
		if (expand_stmt(ex, &s->stmts[i], out, dl) < 0)
			status = -1;
	return status;
}

static void set_root(struct expander *ex, const struct source *top)
{
	/* The top file counts for include loops too. */
	free(ex->root_key);
	ex->root_key = top ? realpath(top->name, NULL) : NULL;
}

int expander_run(struct expander *ex, const struct script *s,
		 struct cmd_list *out, struct diag_list *dl)
{
	struct cmd_sink sink = { .emit = cmd_list_add, .arg = out };

	set_root(ex, s->count ? s->stmts[0].loc.src : NULL);
	return expand_script(ex, s, &sink, dl);
}

size_t expander_sources(struct expander *ex, struct source *const **srcs)
{
	*srcs = ex->sources;
	return ex->nsources;
}

void expander_start(struct expander *ex, const struct source *top)
{
	set_root(ex, top);
}

int expander_take(struct expander *ex, struct stmt *s,
		  const struct cmd_sink *out, struct diag_list *dl)
{
	int rc;

	if (s->kind == STMT_DEFINE) {
		/* The macro's body lives as long as the expander. */
		struct stmt *kept = malloc(sizeof(*kept));

		ex->kept = reallocarray(ex->kept, ex->nkept + 1,
					sizeof(*ex->kept));
		if (!kept || !ex->kept)
			abort();
		*kept = *s;
		memset(s, 0, sizeof(*s));
		ex->kept[ex->nkept++] = kept;
		return expand_define(ex, kept, dl);
	}
	rc = expand_stmt(ex, s, out, dl);
	stmt_free(s);
	return rc;
}

static void take_sink(struct stmt *s, void *arg)
{
	struct take_ctx *ctx = arg;

	if (expander_take(ctx->ex, s, ctx->out, ctx->dl) < 0)
		ctx->status = -1;
}

void cmd_list_add(const struct cmd *c, void *arg)
{
	struct cmd_list *cl = arg;
	struct cmd copy = { .loc = c->loc, .stmt = c->stmt, .argc = c->argc };

	if (cl->count == cl->capacity) {
		cl->capacity = cl->capacity ? cl->capacity * 2 : 256;
		cl->items = reallocarray(cl->items, cl->capacity,
					 sizeof(*cl->items));
		if (!cl->items)
			abort();
	}
	copy.args = calloc(c->argc + 1, sizeof(*copy.args));
	if (!copy.args)
		abort();
	for (size_t i = 0; i < c->argc; i++) {
		copy.args[i] = c->args[i];
		copy.args[i].text = strdup(c->args[i].text);
		if (!copy.args[i].text)
			abort();
	}
	cl->items[cl->count++] = copy;
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
