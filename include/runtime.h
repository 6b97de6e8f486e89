/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime.h - values known only when the ruleset is applied: an
 * interface's address and network, read from the kernel (getifaddrs,
 * which asks rtnetlink; never a program).  The expander calls it for
 * PUBLIC_IP = address(extif), whose value lists the addresses of both
 * families.
 */
#ifndef IPTLOAD_RUNTIME_H
#define IPTLOAD_RUNTIME_H

#include <stddef.h>

enum runtime_kind {
	RUNTIME_ADDRESS, /* address(IF): "a.b.c.d", then "2001:db8::1"... */
	RUNTIME_NETWORK, /* network(IF): "a.b.c.0/24", "2001:db8::/64"... */
};

/*
 * The values of @kind for interface @ifname: the primary IPv4 address
 * (or its network) first, then each global IPv6 address (or network),
 * into the malloc'd array *@values of malloc'd strings.  Returns how
 * many; 0 with *@why set to a malloc'd reason ("there is no interface
 * extif", "extif has no address").  Which value a rule gets is the
 * builder's business: each goes to the rules of its family (split.h).
 */
size_t runtime_iface_values(enum runtime_kind kind, const char *ifname,
			    char ***values, char **why);

#endif
