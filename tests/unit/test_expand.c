/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_expand.c - expand.c: variable substitution, -D overrides, and list
 * expansion (one command per combination, first list slowest, one binding
 * per list within a command).  Commands are compared as their arguments
 * joined by single blanks, with empty arguments shown as "".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

/* Command @c as one string: arguments joined by blanks, "" for empty. */
static const char *joined(const struct cmd *c)
{
	static char buf[1024];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->argc; i++) {
		const char *t = c->args[i].text[0] ? c->args[i].text : "\"\"";

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
					i ? " " : "", t);
		assert_true(len < sizeof(buf));
	}
	return buf;
}

/* Assert the expanded program is exactly the commands given, in order. */
static void assert_cmds_(const struct run *r, const char *const *expect,
			 size_t n, const char *file, int line)
{
	bool ok = r->cmds.count == n;

	for (size_t i = 0; ok && i < n; i++)
		ok = strcmp(joined(&r->cmds.items[i]), expect[i]) == 0;
	if (ok)
		return;
	fprintf(stderr, "expected %zu commands:\n", n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "  [%s]\n", expect[i]);
	fprintf(stderr, "got %zu:\n", r->cmds.count);
	for (size_t i = 0; i < r->cmds.count; i++)
		fprintf(stderr, "  [%s]\n", joined(&r->cmds.items[i]));
	run_dump(r);
	_fail(file, line);
}
#define assert_cmds(r, ...)                                                    \
	do {                                                                   \
		const char *const expect_[] = { __VA_ARGS__ };                 \
		assert_cmds_((r), expect_, sizeof(expect_) / sizeof(*expect_), \
			     __FILE__, __LINE__);                              \
	} while (0)

/* ---- substitution ---------------------------------------------------- */

static void test_plain_and_braced_references(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "V = 10.0.1.1\n"
					"-s $V -d ${V}\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "-s 10.0.1.1 -d 10.0.1.1");
	/* Each argument keeps the location of the word it came from. */
	assert_int_equal(r.cmds.items[0].loc.line, 2);
	assert_int_equal(r.cmds.items[0].args[1].loc.line, 2);
	assert_int_equal(r.cmds.items[0].args[1].loc.col, 4);
	assert_int_equal(r.cmds.items[0].args[1].width, 2);
	assert_int_equal(r.cmds.items[0].args[3].loc.col, 10);
	assert_int_equal(r.cmds.items[0].args[3].width, 4);
	assert_ptr_equal(r.cmds.items[0].args[3].loc.src, r.src);
	run_free(&r);
}

static void test_glued_text(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "NET = 10.0.1\n"
					"IF = eth\n"
					"-s ${NET}.0/24 -i ${IF}0 -o x$IF+ "
					"\"[$NET]\"\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "-s 10.0.1.0/24 -i eth0 -o xeth+ [10.0.1]");
	run_free(&r);
}

/* A value may use other variables; it is taken when assigned. */
static void test_value_from_variables(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "A = 1\n"
					"B = ${A}0\n"
					"$B\n"
					"A = 2\n"
					"$A $B\n"
					"A = ${A}${A}\n"
					"$A\n"
					"E = \"\"\n"
					"x${E}y -j $E\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "10", "2 10", "22", "xy -j \"\"");
	run_free(&r);
}

static void test_quoted_dollar_stays_literal(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "x '$x' \"\\$y\" \\$z '${w}'\n"), 0);
	assert_clean(&r);
	assert_cmds(&r, "x $x $y $z ${w}");
	run_free(&r);
}

static void test_undefined_variable(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_expand(&r, "-A INPUT\n"
					"  -s $LAN -j ACCEPT\n"
					"LAN = 10.0.1.0/24\n"
					"-A INPUT -d x${NOPE}y\n"
					"-A OUTPUT -d $LAN\n"),
			 -1);
	assert_int_equal(r.dl.errors, 2);
	/* Used before it is defined: undefined at that point. */
	d = assert_error_at(&r, 2, 6, "undefined variable 'LAN'");
	assert_int_equal(d->width, 4);
	assert_non_null(d->hint);
	assert_string_equal(d->hint, "define it first: LAN = VALUE, or on "
				     "the command line with -D LAN=VALUE");
	d = assert_error_at(&r, 4, 14, "undefined variable 'NOPE'");
	assert_int_equal(d->width, 7);
	/* Never an empty string: the bad commands are left out, the good
	 * one after them is still expanded. */
	assert_cmds(&r, "-A OUTPUT -d 10.0.1.0/24");
	run_free(&r);
}

