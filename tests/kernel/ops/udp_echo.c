/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp_echo COUNT [PORT] - traffic for the counter tests: send COUNT
 * datagrams of 100 bytes from 127.0.0.1:PORT to itself and receive every
 * one of them.  When it returns, each datagram has passed OUTPUT and
 * INPUT exactly once, so the counters it leaves are exact.  A receive
 * timeout of 10 s only turns a firewall that drops the datagrams into a
 * failure instead of a hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 10 };
	char buf[100];
	int fd, count;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: udp_echo COUNT [PORT]\n");
		return 64;
	}
	count = atoi(argv[1]);
	sin.sin_port = htons(argc == 3 ? (uint16_t)atoi(argv[2]) : 9999);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror("udp_echo: socket");
		return 1;
	}
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < count; i++) {
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sin,
			   sizeof(sin)) != (ssize_t)sizeof(buf) ||
		    recv(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
			perror("udp_echo: datagram");
			return 1;
		}
	}
	close(fd);
	return 0;
}
