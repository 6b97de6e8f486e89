/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime.h - values known only when the ruleset is applied: an
 * interface's address and network, read from the kernel (getifaddrs,
 * which asks rtnetlink; never a program).  The expander calls it for
 * PUBLIC_IP = address(extif); the address family is a parameter so that
 * an IPv6 twin needs no change in the expander.
 */
#ifndef IPTLOAD_RUNTIME_H
#define IPTLOAD_RUNTIME_H

enum runtime_kind {
	RUNTIME_ADDRESS, /* address(IF): the primary address, "a.b.c.d" */
	RUNTIME_NETWORK, /* network(IF): its prefix, "a.b.c.0/24" */
};

/*
 * The value of @kind for interface @ifname in address family @family
 * (AF_INET).  Returns a malloc'd string, or NULL with *@why set to a
 * malloc'd reason ("there is no interface extif", "extif has no IPv4
 * address").
 */
char *runtime_iface_value(enum runtime_kind kind, const char *ifname,
			  int family, char **why);

#endif
