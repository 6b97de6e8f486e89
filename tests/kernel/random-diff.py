#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""random-diff.py - seeded randomized differential test of iptload against
iptables-legacy and ip6tables-legacy.

From a seed, it writes rulesets in iptables-save form: random combinations
of the native parts iptload encodes itself (addresses with prefixes, masks
and `!`, interfaces with `+` and `!`, -p by name and number, udp/tcp ports
and flags, icmp and icmp6 types, -f, policy with several elements) and of
the matches and targets that the good kernel cases (tests/kernel/cases/
*.rules, *.rules6, *.cmds, *.cmds6) already accept, each used only in the
table, built-in chain and protocol it was accepted in; user chains reached
by jumps and gotos, every table, IPv4 (.rules), IPv6 (.rules6) and both
(.rules46, every rule line starting with -4 or -6); rules appended, inserted,
replaced and deleted (by number and by rule), counters, long option names,
numbers in other bases, a user chain renamed now and then.  Each ruleset is loaded
in fresh network namespaces (unshare -n, lib.sh's in_fresh_netns and
side_load, as compare.sh does) by `iptload [-6] apply FILE` and by
ip[6]tables-legacy-restore, and the two namespaces must give the same
ip[6]tables-legacy-save text and raw table bytes (dump_table).  Both
refusing is agreement (when the oracle names a rule line, that line is
dropped and the rest is tried again, up to three times); one refusing, or
different tables, is a disagreement: both messages are printed, and with
--minimise the ruleset is cut down to the few lines and words that still
disagree the same way.

Run (as root; nothing outside the fresh namespaces is touched):

  tests/kernel/random-diff.py --iptload build/src/iptload --seed 7 \\
      --rulesets 200 --rules 25 --family all --minimise --keep /tmp/rd

  --seed N       the seed (the whole run follows from it; default 1)
  --rulesets N   rulesets per family (default 20)
  --rules N      rule lines per ruleset, at most (default 20)
  --family F     4, 6, 46 or all (default all: 4, 6 and 46)
  --form F       rules (iptables-save text, the default) or cmds (the same
                 rulesets as iptables/ip6tables command lines, .cmds*)
  --minimise     minimise each disagreement (costs a few seconds each)
  --keep DIR     keep each disagreeing ruleset (and its minimised form)
  --tap          print TAP (one test per ruleset), as meson runs it
  --jobs N       rulesets loaded in parallel (default 1)
  --only N       only ruleset N of each family
  --print        print the rulesets, load nothing

