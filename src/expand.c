/* SPDX-License-Identifier: GPL-2.0-or-later */
/* expand.c - stub, being written */
#include "expand.h"
