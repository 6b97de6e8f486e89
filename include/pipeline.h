/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipeline.h - the reader, the expander and the builder, run statement by
 * statement over one source.
 */
#ifndef IPTLOAD_PIPELINE_H
#define IPTLOAD_PIPELINE_H

#include "build.h"
#include "diag.h"
#include "expand.h"

/*
 * Read @src; hand each statement to @ex as soon as it is read, and each
 * command @ex makes to @b at once.  A big config is never held as
 * statements or commands all at once, only as the tables @b builds.
 * Errors go to @dl; returns 0 or -1.  builder_finish(@b) is the caller's.
 */
int pipeline_run(const struct source *src, struct expander *ex,
		 struct builder *b, struct diag_list *dl);

#endif
