/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * abstract_listen NAME - for the confirm test: bind the abstract unix
 * socket @NAME, listen with the smallest backlog and never accept, print
 * "ready", then wait to be killed.  Run as another user, it is the
 * squatter that must neither block iptload apply nor receive (or fake) a
 * confirmation.
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

	if (argc != 2 || strlen(argv[1]) + 2 > sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: abstract_listen NAME\n");
		return 64;
	}
	len = strlen(argv[1]);
	memcpy(sun.sun_path + 1, argv[1], len);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sun,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			     len)) < 0 ||
	    listen(fd, 0) < 0) {
		perror("abstract_listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
