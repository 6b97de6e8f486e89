// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * floor - the libiptc floor: the least work any libiptc loader can do to
 * load bench/gen's seed ruleset of N rules.
 *
 *	floor seed N
 *	floor read
 *
 * The N FORWARD entries are built in memory from the same formulas as
 * bench/gen (no text, no parsing), then the filter table is cleared the
 * way a loader must (flush every chain, delete user chains), FORWARD gets
 * policy DROP, the entries are appended to it and the table is committed
 * once.  What remains is libiptc's own work (iptc_init reading the live
 * table, the appends, compiling the blob in iptc_commit) and the kernel's
 * replace: a loader can be no faster than this, only slower.
 *
 * The result is the same table iptables-legacy-restore makes from
 * `bench/gen seed N ipt` (bench/run checks that with iptables-legacy-save).
 * It takes no xtables lock and must only run inside a private network
 * namespace (bench/run starts it with unshare -n).
 *
 * "floor read" is the floor of a reapply that checks what the kernel holds:
 * the filter table read out with one IPT_SO_GET_INFO and one
 * IPT_SO_GET_ENTRIES into a buffer mapped as iptload maps its own (huge
 * pages), nothing parsed.  Only the kernel tells a table's contents, and
 * only through GET_ENTRIES: no loader can learn that a table is unchanged
 * in less time than this.
 *
 * Exit status: 0 loaded (read), 1 libiptc (the kernel) refused, 64 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_tcpudp.h>

/* One seed rule exactly as iptables builds it: IP part, -m udp,
 * -m policy, then the standard target. */
struct seed_entry {
	struct ipt_entry e;
	struct xt_entry_match udp_head;
	struct xt_udp udp;
	unsigned char udp_pad[XT_ALIGN(sizeof(struct xt_udp)) -
			      sizeof(struct xt_udp)];
	struct xt_entry_match pol_head;
	struct xt_policy_info pol;
	unsigned char pol_pad[XT_ALIGN(sizeof(struct xt_policy_info)) -
			      sizeof(struct xt_policy_info)];
	struct xt_standard_target target;
};

/* The layout iptables makes (notes: offsets 504 and 544 for this rule);
 * the compiler must not have added padding of its own. */
_Static_assert(offsetof(struct seed_entry, pol_head) ==
		       sizeof(struct ipt_entry) + 48,
	       "udp match is 48 bytes");
_Static_assert(offsetof(struct seed_entry, target) ==
		       sizeof(struct ipt_entry) + 48 + 344,
	       "policy match is 344 bytes");
_Static_assert(sizeof(struct seed_entry) == 544, "entry is 544 bytes");

/* An IPv4 address from four octets, in network order. */
static struct in_addr ipv4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct in_addr in = { htonl(a << 24 | b << 16 | c << 8 | d) };

	return in;
}

/* Interface name and mask as iptables sets them without a '+': the mask
 * covers the name and its terminating NUL, so "extif" does not also match
 * "extif0". */
static void set_iface(char *name, unsigned char *mask, const char *s)
{
	strcpy(name, s);
	memset(mask, 0xff, strlen(s) + 1);
}

/*
 * Fill @se with seed rule @i: the same fields bench/gen's seed_fields()
 * writes as text (keep the two in step).
 */
static void seed_entry_fill(struct seed_entry *se, unsigned i)
{
	struct ipt_entry *e = &se->e;
	struct xt_policy_elem *pe = &se->pol.pol[0];

	memset(se, 0, sizeof(*se));
	e->ip.src = ipv4(10, 64 + (i >> 16), (i >> 8) & 255, i & 255);
	e->ip.smsk.s_addr = 0xffffffff;
	e->ip.dst = ipv4(172, 16 + (i & 15), (i >> 4) & 255, 0);
	e->ip.dmsk.s_addr = htonl(0xffffff00);
	set_iface(e->ip.iniface, e->ip.iniface_mask, "extif");
	set_iface(e->ip.outiface, e->ip.outiface_mask, "wirif");
	e->ip.proto = IPPROTO_UDP;
	e->target_offset = offsetof(struct seed_entry, target);
	e->next_offset = sizeof(*se);

	se->udp_head.u.user.match_size =
		sizeof(se->udp_head) + sizeof(se->udp) + sizeof(se->udp_pad);
	strcpy(se->udp_head.u.user.name, "udp");
	se->udp.spts[0] = 1024;
	se->udp.spts[1] = 65535;
	se->udp.dpts[0] = se->udp.dpts[1] = 1000 + i % 60000;

	se->pol_head.u.user.match_size =
		sizeof(se->pol_head) + sizeof(se->pol) + sizeof(se->pol_pad);
	strcpy(se->pol_head.u.user.name, "policy");
	se->pol.flags = XT_POLICY_MATCH_IN;
	se->pol.len = 1;
	pe->saddr.a4 = ipv4(100, 64 + (i >> 16), (i >> 8) & 255, i & 255);
	pe->daddr.a4 = ipv4(203, 0, 113, 7);
	/* No mask given: libxt_policy sets all 16 bytes, even for IPv4. */
	memset(&pe->smask, 0xff, sizeof(pe->smask));
	memset(&pe->dmask, 0xff, sizeof(pe->dmask));
	pe->mode = XT_POLICY_MODE_TUNNEL;
	pe->match.saddr = pe->match.daddr = pe->match.mode = 1;

	se->target.target.u.user.target_size = sizeof(se->target);
	strcpy(se->target.target.u.user.name, IPTC_LABEL_ACCEPT);
}

