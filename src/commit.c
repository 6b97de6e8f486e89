/* SPDX-License-Identifier: GPL-2.0-or-later */
/* commit.c - stub, being written */
#include "commit.h"
