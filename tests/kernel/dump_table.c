/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dump_table - print every instantiated x_tables table of the current
 * network namespace exactly as the kernel holds it: the IPv4 tables
 * (ip_tables, IPT_SO_GET_* at SOL_IP), then the IPv6 ones (ip6_tables,
 * IP6T_SO_GET_* at SOL_IPV6), each family under a "family" line.
 *
 * The kernel oracle suite compares two namespaces, one loaded by iptload and
 * one by iptables-legacy.  Comparing iptables-legacy-save text proves the
 * rules mean the same; comparing these dumps proves the kernel received the
 * same bytes (padding, match sizes, revisions, jump offsets, hook entry
 * points), which is the stricter promise iptload makes.
 *
 * Only tables listed in /proc/net/ip_tables_names (ip6_tables_names) are
 * read: asking the kernel for any other table would instantiate it, changing what we are
 * trying to observe.  The names are sorted so that two namespaces that
 * instantiated the same tables in a different order dump identically.
 * Both families are always dumped, so that a comparison also proves that a
 * load left the other family alone.
 *
 * Run it only inside a private network namespace of a test; it reads and
 * never writes, but it needs CAP_NET_ADMIN.
 *
 * Exit status: 0 ok, 1 a table could not be read.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#define MAX_TABLES 16

/*
 * What differs between the two families.  The GET_INFO and GET_ENTRIES
 * headers are laid out alike in both (x_tables' common layout, checked
 * below), so ipt_getinfo and ipt_get_entries serve both; only the entry
 * (struct ipt_entry vs struct ip6t_entry) differs, and only its size and
 * where its two offsets lie matter here.
 */
struct family {
	const char *name;
	const char *names_path;
	int domain, level, get_info, get_entries;
	size_t entry_size, target_offset_at, next_offset_at;
};

static const struct family families[] = {
	{ "ipv4", "/proc/net/ip_tables_names", AF_INET, IPPROTO_IP,
	  IPT_SO_GET_INFO, IPT_SO_GET_ENTRIES, sizeof(struct ipt_entry),
	  offsetof(struct ipt_entry, target_offset),
	  offsetof(struct ipt_entry, next_offset) },
	{ "ipv6", "/proc/net/ip6_tables_names", AF_INET6, IPPROTO_IPV6,
	  IP6T_SO_GET_INFO, IP6T_SO_GET_ENTRIES, sizeof(struct ip6t_entry),
	  offsetof(struct ip6t_entry, target_offset),
	  offsetof(struct ip6t_entry, next_offset) },
};

_Static_assert(sizeof(struct ipt_getinfo) == sizeof(struct ip6t_getinfo),
	       "GET_INFO layouts differ");
_Static_assert(offsetof(struct ipt_get_entries, entrytable) ==
		       offsetof(struct ip6t_get_entries, entrytable),
	       "GET_ENTRIES layouts differ");

/* The hook names in NF_INET_* order, for readable info lines. */
static const char *const hook_names[NF_INET_NUMHOOKS] = {
	"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING",
};

/* Print @len bytes of @p, 16 a line, each line prefixed by its offset
 * relative to the start of the entry so that a diff points into it. */
static void hex_dump(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			printf("  %04zx:", i);
		printf(" %02x", p[i]);
		if (i % 16 == 15 || i + 1 == len)
			putchar('\n');
	}
}

/* Print the IPT_SO_GET_INFO header of one table. */
static void print_info(const struct ipt_getinfo *info)
{
	int h;

	printf("table %s\n", info->name);
	printf("valid_hooks 0x%x\n", info->valid_hooks);
	for (h = 0; h < NF_INET_NUMHOOKS; h++) {
		if (!(info->valid_hooks & (1u << h)))
			continue;
		printf("hook %s entry %u underflow %u\n", hook_names[h],
		       info->hook_entry[h], info->underflow[h]);
	}
	printf("num_entries %u\n", info->num_entries);
	printf("size %u\n", info->size);
}

/*
 * Print each entry of a GET_ENTRIES blob: its offset and offsets, then all
 * of its bytes.  The blob is walked by next_offset, the same way the kernel
 * walks it, and a malformed offset ends the walk with an error instead of
 * reading past the buffer.
 */