Each ruleset is made from (seed, family, index) alone, so one failing
ruleset of a large run can be made again with --only INDEX.
The kernel suite runs it with a fixed seed (tests/kernel/meson.build,
random-diff); doc/testing.md says how to run more.
Exit: 0 when every ruleset agreed, 1 otherwise, 64 usage.
"""

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
LIB = os.path.join(HERE, "lib.sh")

TABLES = {
    "filter": ["INPUT", "FORWARD", "OUTPUT"],
    "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
    "mangle": ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
    "raw": ["PREROUTING", "OUTPUT"],
    "security": ["INPUT", "FORWARD", "OUTPUT"],
}
TABLE_ORDER = ["raw", "mangle", "nat", "filter", "security"]
IN_HOOKS = {"PREROUTING", "INPUT", "FORWARD"}
OUT_HOOKS = {"FORWARD", "OUTPUT", "POSTROUTING"}

NATIVE = {
    "-s", "--source", "--src", "-d", "--destination", "--dst",
    "-i", "--in-interface", "-o", "--out-interface", "-p", "--protocol",
    "-f", "--fragment",
}
# Extensions that need objects in the namespace (ipsets, estimators) or
# that name files: both sides would only refuse them.
SKIP_EXT = {"set", "SET", "rateest", "nfacct", "cgroup", "osf", "bpf",
            "ipvs", "l2tp"}


# ----------------------------------------------------------------------
# Words as iptables-restore splits them, each kept as written (quotes
# included), so a harvested word is written back exactly.

def raw_words(line):
    words, cur, i, quote = [], "", 0, False
    while i < len(line):
        c = line[i]
        if c == "\\" and quote and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 2
            continue
        if c == '"':
            quote = not quote
            cur += c
        elif c.isspace() and not quote:
            if cur:
                words.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur:
        words.append(cur)
    return words


class Piece:
    """A match (-m NAME ...) or target (-j NAME ...) taken from a good
    case, with where it was accepted."""

    def __init__(self, kind, name, text, fam, table, chain, proto, ctx):
        self.kind, self.name, self.text = kind, name, text
        self.fam, self.table, self.chain = fam, table, chain
        self.proto, self.ctx = proto, ctx


def harvest():
    """Every -m and -j piece of the good kernel cases."""
    pieces = []
    for fn in sorted(os.listdir(CASES)):
        m = re.match(r"^[^.]+\.(rules|rules6|cmds|cmds6|rules46|cmds46)$", fn)
        if not m or "refused" in fn:
            continue  # not a good case, or one whose rules are deleted
        kind = m.group(1)
        deffam = "6" if kind.endswith("6") and not kind.endswith("46") else "4"
        table = "filter"
        userchains = set()
        with open(os.path.join(CASES, fn), encoding="utf-8") as f:
            lines = f.read().splitlines()
        for line in lines:
            s = line.strip()
            if not s or s.startswith("#") or "$" in s:
                continue
            if s.startswith("*"):
                table = s[1:]
                continue
            if s.startswith(":"):
                userchains.add(s[1:].split()[0])
                continue
            if s == "COMMIT":
                continue
            fam = deffam
            w = raw_words(s)
            if w and w[0] in ("iptables", "-4"):
                fam, w = "4", w[1:]
            elif w and w[0] in ("ip6tables", "-6"):
                fam, w = "6", w[1:]
            if kind.startswith("cmds"):
                table = "filter"
            if "-N" in w:
                userchains.add(w[w.index("-N") + 1])
            pieces.extend(harvest_rule(w, fam, table, userchains,
                                       kind.startswith("cmds")))
    return pieces


def harvest_rule(w, fam, table, userchains, cmds):
    chain = None
    i = 0
    out = []
    proto, ctx = None, []
    cur = None  # [kind, name, words]
    segs = []
    while i < len(w):
        t = w[i]
        if t in ("-t", "--table") and i + 1 < len(w):
            table = w[i + 1]
            i += 2
            continue
        if re.match(r"^\[\d+:\d+\]$", t):  # counters
            i += 1
            continue
        if t in ("-c", "--set-counters") and i + 2 < len(w):
            i += 3
            continue
        if t in ("-A", "--append") and i + 1 < len(w):
            chain = w[i + 1]
            i += 2
            continue
        if t in ("-I", "-D", "-R", "-N", "-X", "-P", "-F", "-E", "-Z"):
            return []
        neg = t == "!" and i + 1 < len(w) and w[i + 1] in NATIVE
        if t in NATIVE or neg:
            if neg:
                i += 1
                t = w[i]
            argc = 0 if t in ("-f", "--fragment") else 1
            if t in ("-p", "--protocol"):
                proto = ("!" if neg else "") + w[i + 1].lower()
                ctx[:0] = (["!"] if neg else []) + ["-p", w[i + 1]]
            cur = None
            i += 1 + argc
            continue
        if t in ("-m", "--match") and i + 1 < len(w):
            cur = ["m", w[i + 1], [t, w[i + 1]]]
            segs.append(cur)
            i += 2
            continue
        if t in ("-j", "--jump", "-g", "--goto") and i + 1 < len(w):
            cur = ["j", w[i + 1], [t, w[i + 1]]]
            segs.append(cur)
            i += 2
            continue
        if cur is None:
            ctx.append(t)
        else:
            cur[2].append(t)
        i += 1
    if chain is None or chain not in TABLES.get(table, []):
        return []
    if proto is None and ctx:
        return []  # options without -p: a bad case we do not want
    for kind, name, words in segs:
        if name in SKIP_EXT:
            continue
        if kind == "j":
            if words[0] in ("-g", "--goto") or name in userchains:
                continue
            if name in ("ACCEPT", "DROP", "RETURN", "QUEUE") or \
                    name != name.upper():
                continue  # a verdict, or a chain of that case
        out.append(Piece(kind, name, " ".join(words), fam, table, chain,
                         proto, " ".join(ctx)))
    return out


# ----------------------------------------------------------------------
# The native parts.

IFACES = ["eth0", "eth1", "eth+", "wg0", "wg+", "ppp+", "+", "lo", "tun0",
          "veth1234567890a", "abcdefghijklmn+", "br-lan", "eth0.100",
          "vpn_1"]
PROTO4 = ["tcp", "udp", "icmp", "esp", "ah", "gre", "sctp", "udplite",
          "dccp", "all", "TCP", "Udp", "6", "17", "1", "50", "47", "132",
          "255", "ipencap", "41", "0"]
PROTO6 = ["tcp", "udp", "ipv6-icmp", "icmpv6", "58", "esp", "ah", "sctp",
          "udplite", "dccp", "gre", "41", "all", "0", "255", "TCP", "6",
          "17", "50", "132", "ICMPv6"]
SERVICES = ["ssh", "http", "https", "domain", "ntp", "smtp", "telnet",
            "isakmp", "ipsec-nat-t", "bootps", "22", "0", "65535", "0x50"]
TCP_FLAGS = ["SYN", "ACK", "FIN", "RST", "URG", "PSH"]
ICMP_TYPES = ["echo-request", "echo-reply", "destination-unreachable",
              "port-unreachable", "any", "time-exceeded",
              "fragmentation-needed", "ttl-zero-during-transit",
              "parameter-problem", "redirect", "host-unreachable",
              "source-quench", "timestamp-request", "router-advertisement",
              "network-unreachable", "8", "0", "3/3", "3/4", "11/0", "255",
              "5/1", "12"]
ICMP6_TYPES = ["destination-unreachable", "no-route",
               "communication-prohibited", "beyond-scope",
               "address-unreachable", "port-unreachable", "failed-policy",
               "reject-route", "packet-too-big", "time-exceeded",
               "ttl-exceeded", "parameter-problem", "bad-header",
               "unknown-header-type", "unknown-option", "echo-request",
               "ping", "echo-reply", "pong", "router-solicitation",
               "router-advertisement", "neighbour-solicitation",
               "neighbor-advertisement", "redirect", "0", "128", "255",
               "1/4", "1/0", "3/255", "143", "130", "131/0"]


def addr4(r, gaps=True):
    c = r.random()
    if c < 0.05:
        return "0.0.0.0/0"
    if c < 0.1:
        return r.choice(["127.0.0.1", "255.255.255.255", "10.0.0.1/32",
                         "224.0.0.0/4"])
    ip = ".".join(str(r.choice([r.randrange(256), 0, 10, 192, 255]))
                  for _ in range(4))
    c = r.random()
    if c < 0.25:
        return ip
    if c < 0.35:
        bits = r.randrange(33)
        mask = (0xffffffff << (32 - bits)) & 0xffffffff
        if gaps and r.random() < 0.1:
            mask = r.randrange(1 << 32)  # a non-contiguous mask
        return ip + "/" + ".".join(str((mask >> s) & 255)
                                   for s in (24, 16, 8, 0))
    return ip + "/" + str(r.randrange(33))


def addr6(r):
    c = r.random()
    if c < 0.05:
        return "::/0"
    if c < 0.1:
        return r.choice(["::1", "::", "fe80::1", "ff02::1/128",
                         "::ffff:10.0.0.1", "2001:db8::/32"])
    groups = [r.choice([0, 0, r.randrange(65536), 0x2001, 0xdb8, 0xfd00])
              for _ in range(8)]
    text = ":".join("%x" % g for g in groups)
    # Compress the longest run of zero groups now and then.
    if r.random() < 0.6:
        best, bl, i = -1, 0, 0
        while i < 8:
            if groups[i] == 0:
                j = i
                while j < 8 and groups[j] == 0:
                    j += 1
                if j - i > bl:
                    best, bl = i, j - i
                i = j
            else:
                i += 1
        if bl >= 2:
            text = (":".join("%x" % g for g in groups[:best]) + "::" +
                    ":".join("%x" % g for g in groups[best + bl:]))
    if r.random() < 0.25:
        return text
    return text + "/" + str(r.choice([r.randrange(129), 64, 48, 128, 0]))


def num(r, n, anybase=True):
    """N as iptables reads it: mostly decimal; now and then hexadecimal,
    octal or with a '+' (ANYBASE: xtables_strtoui), or with leading zeros
    and a '+' (getaddrinfo's decimal, for udp ports)."""
    c = r.random()
    if c < 0.9:
        return str(n)
    if not anybase:
        return r.choice(["0%d" % n, "+%d" % n, "00%d" % n])
    return r.choice(["0x%x" % n, "0X%X" % n, "0%o" % n, "+%d" % n])


def port(r, tcp=True):
    c = r.random()
    if c < 0.15:
        return r.choice(SERVICES)
    p = r.choice([r.randrange(65536), r.randrange(1024), 22, 53, 500, 4500])
    if c < 0.6:
        return num(r, p, tcp)
    q = r.randrange(p, 65536)
    return r.choice(["%s:%s" % (num(r, p, tcp), num(r, q, tcp)),
                     "%s:" % num(r, p, tcp), ":%s" % num(r, q, tcp)])


def icmp_type(r, names):
    t = r.choice(names)
    if not t[0].isdigit():
        return t
    return "/".join(num(r, int(x)) for x in t.split("/"))


def proto_part(r, fam, proto):
    """Options of the protocol's own match (tcp, udp, icmp, icmp6)."""
    w = []
    p = proto.lower()
    if p in ("tcp", "6", "udp", "17"):
        tcp = p in ("tcp", "6")
        if r.random() < 0.3:
            w += ["-m", "tcp" if tcp else "udp"]
        for opt in ("--sport", "--dport"):
            if r.random() < 0.45:
                if r.random() < 0.15:
                    w.append("!")
                w += [r.choice([opt, opt.replace("port", "ource-port")
                                if opt == "--sport" else
                                "--destination-port"]), port(r, tcp)]
        if tcp:
            c = r.random()
            if c < 0.15:
                w += (["!"] if r.random() < 0.2 else []) + ["--syn"]
            elif c < 0.3:
                mask = r.sample(TCP_FLAGS, r.randrange(1, 5))
                comp = [f for f in mask if r.random() < 0.5] or ["NONE"]
                if r.random() < 0.1:
                    mask = ["ALL"]
                w += (["!"] if r.random() < 0.2 else []) + \
                    ["--tcp-flags", ",".join(mask), ",".join(comp)]
            if r.random() < 0.05:
                w += (["!"] if r.random() < 0.3 else []) + \
                    ["--tcp-option", str(r.randrange(1, 256))]
    elif p in ("icmp", "1") and fam == "4":
        if r.random() < 0.6:
            if r.random() < 0.3:
                w += ["-m", "icmp"]
            w += (["!"] if r.random() < 0.15 else []) + \
                ["--icmp-type", icmp_type(r, ICMP_TYPES)]
    elif p in ("ipv6-icmp", "icmpv6", "58") and fam == "6":
        if r.random() < 0.6:
            if r.random() < 0.3:
                w += ["-m", "icmp6"]
            w += (["!"] if r.random() < 0.15 else []) + \
                ["--icmpv6-type", icmp_type(r, ICMP6_TYPES)]
    return w


def policy_piece(r, fam, chain):
    """-m policy with one to four elements (strict) or one (not)."""
    dirs = []
    if chain in IN_HOOKS:
        dirs.append("in")
    if chain in OUT_HOOKS:
        dirs.append("out")
    w = ["-m", "policy", "--dir", r.choice(dirs)]
    if r.random() < 0.2:
        return w + ["--pol", "none"]
    w += ["--pol", "ipsec"]
    strict = r.random() < 0.5
    n = r.randrange(1, 5) if strict else 1
    if strict:
        w.append("--strict")
    # A tunnel address takes a prefix: iptload refuses a mask with gaps
    # (policy-tunnel-noncontiguous-mask.strict.rules).
    addr = (lambda r: addr4(r, False)) if fam == "4" else addr6
    for k in range(n):
        if k:
            w.append("--next")
        el = []
        if r.random() < 0.4:
            el += (["!"] if r.random() < 0.2 else []) + \
                ["--reqid", str(r.randrange(1 << 32))]
        if r.random() < 0.3:
            el += (["!"] if r.random() < 0.2 else []) + \
                ["--spi", r.choice([str(r.randrange(1 << 32)), "0x100"])]
        if r.random() < 0.5:
            el += (["!"] if r.random() < 0.2 else []) + \
                ["--proto", r.choice(["esp", "ah", "ipcomp", "50", "51"])]
        c = r.random()
        if c < 0.5:
            el += (["!"] if r.random() < 0.1 else []) + ["--mode", "tunnel"]
            if r.random() < 0.6:
                el += (["!"] if r.random() < 0.2 else []) + \
                    ["--tunnel-src", addr(r)]
            if r.random() < 0.6:
                el += (["!"] if r.random() < 0.2 else []) + \
                    ["--tunnel-dst", addr(r)]
        elif c < 0.7:
            el += ["--mode", "transport"]
        if not el and strict:
            el = ["--proto", "esp"]
        w += el
    return w


class Gen:
    def __init__(self, rnd, pieces, fam):
        self.r = rnd
        self.fam = fam
        self.by = {}
        for p in pieces:
            self.by.setdefault((p.fam, p.table, p.chain, p.kind), []).append(p)

    def rule(self, fam, table, hook, jumps, is_user):
        """One rule's words (after -A CHAIN) for a chain reached from
        built-in chain HOOK of TABLE."""
        r = self.r
        addr = addr4 if fam == "4" else addr6
        targets = self.by.get((fam, table, hook, "j"), [])
        matches = self.by.get((fam, table, hook, "m"), [])
        w = []
        anchor = None
        c = r.random()
        if targets and c < 0.55:
            anchor = r.choice(targets)
        proto = None
        if anchor is not None and anchor.proto:
            proto = anchor.proto
            if anchor.ctx and r.random() < 0.9:
                w += raw_words(anchor.ctx)
            else:
                w += self.proto_words(fam, proto)
        elif r.random() < 0.6:
            proto = r.choice(PROTO4 if fam == "4" else PROTO6)
            neg = r.random() < 0.1
            popt = r.choice(["-p", "-p", "-p", "--protocol", "--proto"])
            ptext = num(r, int(proto)) if proto.isdigit() else proto
            if neg:
                w += ["!", popt, ptext]
                proto = "!" + proto.lower()
            else:
                w += [popt, ptext] + proto_part(r, fam, proto)
                proto = proto.lower()
        # Addresses and interfaces, anywhere in the rule.
        native = []
        for opt in ("-s", "-d"):
            if r.random() < 0.35:
                neg = r.random() < 0.2
                a = addr(r)
                if not neg and r.random() < 0.08:
                    a += "," + addr(r)
                native.append((["!"] if neg else []) +
                              [r.choice([opt, opt, opt] + (
                                  ["--source", "--src"] if opt == "-s" else
                                  ["--destination", "--dst"])), a])
        if (hook in IN_HOOKS or (is_user and r.random() < 0.05)) and \
                r.random() < 0.3:
            native.append((["!"] if r.random() < 0.2 else []) +
                          [r.choice(["-i", "-i", "--in-interface"]),
                           r.choice(IFACES)])
        if (hook in OUT_HOOKS or (is_user and r.random() < 0.05)) and \
                r.random() < 0.3:
            native.append((["!"] if r.random() < 0.2 else []) +
                          [r.choice(["-o", "-o", "--out-interface"]),
                           r.choice(IFACES)])
        if fam == "4" and r.random() < 0.05:
            native.append((["!"] if r.random() < 0.3 else []) +
                          [r.choice(["-f", "--fragment"])])
        # Matches.
        ms = []
        for _ in range(r.choice([0, 0, 1, 1, 1, 2, 3])):
            c = r.random()
            if c < 0.08:
                ms.append(policy_piece(r, fam, hook))
                continue
            ok = [m for m in matches
                  if m.proto is None or m.proto == proto]
            if ok:
                ms.append(raw_words(r.choice(ok).text))
        r.shuffle(native)
        pos = r.randrange(len(native) + 1)
        w = [x for n in native[:pos] for x in n] + w + \
            [x for n in native[pos:] for x in n]
        for m in ms:
            w += m
        # The target.
        if anchor is not None:
            w += raw_words(anchor.text)
        else:
            c = r.random()
            if jumps and c < 0.3:
                w += [r.choice(["-j", "-j", "-g", "--jump", "--goto"]),
                      r.choice(jumps)]
            elif c < 0.45 and targets:
                t = r.choice([t for t in targets
                              if t.proto is None or t.proto == proto] or
                             [None])
                if t is not None:
                    w += raw_words(t.text)
            elif c < 0.9:
                if table == "nat":
                    v = r.choice(["ACCEPT", "RETURN"])
                else:
                    v = r.choice(["ACCEPT", "DROP", "RETURN", "ACCEPT"])
                w += ["-j", v]
        return w

    def proto_words(self, fam, proto):
        neg = proto.startswith("!")
        p = proto.lstrip("!")
        if neg:
            return ["!", "-p", p]
        return ["-p", p] + proto_part(self.r, fam, p)


def chain_name(r, used):
    while True:
        n = r.choice(["uc", "vpn-", "f2b-", "LOG_", "x", "Chain."]) + \
            "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789-_")
                    for _ in range(r.randrange(1, 22)))
        if n not in used:
            used.add(n)
            return n


