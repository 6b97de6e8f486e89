/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftcheck.c - asks nf_tables, over a raw NETLINK_NETFILTER socket, for
 * its chains (one NFT_MSG_GETCHAIN dump, all families) and picks the ip,
 * ip6 and inet base chains at the netfilter hooks the legacy tables use.
 *
 * A dump is only made when nf_tables cannot be loaded by asking: asking
 * nfnetlink for a subsystem it lacks makes the kernel load the module, a
 * side effect that reading must not have.  So: nf_tables is a loaded
 * module (/sys/module/nf_tables, /proc/modules), or the kernel has no
 * modules at all (no /proc/modules: it is built in or absent).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nftcheck.h"
#include "ruleset.h"

#define NFT_MODULE_PATH "/sys/module/nf_tables"
#define MODULES_PATH "/proc/modules"
#define RECV_BUFFER_SIZE 65536

/* The chains found so far. */
struct scan {
	struct nft_base_chain *items;
	size_t count;
};

static int dump_request(int fd, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct nfgenmsg nfg;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.nfg));
	req.nlh.nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETCHAIN;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	req.nfg.nfgen_family = NFPROTO_UNSPEC; /* every family */
	req.nfg.version = NFNETLINK_V0;
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -1;
	return 0;
}

/* Copy a string attribute, NUL-terminated whatever the kernel sent. */
static void attr_string(const struct nlattr *a, char *buf, size_t size)
{
	size_t len = a->nla_len - NLA_HDRLEN;

	if (len >= size)
		len = size - 1;
	memcpy(buf, (const char *)a + NLA_HDRLEN, len);
	buf[len] = '\0';
}

/* The hook number inside a NFTA_CHAIN_HOOK nest, or -1. */
static int nested_hooknum(const struct nlattr *nest)
{
	const char *p = (const char *)nest + NLA_HDRLEN;
	const char *end = (const char *)nest + nest->nla_len;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		uint32_t v;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_HOOK_HOOKNUM &&
		    a->nla_len >= NLA_HDRLEN + sizeof(v)) {
			memcpy(&v, p + NLA_HDRLEN, sizeof(v));
			return (int)ntohl(v);
		}
		p += NLA_ALIGN(a->nla_len);
	}
	return -1;
}

/* Keep the chain of one NFT_MSG_NEWCHAIN message if it is an ip, ip6 or
 * inet base chain at one of the five hooks. */
static int scan_chain(struct scan *s, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	const char *p = (const char *)nfg + NLMSG_ALIGN(sizeof(*nfg));
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	struct nft_base_chain c = { 0 };
	int hook = -1;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*nfg)))
		return 0;
	if (nfg->nfgen_family == NFPROTO_IPV4)
		c.family = "ip";
	else if (nfg->nfgen_family == NFPROTO_IPV6)
		c.family = "ip6";
	else if (nfg->nfgen_family == NFPROTO_INET)
		c.family = "inet";
	else
		return 0;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NFTA_CHAIN_TABLE:
			attr_string(a, c.table, sizeof(c.table));
			break;
		case NFTA_CHAIN_NAME:
			attr_string(a, c.chain, sizeof(c.chain));
			break;
		case NFTA_CHAIN_HOOK:
			hook = nested_hooknum(a);
			break;
		}
		p += NLA_ALIGN(a->nla_len);
	}
	if (hook < 0 || hook >= NF_INET_NUMHOOKS)
		return 0; /* a regular chain, or ingress */
	c.hook = (unsigned)hook;
	s->items = reallocarray(s->items, s->count + 1, sizeof(*s->items));
	if (!s->items)
		return -1;
	s->items[s->count++] = c;
	return 0;
}

/* Read the dump's answers until NLMSG_DONE; 0, or -1 with errno. */
static int dump_read(int fd, uint32_t seq, struct scan *s)
{
	char *buf = malloc(RECV_BUFFER_SIZE);

	if (!buf)
		return -1;
	for (;;) {
		ssize_t n = recv(fd, buf, RECV_BUFFER_SIZE, 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		for (left = (size_t)n; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				free(buf);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				errno = e->error ? -e->error : EPROTO;
				goto fail;
			}
			if (scan_chain(s, nlh) < 0)
				goto fail;
		}
	}
fail:
	free(buf);
	return -1;
}

