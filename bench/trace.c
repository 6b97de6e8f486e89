// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace - how many packets per second `iptload trace` walks through a
 * ruleset, on one core.
 *
 *	trace FILE SECONDS PACKET-LINES-FILE
 *
 * Builds FILE as `iptload trace` does (reader, expander, builder,
 * validator), prepares the tracer once, then traces the packets of
 * PACKET-LINES-FILE (one packet description a line, as trace --batch
 * takes them) round robin for about SECONDS of CPU time and prints the
 * rate.  Printing the result is not timed: the rate is the walk's.
 * bench/trace-speed builds it against a build's libiptload.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "diag.h"
#include "expand.h"
#include "pipeline.h"
#include "ruleset.h"
#include "trace.h"
#include "validate.h"

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *file, struct ruleset *rs, struct diag_list *dl,
		struct expander *ex, struct source **src)
{
	struct builder *b;
	char *why = NULL;
	int rc = 0;

	*src = source_read(file, &why);
	if (!*src) {
		fprintf(stderr, "trace: %s: %s\n", file, why);
		return -1;
	}
	b = builder_new(rs, dl);
	if (pipeline_run(*src, ex, b, dl) < 0)
		rc = -1;
	if (builder_finish(b) < 0)
		rc = -1;
	if (rc == 0 && validate_ruleset(rs, dl) < 0)
		rc = -1;
	return rc;
}

/* The packet lines of @path, parsed. */
static size_t read_packets(const char *path, struct trace_packet **out)
{
	FILE *f = fopen(path, "r");
	char line[1024], err[256];
	size_t n = 0;

	*out = NULL;
	while (f && fgets(line, sizeof(line), f)) {
		char *argv[64], *save;
		int argc = 0;

		for (char *w = strtok_r(line, " \t\n", &save); w && argc < 64;
		     w = strtok_r(NULL, " \t\n", &save))
			argv[argc++] = w;
		if (argc == 0)
			continue;
		*out = realloc(*out, (n + 1) * sizeof(**out));
		if (!*out)
			abort();
		if (trace_packet_parse(argc, argv, &(*out)[n], err,
				       sizeof(err)) < 0) {
			fprintf(stderr, "trace: %s\n", err);
			exit(2);
		}
		n++;
	}
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	struct ruleset rs;
	struct diag_list dl;
	struct expander *ex = expander_new();
	struct source *src = NULL;
	struct trace_packet *pkts;
	struct trace_result *res = calloc(1, sizeof(*res));
	struct tracer *tr;
	size_t n, done = 0, steps = 0;
	double limit, t0, t;

	if (argc != 4) {
		fprintf(stderr, "usage: trace FILE SECONDS PACKETS\n");
		return 64;
	}
	limit = atof(argv[2]);
	ruleset_init(&rs);
	diag_list_init(&dl);
	if (load(argv[1], &rs, &dl, ex, &src) < 0) {
		diag_list_print(&dl, stderr);
		return 2;
	}
	n = read_packets(argv[3], &pkts);
	if (n == 0 || !res) {
		fprintf(stderr, "trace: no packets\n");
		return 2;
	}
	tr = tracer_new(&rs);
	t0 = cpu_seconds();
	do {
		for (int k = 0; k < 1000; k++) {
			tracer_run(tr, &pkts[done % n], res);
			steps += res->npaths;
			done++;
		}
		t = cpu_seconds() - t0;
	} while (t < limit);
	printf("%s: %zu traces in %.2f s CPU: %.0f traces/s (%zu packets, "
	       "%.2f outcomes each)\n",
	       argv[1], done, t, (double)done / t, n,
	       (double)steps / (double)done);
	tracer_free(tr);
	free(res);
	free(pkts);
	ruleset_free(&rs);
	diag_list_free(&dl);
	expander_free(ex);
	source_free(src);
	return 0;
}
