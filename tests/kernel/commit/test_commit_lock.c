/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_commit_lock - commit_ruleset() and the xtables lock: it gives up
 * (COMMIT_LOCK_FAILED, nothing read, nothing changed) when another holder
 * keeps the lock past the wait, honours $XTABLES_LOCKFILE, and goes ahead
 * as soon as the holder lets go.
 *
 * No sleeps and no timing thresholds: a child that holds the lock lets go
 * only after it has seen, in /proc/PID/syscall, that the parent is inside
 * its wait for the lock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static const char preload[] = "*filter\n"
			      ":INPUT ACCEPT [3:30]\n"
			      ":FORWARD ACCEPT [0:0]\n"
			      ":OUTPUT DROP [0:0]\n"
			      ":keep - [0:0]\n"
			      "[2:20] -A INPUT -j keep\n"
			      "[0:0] -A keep -s 10.0.0.0/8 -j ACCEPT\n"
			      "COMMIT\n";

/* A one-table model: filter with a single rule. */
static void build_model(struct ruleset *rs)
{
	struct table *f;

	ruleset_init(rs);
	f = ruleset_table(rs, "filter");
	f->named = true;
	model_append(f, "INPUT", &(struct rule_spec){ .target = "DROP" });
}

/* The lock this process holds as "another program", or -1. */
static int held_fd = -1;

/* Take the lock at @path the way another iptables would. */
static void hold_lock(const char *path)
{
	held_fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(held_fd >= 0);
	assert_int_equal(flock(held_fd, LOCK_EX | LOCK_NB), 0);
}

/* Teardown of every test: let go of the lock even after a failure, so
 * that one failing test cannot make the next one wait. */
static int release_lock(void **state)
{
	if (held_fd >= 0)
		close(held_fd);
	held_fd = -1;
	return 0;
}

/* Commit the model while the lock is held; check the refusal and that
 * the kernel was not touched. */
static void commit_while_held(const struct commit_options *opt,
			      const char *want_path, const char *want_text)
{
	struct commit_report report;
	struct kstate before, after;
	struct diag_list dl;
	struct ruleset rs;

	kstate_read(&before);
	build_model(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, opt, &report, &dl), -1);
	assert_int_equal(report.status, COMMIT_LOCK_FAILED);
	assert_int_equal(report.tables_committed, 0);
	assert_int_equal(dl.count, 1);
	assert_false(dl.items[0].has_loc);
	if (!diag_has(&dl, "another program", want_path, want_text, "-w", NULL))
		fail_msg("unexpected message: %s", diag_text(&dl, 0));
	kstate_read(&after);
	kstate_assert_equal(&before, &after);
	kstate_free(&before);
	kstate_free(&after);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

/* -w 0 (the default): one try, then a lock error; tables unchanged. */
static void test_held_no_wait(void **state)
{
	struct commit_options opt = test_commit_options(0);
	test_netns_fresh();
	test_restore(preload);
	hold_lock(opt.lock_path);
	commit_while_held(&opt, opt.lock_path, "holding the xtables lock");
}

/* The lock is taken before any table is read: in a namespace with no
 * table yet, a lock failure leaves it with no table at all. */
