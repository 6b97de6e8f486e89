/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipeline.c - the first three stages, joined: reader_each hands each
 * statement to expander_take, whose cmd_sink is builder_add.
 */
#include "pipeline.h"
#include "reader.h"

struct pipeline {
	struct expander *ex;
	struct builder *b;
	struct diag_list *dl;
	int status;
};

static void pipe_command(const struct cmd *c, void *arg)
{
	struct pipeline *p = arg;

	if (builder_add(p->b, c) < 0)
		p->status = -1;
}

static void pipe_stmt(struct stmt *s, void *arg)
{
	struct pipeline *p = arg;
	const struct cmd_sink out = { .emit = pipe_command, .arg = p };

	if (expander_take(p->ex, s, &out, p->dl) < 0)
		p->status = -1;
}

int pipeline_run(const struct source *src, struct expander *ex,
		 struct builder *b, struct diag_list *dl)
{
	struct pipeline p = { .ex = ex, .b = b, .dl = dl };

	expander_start(ex, src);
	if (reader_each(src, pipe_stmt, &p, dl) < 0)
		p.status = -1;
	return p.status;
}
