/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unix_listen NAME - for the confirm test: bind the unix socket NAME (a
 * path, or "@name" for an abstract one), listen with the smallest backlog
 * and never accept, print "ready", then wait to be killed.  Killed, it
 * leaves a path socket's file behind, as a watchdog that died does; held
 * by another user on the abstract name iptload once used, it must not
 * matter.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (argc != 2 || strlen(argv[1]) + 1 > sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: unix_listen PATH|@NAME\n");
		return 64;
	}
	len = strlen(argv[1]);
	memcpy(sun.sun_path, argv[1], len);
	if (argv[1][0] == '@')
		sun.sun_path[0] = '\0'; /* abstract: no NUL at the end */
	else
		len++;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) <
		    0 ||
	    listen(fd, 0) < 0) {
		perror("unix_listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
