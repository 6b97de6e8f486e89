/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_oplog.c - who the syslog line says ran iptload: SUDO_USER only
 * when the real uid is 0, as it is under sudo; what it says changed, each
 * table with its family.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "oplog.h"

static void test_sudo_user_believed_from_root(void **state)
{
	char who[160];

	(void)state;
	if (getuid() != 0)
		skip();
	setenv("SUDO_USER", "alice", 1);
	oplog_who(who, sizeof(who));
	assert_string_equal(who, "uid 0 (sudo from alice)");
	unsetenv("SUDO_USER");
}

/* In a child whose real uid is not 0, SUDO_USER is anyone's word. */
static void test_sudo_user_ignored_from_others(void **state)
{
	char who[160];
	int status;
	pid_t pid;

	(void)state;
	if (getuid() != 0)
		skip(); /* cannot take another uid to test with */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		setenv("SUDO_USER", "mallory", 1);
		oplog_who(who, sizeof(who));
		_exit(strcmp(who, "uid 65534") == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Both families' filter tables in one report: told apart. */
static void test_describe_names_families(void **state)
{
	struct commit_report r = { .ntables = 3 };
	char what[256];

	(void)state;
	r.tables[0] = (struct commit_table_report){ .name = "filter",
						    .committed = true,
						    .rules_added = 1,
						    .rules_removed = 1 };
	r.tables[1] = (struct commit_table_report){ .name = "nat" };
	r.tables[2] = (struct commit_table_report){ .name = "filter",
						    .family = FAMILY_IPV6,
						    .created = true,
						    .committed = true,
						    .rules_added = 2,
						    .policies_changed = 1 };
	oplog_describe(&r, what, sizeof(what));
	assert_string_equal(what, "filter: +1 -1 rules; filter (IPv6): not "
				  "loaded before, +2 -0 rules, 1 policy "
				  "changed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sudo_user_believed_from_root),
		cmocka_unit_test(test_sudo_user_ignored_from_others),
		cmocka_unit_test(test_describe_names_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
