/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_reader.c - reader.c: words and quoting, comments, continuation
 * lines, CRLF, assignments, and syntax errors with their exact location.
 * The reader knows nothing of iptables, so these configs need not be
 * valid rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

/*
 * A word as text: literal pieces as they are, variable pieces as ${NAME},
 * so that one string shows how the word was split into pieces.
 */
static const char *render(const struct word *w)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < w->npieces; i++) {
		const struct piece *p = &w->pieces[i];

		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					p->kind == PIECE_VAR ? "${%s}" : "%s",
					p->text);
		assert_true(len < sizeof(buf));
	}
	return buf;
}

/* Assert that statement @s is a command of exactly the words given. */
static void assert_words_(const struct stmt *s, const char *const *expect,
			  size_t n, const char *file, int line)
{
	if (s->kind != STMT_COMMAND || s->nwords != n) {
		fprintf(stderr,
			"kind %d, %zu words, expected a command of %zu:",
			s->kind, s->nwords, n);
		for (size_t i = 0; i < s->nwords; i++)
			fprintf(stderr, " [%s]", render(&s->words[i]));
		fputc('\n', stderr);
		_fail(file, line);
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(render(&s->words[i]), expect[i]) != 0) {
			fprintf(stderr, "word %zu is [%s], expected [%s]\n", i,
				render(&s->words[i]), expect[i]);
			_fail(file, line);
		}
}
#define assert_words(s, ...)                                                \
	do {                                                                \
		const char *const expect_[] = { __VA_ARGS__ };              \
		assert_words_((s), expect_,                                 \
			      sizeof(expect_) / sizeof(*expect_), __FILE__, \
			      __LINE__);                                    \
	} while (0)

/* ---- words and quoting ----------------------------------------------- */

static void test_words_split_on_blanks(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT  -j\tACCEPT\n"), 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 1);
	assert_words(&r.script.stmts[0], "-A", "INPUT", "-j", "ACCEPT");
	/* Columns are 1-based bytes; a tab is one column. */
	assert_int_equal(r.script.stmts[0].words[0].loc.col, 1);
	assert_int_equal(r.script.stmts[0].words[1].loc.col, 4);
	assert_int_equal(r.script.stmts[0].words[2].loc.col, 11);
	assert_int_equal(r.script.stmts[0].words[3].loc.col, 14);
	assert_int_equal(r.script.stmts[0].words[3].width, 6);
	assert_int_equal(r.script.stmts[0].words[3].loc.line, 1);
	assert_false(r.script.stmts[0].words[0].quoted);
	run_free(&r);
}

static void test_single_quotes_are_literal(void **state)
{
	struct run r;
	const struct word *w;

	(void)state;
	assert_int_equal(run_read(&r, "x '$HOME  \\n \"q\"' y\n"), 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 1);
	assert_int_equal(r.script.stmts[0].nwords, 3);
	w = &r.script.stmts[0].words[1];
	assert_true(w->quoted);
	assert_int_equal(w->npieces, 1);
	assert_int_equal(w->pieces[0].kind, PIECE_TEXT);
	assert_string_equal(w->pieces[0].text, "$HOME  \\n \"q\"");
	assert_int_equal(w->loc.col, 3);
	assert_int_equal(w->width, 15);
	run_free(&r);
}