static void test_held_nothing_instantiated(void **state)
{
	struct commit_options opt = test_commit_options(0);
	struct kstate ks;

	test_netns_fresh();
	hold_lock(opt.lock_path);
	commit_while_held(&opt, opt.lock_path, "holding");
	kstate_read(&ks);
	assert_string_equal(ks.save, "");
	kstate_free(&ks);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* -w 1 with the lock held throughout: gives up, and never before the
 * second has passed. */
static void test_held_wait_one_second(void **state)
{
	struct commit_options opt = test_commit_options(1);
	struct timespec t0;

	test_netns_fresh();
	test_restore(preload);
	hold_lock(opt.lock_path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	commit_while_held(&opt, opt.lock_path, "after 1 second");
	assert_true(seconds_since(&t0) >= 1.0);
}

/* No lock_path: $XTABLES_LOCKFILE names the lock, as for iptables. */
static void test_lockfile_from_environment(void **state)
{
	struct commit_options opt = test_commit_options(0);
	char *saved = strdup(getenv("XTABLES_LOCKFILE"));
	const char *other = test_path(1, "other.lock");

	test_netns_fresh();
	test_restore(preload);
	setenv("XTABLES_LOCKFILE", other, 1);
	opt.lock_path = NULL;
	hold_lock(other);
	commit_while_held(&opt, other, "holding");
	setenv("XTABLES_LOCKFILE", saved, 1);
	free(saved);
}

/* True when process @pid is blocked in one of the system calls a lock
 * wait makes: flock, or the pause between two tries. */
static int waiting_for_lock(pid_t pid)
{
	char path[64];
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr == SYS_flock || nr == SYS_nanosleep ||
	       nr == SYS_clock_nanosleep;
}

/*
 * Child: take the lock, tell the parent ('L'), and let go once the parent
 * is seen waiting for it, saying so ('R') first.  Exits 0, or 2 if the
 * parent never waited (a long safety bound, never reached by a working
 * commit).
 */
static void child_hold_then_release(const char *path, int tell_fd)
{
	pid_t parent = getppid();
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);

	/* Never wait here: the lock must be free when a test starts. */
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		_exit(1);
	if (write(tell_fd, "L", 1) != 1)
		_exit(1);
	for (long polls = 0; !waiting_for_lock(parent); polls++) {
		if (polls > 600000)
			_exit(2);
		sched_yield();
		usleep(100);
	}
	if (write(tell_fd, "R", 1) != 1)
		_exit(1);
	_exit(0); /* closing the descriptor releases the lock */
}

/* The lock is held by a child that lets go while we wait: the commit goes
 * through and the model is in the kernel. */
static void wait_for_child_release(int wait_seconds)
{
	struct commit_options opt = test_commit_options(wait_seconds);
	struct commit_report report;
	struct diag_list dl;
	struct ruleset rs;
	struct kstate ks;
	int pipefd[2], status;
	char c;
	pid_t pid;

	test_netns_fresh();
	test_restore(preload);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		child_hold_then_release(opt.lock_path, pipefd[1]);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'L');
	/* From here on a read must not block: see below. */
	assert_int_equal(fcntl(pipefd[0], F_SETFL, O_NONBLOCK), 0);

	build_model(&rs);
	diag_list_init(&dl);
	assert_int_equal(commit_ruleset(&rs, &opt, &report, &dl), 0);
	assert_int_equal(report.status, COMMIT_OK);
	/* The child wrote 'R' before it let go, so a commit that waited for
	 * the lock finds it there; one that did not wait does not. */
	if (read(pipefd[0], &c, 1) != 1 || c != 'R') {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("the commit went ahead while the child held the lock");
	}
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	kstate_read(&ks);
	assert_non_null(strstr(ks.save, "[0:0] -A INPUT -j DROP\n"));
	assert_null(strstr(ks.save, "keep"));
	kstate_free(&ks);
	diag_list_free(&dl);
	ruleset_free(&rs);
}

static void test_released_while_waiting_bounded(void **state)
{
	wait_for_child_release(600);
}

static void test_released_while_waiting_forever(void **state)
{
	wait_for_child_release(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_held_no_wait, release_lock),
		cmocka_unit_test_teardown(test_held_nothing_instantiated,
					  release_lock),
		cmocka_unit_test_teardown(test_held_wait_one_second,
					  release_lock),
		cmocka_unit_test_teardown(test_lockfile_from_environment,
					  release_lock),
		cmocka_unit_test_teardown(test_released_while_waiting_bounded,
					  release_lock),
		cmocka_unit_test_teardown(test_released_while_waiting_forever,
					  release_lock),
	};
	int rc;

	test_setup();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	test_teardown();
	return rc;
}
