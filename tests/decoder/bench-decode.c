// SPDX-License-Identifier: GPL-2.0
/*
 * bench-decode - decoding speed of kedr_sample's decoder vs Capstone.
 *
 *   bench-decode DIR|FILE.ko...
 *
 * Loads the bytes of every function of every module into memory once,
 * then decodes them all (function by function, instruction by
 * instruction) three times with each decoder and keeps the best time:
 *   - ours: kedr_decode(), i.e. with everything the emitter needs
 *     (memory operand, access kind and size, class, flow);
 *   - Capstone: cs_disasm_iter() with detail off (length, mnemonic and
 *     operand string only). Where Capstone cannot decode, it skips a byte.
 * Prints both throughputs and their ratio. A benchmark, not a test.
 */
#define _GNU_SOURCE
#include "decoder.h"
#include "kofile.h"
#include <capstone/capstone.h>
#include <ftw.h>
#include <time.h>

static u8 *blob;
static size_t blob_len, blob_cap;
static size_t *fstart;
static size_t nfuncs, fcap;

static void add_func(const struct ko_func *f, void *arg)
{
	(void)arg;
	if (blob_len + f->size > blob_cap) {
		blob_cap = (blob_cap + f->size) * 2;
		blob = realloc(blob, blob_cap);
	}
	if (nfuncs + 2 > fcap) {
		fcap = fcap ? fcap * 2 : 1024;
		fstart = realloc(fstart, fcap * sizeof(*fstart));
	}
	fstart[nfuncs++] = blob_len;
	memcpy(blob + blob_len, f->bytes, f->size);
	blob_len += f->size;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t l = strlen(path);

	(void)st; (void)ftw;
	if (type == FTW_F && l > 3 && !strcmp(path + l - 3, ".ko"))
		ko_walk(path, add_func, NULL);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long run_ours(unsigned long *sink)
{
	unsigned long n = 0, acc = 0;
	struct kedr_insn in;
	size_t i;

	for (i = 0; i < nfuncs; i++) {
		size_t pos = fstart[i], end = fstart[i + 1];

		while (pos < end) {
			int r = kedr_decode(blob + pos, end - pos, &in);

			if (r < 0) {
				pos++;
				continue;
			}
			acc += in.access + in.access_size + in.class;
			pos += r;
			n++;
		}
	}
	*sink += acc;
	return n;
}

static unsigned long run_cs(csh cs, cs_insn *ci)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; i < nfuncs; i++) {
		const uint8_t *p = blob + fstart[i];
		size_t left = fstart[i + 1] - fstart[i];
		uint64_t addr = 0;

		while (left) {
			if (cs_disasm_iter(cs, &p, &left, &addr, ci)) {
				n++;
				continue;
			}
			p++;
			left--;
			addr++;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	double best_ours = 1e9, best_cs = 1e9, t;
	unsigned long n_ours = 0, n_cs = 0, sink = 0;
	csh cs;
	cs_insn *ci;
	int i, round;

	for (i = 1; i < argc; i++)
		nftw(argv[i], visit, 16, FTW_PHYS);
	if (!nfuncs)
		return 2;
	fstart[nfuncs] = blob_len;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 2;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_OFF);
	ci = cs_malloc(cs);
	printf("# bench-decode: %zu functions, %zu bytes\n", nfuncs, blob_len);
	for (round = 0; round < 3; round++) {
		t = now();
		n_ours = run_ours(&sink);
		t = now() - t;
		if (t < best_ours)
			best_ours = t;
		t = now();
		n_cs = run_cs(cs, ci);
		t = now() - t;
		if (t < best_cs)
			best_cs = t;
	}
	printf("ours (kedr_decode, with access info): %lu insns in %.3f s: %.1f MB/s, %.2f M insn/s\n",
	       n_ours, best_ours, blob_len / best_ours / 1e6, n_ours / best_ours / 1e6);
	printf("capstone %d.%d (cs_disasm_iter, detail off): %lu insns in %.3f s: %.1f MB/s, %.2f M insn/s\n",
	       CS_API_MAJOR, CS_API_MINOR, n_cs, best_cs, blob_len / best_cs / 1e6, n_cs / best_cs / 1e6);
	printf("ratio (ours / capstone throughput): %.1fx  (checksum %lu)\n", best_cs / best_ours, sink % 1000);
	cs_free(ci, 1);
	cs_close(&cs);
	return 0;
}
