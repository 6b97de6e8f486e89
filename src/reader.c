/* SPDX-License-Identifier: GPL-2.0-or-later */
/* reader.c - stub, being written */
#include "reader.h"
