/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime.c - an interface's address and network at apply time.
 *
 * The primary address is the first one the kernel lists for the
 * interface: secondary addresses (ip addr add ... on a subnet that is
 * already there) come after their primary in rtnetlink's dump.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static char *format_value(enum runtime_kind kind, const struct ifaddrs *ifa)
{
	const struct sockaddr_in *a = (const void *)ifa->ifa_addr;
	const struct sockaddr_in *m = (const void *)ifa->ifa_netmask;
	char text[INET_ADDRSTRLEN], *out;
	struct in_addr net;
	uint32_t mask = m ? ntohl(m->sin_addr.s_addr) : 0xffffffffu;
	int plen = 0;

	if (kind == RUNTIME_ADDRESS) {
		inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
		return strdup(text);
	}
	while (plen < 32 && (mask & (1u << (31 - plen))))
		plen++;
	net.s_addr = a->sin_addr.s_addr & htonl(mask);
	inet_ntop(AF_INET, &net, text, sizeof(text));
	if (asprintf(&out, "%s/%d", text, plen) < 0)
		return NULL;
	return out;
}

char *runtime_iface_value(enum runtime_kind kind, const char *ifname,
			  int family, char **why)
{
	struct ifaddrs *all, *ifa;
	char *value = NULL;

	*why = NULL;
	if (family != AF_INET) {
		if (asprintf(why, "only IPv4 values are supported") < 0)
			*why = NULL;
		return NULL;
	}
	if (if_nametoindex(ifname) == 0) {
		if (asprintf(why, "there is no interface %s", ifname) < 0)
			*why = NULL;
		return NULL;
	}
	if (getifaddrs(&all) < 0) {
		if (asprintf(why, "cannot list the addresses of %s: %m",
			     ifname) < 0)
			*why = NULL;
		return NULL;
	}
	for (ifa = all; ifa && !value; ifa = ifa->ifa_next)
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET &&
		    strcmp(ifa->ifa_name, ifname) == 0)
			value = format_value(kind, ifa);
	freeifaddrs(all);
	if (!value && asprintf(why, "%s has no IPv4 address", ifname) < 0)
		*why = NULL;
	return value;
}