static void test_undefined_variable_in_assignment(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "A = $B\n"
					"L = { x $C }\n"
					"-j $A\n"),
			 -1);
	assert_error_at(&r, 1, 5, "undefined variable 'B'");
	assert_error_at(&r, 2, 9, "undefined variable 'C'");
	/* A's value is unknown after its failed assignment: the command
	 * that uses it is dropped without a second error about A. */
	assert_int_equal(r.dl.errors, 2);
	assert_int_equal(r.cmds.count, 0);
	run_free(&r);
}

/* ---- -D -------------------------------------------------------------- */

static void test_define_overrides_the_file(void **state)
{
	static const char *const defs[] = { "PUBLIC_IP=198.51.100.20",
					    "PORTS=53", "EQ=a=b",
					    "EMPTY=", NULL };
	struct run r;

	(void)state;
	assert_int_equal(run_expand_d(&r,
				      "PUBLIC_IP = 203.0.113.7\n"
				      "PORTS = { 500 4500 }\n"
				      "-d $PUBLIC_IP --dport $PORTS\n"
				      "PUBLIC_IP = 192.0.2.1\n"
				      "$PUBLIC_IP $EQ x${EMPTY}y\n",
				      defs),
			 0);
	assert_clean(&r);
	/* -D wins over every assignment in the file, and a -D value is one
	 * value even where the file assigns a list. */
	assert_cmds(&r, "-d 198.51.100.20 --dport 53", "198.51.100.20 a=b xy");
	run_free(&r);
}

static void test_define_rejects_bad_syntax(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "");
	assert_int_equal(expander_define(r.ex, "1X=3", &r.dl), -1);
	assert_int_equal(expander_define(r.ex, "NOEQUALS", &r.dl), -1);
	assert_int_equal(expander_define(r.ex, "=v", &r.dl), -1);
	assert_int_equal(expander_define(r.ex, "A-B=v", &r.dl), -1);
	assert_int_equal(r.dl.errors, 4);
	assert_string_equal(r.dl.items[0].message,
			    "-D takes NAME=VALUE, not '1X=3'");
	assert_string_equal(r.dl.items[1].message,
			    "-D takes NAME=VALUE, not 'NOEQUALS'");
	assert_false(r.dl.items[0].has_loc);
	run_free(&r);
}

/* ---- lists ----------------------------------------------------------- */

static void test_list_expands_once_per_element(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "PORTS = { 500 4500 }\n"
					"-A INPUT -p udp --dport $PORTS "
					"-j ACCEPT\n"
					"-A OUTPUT\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "-A INPUT -p udp --dport 500 -j ACCEPT",
		    "-A INPUT -p udp --dport 4500 -j ACCEPT", "-A OUTPUT");
	/* Both copies point at the same source line. */
	assert_int_equal(r.cmds.items[1].loc.line, 2);
	assert_int_equal(r.cmds.items[1].args[5].loc.col, 25);
	run_free(&r);
}

static void test_two_lists_give_every_combination(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "A = { 1 2 }\n"
					"B = { x y z }\n"
					"$A $B\n"
					"$B-$A\n"),
			 0);
	assert_clean(&r);
	/* The list used first varies slowest, whatever the order in which
	 * the lists were defined. */
	assert_cmds(&r, "1 x", "1 y", "1 z", "2 x", "2 y", "2 z", "x-1", "x-2",
		    "y-1", "y-2", "z-1", "z-2");
	run_free(&r);
}

static void test_same_list_twice_binds_one_element(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "P = { 500 4500 }\n"
					"H = { a b }\n"
					"--sport $P --dport ${P} $H.$P\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "--sport 500 --dport 500 a.500",
		    "--sport 500 --dport 500 b.500",
		    "--sport 4500 --dport 4500 a.4500",
		    "--sport 4500 --dport 4500 b.4500");
	run_free(&r);
}