def ruleset(seed, fam, index, nrules, pieces):
    """The text of ruleset INDEX of family FAM ("4", "6" or "46")."""
    r = random.Random("%s/%s/%d" % (seed, fam, index))
    gen = Gen(r, pieces, fam)
    tables = r.sample(TABLE_ORDER, r.choice([1, 1, 2, 2, 3, 5]))
    if r.random() < 0.7:
        tables.sort(key=TABLE_ORDER.index)
    # A table in two blocks: flushed again (not in 46, where a block of
    # the restore text is iptload's IPv4 block only: iptload.conf(5); not
    # as commands, which flush nothing).
    if fam != "46" and FORM == "rules" and r.random() < 0.1:
        tables.append(r.choice(tables))
    out = []
    left = nrules
    for ti, table in enumerate(tables):
        builtins = TABLES[table]
        used = set()
        users = []  # (name, hook)
        for _ in range(r.choice([0, 0, 1, 2, 3])):
            users.append((chain_name(r, used), r.choice(builtins)))
        out.append("*" + table)
        if fam == "46" and r.random() < 0.5:
            # Chain lines both families read (iptload: the block's other
            # family gets them at its first line), and a -4 and a -6 line
            # in every block, so that both restores make the table.
            for b in builtins:
                pol = "ACCEPT" if table == "nat" else \
                    r.choice(["ACCEPT", "DROP"])
                out.append(":%s %s [0:0]" % (b, pol))
            for u, _ in users:
                out.append(":%s - [0:0]" % u)
            for f in r.sample("46", 2):
                b = r.choice(builtins)
                pol = "ACCEPT" if table == "nat" else \
                    r.choice(["ACCEPT", "DROP"])
                out.append("-%s -P %s %s" % (f, b, pol))
        elif fam == "46":
            # iptload reads unmarked lines (:CHAIN) in its default family,
            # IPv4, and gives them to IPv6 at its first -6 line; both
            # restores read them.  Here chain lines say ACCEPT, and -4/-6
            # lines make the chains and set the policies.
            for b in builtins:
                out.append(":%s ACCEPT [0:0]" % b)
            for f in "46":
                for b in builtins:
                    pol = "ACCEPT" if table == "nat" else \
                        r.choice(["ACCEPT", "DROP"])
                    out.append("-%s -P %s %s" % (f, b, pol))
                for u, _ in users:
                    out.append("-%s -N %s" % (f, u))
        else:
            for b in builtins:
                pol = "ACCEPT" if table == "nat" else \
                    r.choice(["ACCEPT", "DROP"])
                cnt = "[0:0]" if r.random() < 0.8 else "[%d:%d]" % (
                    r.randrange(1000), r.randrange(100000))
                out.append(":%s %s %s" % (b, pol, cnt))
            for u, _ in users:
                out.append(":%s - [0:0]" % u)
        n = left // (len(tables) - ti) if ti < len(tables) - 1 else left
        n = r.randrange(n // 2, n + 1) if n > 1 else n
        left -= n
        chains = [(b, b, -1) for b in builtins] + \
            [(u, h, k) for k, (u, h) in enumerate(users)]
        have = {}  # (family, chain): the rules' words, in order
        for _ in range(n):
            name, hook, k = r.choice(chains)
            jumps = [u for j, (u, h) in enumerate(users)
                     if j > k and h == hook]
            rf = fam if fam != "46" else r.choice("46")
            w = gen.rule(rf, table, hook, jumps, k >= 0)
            rules = have.setdefault((rf, name), [])
            one = not any("," in w[j + 1] for j in range(len(w) - 1)
                          if w[j] in ("-s", "-d", "--source", "--src",
                                      "--destination", "--dst"))
            c = r.random()
            if c < 0.08:
                at = r.randrange(1, len(rules) + 2)
                if r.random() < 0.3:
                    cmd, at = ["-I", name], 1
                else:
                    cmd = ["-I", name, str(at)]
                rules.insert(at - 1, w if one else None)
            elif c < 0.11 and rules:
                at = r.randrange(1, len(rules) + 1)
                if one:
                    cmd = ["-R", name, str(at)]
                    rules[at - 1] = w
                else:
                    cmd, w = ["-D", name, str(at)], []
                    del rules[at - 1]
            elif c < 0.14 and rules:
                at = r.randrange(1, len(rules) + 1)
                if rules[at - 1] is not None and r.random() < 0.6:
                    cmd, w = ["-D", name], rules[at - 1]
                    del rules[rules.index(w)]
                else:
                    cmd, w = ["-D", name, str(at)], []
                    del rules[at - 1]
            else:
                cmd = ["-A", name]
                if r.random() < 0.05:
                    cmd += ["-c", str(r.randrange(100)),
                            str(r.randrange(10000))]
                if one:
                    rules.append(w)
                else:
                    rules += [None] * 2  # at least two rules: unknown
            line = " ".join(cmd + w)
            if cmd[0] == "-A" and r.random() < 0.05 and "-c" not in cmd \
                    and fam != "46":
                line = "[%d:%d] %s" % (r.randrange(100), r.randrange(1000),
                                       line)
            if fam == "46":
                line = "-%s %s" % (rf, line)
            out.append(line)
        # A user chain renamed at the end, now and then.
        if users and r.random() < 0.15:
            old_name = r.choice(users)[0]
            new_name = chain_name(r, used)
            for f in ("46" if fam == "46" else [None]):
                out.append(("-%s " % f if f else "") +
                           "-E %s %s" % (old_name, new_name))
        out.append("COMMIT")
    text = "\n".join(out) + "\n"
    return to_cmds(text, fam) if FORM == "cmds" else text


# ----------------------------------------------------------------------
# Loading, through lib.sh (the helpers compare.sh uses).

DRIVER = r'''
set -u
. "$RD_LIB"
private_lock "$RD_WORK"
IPTLOAD=$(wrap_iptload "$IPTLOAD" "$RD_WORK")
export IPTLOAD
while IFS= read -r f; do
	in_fresh_netns side_load iptload "$f" "$f.a"
	in_fresh_netns side_load oracle "$f" "$f.b"
	echo "$f" >>"$RD_WORK/done"
done
'''


# "rules": iptables-save text, loaded by ip[6]tables-legacy-restore;
# "cmds": the same ruleset as iptables/ip6tables command lines, loaded by
# ip[6]tables-legacy one line at a time (lib.sh's run_cmds).
FORM = "rules"


def suffix(fam):
    return {"4": "." + FORM, "6": "." + FORM + "6",
            "46": "." + FORM + "46"}[fam]


def to_cmds(text, fam):
    """TEXT (restore form, one table once) as command lines."""
    out, table = [], "filter"
    for l in text.splitlines():
        if l.startswith("*"):
            table = l[1:]
            continue
        if l == "COMMIT" or not l:
            continue
        f = fam if fam != "46" else None
        if l[:3] in ("-4 ", "-6 "):
            f, l = l[1], l[3:]
        l = re.sub(r"^\[\d+:\d+\] ", "", l)
        if l.startswith(":"):
            name, pol = l[1:].split()[:2]
            l = "-N " + name if pol == "-" else "-P %s %s" % (name, pol)
            if fam == "46":  # a line both restores read: both families
                out += ["%s -t %s %s" % (prog, table, l)
                        for prog in ("iptables", "ip6tables")]
                continue
        prog = "ip6tables" if f == "6" else "iptables"
        out.append("%s -t %s %s" % (prog, table, l))
    return "\n".join(out) + "\n"


def run_batch(files, work, env, jobs):
    """Load each file with both loaders; files are paths in WORK."""
    if not files:
        return
    chunks = [files[i::jobs] for i in range(jobs)]
    procs = []
    for chunk in chunks:
        if not chunk:
            continue
        p = subprocess.Popen(["bash", "-c", DRIVER], stdin=subprocess.PIPE,
                             env=env, text=True)
        p.stdin.write("\n".join(chunk) + "\n")
        p.stdin.close()
        procs.append(p)
    for p in procs:
        p.wait()


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def errors_only(text):
    """iptload's diagnostics without its warnings (each with its quoted
    line, caret and hint)."""
    out, keep = [], True
    for l in text.splitlines():
        if re.match(r"^\S.*: (warning|note): ", l):
            keep = False
        elif re.match(r"^\S", l):
            keep = True
        if keep:
            out.append(l)
    return "\n".join(out)


def outcome(f):
    """(verdict, detail): verdict "agree", "both-refuse", "iptload-refuses",
    "oracle-refuses" or "differ"."""
    ra = (read(f + ".a.rc") or "none").strip()
    rb = (read(f + ".b.rc") or "none").strip()
    ea = errors_only(read(f + ".a.err") or "")
    eb = read(f + ".b.err") or ""
    if ra != "0" and rb != "0":
        return "both-refuse", (ra, rb, ea, eb)
    if ra != "0":
        return "iptload-refuses", "iptload exit %s:\n%s\noracle: ok\n" % (
            ra, ea)
    if rb != "0":
        return "oracle-refuses", ("iptload: ok\n%s\noracle exit %s:\n%s\n" %
                                  (ea, rb, eb))
    detail = ""
    for what in ("save", "dump"):
        a, b = read(f + ".a." + what), read(f + ".b." + what)
        if a != b:
            import difflib
            detail += "".join(difflib.unified_diff(
                (a or "").splitlines(True), (b or "").splitlines(True),
                what + " (iptload)", what + " (iptables-legacy)"))
    return ("differ", detail) if detail else ("agree", "")


def bad_line(detail):
    """The rule line a refusal names: the oracle's, else iptload's first
    (the oracle names only COMMIT for what the kernel refused)."""
    m = re.search(r"Error occurred at line: (\d+)", detail[3])
    if not m:
        m = re.search(r"\.cmds(?:6|46)?:(\d+): ip6?tables-legacy failed",
                      detail[3])
    if not m:
        m = re.search(r"\.(?:rules|cmds)(?:6|46)?:(\d+):\d+: error",
                      detail[2])
    return int(m.group(1)) if m else None


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="iptload-rdiff.")
        self.env = dict(os.environ)
        self.env["IPTLOAD"] = os.path.realpath(args.iptload)
        dt = os.environ.get("DUMP_TABLE") or os.path.join(
            os.path.dirname(os.path.realpath(args.iptload)), "..", "tests",
            "kernel", "dump_table")
        if not os.access(dt, os.X_OK):
            sys.exit("dump_table not found at %s (set DUMP_TABLE)" % dt)
        self.env["DUMP_TABLE"] = os.path.realpath(dt)
        self.env["RD_LIB"] = LIB
        self.env["RD_WORK"] = self.work
        self.n = 0

    def path(self, fam, tag):
        self.n += 1
        return os.path.join(self.work, "%d-%s%s" % (self.n, tag,
                                                      suffix(fam)))

    def load(self, items):
        """items: [(path, text)]; write and load them all."""
        for p, text in items:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        run_batch([p for p, _ in items], self.work, self.env,
                  self.args.jobs)

    def clean(self, p):
        for f in os.listdir(self.work):
            if os.path.join(self.work, f).startswith(p):
                os.unlink(os.path.join(self.work, f))

    def verdict_of(self, fam, text):
        p = self.path(fam, "min")
        self.load([(p, text)])
        v = outcome(p)
        self.clean(p)
        return v

    def close(self):
        shutil.rmtree(self.work, ignore_errors=True)