static void test_double_quotes_substitute_and_escape(void **state)
{
	struct run r;
	const struct word *w;

	(void)state;
	assert_int_equal(run_read(&r, "x \"a $V b ${W}c\"\n"
				      "y \"q\\\"x\\\\y\\$z\\n\"\n"
				      "z \"it\\'s\"\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 3);
	w = &r.script.stmts[0].words[1];
	assert_true(w->quoted);
	assert_int_equal(w->npieces, 5);
	assert_int_equal(w->pieces[0].kind, PIECE_TEXT);
	assert_string_equal(w->pieces[0].text, "a ");
	assert_int_equal(w->pieces[1].kind, PIECE_VAR);
	assert_string_equal(w->pieces[1].text, "V");
	assert_int_equal(w->pieces[1].loc.col, 6); /* the '$' */
	assert_int_equal(w->pieces[1].width, 2);
	assert_string_equal(w->pieces[2].text, " b ");
	assert_int_equal(w->pieces[3].kind, PIECE_VAR);
	assert_string_equal(w->pieces[3].text, "W");
	assert_int_equal(w->pieces[3].loc.col, 11);
	assert_int_equal(w->pieces[3].width, 4);
	assert_string_equal(w->pieces[4].text, "c");
	/* \" \\ \$ are escapes inside "..."; \n is not: both bytes stay. */
	w = &r.script.stmts[1].words[1];
	assert_int_equal(w->npieces, 1);
	assert_int_equal(w->pieces[0].kind, PIECE_TEXT);
	assert_string_equal(w->pieces[0].text, "q\"x\\y$z\\n");
	/* \' too, as iptables-save writes a quote in a comment. */
	w = &r.script.stmts[2].words[1];
	assert_int_equal(w->npieces, 1);
	assert_string_equal(w->pieces[0].text, "it's");
	run_free(&r);
}

static void test_backslash_outside_quotes(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "a\\ b \\$X c\\#d \\'e\n"), 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 1);
	assert_words(&r.script.stmts[0], "a b", "$X", "c#d", "'e");
	/* An escaped '$' is literal text, not a variable piece: "$" (quoted)
	 * then "X". */
	assert_int_equal(r.script.stmts[0].words[1].npieces, 2);
	assert_int_equal(r.script.stmts[0].words[1].pieces[0].kind, PIECE_TEXT);
	assert_true(r.script.stmts[0].words[1].pieces[0].quoted);
	assert_int_equal(r.script.stmts[0].words[1].pieces[1].kind, PIECE_TEXT);
	assert_true(r.script.stmts[0].words[1].quoted);
	run_free(&r);
}

static void test_empty_quotes_make_an_empty_word(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "a \"\" '' b\n"), 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 1);
	assert_words(&r.script.stmts[0], "a", "", "", "b");
	for (int i = 1; i <= 2; i++) {
		const struct word *w = &r.script.stmts[0].words[i];

		assert_int_equal(w->npieces, 1);
		assert_int_equal(w->pieces[0].kind, PIECE_TEXT);
		assert_true(w->quoted);
	}
	run_free(&r);
}

static void test_glued_pieces_make_one_word(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "\"a\"'b'$C${D}.0/24\n"), 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 1);
	assert_words(&r.script.stmts[0], "ab${C}${D}.0/24");
	/* "a" and 'b' stay separate quoted pieces, then $C, ${D}, ".0/24" */
	assert_int_equal(r.script.stmts[0].words[0].npieces, 5);
	assert_true(r.script.stmts[0].words[0].pieces[0].quoted);
	assert_false(r.script.stmts[0].words[0].pieces[4].quoted);
	assert_int_equal(r.script.stmts[0].words[0].width, 17);
	run_free(&r);
}

/* ---- comments -------------------------------------------------------- */

static void test_hash_starts_a_comment_only_at_word_start(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "# a whole-line comment\n"
				      "   # an indented one\n"
				      "a#b c # the rest #\n"
				      "'#q' \"#r\"\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 2);
	assert_words(&r.script.stmts[0], "a#b", "c");
	assert_words(&r.script.stmts[1], "#q", "#r");
	assert_int_equal(r.script.stmts[0].loc.line, 3);
	run_free(&r);
}

static void test_only_comments_make_no_statement(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "# one\n\n   \n#two\n"), 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 0);
	run_free(&r);
	assert_int_equal(run_read(&r, ""), 0);
	assert_int_equal(r.script.count, 0);
	run_free(&r);
}

/* ---- continuation lines ---------------------------------------------- */

static void test_trailing_backslash_continues(void **state)
{
	struct run r;
	const struct stmt *s;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT \\\n"
				      "-p udp \\\n"
				      "-j ACCEPT\n"
				      "-A OUTPUT\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 2);
	s = &r.script.stmts[0];
	assert_words(s, "-A", "INPUT", "-p", "udp", "-j", "ACCEPT");
	assert_int_equal(s->loc.line, 1);
	assert_int_equal(s->words[2].loc.line, 2);
	assert_int_equal(s->words[2].loc.col, 1);
	assert_int_equal(s->words[5].loc.line, 3);
	assert_int_equal(s->words[5].loc.col, 4);
	assert_words(&r.script.stmts[1], "-A", "OUTPUT");
	assert_int_equal(r.script.stmts[1].loc.line, 4);
	run_free(&r);
}

