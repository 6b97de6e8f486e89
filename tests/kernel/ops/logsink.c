/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * logsink SOCKET CMD [ARG...] - the syslog test's receiver: bind a unix
 * datagram socket at SOCKET (e.g. /dev/log in a private mount namespace),
 * run CMD, wait for it, then print every message that arrived, one per
 * line, and exit with CMD's status.  Messages are queued in the socket
 * while CMD runs, so nothing is read before CMD is done and nothing sent
 * before that is missed; CMD waits for whatever it starts that logs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, status, rcvbuf = 1 << 20;
	char msg[4096];
	ssize_t n;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: logsink SOCKET CMD [ARG...]\n");
		return 64;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("logsink: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	pid = fork();
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("logsink: exec");
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while ((n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT)) >= 0) {
		msg[n] = '\0';
		printf("%s\n", msg);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
