/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eshim.h - what the [engine] blocks of kedr_sample.c use from the kernel
 * and from the rest of kedr_sample.c, for the user-space engine
 * (tests/engine/engine.c). find_function() and jump_label_sites(), which
 * kedr_sample.c defines over its struct kedr_target, are defined by
 * engine.c over its own tables.
 */
#ifndef KEDR_ESHIM_H
#define KEDR_ESHIM_H

#include "kshim.h"
#include <errno.h>
#include <stdlib.h>

#define GFP_KERNEL	0
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))

static inline void *kvmalloc_array(size_t n, size_t size, int flags)
{
	(void)flags;
	if (size && n > (size_t)-1 / size)
		return NULL;
	return malloc(n && size ? n * size : 1);
}

static inline void kvfree(const void *p)
{
	free((void *)p);
}

/* fold_aliases() frees the names it drops; the engine's names point into
 * the .ko's string table, mapped, not allocated */
static inline void kfree(const void *p)
{
	(void)p;
}

#define swap(a, b) \
	do { __typeof__(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)

static inline bool str_has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* part 2 of kedr_sample.c: module parameters; the tool's -s sets
 * process_sp_accesses, -f 0 clears fast */
static bool process_sp_accesses;
static bool fast = true;
/* and the retpoline thunks by register, which engine.c fills per module
 * from the names of the undefined symbols */
static unsigned long kedr_jump_thunks[2][16];

/* the kernel's is_endbr() (asm/ibt.h of an IBT kernel): ENDBR64, or the
 * "osp nopl (%rax)" the loader seals an unused one into */
static inline bool is_endbr(u32 val)
{
	return val == 0xfa1e0ff3 || val == 0x001f0f66;
}

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

/* part 8: defined by engine.c over its own tables */
struct kedr_func;
static struct kedr_func *find_function(unsigned long addr);
static const unsigned long *jump_label_sites(unsigned long from, unsigned int *n);

/* part 2: the hooks into part 14 that the [engine] blocks call */
struct kedr_emitter;
struct kedr_site;
struct kedr_insn_map;
static struct kedr_func *function_at_fast(struct kedr_func *funcs,
					  unsigned int n, unsigned long addr);
static const struct kedr_insn_map *map_lookup_fast(const struct kedr_func *g,
						   unsigned int off);
static void find_dead_flags(struct kedr_func *f);
static void fast_begin_function(const struct kedr_func *f);
static void emit_site_fast(struct kedr_emitter *e, const struct kedr_site *site);

/* parts 6 and 14: the run-time stubs, the store's flag and the counters; the
 * tool's own stand in for them. In user space the %gs base is 0, so the
 * emitted "incq %gs:event_counts+8*type" adds to the tool's global. */
void kedr_event_stub(void);
void kedr_fast_stub(void);
extern u8 kedr_store_full;
extern unsigned long event_counts[8];
#define __force

#endif /* KEDR_ESHIM_H */
