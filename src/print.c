/* SPDX-License-Identifier: GPL-2.0-or-later */
/* print.c - stub, being written */
#include "print.h"