/* The layout of the blog the seed ruleset comes from: one option per
 * indented line, a blank line between rules, comment lines among them. */
static void test_indented_lines_continue(void **state)
{
	struct run r;
	const struct stmt *s;

	(void)state;
	assert_int_equal(run_read(&r, "iptables --append INPUT\n"
				      "  --in-interface extif\n"
				      "# a comment line inside the rule\n"
				      "\t--proto udp\n"
				      "    # an indented comment line\n"
				      "  --dport 500   \n"
				      "\n"
				      "  --jump DROP\n"
				      "iptables -P INPUT DROP\n"),
			 0);
	assert_clean(&r);
	/* The blank line ended the first rule, so "--jump DROP" below it
	 * is a statement of its own, and the unindented line another. */
	assert_int_equal(r.script.count, 3);
	s = &r.script.stmts[0];
	assert_words(s, "iptables", "--append", "INPUT", "--in-interface",
		     "extif", "--proto", "udp", "--dport", "500");
	assert_int_equal(s->words[5].loc.line, 4);
	assert_int_equal(s->words[5].loc.col, 2);
	assert_int_equal(s->words[7].loc.line, 6);
	assert_int_equal(s->words[7].loc.col, 3);
	assert_words(&r.script.stmts[1], "--jump", "DROP");
	assert_int_equal(r.script.stmts[1].loc.line, 8);
	assert_int_equal(r.script.stmts[1].loc.col, 3);
	assert_words(&r.script.stmts[2], "iptables", "-P", "INPUT", "DROP");
	run_free(&r);
}

/* "-p udp\" (no blank before the backslash) still ends the line with a
 * backslash: the statement goes on, and the backslash is not data. */
static void test_backslash_glued_to_last_word_continues(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT -p udp\\\n"
				      "  --dport 53\\\n"
				      "  -j ACCEPT\n"
				      "-A OUTPUT\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 2);
	assert_words(&r.script.stmts[0], "-A", "INPUT", "-p", "udp", "--dport",
		     "53", "-j", "ACCEPT");
	run_free(&r);
}

static void test_crlf_line_ends(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "A = 1\r\n"
				      "-A INPUT \\\r\n"
				      "  -j ACCEPT\r\n"
				      "\r\n"
				      "-A OUTPUT # c\r\n"
				      "  -j 'x'\r\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 3);
	assert_int_equal(r.script.stmts[0].kind, STMT_ASSIGN);
	assert_string_equal(r.script.stmts[0].name, "A");
	assert_int_equal(r.script.stmts[0].nwords, 1);
	assert_string_equal(render(&r.script.stmts[0].words[0]), "1");
	assert_words(&r.script.stmts[1], "-A", "INPUT", "-j", "ACCEPT");
	assert_words(&r.script.stmts[2], "-A", "OUTPUT", "-j", "x");
	run_free(&r);
}

/* ---- assignments ----------------------------------------------------- */

/* Assert statement @i is NAME = the values given, a list when @list. */
static void assert_assign_(const struct run *r, size_t i, const char *name,
			   bool list, const char *const *values, size_t n,
			   const char *file, int line)
{
	const struct stmt *s = &r->script.stmts[i];

	if (i >= r->script.count || s->kind != STMT_ASSIGN ||
	    strcmp(s->name, name) != 0 || s->is_list != list ||
	    s->nwords != n) {
		fprintf(stderr, "statement %zu is not %s = (%zu values)\n", i,
			name, n);
		_fail(file, line);
	}
	for (size_t k = 0; k < n; k++)
		if (strcmp(render(&s->words[k]), values[k]) != 0) {
			fprintf(stderr, "value %zu is [%s], expected [%s]\n", k,
				render(&s->words[k]), values[k]);
			_fail(file, line);
		}
}
#define assert_assign(r, i, name, list, ...)                                 \
	do {                                                                 \
		const char *const expect_[] = { __VA_ARGS__ };               \
		assert_assign_((r), (i), (name), (list), expect_,            \
			       sizeof(expect_) / sizeof(*expect_), __FILE__, \
			       __LINE__);                                    \
	} while (0)

