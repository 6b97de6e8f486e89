/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ruleset.c - stub, being written */
#include "ruleset.h"
