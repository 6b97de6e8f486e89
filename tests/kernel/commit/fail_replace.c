/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fail_replace.c - an LD_PRELOAD shim for the commit tests.  It wraps
 * setsockopt() so that the two calls with which libiptc commits a table
 * fail on demand, without reaching the kernel:
 *
 *   IPT_SO_SET_REPLACE       the new table (the table name is in struct
 *                            ipt_replace)
 *   IPT_SO_SET_ADD_COUNTERS  the counters written after the new table went
 *                            live (name in struct xt_counters_info)
 *
 * What fails is read from $IPTLOAD_FAIL at every call, so a test program
 * can change it between cases:
 *
 *   IPTLOAD_FAIL = ITEM[,ITEM...]
 *   ITEM         = [ip6/]TABLE[.counters]:ERRNO[:FIRST[:COUNT]]
 *
 * TABLE alone is the IPv4 table (SOL_IP); ip6/TABLE the IPv6 one
 * (SOL_IPV6), counted apart from it.  The calls for TABLE (its REPLACEs, or its ADD_COUNTERS with ".counters")
 * are numbered from 1 since the variable last changed; calls FIRST (1 by
 * default) to FIRST+COUNT-1 fail with ERRNO (a number or a name such as
 * EINVAL); COUNT 0 or absent means every call from FIRST on.  Examples:
 * "nat:EINVAL", "filter:EAGAIN:1:1" (EAGAIN once), "nat:EINVAL,raw:EIO:2"
 * (nat fails, and so does raw's second commit, the roll-back),
 * "ip6/filter:EPERM" (the IPv6 filter table is refused, IPv4's is not).
 *
 * The test program sees what happened through fail_replace_failed (calls
 * failed since the variable last changed) and can run code just before a
 * call goes through with fail_replace_before, both found with dlsym().
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#define MAX_ITEMS 8

/* One ITEM of $IPTLOAD_FAIL, and how many matching calls it has seen. */
struct fail_item {
	char table[XT_TABLE_MAXNAMELEN];
	int level, optname;
	int err;
	unsigned first, count;
	unsigned seen;
};

/* Calls made to fail since $IPTLOAD_FAIL last changed. */
unsigned fail_replace_failed;
/* If set, called just before a commit call that is let through.  The
 * option names are the same numbers in both families (IPT_SO_SET_REPLACE
 * == IP6T_SO_SET_REPLACE); the family is told by fail_replace_level. */
void (*fail_replace_before)(const char *table, int optname);
/* SOL_IP or SOL_IPV6: the level of the call fail_replace_before is told
 * about. */
int fail_replace_level;

static struct fail_item items[MAX_ITEMS];
static size_t nitems;
static char spec_seen[512];

static int errno_value(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{ "EAGAIN", EAGAIN }, { "EINVAL", EINVAL },
		{ "EIO", EIO },	      { "ELOOP", ELOOP },
		{ "ENOENT", ENOENT }, { "ENOMEM", ENOMEM },
		{ "EPERM", EPERM },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, name) == 0)
			return names[i].value;
	}
	return atoi(name);
}

/* Parse one ITEM; a malformed one is reported and ignored. */
static void item_parse(char *text)
{
	struct fail_item *it = &items[nitems];
	char *table = strtok(text, ":"), *err = strtok(NULL, ":");
	char *first = strtok(NULL, ":"), *count = strtok(NULL, ":");
	char *dot;

	if (!table || !err || nitems == MAX_ITEMS) {
		fprintf(stderr, "fail_replace: bad item '%s'\n", text);
		return;
	}
	memset(it, 0, sizeof(*it));
	it->level = SOL_IP;
	if (strncmp(table, "ip6/", 4) == 0) {
		it->level = SOL_IPV6;
		table += 4;
	}
	it->optname = IPT_SO_SET_REPLACE;
	dot = strchr(table, '.');
	if (dot && strcmp(dot, ".counters") == 0) {
		*dot = '\0';
		it->optname = IPT_SO_SET_ADD_COUNTERS;
	}
	snprintf(it->table, sizeof(it->table), "%s", table);
	it->err = errno_value(err);
	it->first = first ? (unsigned)atoi(first) : 1;
	it->count = count ? (unsigned)atoi(count) : 0;
	nitems++;
}

/* Re-read $IPTLOAD_FAIL; when it changed, start counting afresh. */
static void spec_refresh(void)
{
	const char *spec = getenv("IPTLOAD_FAIL");
	char copy[sizeof(spec_seen)], *save = NULL, *item;

	if (!spec)
		spec = "";
	if (strcmp(spec, spec_seen) == 0)
		return;
	snprintf(spec_seen, sizeof(spec_seen), "%s", spec);
	snprintf(copy, sizeof(copy), "%s", spec);
	nitems = 0;
	fail_replace_failed = 0;
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char one[128];

		snprintf(one, sizeof(one), "%s", item);
		item_parse(one);
	}
}

/* The errno this call must fail with, or 0 to let it through. */
static int verdict(int level, const char *table, int optname)
{
	int err = 0;

	spec_refresh();
	for (size_t i = 0; i < nitems; i++) {
		struct fail_item *it = &items[i];
		unsigned n;

		if (it->level != level || it->optname != optname ||
		    strcmp(it->table, table) != 0)
			continue;
		n = ++it->seen;
		if (!err && n >= it->first &&
		    (it->count == 0 || n < it->first + it->count))
			err = it->err;
	}
	return err;
}

int setsockopt(int fd, int level, int optname, const void *optval,
	       socklen_t optlen)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	const char *table = NULL;
	int err;

	if (!real)
		real = (int (*)(int, int, int, const void *,
				socklen_t))dlsym(RTLD_NEXT, "setsockopt");
	_Static_assert(IPT_SO_SET_REPLACE == IP6T_SO_SET_REPLACE &&
			       IPT_SO_SET_ADD_COUNTERS ==
				       IP6T_SO_SET_ADD_COUNTERS,
		       "the families number their commit calls alike");
	if ((level == SOL_IP || level == SOL_IPV6) && optval &&
	    optname == IPT_SO_SET_REPLACE)
		table = ((const struct ipt_replace *)optval)->name;
	else if ((level == SOL_IP || level == SOL_IPV6) && optval &&
		 optname == IPT_SO_SET_ADD_COUNTERS)
		table = ((const struct xt_counters_info *)optval)->name;
	if (table) {
		err = verdict(level, table, optname);
		if (err) {
			fail_replace_failed++;
			errno = err;
			return -1;
		}
		fail_replace_level = level;
		if (fail_replace_before)
			fail_replace_before(table, optname);
	}
	return real(fd, level, optname, optval, optlen);
}