static void test_assignments(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "PUBLIC_IP = 203.0.113.7\n"
				      "LAN=10.0.1.0/24\n"
				      "PORTS = { 500 4500 }\n"
				      "DESC = \"a b\"\n"
				      "NET = ${BASE}.0/24\n"
				      "_x1 = {\n"
				      "  a\n"
				      "  b\n"
				      "  }\n"
				      "E = { }\n"
				      "-A INPUT\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 8);
	assert_assign(&r, 0, "PUBLIC_IP", false, "203.0.113.7");
	assert_assign(&r, 1, "LAN", false, "10.0.1.0/24");
	assert_int_equal(r.script.stmts[1].words[0].loc.col, 5);
	assert_assign(&r, 2, "PORTS", true, "500", "4500");
	assert_int_equal(r.script.stmts[2].words[1].loc.col, 15);
	assert_assign(&r, 3, "DESC", false, "a b");
	assert_assign(&r, 4, "NET", false, "${BASE}.0/24");
	assert_assign(&r, 5, "_x1", true, "a", "b");
	assert_int_equal(r.script.stmts[6].kind, STMT_ASSIGN);
	assert_string_equal(r.script.stmts[6].name, "E");
	assert_true(r.script.stmts[6].is_list);
	assert_int_equal(r.script.stmts[6].nwords, 0);
	assert_int_equal(r.script.stmts[7].kind, STMT_COMMAND);
	run_free(&r);
}

/* A list written nftables-style, the closing brace back at column 1. */
static void test_multiline_list_closing_brace_at_column_1(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "PORTS = {\n"
				      "\t500\n"
				      "\t4500\n"
				      "}\n"
				      "-A INPUT\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 2);
	assert_assign(&r, 0, "PORTS", true, "500", "4500");
	run_free(&r);
}

/* A quoted '=' or brace is data: the statement is a command. */
static void test_quoted_syntax_is_data(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "X '=' y\n"
				      "-m comment --comment '{' \"}\"\n"
				      "1X = y\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 3);
	assert_words(&r.script.stmts[0], "X", "=", "y");
	assert_words(&r.script.stmts[1], "-m", "comment", "--comment", "{",
		     "}");
	assert_words(&r.script.stmts[2], "1X", "=", "y");
	run_free(&r);
}

/* NAME="a b" and NAME=${B}x are the shell's way of writing assignments. */
static void test_glued_assignment_with_quotes_or_vars(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "LAN=\"10.0.1.0/24\"\n"
				      "NET=${BASE}.0\n"),
			 0);
	assert_clean(&r);
	assert_int_equal(r.script.count, 2);
	assert_assign(&r, 0, "LAN", false, "10.0.1.0/24");
	assert_assign(&r, 1, "NET", false, "${BASE}.0");
	run_free(&r);
}

/* ---- errors ---------------------------------------------------------- */

static void test_unterminated_quotes(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT -j 'ACCEPT\n"
				      "-A INPUT\n"
				      "  --comment \"abc\n"),
			 -1);
	assert_int_equal(r.dl.errors, 2);
	d = assert_error_at(&r, 1, 13, "unterminated single quote");
	assert_non_null(d->hint);
	assert_string_equal(d->hint, "close it with ' on the same line");
	d = assert_error_at(&r, 3, 13, "unterminated double quote");
	assert_string_equal(d->hint, "close it with \" on the same line");
	/* A statement with an error is dropped, not half kept. */
	assert_int_equal(r.script.count, 0);
	run_free(&r);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "-A INPUT\n-j AC\0CEPT\n-A OUTPUT\n";
	struct run r;

	(void)state;
	/* source_from_string() would stop at the NUL. */
	run_init(&r, "");
	source_free(r.src);
	r.src = source_from_bytes("t.conf", text, sizeof(text) - 1);
	assert_int_equal(reader_read(r.src, &r.script, &r.dl), -1);
	assert_int_equal(r.dl.errors, 1);
	assert_error_at(&r, 2, 6, "NUL byte in config text");
	/* The statement of that line is dropped; the others are read. */
	assert_int_equal(r.script.count, 2);
	assert_words(&r.script.stmts[0], "-A", "INPUT");
	assert_words(&r.script.stmts[1], "-A", "OUTPUT");
	run_free(&r);
}