/* True when asking nf_tables cannot make the kernel load it. */
static bool nf_tables_present(void)
{
	struct stat st;
	char line[256];
	bool found = false;
	FILE *f;

	if (stat(NFT_MODULE_PATH, &st) == 0)
		return true;
	f = fopen(MODULES_PATH, "re");
	if (!f)
		return errno == ENOENT; /* no module support at all */
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, "nf_tables ", 10) == 0;
	fclose(f);
	return found;
}

int nftcheck_scan(struct nft_base_chain **out)
{
	struct scan s = { 0 };
	uint32_t seq = (uint32_t)getpid();
	int fd, rc, err;

	*out = NULL;
	if (!nf_tables_present())
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0)
		return -1;
	rc = dump_request(fd, seq);
	if (rc == 0)
		rc = dump_read(fd, seq, &s);
	err = errno;
	close(fd);
	if (rc < 0) {
		free(s.items);
		errno = err;
		return -1;
	}
	*out = s.items;
	return (int)s.count;
}

/* Append "name" or ", name" to @buf. */
static void list_append(char *buf, size_t size, const char *text)
{
	size_t len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", text);
}

/* Whose packets chain @c meets where the ruleset hooks: bit 0 IPv4,
 * bit 1 IPv6. */
static unsigned families_met(const struct nft_base_chain *c, unsigned hooks4,
			     unsigned hooks6)
{
	unsigned bit = 1u << c->hook, met = 0;

	if (strcmp(c->family, "ip6") != 0 && (hooks4 & bit))
		met |= 1;
	if (strcmp(c->family, "ip") != 0 && (hooks6 & bit))
		met |= 2;
	return met;
}

/* Whether an earlier chain of the list that meets the ruleset belongs to
 * the same table (which is then named already). */
static bool table_seen(const struct nft_base_chain *c, size_t i,
		       unsigned hooks4, unsigned hooks6)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(c[k].family, c[i].family) == 0 &&
		    strcmp(c[k].table, c[i].table) == 0 &&
		    families_met(&c[k], hooks4, hooks6))
			return true;
	return false;
}

/* The hooks of the ruleset that chains of @c's family meet: an inet
 * chain sees the packets of both families. */
static unsigned family_hooks(const struct nft_base_chain *c, unsigned hooks4,
			     unsigned hooks6)
{
	if (strcmp(c->family, "ip") == 0)
		return hooks4;
	if (strcmp(c->family, "ip6") == 0)
		return hooks6;
	return hooks4 | hooks6;
}

/* "table ip t (input, output)": the hooks of every chain of one table. */
static void describe_table(const struct nft_base_chain *c, size_t n, size_t i,
			   unsigned hooks, char *buf, size_t size)
{
	char where[128] = "";

	for (size_t k = i; k < n; k++) {
		char hook[16];
		const char *name;

		if (strcmp(c[k].family, c[i].family) != 0 ||
		    strcmp(c[k].table, c[i].table) != 0 ||
		    !(hooks & 1u << c[k].hook))
			continue;
		name = hook_chain_name((int)c[k].hook);
		snprintf(hook, sizeof(hook), "%s", name);
		for (char *h = hook; *h; h++)
			*h = (char)(*h - 'A' + 'a');
		if (!strstr(where, hook))
			list_append(where, sizeof(where), hook);
	}
	snprintf(buf, size, "table %s %s (%s)", c[i].family, c[i].table, where);
}

void nftcheck_warn(unsigned hooks4, unsigned hooks6, struct diag_list *dl)
{
	static const char *const packets[] = { "", "IPv4", "IPv6",
					       "IPv4 and IPv6" };
	struct nft_base_chain *c;
	char tables[1024] = "", one[512];
	int n = nftcheck_scan(&c);
	unsigned met = 0;

	for (int i = 0; i < n; i++) {
		unsigned m = families_met(&c[i], hooks4, hooks6);

		if (!m)
			continue;
		met |= m;
		if (table_seen(c, (size_t)i, hooks4, hooks6))
			continue;
		describe_table(c, (size_t)n, (size_t)i,
			       family_hooks(&c[i], hooks4, hooks6), one,
			       sizeof(one));
		list_append(tables, sizeof(tables), one);
	}
	free(c);
	if (met == 0)
		return;
	diag_warning(dl, NULL, 1,
		     "nf_tables also filters %s packets at the hooks of "
		     "this ruleset: %s; packets there go through both "
		     "rulesets",
		     packets[met], tables);
	diag_hint(dl, "see them with 'nft list ruleset'; rules loaded with nft "
		      "or iptables-nft live there, where iptables-legacy and "
		      "iptload do not see them");
}