static void test_empty_list_expands_to_nothing(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "E = { }\n"
					"L = { a b }\n"
					"-A INPUT -s $E\n"
					"-A INPUT -s $L -d $E\n"
					"-A OUTPUT\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "-A OUTPUT");
	run_free(&r);
}

static void test_variable_from_a_list_is_a_list(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "L = { a b }\n"
					"E = { }\n"
					"M = $L.x\n"
					"N = { $L c $E }\n"
					"O = { $E }\n"
					"S = \"<$L>\"\n"
					"$M\n"
					"-n $N\n"
					"-o $O\n"
					"$S\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "a.x", "b.x", "-n a", "-n b", "-n c", "<a>", "<b>");
	run_free(&r);
}

/* A list of one element is still a list, and a one-value variable
 * written without braces is not. */
static void test_single_values(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "ONE = { 7 }\n"
					"V = \"a b\"\n"
					"$ONE $V\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "7 a b");
	assert_int_equal(r.cmds.items[0].argc, 2);
	run_free(&r);
}

/* ---- macros ---------------------------------------------------------- */

static void test_macro_call(void **state)
{
	struct run r;
	const struct cmd *c;

	(void)state;
	assert_int_equal(run_expand(&r, "define allow(IF, PORT) {\n"
					"\t-A INPUT -i $IF -p udp\n"
					"\t\t--dport $PORT -j ACCEPT\n"
					"\t-A OUTPUT -o $IF\n"
					"}\n"
					"allow(eth0, 53)\n"
					"allow(eth1,500)\n"
					"-A FORWARD\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "-A INPUT -i eth0 -p udp --dport 53 -j ACCEPT",
		    "-A OUTPUT -o eth0",
		    "-A INPUT -i eth1 -p udp --dport 500 -j ACCEPT",
		    "-A OUTPUT -o eth1", "-A FORWARD");
	/* A command from a body points at the body, and through via at the
	 * call that made it. */
	c = &r.cmds.items[2];
	assert_int_equal(c->loc.line, 2);
	assert_int_equal(c->args[7].loc.line, 3);
	assert_int_equal(c->args[7].loc.col, 11);
	assert_non_null(c->loc.via);
	assert_int_equal(c->loc.via->line, 7);
	assert_non_null(c->args[7].loc.via);
	assert_int_equal(c->args[7].loc.via->line, 7);
	assert_null(r.cmds.items[4].loc.via);
	run_free(&r);
}

/* Parameters are variables for the length of the body only. */
static void test_macro_parameters_are_restored(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "P = outer\n"
					"L = { a b }\n"
					"define m(P, Q) {\n"
					"\tin $P $Q\n"
					"}\n"
					"m(inner, $P)\n"
					"m($L, x)\n"
					"after $P\n"
					"$Q\n"),
			 -1);
	/* An argument is evaluated before the parameters are bound (Q gets
	 * the outer P); a list argument makes a list parameter. */
	assert_cmds(&r, "in inner outer", "in a x", "in b x", "after outer");
	/* Q did not exist before the call, so it does not after. */
	assert_int_equal(r.dl.errors, 1);
	assert_error_at(&r, 9, 1, "undefined variable 'Q'");
	run_free(&r);
}

static void test_macro_errors(void **state)
{
	struct run r;
	const struct diag *d;

	(void)state;
	assert_int_equal(run_expand(&r, "define m(A) {\n"
					"\tx $A\n"
					"\tm($A)\n"
					"}\n"
					"nosuch(1)\n"
					"m(1, 2)\n"
					"m(1)\n"
					"define m(B) {\n"
					"}\n"),
			 -1);
	assert_error_at(&r, 5, 1, "no macro named nosuch");
	d = assert_error_at(&r, 6, 1, "macro m takes 1 arguments, not 2");
	assert_non_null(d->hint);
	assert_string_equal(d->hint, "it is defined at t.conf:1");
	d = assert_error_at(&r, 3, 2, "recursive call of macro m");
	assert_non_null(d->loc.via);
	assert_int_equal(d->loc.via->line, 7);
	d = assert_error_at(&r, 8, 1, "macro m is already defined");
	assert_string_equal(d->hint, "the first definition is at t.conf:1");
	assert_int_equal(r.dl.errors, 4);
	/* The body ran once, up to the recursive call. */
	assert_cmds(&r, "x 1");
	run_free(&r);
	assert_int_equal(run_read(&r, "define m(A) {\n\tx\n"), -1);
	assert_error_at(&r, 1, 1, "define m has no closing '}' line");
	run_free(&r);
}