static void test_stray_brace(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT }\n{ -j ACCEPT\n"), -1);
	assert_int_equal(r.dl.errors, 2);
	d = assert_error_at(&r, 1, 10, "unexpected '}'");
	assert_non_null(d->hint);
	assert_non_null(strstr(d->hint, "NAME = { a b }"));
	assert_error_at(&r, 2, 1, "unexpected '{'");
	assert_int_equal(r.script.count, 0);
	run_free(&r);
}

/* The seed's third typo: "--source $10.0.1.1/24". */
static void test_dollar_before_address(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT\n"
				      "  --source $10.0.1.1/24\n"
				      "  -j ACCEPT\n"),
			 -1);
	assert_int_equal(r.dl.errors, 1);
	d = assert_error_at(&r, 2, 12,
			    "'$' is not followed by a variable name");
	assert_non_null(d->hint);
	assert_string_equal(d->hint,
			    "did you mean '10.0.1.1/24'? '$' starts a "
			    "variable reference such as $NAME or ${NAME}");
	assert_int_equal(r.script.count, 0);
	run_free(&r);
}

static void test_bad_variable_references(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_read(&r, "x ${NET.0/24\n"
				      "y $ z\n"
				      "w ${}\n"
				      "v \"$\"\n"),
			 -1);
	assert_int_equal(r.dl.errors, 4);
	d = assert_error_at(&r, 1, 3, "'${' without a closing '}'");
	assert_int_equal(d->width, 5);
	d = assert_error_at(&r, 2, 3, "'$' is not followed by a variable name");
	assert_non_null(d->hint);
	assert_non_null(strstr(d->hint, "'\\$'"));
	assert_error_at(&r, 3, 3, "'$' is not followed by a variable name");
	assert_error_at(&r, 4, 4, "'$' is not followed by a variable name");
	assert_int_equal(r.script.count, 0);
	run_free(&r);
}

static void test_bad_assignments(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_read(&r, "LAN = 10.0.1.0/24 10.0.2.0/24\n"
				      "L = { a b\n"
				      "M = { a { b }\n"
				      "N =\n"),
			 -1);
	assert_int_equal(r.dl.errors, 4);
	d = assert_error_at(&r, 1, 19,
			    "a value of several words must be quoted");
	assert_int_equal(d->width, 11);
	assert_non_null(d->hint);
	assert_string_equal(d->hint, "write LAN = \"...\" for one value, or "
				     "LAN = { a b } for a list");
	assert_error_at(&r, 2, 5, "list without a closing '}'");
	assert_error_at(&r, 3, 9, "unexpected '{' inside a list");
	assert_error_at(&r, 4, 1, "missing value after '='");
	assert_int_equal(r.script.count, 0);
	run_free(&r);
}

/* Every error of a file is reported, and the good statements between
 * them are still read. */
static void test_all_errors_are_reported(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_read(&r, "-A INPUT -s $1.2.3.4\n"
				      "GOOD = 1\n"
				      "-A INPUT 'oops\n"
				      "-A OUTPUT -j ACCEPT\n"
				      "}\n"
				      "X = a b\n"
				      "-A FORWARD \\\n"
				      "  -d ${D\n"),
			 -1);
	assert_int_equal(r.dl.errors, 5);
	assert_int_equal(r.dl.count, 5);
	assert_error_at(&r, 1, 13, "'$' is not followed by a variable name");
	assert_error_at(&r, 3, 10, "unterminated single quote");
	assert_error_at(&r, 5, 1, "unexpected '}'");
	assert_error_at(&r, 6, 7, "a value of several words must be quoted");
	assert_error_at(&r, 8, 6, "'${' without a closing '}'");
	assert_int_equal(r.script.count, 2);
	assert_int_equal(r.script.stmts[0].kind, STMT_ASSIGN);
	assert_words(&r.script.stmts[1], "-A", "OUTPUT", "-j", "ACCEPT");
	run_free(&r);
}

