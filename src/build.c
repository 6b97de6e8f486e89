/* SPDX-License-Identifier: GPL-2.0-or-later */
/* build.c - stub, being written */
#include "build.h"