/* A -D value stays the winner after a macro used its name for a
 * parameter. */
static void test_macro_parameter_named_like_a_define(void **state)
{
	static const char *const defs[] = { "PORT=53", NULL };
	struct run r;

	(void)state;
	assert_int_equal(run_expand_d(&r,
				      "define allow(PORT) {\n"
				      "\tin $PORT\n"
				      "}\n"
				      "allow(1)\n"
				      "PORT = 99\n"
				      "out $PORT\n",
				      defs),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "in 1", "out 53");
	run_free(&r);
}

/* A quoted comma is data, as a quoted '=' or brace is: it does not
 * split macro arguments, so an address list can be passed. */
static void test_macro_argument_with_quoted_comma(void **state)
{
	struct run r;

	(void)state;
	assert_int_equal(run_expand(&r, "define f(S, D) {\n"
					"\t-A INPUT -s $S -d $D\n"
					"}\n"
					"f(10.0.0.1, '10.0.0.2,10.0.0.3')\n"),
			 0);
	assert_clean(&r);
	assert_cmds(&r, "-A INPUT -s 10.0.0.1 -d 10.0.0.2,10.0.0.3");
	run_free(&r);
}

/* ---- includes -------------------------------------------------------- */

/* Write @text to @dir/@name, in the scratch directory of a test. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Remove the scratch directory and the files include tests make in it;
 * not every test makes every file. */
static int rm_tree(const char *dir)
{
	static const char *const names[] = { "rules.d/b.conf", "rules.d/a.conf",
					     "rules.d",	       "self.conf",
					     "loop1.conf",     "loop2.conf" };
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)remove(path);
	}
	return rmdir(dir);
}

/* Setup and teardown of the include tests: *state is the scratch
 * directory, so that it goes even when a test fails or skips. */
