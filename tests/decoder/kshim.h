/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kshim.h - the few kernel definitions the decoder chapter of
 * kedr_sample.c relies on, so that the very same text compiles in user
 * space for the tests (tests/decoder/, see tests/README.md "Decoder").
 */
#ifndef KEDR_KSHIM_H
#define KEDR_KSHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif /* KEDR_KSHIM_H */
