// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * measure - run one program and report its wall time and peak RSS.
 *
 *	measure [-t SECONDS] OUTFILE PROGRAM [ARG...]
 *
 * Appends one line to OUTFILE:
 *
 *	STATUS WALL_SECONDS MAXRSS_KIB USER_SECONDS SYS_SECONDS
 *
 * WALL is measured with CLOCK_MONOTONIC around fork..wait4, to the
 * microsecond, which /usr/bin/time's %e (1/100 s) cannot give for small
 * rulesets.  MAXRSS is the child's ru_maxrss from wait4: the peak resident
 * set of the program itself, not of this wrapper.  STATUS is the exit
 * status, or 128+N if the program died of signal N; measure exits with it.
 * With -t, a program still running after SECONDS is killed (SIGKILL) and
 * STATUS is 124, as with timeout(1); the other fields are then what the
 * program had used until it was killed.
 * The program's stdin is /dev/null; its output goes where measure's goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Seconds from @a to @b. */
static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static double tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* The child: stdin from /dev/null (restore must not wait on a terminal),
 * then the program. */
static void child(char **argv)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "measure: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* The program being measured, for the alarm handler. */
static volatile pid_t measured;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (measured > 0)
		kill(measured, SIGKILL);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	unsigned timeout = 0;
	FILE *out;
	pid_t pid;
	int st, status;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		timeout = (unsigned)strtoul(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: measure [-t SECONDS] OUTFILE PROGRAM "
				"[ARG...]\n");
		return 64;
	}
	out = fopen(argv[1], "a");
	if (!out) {
		fprintf(stderr, "measure: %s: %s\n", argv[1], strerror(errno));
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "measure: fork: %s\n", strerror(errno));
		return 64;
	}
	if (pid == 0)
		child(argv + 2);
	measured = pid;
	if (timeout) {
		signal(SIGALRM, on_alarm);
		alarm(timeout);
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "measure: wait4: %s\n",
				strerror(errno));
			return 64;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (timed_out)
		status = 124;
	fprintf(out, "%d %.6f %ld %.6f %.6f\n", status, elapsed(&t0, &t1),
		ru.ru_maxrss, tv_seconds(&ru.ru_utime),
		tv_seconds(&ru.ru_stime));
	if (fclose(out) != 0) {
		fprintf(stderr, "measure: %s: %s\n", argv[1], strerror(errno));
		return 64;
	}
	return status;
}
