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
#define assert_cmds(r, ...)                                                  \
	do {                                                                 \
		const char *const expect_[] = { __VA_ARGS__ };               \
		assert_cmds_((r), expect_,                                   \
			     sizeof(expect_) / sizeof(*expect_), __FILE__,   \
			     __LINE__);                                      \
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
					    "PORTS=53", "EQ=a=b", "EMPTY=",
					    NULL };
	struct run r;

	(void)state;
	assert_int_equal(run_expand_d(&r, "PUBLIC_IP = 203.0.113.7\n"
					  "PORTS = { 500 4500 }\n"
					  "-d $PUBLIC_IP --dport $PORTS\n"
					  "PUBLIC_IP = 192.0.2.1\n"
					  "$PUBLIC_IP $EQ x${EMPTY}y\n",
				      defs),
			 0);
	assert_clean(&r);
	/* -D wins over every assignment in the file, and a -D value is one
	 * value even where the file assigns a list. */
	assert_cmds(&r, "-d 198.51.100.20 --dport 53",
		    "198.51.100.20 a=b xy");
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
	assert_cmds(&r, "1 x", "1 y", "1 z", "2 x", "2 y", "2 z", "x-1",
		    "x-2", "y-1", "y-2", "z-1", "z-2");
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
