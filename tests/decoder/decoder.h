/* SPDX-License-Identifier: GPL-2.0 */
/*
 * decoder.h - pull the decoder chapter (extracted by make from
 * $(DECODER_SRC) into build/decoder/decoder_gen.c) into a host program.
 * Every function in it is static: each tool gets its own copy.
 */
#ifndef KEDR_DECODER_H
#define KEDR_DECODER_H
#include "kshim.h"
#include "decoder_gen.c"
#endif