static int print_entries(const struct family *fam, const unsigned char *blob,
			 unsigned size, unsigned num_entries)
{
	unsigned off = 0, n = 0;

	while (off < size) {
		uint16_t target_offset, next_offset;

		if (size - off < fam->entry_size) {
			fprintf(stderr, "dump_table: bad entry at %u\n", off);
			return -1;
		}
		memcpy(&target_offset, blob + off + fam->target_offset_at,
		       sizeof(target_offset));
		memcpy(&next_offset, blob + off + fam->next_offset_at,
		       sizeof(next_offset));
		if (next_offset < fam->entry_size || next_offset > size - off) {
			fprintf(stderr, "dump_table: bad entry at %u\n", off);
			return -1;
		}
		printf("entry %u offset %u target_offset %u next_offset %u\n",
		       n, off, target_offset, next_offset);
		hex_dump(blob + off, next_offset);
		off += next_offset;
		n++;
	}
	if (n != num_entries) {
		fprintf(stderr, "dump_table: walked %u entries, info says %u\n",
			n, num_entries);
		return -1;
	}
	return 0;
}

/* Read table @name of @fam through socket @fd and print it; -1 on any
 * failure. */
static int dump_one(const struct family *fam, int fd, const char *name)
{
	struct ipt_getinfo info;
	struct ipt_get_entries *entries;
	socklen_t len;
	int ret;

	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", name);
	len = sizeof(info);
	if (getsockopt(fd, fam->level, fam->get_info, &info, &len) < 0) {
		fprintf(stderr, "dump_table: GET_INFO %s: %s\n", name,
			strerror(errno));
		return -1;
	}
	print_info(&info);

	len = sizeof(*entries) + info.size;
	entries = calloc(1, len);
	if (!entries) {
		fprintf(stderr, "dump_table: out of memory\n");
		return -1;
	}
	memcpy(entries->name, info.name, sizeof(entries->name));
	entries->size = info.size;
	if (getsockopt(fd, fam->level, fam->get_entries, entries, &len) < 0) {
		/* EAGAIN: the table changed between the two calls; nothing
		 * else loads this private namespace, so report it. */
		fprintf(stderr, "dump_table: GET_ENTRIES %s: %s\n", name,
			strerror(errno));
		free(entries);
		return -1;
	}
	ret = print_entries(fam, (const unsigned char *)entries->entrytable,
			    entries->size, info.num_entries);
	free(entries);
	return ret;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Read the table names into @names (malloc'd strings); return how many, or
 * -1.  A missing file means the namespace has no table at all yet.
 */
static int read_table_names(const struct family *fam, char *names[MAX_TABLES])
{
	char line[XT_TABLE_MAXNAMELEN + 2];
	FILE *f;
	int n = 0;

	f = fopen(fam->names_path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (n == MAX_TABLES || !(names[n] = strdup(line))) {
			fclose(f);
			while (n > 0)
				free(names[--n]);
			return -1;
		}
		n++;
	}
	fclose(f);
	qsort(names, n, sizeof(names[0]), compare_names);
	return n;
}

/* Print every table of @fam; 0 ok, 1 a table could not be read. */
static int dump_family(const struct family *fam)
{
	char *names[MAX_TABLES];
	int fd, n, i, status = 0;

	printf("family %s\n", fam->name);
	n = read_table_names(fam, names);
	if (n < 0) {
		fprintf(stderr, "dump_table: cannot read %s\n",
			fam->names_path);
		return 1;
	}
	printf("tables %d\n", n);
	if (n == 0)
		return 0;

	fd = socket(fam->domain, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "dump_table: socket: %s\n", strerror(errno));
		status = 1;
	}
	for (i = 0; i < n; i++) {
		if (fd >= 0 && dump_one(fam, fd, names[i]) < 0)
			status = 1;
		free(names[i]);
	}
	if (fd >= 0)
		close(fd);
	return status;
}

int main(void)
{
	int status = 0;
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		status |= dump_family(&families[i]);
	return status;
}
