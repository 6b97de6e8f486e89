/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dump_table - print every instantiated IPv4 x_tables table of the current
 * network namespace exactly as the kernel holds it.
 *
 * The kernel oracle suite compares two namespaces, one loaded by iptload and
 * one by iptables-legacy.  Comparing iptables-legacy-save text proves the
 * rules mean the same; comparing these dumps proves the kernel received the
 * same bytes (padding, match sizes, revisions, jump offsets, hook entry
 * points), which is the stricter promise iptload makes.
 *
 * Only tables listed in /proc/net/ip_tables_names are read: asking the
 * kernel for any other table would instantiate it, changing what we are
 * trying to observe.  The names are sorted so that two namespaces that
 * instantiated the same tables in a different order dump identically.
 *
 * Run it only inside a private network namespace of a test; it reads and
 * never writes, but it needs CAP_NET_ADMIN.
 *
 * Exit status: 0 ok, 1 a table could not be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/in.h>

#include <linux/netfilter_ipv4/ip_tables.h>

#define TABLE_NAMES_PATH "/proc/net/ip_tables_names"
#define MAX_TABLES 16

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
static int print_entries(const unsigned char *blob, unsigned size,
			 unsigned num_entries)
{
	unsigned off = 0, n = 0;

	while (off < size) {
		const struct ipt_entry *e = (const void *)(blob + off);

		if (size - off < sizeof(*e) || e->next_offset < sizeof(*e) ||
		    e->next_offset > size - off) {
			fprintf(stderr, "dump_table: bad entry at %u\n", off);
			return -1;
		}
		printf("entry %u offset %u target_offset %u next_offset %u\n",
		       n, off, e->target_offset, e->next_offset);
		hex_dump(blob + off, e->next_offset);
		off += e->next_offset;
		n++;
	}
	if (n != num_entries) {
		fprintf(stderr, "dump_table: walked %u entries, info says %u\n",
			n, num_entries);
		return -1;
	}
	return 0;
}

/* Read table @name through socket @fd and print it; -1 on any failure. */
static int dump_one(int fd, const char *name)
{
	struct ipt_getinfo info;
	struct ipt_get_entries *entries;
	socklen_t len;
	int ret;

	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", name);
	len = sizeof(info);
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0) {
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
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, entries, &len) < 0) {
		/* EAGAIN: the table changed between the two calls; nothing
		 * else loads this private namespace, so report it. */
		fprintf(stderr, "dump_table: GET_ENTRIES %s: %s\n", name,
			strerror(errno));
		free(entries);
		return -1;
	}
	ret = print_entries((const unsigned char *)entries->entrytable,
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
static int read_table_names(char *names[MAX_TABLES])
{
	char line[XT_TABLE_MAXNAMELEN + 2];
	FILE *f;
	int n = 0;

	f = fopen(TABLE_NAMES_PATH, "r");
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

int main(void)
{
	char *names[MAX_TABLES];
	int fd, n, i, status = 0;

	n = read_table_names(names);
	if (n < 0) {
		fprintf(stderr, "dump_table: cannot read %s\n",
			TABLE_NAMES_PATH);
		return 1;
	}
	printf("tables %d\n", n);
	if (n == 0)
		return 0;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "dump_table: socket: %s\n", strerror(errno));
		status = 1;
	}
	for (i = 0; i < n; i++) {
		if (fd >= 0 && dump_one(fd, names[i]) < 0)
			status = 1;
		free(names[i]);
	}
	if (fd >= 0)
		close(fd);
	return status;
}
