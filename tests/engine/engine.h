/* SPDX-License-Identifier: GPL-2.0 */
/*
 * engine.h - pull the decoder, sites, emitter, function table and plan
 * regions (extracted by tests/engine.mk into build/engine/) into a host
 * program, in the order kedr_sample.c has them.
 */
#ifndef KEDR_ENGINE_H
#define KEDR_ENGINE_H
#include "eshim.h"
#include "decoder_gen.c"
#include "engine_gen.c"
#endif
