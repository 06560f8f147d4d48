// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-decode - feed kedr_decode() random byte strings, built with
 * AddressSanitizer and UBSan (see tests/decoder.mk).
 *
 *   fuzz-decode COUNT SEED
 *
 * Each string is 0-20 bytes in a heap buffer of exactly that size, so
 * reading one byte past it is an ASan error. Bytes are drawn half from
 * a list of "interesting" values (prefixes, escapes, VEX/EVEX, group
 * opcodes) so that deep paths are reached. Checks, for every string:
 *   - the result is a length 1..15 not above the size, or one of the
 *     three errors;
 *   - every reported field lies inside the instruction;
 *   - the same bytes cut to exactly the length decode the same way, and
 *     cut one byte shorter give "truncated" (the decoder cannot look
 *     beyond the instruction);
 * and prints the seed and the outcome counts. Rerun with the same SEED
 * to get the same strings. Exit status 1 on the first failed check.
 */
#include "decoder.h"
#include <stdio.h>
#include <stdlib.h>

static u64 state;

static u64 next_rand(void)	/* xorshift64* */
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545F4914F6CDD1DULL;
}

static const u8 interesting[] = {
	0xf0, 0xf2, 0xf3, 0x66, 0x67, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65,
	0x40, 0x41, 0x44, 0x48, 0x4f, 0x0f, 0x38, 0x3a, 0xc4, 0xc5, 0x62, 0x8f,
	0x80, 0x81, 0x83, 0xf6, 0xf7, 0xfe, 0xff, 0xc6, 0xc7, 0xd8, 0xdd, 0xdf,
	0xa0, 0xa3, 0xa5, 0xab, 0xb8, 0xc8, 0xe8, 0xe9, 0x04, 0x05, 0x44, 0x84,
	0x24, 0x25, 0xf8, 0x00, 0xff, 0x01, 0xae, 0xba, 0xc7, 0xb9, 0x0b, 0x10,
};

static void fail(const char *what, const u8 *b, size_t n, int r)
{
	size_t i;

	fprintf(stderr, "FAIL: %s (result %d) bytes:", what, r);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %02x", b[i]);
	fprintf(stderr, "\n");
	exit(1);
}

static void check_fields(const struct kedr_insn *in, const u8 *b, size_t n, int r)
{
	unsigned int L = in->length;

	if (L != (unsigned int)r || L < 1 || L > 15 || L > n)
		fail("bad length", b, n, r);
	if (in->modrm_off >= L || in->sib_off >= L || in->disp_off + in->disp_size > L ||
	    in->imm_off + in->imm_size > L || in->branch_off + in->branch_size > L)
		fail("field outside the instruction", b, n, r);
	if (in->disp_size && !in->disp_off)
		fail("displacement without offset", b, n, r);
	if (in->access_size > 512 || in->class > KEDR_CLASS_OTHER || in->flow > KEDR_FLOW_XBEGIN)
		fail("impossible value", b, n, r);
	if (in->has_mem && (in->mem.base > 15 || in->mem.index > 15 || !in->mem.scale))
		fail("bad memory operand", b, n, r);
	if (in->sp_based && in->mem.base != KEDR_REG_RSP)
		fail("sp_based without %rsp base", b, n, r);
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
	u64 seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	unsigned long outcome[4] = { 0 }, i;
	struct kedr_insn in, again;

	printf("# fuzz-decode: %lu strings, seed %llu\n", count, (unsigned long long)seed);
	state = seed ? seed : 1;
	for (i = 0; i < count; i++) {
		size_t n = next_rand() % 21, k;
		u8 *b = malloc(n ? n : 1), *cut;
		int r, r2;

		bool prefixes_only = next_rand() % 64 == 0;	/* reach the 15-byte limit */

		for (k = 0; k < n; k++) {
			u64 x = next_rand();

			if (prefixes_only)
				b[k] = interesting[(x >> 8) % 11];
			else
				b[k] = (x & 1) ? interesting[(x >> 8) % sizeof(interesting)] : (u8)(x >> 16);
		}
		r = kedr_decode(b, n, &in);
		if (r > 0) {
			check_fields(&in, b, n, r);
			cut = malloc(r);
			memcpy(cut, b, r);
			r2 = kedr_decode(cut, r, &again);
			if (r2 != r || again.access != in.access || again.access_size != in.access_size)
				fail("exact-size copy decodes differently", b, n, r2);
			r2 = kedr_decode(cut, r - 1, &again);
			if (r2 != -KEDR_DECODE_TRUNCATED)
				fail("one byte short is not truncated", b, n, r2);
			free(cut);
			outcome[0]++;
		} else if (r >= -3) {
			outcome[-r]++;
		} else {
			fail("unexpected result", b, n, r);
		}
		free(b);
	}
	printf("# decoded %lu, unknown %lu, truncated %lu, too long %lu: no failed check\n",
	       outcome[0], outcome[1], outcome[2], outcome[3]);
	return 0;
}
