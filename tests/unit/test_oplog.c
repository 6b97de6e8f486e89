/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_oplog.c - who the syslog line says ran iptload: SUDO_USER only
 * when the real uid is 0, as it is under sudo.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sudo_user_believed_from_root),
		cmocka_unit_test(test_sudo_user_ignored_from_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
