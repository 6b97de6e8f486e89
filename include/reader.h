/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reader.h - config text to statements.  Knows syntax only: words, quotes,
 * comments, continuation lines, variable references, assignments and lists.
 * It knows nothing of iptables options or kernel structures.
 */
#ifndef IPTLOAD_READER_H
#define IPTLOAD_READER_H

#include "diag.h"

enum piece_kind {
	PIECE_TEXT, /* literal bytes */
	PIECE_VAR,  /* $NAME or ${NAME}: text holds NAME */
};

/* One run of a word: literal text, or a reference to a variable. */
struct piece {
	enum piece_kind kind;
	char *text;
	struct src_loc loc; /* of the text, or of the '$' */
	unsigned width;	    /* source columns it spans */
	bool quoted;	    /* text from quotes or a backslash: a comma in
			       it does not split macro arguments */
};

/*
 * One shell-like word.  "a"'b'$C is one word of three pieces.  @quoted is
 * true when any part of it was quoted, so that a quoted "=" or "{" is data,
 * not syntax.
 */
struct word {
	struct piece *pieces;
	size_t npieces;
	struct src_loc loc;
	unsigned width;
	bool quoted;
	/* Offset of the first unquoted '=' in the first piece, or -1: how
	 * NAME="a b" and NAME=${X} are told from a quoted 'A=b'. */
	int glued_eq;
	bool pooled; /* its one piece is in the statement's pool */
};

enum stmt_kind {
	STMT_COMMAND, /* an iptables command or iptables-save line */
	STMT_ASSIGN,  /* NAME = value, or NAME = { v1 v2 ... } */
	STMT_DEFINE,  /* define NAME(P1, P2) { statements } */
	STMT_CALL,    /* NAME(ARG1, ARG2): @words are the arguments */
	STMT_INCLUDE, /* include "PATTERN": @words[0] is the pattern */
};

struct script;
struct text_pool;

/*
 * One statement: a logical line after continuations are joined.
 * For STMT_DEFINE and STMT_CALL, @name is the macro.
 * For STMT_ASSIGN, @name is the variable, @words its value(s) and @is_list
 * tells whether the value was written as { ... }.  An assignment the
 * reader could not read is kept, @broken, so that later uses of the
 * variable are not reported again as undefined.
 */
struct stmt {
	enum stmt_kind kind;
	struct src_loc loc;
	char *name;
	bool is_list;
	bool broken; /* an assignment with an error: its value is unknown */
	struct word *words;
	size_t nwords;
	char **params; /* STMT_DEFINE: parameter names */
	size_t nparams;
	struct script *body;	/* STMT_DEFINE: the statements it stands for */
	struct text_pool *pool; /* the reader's memory for its words: freed
				   with the statement, so words never move
				   from one statement to another */
};

/* Every statement of one source, in order. */
struct script {
	struct stmt *stmts;
	size_t count;
	size_t capacity;
};

/*
 * Append the statements of @src to @out.  Syntax errors are added to @dl
 * and reading goes on with the next statement; returns 0 when no error was
 * found, -1 otherwise.
 */
int reader_read(const struct source *src, struct script *out,
		struct diag_list *dl);
void script_free(struct script *s);

/*
 * Where reader_each hands each top-level statement (a define with its
 * body) as soon as it is read.  The sink owns @s from then on: it frees it
 * with stmt_free, or keeps it.
 */
typedef void stmt_sink_fn(struct stmt *s, void *arg);

/*
 * reader_read without the script: hand each statement of @src to @sink in
 * order.  A big ruleset then never exists as statements all at once, only
 * as the model the later stages build from them.
 */
int reader_each(const struct source *src, stmt_sink_fn *sink, void *arg,
		struct diag_list *dl);
void stmt_free(struct stmt *s);

/* True when @name is a valid variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool reader_is_var_name(const char *name, size_t len);

#endif
