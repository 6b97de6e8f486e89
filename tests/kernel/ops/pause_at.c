/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pause_at.c - an LD_PRELOAD shim for the confirm races: it stops the
 * process at a chosen point until the test lets it go, so that another
 * command can run exactly there.
 *
 *   PAUSE_AT=flock    before the first flock(LOCK_EX) (the xtables lock)
 *   PAUSE_AT=replace  before the first IPT_SO_SET_REPLACE (a commit, the
 *                     lock held)
 *   PAUSE_AT=committed  before apply --confirm tells its watchdog that it
 *                     committed (the one-byte "C" on their socketpair):
 *                     the new tables are loaded, the lock is free, and the
 *                     watchdog's time has not started yet
 *   PAUSE_OUT, PAUSE_IN  FIFOs: "paused" is written to PAUSE_OUT, then a
 *                     line is read from PAUSE_IN.
 *
 * Only the first process to get there pauses (it creates PAUSE_IN.taken
 * with O_EXCL): a forked watchdog's roll-back goes through.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>

static void pause_if(const char *point)
{
	const char *at = getenv("PAUSE_AT"), *out = getenv("PAUSE_OUT");
	const char *in = getenv("PAUSE_IN");
	char taken[4096], line[64];
	FILE *f;
	int fd;

	if (!at || !out || !in || strcmp(at, point) != 0)
		return;
	snprintf(taken, sizeof(taken), "%s.taken", in);
	fd = open(taken, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	f = fopen(out, "w");
	if (f) {
		fputs("paused\n", f);
		fclose(f);
	}
	f = fopen(in, "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
}

int flock(int fd, int op)
{
	static int (*real)(int, int);

	if (!real)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
	if (op & LOCK_EX)
		pause_if("flock");
	return real(fd, op);
}

int setsockopt(int fd, int level, int optname, const void *optval,
	       socklen_t optlen)
{
	static int (*real)(int, int, int, const void *, socklen_t);

	if (!real)
		real = (int (*)(int, int, int, const void *,
				socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	if (level == SOL_IP && optname == IPT_SO_SET_REPLACE)
		pause_if("replace");
	return real(fd, level, optname, optval, optlen);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);

	if (!real)
		real = (ssize_t(*)(int, const void *, size_t,
				   int))dlsym(RTLD_NEXT, "send");
	if (len == 1 && *(const char *)buf == 'C')
		pause_if("committed");
	return real(fd, buf, len, flags);
}