static void test_is_var_name(void **state)
{
	(void)state;
	assert_true(reader_is_var_name("A", 1));
	assert_true(reader_is_var_name("_a9", 3));
	assert_true(reader_is_var_name("AB-", 2));
	assert_false(reader_is_var_name("", 0));
	assert_false(reader_is_var_name("9A", 2));
	assert_false(reader_is_var_name("A-B", 3));
	assert_false(reader_is_var_name("A.B", 3));
}

/* diag_list_print's text of @dl. */
static char *printed(const struct diag_list *dl)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	diag_list_print(dl, f);
	fclose(f);
	return buf;
}

/* apply drops a config's text once built: the messages found so far and
 * the lines kept still show their source line; a message at another
 * line shows file:line:col only, until the text is given back. */
static void test_dropped_text_keeps_lines(void **state)
{
	struct source *src = source_from_string("t.conf", "one\ntwo\nthree\n"
							  "four\n");
	struct source *again = source_from_string("t.conf", "one\ntwo\nthree\n"
							    "four\n");
	struct src_loc l1 = { .src = src, .line = 1, .col = 1 };
	struct src_loc l2 = { .src = src, .line = 2, .col = 2 };
	struct src_loc l3 = { .src = src, .line = 3, .col = 1 };
	struct diag_list dl;
	char *out;

	diag_list_init(&dl);
	diag_warning(&dl, &l2, 2, "at two");
	diag_list_keep_lines(&dl, src);
	source_keep_line(src, 3);
	source_drop_text(src);
	assert_null(src->text);
	diag_error(&dl, &l3, 1, "at three");
	diag_error(&dl, &l1, 1, "at one");
	out = printed(&dl);
	assert_string_equal(out, "t.conf:1:1: error: at one\n"
				 "t.conf:2:2: warning: at two\n"
				 "  two\n"
				 "   ^~\n"
				 "t.conf:3:1: error: at three\n"
				 "  three\n"
				 "  ^\n");
	free(out);
	source_take_text(src, again);
	out = printed(&dl);
	assert_string_equal(out, "t.conf:1:1: error: at one\n"
				 "  one\n"
				 "  ^\n"
				 "t.conf:2:2: warning: at two\n"
				 "  two\n"
				 "   ^~\n"
				 "t.conf:3:1: error: at three\n"
				 "  three\n"
				 "  ^\n");
	free(out);
	diag_list_free(&dl);
	source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_split_on_blanks),
		cmocka_unit_test(test_single_quotes_are_literal),
		cmocka_unit_test(test_double_quotes_substitute_and_escape),
		cmocka_unit_test(test_backslash_outside_quotes),
		cmocka_unit_test(test_empty_quotes_make_an_empty_word),
		cmocka_unit_test(test_glued_pieces_make_one_word),
		cmocka_unit_test(test_hash_starts_a_comment_only_at_word_start),
		cmocka_unit_test(test_only_comments_make_no_statement),
		cmocka_unit_test(test_trailing_backslash_continues),
		cmocka_unit_test(test_indented_lines_continue),
		cmocka_unit_test(test_backslash_glued_to_last_word_continues),
		cmocka_unit_test(test_crlf_line_ends),
		cmocka_unit_test(test_assignments),
		cmocka_unit_test(test_multiline_list_closing_brace_at_column_1),
		cmocka_unit_test(test_quoted_syntax_is_data),
		cmocka_unit_test(test_glued_assignment_with_quotes_or_vars),
		cmocka_unit_test(test_unterminated_quotes),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_stray_brace),
		cmocka_unit_test(test_dollar_before_address),
		cmocka_unit_test(test_bad_variable_references),
		cmocka_unit_test(test_bad_assignments),
		cmocka_unit_test(test_all_errors_are_reported),
		cmocka_unit_test(test_is_var_name),
		cmocka_unit_test(test_dropped_text_keeps_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
