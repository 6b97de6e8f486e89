/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entry.h - the address family of a table and of its rules, and the one
 * place that knows how a rule's bytes are laid out in each family.
 *
 * A rule is held as the exact bytes the family's libiptc takes: a struct
 * ipt_entry (IPv4, 112-byte head) or a struct ip6t_entry (IPv6, 168-byte
 * head), then the matches, then the target.  The heads differ in size and
 * in where target_offset, next_offset and the counters sit (IPv6 pads
 * before its counters), so code outside this header never casts: it asks
 * these helpers, which take the family.
 */
#ifndef IPTLOAD_ENTRY_H
#define IPTLOAD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

/* The address families iptload loads, in commit order. */
enum family {
	FAMILY_IPV4,
	FAMILY_IPV6,
	FAMILY_COUNT,
};

/* A rule's bytes: an ipt_entry or an ip6t_entry, by family.  Opaque, so
 * that the compiler refuses field access without the family. */
struct entry;

/* "ipv4" / "ipv6". */
static inline const char *family_name(enum family f)
{
	return f == FAMILY_IPV6 ? "ipv6" : "ipv4";
}

/* What follows a table's name in messages, so that an admin can tell
 * the families apart: "" for IPv4 (as ever), " (IPv6)" for IPv6, as in
 * "filter (IPv6): +2 -0 rules". */
static inline const char *family_suffix(enum family f)
{
	return f == FAMILY_IPV6 ? " (IPv6)" : "";
}

/* The size of the head before the first match (112 or 168 bytes). */
static inline size_t entry_head_size(enum family f)
{
	return f == FAMILY_IPV6 ? sizeof(struct ip6t_entry) :
				  sizeof(struct ipt_entry);
}

/* The family's own view of @e: the only casts of struct entry. */
static inline struct ipt_entry *entry_v4(const struct entry *e)
{
	return (struct ipt_entry *)e;
}

static inline struct ip6t_entry *entry_v6(const struct entry *e)
{
	return (struct ip6t_entry *)e;
}

static inline unsigned entry_target_offset(enum family f, const struct entry *e)
{
	return f == FAMILY_IPV6 ? entry_v6(e)->target_offset :
				  entry_v4(e)->target_offset;
}

static inline unsigned entry_next_offset(enum family f, const struct entry *e)
{
	return f == FAMILY_IPV6 ? entry_v6(e)->next_offset :
				  entry_v4(e)->next_offset;
}

static inline void entry_set_offsets(enum family f, struct entry *e,
				     unsigned target_offset,
				     unsigned next_offset)
{
	if (f == FAMILY_IPV6) {
		entry_v6(e)->target_offset = target_offset;
		entry_v6(e)->next_offset = next_offset;
	} else {
		entry_v4(e)->target_offset = target_offset;
		entry_v4(e)->next_offset = next_offset;
	}
}

static inline struct xt_counters *entry_counters(enum family f,
						 const struct entry *e)
{
	return f == FAMILY_IPV6 ? &entry_v6(e)->counters :
				  &entry_v4(e)->counters;
}

/* The IP part (struct ipt_ip or struct ip6t_ip6) and its size. */
static inline void *entry_ip(enum family f, const struct entry *e)
{
	return f == FAMILY_IPV6 ? (void *)&entry_v6(e)->ipv6 :
				  (void *)&entry_v4(e)->ip;
}

static inline size_t entry_ip_size(enum family f)
{
	return f == FAMILY_IPV6 ? sizeof(struct ip6t_ip6) :
				  sizeof(struct ipt_ip);
}

/* The flag of a goto (-g) in the IP part's flags. */
static inline bool entry_is_goto(enum family f, const struct entry *e)
{
	return f == FAMILY_IPV6 ? entry_v6(e)->ipv6.flags & IP6T_F_GOTO :
				  entry_v4(e)->ip.flags & IPT_F_GOTO;
}

static inline struct xt_entry_target *entry_target(enum family f,
						   const struct entry *e)
{
	return (struct xt_entry_target *)((const char *)e +
					  entry_target_offset(f, e));
}

/* The match at byte @off of @e (from entry_head_size up to the target). */
static inline struct xt_entry_match *entry_match_at(const struct entry *e,
						    unsigned off)
{
	return (struct xt_entry_match *)((const char *)e + off);
}

#endif