RULE_LINE = (r"^(\[\d+:\d+\] )?(-[46] |ip6?tables -t \S+ )?"
             r"(\[\d+:\d+\] )?-[AIRDE] ")


def rule_lines(text):
    return [i for i, l in enumerate(text.splitlines())
            if re.match(RULE_LINE, l)]


def signature(verdict):
    """What a disagreement is, for the minimiser: its kind and the first
    message of the side that refused, without places and quoted values,
    so that cutting words does not wander off to another disagreement."""
    kind, detail = verdict
    text = detail if isinstance(detail, str) else ""
    if kind == "iptload-refuses":
        m = re.search(r"error: (.*)", text)
    elif kind == "oracle-refuses":
        m = re.search(r"\(legacy\): (.*)|^(?!iptload)(\S.*failed.*)$",
                      text, re.M)
    else:
        m = None
    msg = (m.group(0) if m else "")
    msg = re.sub(r"'[^']*'|`[^']*'|\"[^\"]*\"|\d+", "", msg)
    return kind, msg


def minimise(runner, fam, text, kind):
    """Cut TEXT down while it still disagrees as KIND, with the same
    message."""
    want = signature(runner.verdict_of(fam, text))

    def still(t):
        return signature(runner.verdict_of(fam, t)) == want

    lines = text.splitlines()
    # Rule lines, one at a time from the end.
    i = len(lines) - 1
    while i >= 0:
        if re.match(RULE_LINE, lines[i]):
            cand = lines[:i] + lines[i + 1:]
            if still("\n".join(cand) + "\n"):
                lines = cand
        i -= 1
    # Tables with no rules left, and user chains nothing names.
    out, block = [], []
    for l in lines:
        block.append(l)
        if l == "COMMIT":
            if any(re.match(RULE_LINE, b) for b in block):
                out += block
            block = []
    if out and still("\n".join(out) + "\n"):
        lines = out
    body = " ".join(l for l in lines if not l.startswith(":"))
    for k, l in enumerate(list(lines)):
        if l.startswith(":") and l.endswith("- [0:0]"):
            name = l[1:].split()[0]
            if not re.search(r"(^| )%s( |$)" % re.escape(name), body):
                cand = lines[:k] + lines[k + 1:]
                if still("\n".join(cand) + "\n"):
                    lines = cand
    # Words of each rule: drop an option with its argument, or a word.
    for k in range(len(lines)):
        if not re.match(RULE_LINE, lines[k]):
            continue
        changed = True
        while changed:
            changed = False
            w = raw_words(lines[k])
            start = 2 + next(i for i, x in enumerate(w)
                             if re.match(r"^-[AIRDE]$", x))
            j = start
            while j < len(w):
                for span in (3, 2, 1):
                    if j + span > len(w):
                        continue
                    cw = w[:j] + w[j + span:]
                    cand = lines[:k] + [" ".join(cw)] + lines[k + 1:]
                    if still("\n".join(cand) + "\n"):
                        lines, w, changed = cand, cw, True
                        break
                else:
                    j += 1
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iptload", required=True)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--rulesets", type=int, default=20)
    ap.add_argument("--rules", type=int, default=20)
    ap.add_argument("--form", default="rules", choices=["rules", "cmds"])
    ap.add_argument("--family", default="all",
                    choices=["4", "6", "46", "all"])
    ap.add_argument("--minimise", action="store_true")
    ap.add_argument("--keep")
    ap.add_argument("--tap", action="store_true")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", type=int)
    ap.add_argument("--print", action="store_true",
                    help="print the rulesets, load nothing")
    args = ap.parse_args()
    global FORM
    FORM = args.form
    fams = ["4", "6", "46"] if args.family == "all" else [args.family]
    pieces = harvest()
    todo = []  # (fam, index, text)
    for fam in fams:
        for i in range(args.rulesets):
            if args.only is not None and i != args.only:
                continue
            todo.append((fam, i, ruleset(args.seed, fam, i, args.rules,
                                         pieces)))
    if args.print:
        for fam, i, text in todo:
            print("# seed %s family %s ruleset %d" % (args.seed, fam, i))
            print(text)
        return 0
    runner = Runner(args)
    stats = {}
    results = {}
    try:
        # Rounds: a ruleset both refuse loses the line the oracle names,
        # and is tried again, up to three times.
        pending = [(fam, i, text, 0) for fam, i, text in todo]
        while pending:
            items = [(runner.path(fam, "%s-%d" % (fam, i)), fam, i, text,
                      rnd) for fam, i, text, rnd in pending]
            runner.load([(p, text) for p, _, _, text, _ in items])
            pending = []
            for p, fam, i, text, rnd in items:
                v, detail = outcome(p)
                if v == "both-refuse" and rnd < 3:
                    n = bad_line(detail)
                    lines = text.splitlines()
                    if n and 0 < n <= len(lines) and \
                            re.match(RULE_LINE, lines[n - 1]):
                        del lines[n - 1]
                        pending.append((fam, i, "\n".join(lines) + "\n",
                                        rnd + 1))
                        runner.clean(p)
                        continue
                results[(fam, i)] = (v, detail, text)
                runner.clean(p)
        failures = 0
        n = 0
        if args.tap:
            print("1..%d" % len(results))
        for fam, i, _ in todo:
            v, detail, text = results[(fam, i)]
            nr = len(rule_lines(text))
            s = stats.setdefault(fam, {"rulesets": 0, "rules": 0})
            s["rulesets"] += 1
            s[v] = s.get(v, 0) + 1
            if v in ("agree",):
                s["rules"] += nr
            n += 1
            name = "seed %s family %s ruleset %d (%d rules)" % (
                args.seed, fam, i, nr)
            bad = v not in ("agree", "both-refuse")
            msg = []
            if bad:
                failures += 1
                msg.append("%s: %s" % (v, name))
                msg.append(text)
                msg.append(detail)
                if args.minimise:
                    small = minimise(runner, fam, text, v)
                    msg.append("minimised:\n" + small)
                    msg.append(runner.verdict_of(fam, small)[1])
                    text_min = small
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    base = os.path.join(args.keep, "%s-%s-%d" % (
                        args.seed, fam, i))
                    with open(base + suffix(fam), "w") as f:
                        f.write(text)
                    if args.minimise:
                        with open(base + ".min" + suffix(fam), "w") as f:
                            f.write(text_min)
            elif v == "both-refuse":
                msg.append("both refused: iptload exit %s, oracle exit %s"
                           % detail[:2])
                for who in (detail[2], detail[3]):
                    msg += [l for l in who.splitlines()
                            if "error" in l or "failed" in l][:2]
            if args.tap:
                print("%s %d - %s: %s" % ("not ok" if bad else "ok", n, name,
                                           v))
                for m in msg:
                    for l in str(m).splitlines()[:80]:
                        print("# " + l)
            elif bad:
                print("\n".join(str(m) for m in msg))
                sys.stdout.flush()
        for fam in fams:
            s = stats.get(fam, {})
            line = ("family %s: %d rulesets, %d rules loaded alike; " %
                    (fam, s.get("rulesets", 0), s.get("rules", 0)) +
                    ", ".join("%s %d" % (k, s[k]) for k in sorted(s)
                              if k not in ("rulesets", "rules")))
            print(("# " if args.tap else "") + line)
        return 1 if failures else 0
    finally:
        runner.close()


if __name__ == "__main__":
    sys.exit(main())