/* Empty @h as every loader must before loading: flush each chain, then
 * delete the user chains. */
static int clear_table(struct xtc_handle *h)
{
	const char *c;

	for (c = iptc_first_chain(h); c; c = iptc_next_chain(h))
		if (!iptc_flush_entries(c, h))
			return -1;
	for (;;) {
		for (c = iptc_first_chain(h); c && iptc_builtin(c, h);
		     c = iptc_next_chain(h))
			;
		if (!c)
			return 0;
		if (!iptc_delete_chain(c, h))
			return -1;
	}
}

/* libiptc reads chain names and verdicts as whole xt_chainlabels (32
 * bytes), so they must not be shorter string literals. */
static const xt_chainlabel chain_input = "INPUT";
static const xt_chainlabel chain_forward = "FORWARD";
static const xt_chainlabel chain_output = "OUTPUT";
static const xt_chainlabel verdict_accept = IPTC_LABEL_ACCEPT;
static const xt_chainlabel verdict_drop = IPTC_LABEL_DROP;

/* Load the seed ruleset of @n rules into the filter table. */
static int load_seed(unsigned n)
{
	struct xt_counters zero = { 0, 0 };
	struct seed_entry *rules = calloc(n, sizeof(*rules));
	struct xtc_handle *h = NULL;
	int rc = -1;

	if (!rules)
		goto out;
	/* Build every entry before libiptc runs, as a loader that has
	 * finished parsing would have them. */
	for (unsigned i = 0; i < n; i++)
		seed_entry_fill(&rules[i], i);
	h = iptc_init("filter");
	if (!h || clear_table(h) < 0)
		goto out;
	if (!iptc_set_policy(chain_input, verdict_accept, &zero, h) ||
	    !iptc_set_policy(chain_forward, verdict_drop, &zero, h) ||
	    !iptc_set_policy(chain_output, verdict_accept, &zero, h))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (!iptc_append_entry(chain_forward, &rules[i].e, h))
			goto out;
	if (iptc_commit(h))
		rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "floor: %s\n",
			h || errno ? iptc_strerror(errno) : "out of memory");
	if (h)
		iptc_free(h);
	free(rules);
	return rc;
}

/* Read the filter table as the kernel hands it out, and nothing more. */
static int read_table(void)
{
	struct ipt_getinfo info = { .name = "filter" };
	socklen_t len = sizeof(info);
	struct ipt_get_entries *blob;
	size_t size;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	int rc = -1;

	if (fd < 0 ||
	    getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0)
		goto out;
	size = sizeof(*blob) + info.size;
	blob = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (blob == MAP_FAILED)
		goto out;
	madvise(blob, size, MADV_HUGEPAGE);
	strcpy(blob->name, "filter");
	blob->size = info.size;
	len = (socklen_t)size;
	if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, blob, &len) == 0)
		rc = 0;
	munmap(blob, size);
out:
	if (rc < 0)
		fprintf(stderr, "floor: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long n;

	if (argc == 2 && strcmp(argv[1], "read") == 0)
		return read_table() < 0 ? 1 : 0;
	if (argc != 3 || strcmp(argv[1], "seed") != 0) {
		fprintf(stderr, "usage: floor seed N | floor read\n");
		return 64;
	}
	errno = 0;
	n = strtoul(argv[2], &end, 10);
	if (errno || *end || n < 1 || n > 1u << 20) {
		fprintf(stderr, "floor: bad rule count '%s'\n", argv[2]);
		return 64;
	}
	return load_seed(n) < 0 ? 1 : 0;
}
