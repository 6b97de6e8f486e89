/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime.c - an interface's addresses and networks at apply time.
 *
 * IPv4: the primary address is the first one the kernel lists for the
 * interface (secondary addresses, ip addr add ... on a subnet that is
 * already there, come after their primary in rtnetlink's dump).  IPv6:
 * every global address (link-local, loopback and the like are left
 * out: a rule for them is written with the address itself).
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* The length of the prefix netmask @mask of @len bytes says. */
static int prefix_len(const unsigned char *mask, size_t len)
{
	int plen = 0;

	for (size_t i = 0; i < len; i++)
		for (int bit = 7; bit >= 0 && (mask[i] >> bit) & 1; bit--)
			plen++;
	return plen;
}

/* @kind of address @addr (@len bytes, family @af) with netmask @mask. */
static char *format_value(enum runtime_kind kind, int af,
			  const unsigned char *addr, const unsigned char *mask,
			  size_t len)
{
	unsigned char net[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN], *out;
	int plen = mask ? prefix_len(mask, len) : (int)len * 8;

	if (kind == RUNTIME_ADDRESS) {
		inet_ntop(af, addr, text, sizeof(text));
		return strdup(text);
	}
	for (size_t i = 0; i < len; i++)
		net[i] = mask ? addr[i] & mask[i] : addr[i];
	inet_ntop(af, net, text, sizeof(text));
	if (asprintf(&out, "%s/%d", text, plen) < 0)
		return NULL;
	return out;
}

/* A global IPv6 address: not link-local, loopback, unspecified or
 * multicast. */
static bool global6(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_LINKLOCAL(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_MULTICAST(a) &&
	       !IN6_IS_ADDR_SITELOCAL(a);
}

static void add_value(char ***values, size_t *n, char *v)
{
	if (!v)
		abort();
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*values)[i], v) == 0) { /* one network, twice */
			free(v);
			return;
		}
	*values = reallocarray(*values, *n + 1, sizeof(**values));
	if (!*values)
		abort();
	(*values)[(*n)++] = v;
}

size_t runtime_iface_values(enum runtime_kind kind, const char *ifname,
			    char ***values, char **why)
{
	struct ifaddrs *all, *ifa;
	size_t n = 0;
	bool have4 = false;

	*values = NULL;
	*why = NULL;
	if (if_nametoindex(ifname) == 0) {
		if (asprintf(why, "there is no interface %s", ifname) < 0)
			*why = NULL;
		return 0;
	}
	if (getifaddrs(&all) < 0) {
		if (asprintf(why, "cannot list the addresses of %s: %m",
			     ifname) < 0)
			*why = NULL;
		return 0;
	}
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, ifname) != 0)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET && !have4) {
			const struct sockaddr_in *a =
				(const void *)ifa->ifa_addr;
			const struct sockaddr_in *m =
				(const void *)ifa->ifa_netmask;

			have4 = true;
			add_value(values, &n,
				  format_value(kind, AF_INET,
					       (const void *)&a->sin_addr,
					       m ? (const void *)&m->sin_addr :
						   NULL,
					       4));
		}
	}
	/* IPv6 after IPv4, whatever order the kernel lists them in. */
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_in6 *a = (const void *)ifa->ifa_addr;
		const struct sockaddr_in6 *m = (const void *)ifa->ifa_netmask;

		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, ifname) != 0 ||
		    ifa->ifa_addr->sa_family != AF_INET6 ||
		    !global6(&a->sin6_addr))
			continue;
		add_value(values, &n,
			  format_value(
				  kind, AF_INET6, (const void *)&a->sin6_addr,
				  m ? (const void *)&m->sin6_addr : NULL, 16));
	}
	freeifaddrs(all);
	if (!n && asprintf(why, "%s has no address", ifname) < 0)
		*why = NULL;
	return n;
}