static int make_scratch_dir(void **state)
{
	static char dir[64];

	strcpy(dir, "/tmp/iptload-unit-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int remove_scratch_dir(void **state)
{
	return rm_tree(*state);
}

/* Run the pipeline up to the expander over @text, read as @dir/main.conf
 * (includes are relative to the including file). */
static int run_expand_in(struct run *r, const char *dir, const char *text)
{
	char name[512];

	snprintf(name, sizeof(name), "%s/main.conf", dir);
	run_init(r, "");
	source_free(r->src);
	r->src = source_from_string(name, text);
	r->read_rc = reader_read(r->src, &r->script, &r->dl);
	r->expand_rc = expander_run(r->ex, &r->script, &r->cmds, &r->dl);
	return r->read_rc < 0 ? -1 : r->expand_rc;
}

static void test_include_sorted_and_relative(void **state)
{
	const char *dir = *state;
	char sub[600];
	struct run r;
	const struct diag *d;

	snprintf(sub, sizeof(sub), "%s/rules.d", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file(dir, "rules.d/b.conf", "b1 $V\nb2 $NOPE\n");
	write_file(dir, "rules.d/a.conf", "a1 $V\nW = w\n");
	assert_int_equal(run_expand_in(&r, dir,
				       "V = v\n"
				       "include \"rules.d/*.conf\"\n"
				       "include 'none/*.conf'\n"
				       "main $W\n"),
			 -1);
	/* Sorted by name; a variable set in an included file is seen
	 * after it; a pattern that matches nothing includes nothing. */
	assert_cmds(&r, "a1 v", "b1 v", "main w");
	assert_int_equal(r.dl.errors, 1);
	d = assert_error_like(&r, "undefined variable 'NOPE'");
	assert_int_equal(d->loc.line, 2);
	assert_int_equal(d->loc.col, 4);
	assert_non_null(strstr(d->loc.src->name, "rules.d/b.conf"));
	/* ...and the include line it came through. */
	assert_non_null(d->loc.via);
	assert_int_equal(d->loc.via->line, 2);
	assert_int_equal(d->loc.via->col, 9);
	run_free(&r);
}

static void test_include_errors(void **state)
{
	const char *dir = *state;
	struct run r;

	write_file(dir, "loop1.conf", "one\ninclude \"loop2.conf\"\n");
	write_file(dir, "loop2.conf", "two\ninclude \"loop1.conf\"\n");
	assert_int_equal(run_expand_in(&r, dir,
				       "include \"missing.conf\"\n"
				       "include \"loop1.conf\"\n"
				       "include $L\n"
				       "L = { a b }\n"
				       "include \"$L\"\n"),
			 -1);
	assert_error_like(&r, "cannot include ");
	assert_error_like(&r, "missing.conf: No such file or directory");
	/* The loop is caught where loop2.conf includes loop1.conf again. */
	{
		const struct diag *d = NULL;

		for (size_t i = 0; i < r.dl.count && !d; i++)
			if (r.dl.items[i].loc.src &&
			    strstr(r.dl.items[i].loc.src->name, "loop2.conf"))
				d = &r.dl.items[i];
		assert_non_null(d);
		assert_int_equal(d->loc.line, 2);
		assert_int_equal(d->loc.col, 9);
		assert_non_null(strstr(d->message, "loop1.conf"));
	}
	assert_error_at(&r, 3, 9, "undefined variable 'L'");
	assert_error_at(&r, 5, 9, "include takes one pattern, not a list");
	assert_int_equal(r.dl.errors, 4);
	assert_cmds(&r, "one", "two");
	run_free(&r);
}

/* The top file is part of the include chain too. */
static void test_include_of_the_top_file(void **state)
{
	const char *dir = *state;
	static const char text[] = "top\ninclude \"self.conf\"\n";
	char name[600];
	struct run r;

	snprintf(name, sizeof(name), "%s/self.conf", dir);
	/* On disk too, as the include reads it from there. */
	write_file(dir, "self.conf", text);
	run_init(&r, "");
	source_free(r.src);
	r.src = source_from_string(name, text);
	assert_int_equal(reader_read(r.src, &r.script, &r.dl), 0);
	assert_int_equal(expander_run(r.ex, &r.script, &r.cmds, &r.dl), -1);
	/* One error, at the include line, and the file expanded once. */
	assert_int_equal(r.dl.errors, 1);
	assert_error_like(&r, "self.conf");
	assert_int_equal(r.dl.items[0].loc.line, 2);
	assert_int_equal(r.dl.items[0].loc.col, 9);
	assert_cmds(&r, "top");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_braced_references),
		cmocka_unit_test(test_glued_text),
		cmocka_unit_test(test_value_from_variables),
		cmocka_unit_test(test_quoted_dollar_stays_literal),
		cmocka_unit_test(test_undefined_variable),
		cmocka_unit_test(test_undefined_variable_in_assignment),
		cmocka_unit_test(test_define_overrides_the_file),
		cmocka_unit_test(test_define_rejects_bad_syntax),
		cmocka_unit_test(test_list_expands_once_per_element),
		cmocka_unit_test(test_two_lists_give_every_combination),
		cmocka_unit_test(test_same_list_twice_binds_one_element),
		cmocka_unit_test(test_empty_list_expands_to_nothing),
		cmocka_unit_test(test_variable_from_a_list_is_a_list),
		cmocka_unit_test(test_single_values),
		cmocka_unit_test(test_macro_call),
		cmocka_unit_test(test_macro_parameters_are_restored),
		cmocka_unit_test(test_macro_errors),
		cmocka_unit_test(test_macro_parameter_named_like_a_define),
		cmocka_unit_test(test_macro_argument_with_quoted_comma),
		cmocka_unit_test_setup_teardown(
			test_include_sorted_and_relative, make_scratch_dir,
			remove_scratch_dir),
		cmocka_unit_test_setup_teardown(test_include_errors,
						make_scratch_dir,
						remove_scratch_dir),
		cmocka_unit_test_setup_teardown(test_include_of_the_top_file,
						make_scratch_dir,
						remove_scratch_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
