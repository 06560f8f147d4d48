// SPDX-License-Identifier: GPL-2.0
/*
 * engine - kedr_sample's instrumentation engine (decoder, planner, emitter:
 * the very text of kedr_sample.c, see tests/engine.mk) run in user space on
 * .ko files, and every instance it writes checked.
 *
 *   engine check [-f 0|1] [-s] [-v] [-n N] [-S SEED] PATH...
 *   engine bench [-f 0|1] [-r R] PATH...
 *
 * PATH is a .ko or a directory searched for them. For each module:
 *
 *  1. load: the executable sections go into ONE arena (a fixed 1.5 GiB
 *     mapping right above this non-PIE program, so that the code, the
 *     instances and kedr_event_stub, a function of this program, are all
 *     within rel32 reach of each other). The R_X86_64_PC32/PLT32 (and
 *     32S/32/64/PC64) relocations of those sections are applied: a symbol
 *     in an executable section resolves to its place in the arena,
 *     anything else (data, undefined symbols) to a fake address in a
 *     reserved part of the arena, below the code, outside every function.
 *  2. ftrace: a "call __fentry__" at the start of a function becomes the
 *     5-byte nop, as the kernel's ftrace leaves it at MODULE_STATE_COMING.
 *  3. the function table, as kedr_sample's collect_functions() and
 *     link_cold_parts() build it (STT_FUNC with a size in an executable
 *     section, aliases folded, "foo.cold" linked to "foo"), and the
 *     addresses of __jump_table, .static_call_sites and __ex_table,
 *     read from their relocations.
 *  4. plan and write, as plan_target() and write_instances() do: too small
 *     and __SCT__ functions left alone, plan_function() (the dry run) on the
 *     others, families and the kernel's tables checked, then
 *     emit_function() for real into the arena, and the real size and site
 *     count compared with the dry run's.
 *  5. check (mode "check"): every instance is decoded again and must be,
 *     in order, the entry site (unless .cold), then for each original
 *     instruction its sites and the instruction itself, byte-identical
 *     except for what must move (RIP-relative displacements, relative
 *     branches re-encoded as rel32, LOOP/JRCXZ as three instructions),
 *     then the trampolines of conditional tail calls. Where every branch
 *     lands, what every site says (kind, pc, size, operand) and how many
 *     sites there are is predicted here from the decoder's view of the
 *     original instruction and the event rules of kedr_sample's header,
 *     independently of the emitter. Each disagreement is printed as
 *     "MISMATCH module function+0xoff: what".
 *
 * Mode "bench" times step 4 (decode + plan + emit, per-thread CPU time)
 * beside Capstone (detail off) decoding the same bytes of the same
 * functions, R times side by side per module, and reports the ratio per
 * repetition and the code growth (instance bytes / original bytes) per
 * module. A benchmark, not a test.
 *
 * tests/bench/hostbench.c includes this file to run instrumented code on
 * a real CPU, with the replica of kedr_sample's part 6 below (the same
 * stub; a recorder doing what kedr_on_site() and record_event() do, a
 * global counter for the per-cpu one). `make bench`.
 *
 * -s sets process_sp_accesses (sites for %rsp-based operands too); -f 0
 * clears fast (kedr_sample's fast=0: every site a plain call of
 * kedr_event_stub, no inline count); -a BYTES gives the instances an area
 * of that size, as KEDR_AREA_SIZE does in kedr_sample (fit_in_area()
 * leaves alone what does not fit; no limit unless given);
 * -n N -S SEED check a seeded sample of N of the modules found (and every
 * module named on the command line as a file); -v prints a line per module.
 */
#define _GNU_SOURCE
#include "engine.h"
#include <capstone/capstone.h>
#include <elf.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- The arena --------------------------------------------------------- */

#define ARENA_BASE	0x10000000UL	/* 256 MiB: above the program at 4 MiB */
/* up to 1.75 GiB: all within +-2 GiB; ENGINE_ARENA_MB=1024 under valgrind,
 * which lives at 0x58000000 */
static unsigned long ARENA_SIZE = 0x60000000UL;
#define ARENA_GUARD	(16UL << 20)	/* around the fake addresses */
#define SITES_FAKE	0x08000000UL	/* the address the code gives the sites */

/* ---- The run-time side, for hostbench ---------------------------------- */

/*
 * A user-space stand-in for part 6 of kedr_sample.c, so that instrumented
 * code can run on the host's CPU (tests/bench/hostbench): the same stub (the same
 * instructions but for the C function it calls), and a recorder that does
 * what kedr_on_site() and record_event() do, with a plain global where the
 * kernel has a per-cpu counter and a %gs base. For "check" only the stub's
 * address matters.
 */
struct host_regs {
	unsigned long r[16];
	unsigned long flags;
	unsigned long ret;
	unsigned long rdi;
};

struct host_record {
	unsigned long tid, pc, addr, size;
	unsigned int type;
};

static struct host_record *h_records;
static long h_num_records, h_claimed;
unsigned long event_counts[8];	/* %gs:event_counts with a %gs base of 0 */
u8 kedr_store_full;
static unsigned long h_gs_base;

static __attribute__((noinline)) void host_record_event(const struct kedr_site *s,
							unsigned long addr,
							unsigned long size, unsigned int type)
{
	struct host_record *r;
	long i;

	if (!(s->flags & KEDR_SITE_COUNTED))
		event_counts[type]++;
	i = __atomic_load_n(&h_claimed, __ATOMIC_RELAXED);
	if (i < h_num_records)
		i = __atomic_add_fetch(&h_claimed, 1, __ATOMIC_SEQ_CST) - 1;
	if (i >= h_num_records) {
		kedr_store_full = 1;
		return;
	}
	r = &h_records[i];
	r->tid = (unsigned long)&h_claimed;
	r->pc = s->pc;
	r->addr = addr;
	r->size = size;
	__atomic_store_n(&r->type, type, __ATOMIC_RELEASE);
}

void host_on_site(const struct kedr_site *s, struct host_regs *regs);
__attribute__((used, force_align_arg_pointer)) void host_on_site(const struct kedr_site *s, struct host_regs *regs)
{
	unsigned long addr;

	regs->r[KEDR_REG_RSP] = (unsigned long)(&regs->rdi + 1);
	switch (s->kind) {
	case KEDR_SITE_ENTRY:
		host_record_event(s, s->pc, 0, 4);
		return;
	case KEDR_SITE_EXIT:
		host_record_event(s, s->pc, 0, 5);
		return;
	case KEDR_SITE_STRING:
		return;		/* not in the workloads */
	}
	if (s->flags & KEDR_SITE_RIP) {
		addr = s->rip_addr;
	} else {
		addr = s->disp;
		if (s->base != KEDR_REG_NONE)
			addr += regs->r[s->base];
		if (s->index != KEDR_REG_NONE)
			addr += regs->r[s->index] * s->scale;
		if (s->flags & KEDR_SITE_ADDR32)
			addr = (u32)addr;
	}
	if (s->seg == KEDR_SEG_GS)
		addr += h_gs_base;
	switch (s->kind) {
	case KEDR_SITE_READ:
		host_record_event(s, addr, s->size, 1);
		break;
	case KEDR_SITE_WRITE:
		host_record_event(s, addr, s->size, 2);
		break;
	case KEDR_SITE_UPDATE:
		host_record_event(s, addr, s->size, 1);
		host_record_event(s, addr, s->size, 2);
		break;
	case KEDR_SITE_LOCKED:
		host_record_event(s, addr, s->size, 3);
		break;
	}
}

/* kedr_sample.c's kedr_event_stub (fast=0), calling host_on_site() */
asm(
"	.pushsection .text, \"ax\"\n"
"	.globl kedr_event_stub\n"
"	.type kedr_event_stub, @function\n"
"kedr_event_stub:\n"
"	pushfq\n"
"	pushq %r15\n"
"	pushq %r14\n"
"	pushq %r13\n"
"	pushq %r12\n"
"	pushq %r11\n"
"	pushq %r10\n"
"	pushq %r9\n"
"	pushq %r8\n"
"	pushq 0x50(%rsp)\n"
"	pushq %rsi\n"
"	pushq %rbp\n"
"	pushq %rsp\n"
"	pushq %rbx\n"
"	pushq %rdx\n"
"	pushq %rcx\n"
"	pushq %rax\n"
"	pushq 0x80(%rsp)\n"
"	andq $~0x400, (%rsp)\n"
"	popfq\n"
"	movq %rsp, %rsi\n"
"	call host_on_site\n"
"	popq %rax\n"
"	popq %rcx\n"
"	popq %rdx\n"
"	popq %rbx\n"
"	addq $8, %rsp\n"
"	popq %rbp\n"
"	popq %rsi\n"
"	addq $8, %rsp\n"
"	popq %r8\n"
"	popq %r9\n"
"	popq %r10\n"
"	popq %r11\n"
"	popq %r12\n"
"	popq %r13\n"
"	popq %r14\n"
"	popq %r15\n"
"	popfq\n"
"	ret\n"
"	.size kedr_event_stub, .-kedr_event_stub\n"
"	.popsection\n");

/* kedr_sample.c's kedr_fast_stub (fast=1), calling host_on_site(); its
 * counting-only shortcut adds to a plain global where the kernel has a
 * per-cpu array */
asm(
"	.pushsection .text, \"ax\"\n"
"	.globl kedr_fast_stub\n"
"	.type kedr_fast_stub, @function\n"
"kedr_fast_stub:\n"
"	pushq %rax\n"
"	lahf\n"
"	seto %al\n"
"	cmpb $0, kedr_store_full(%rip)\n"
"	je .Lflags\n"
"	pushq %rcx\n"
"	movzbl " __stringify(KEDR_SITE_COUNT_OFF) "(%rdi), %ecx\n"
"	testl %ecx, %ecx\n"
"	je .Lrcx\n"
"	incq event_counts(,%rcx,8)\n"
"	movzbl " __stringify(KEDR_SITE_COUNT_OFF) "+1(%rdi), %ecx\n"
"	testl %ecx, %ecx\n"
"	je 1f\n"
"	incq event_counts(,%rcx,8)\n"
"1:	popq %rcx\n"
"	addb $0x7f, %al\n"
"	sahf\n"
"	popq %rax\n"
"	ret\n"
".Lrcx:\n"
"	popq %rcx\n"
".Lflags:\n"
"	addb $0x7f, %al\n"
"	sahf\n"
"	popq %rax\n"
"	pushfq\n"
"	pushq %r15\n"
"	pushq %r14\n"
"	pushq %r13\n"
"	pushq %r12\n"
"	pushq %r11\n"
"	pushq %r10\n"
"	pushq %r9\n"
"	pushq %r8\n"
"	pushq 0x50(%rsp)\n"
"	pushq %rsi\n"
"	pushq %rbp\n"
"	pushq %rsp\n"
"	pushq %rbx\n"
"	pushq %rdx\n"
"	pushq %rcx\n"
"	pushq %rax\n"
"	testl $0x400, 0x80(%rsp)\n"
"	jz 2f\n"
"	pushq 0x80(%rsp)\n"
"	andq $~0x400, (%rsp)\n"
"	popfq\n"
"2:	movq %rsp, %rsi\n"
"	call host_on_site\n"
"	popq %rax\n"
"	popq %rcx\n"
"	popq %rdx\n"
"	popq %rbx\n"
"	addq $8, %rsp\n"
"	popq %rbp\n"
"	popq %rsi\n"
"	addq $8, %rsp\n"
"	popq %r8\n"
"	popq %r9\n"
"	popq %r10\n"
"	popq %r11\n"
"	popq %r12\n"
"	popq %r13\n"
"	popq %r14\n"
"	popq %r15\n"
"	testl $0x400, (%rsp)\n"
"	jnz 3f\n"
"	pushq %rax\n"
"	movzbl 9(%rsp), %eax\n"
"	shrb $3, %al\n"
"	andb $1, %al\n"
"	movb 8(%rsp), %ah\n"
"	addb $0x7f, %al\n"
"	sahf\n"
"	popq %rax\n"
"	leaq 8(%rsp), %rsp\n"
"	ret\n"
"3:	popfq\n"
"	ret\n"
"	.size kedr_fast_stub, .-kedr_fast_stub\n"
"	.popsection\n");

/* ---- One module --------------------------------------------------------- */

struct reloc_target {		/* a field of a kernel table: S + A */
	unsigned long a, b;	/* jump: code, target; ex: insn, fixup; sc: addr */
	bool has_a, has_b;
};

static struct {
	const char *path, *name;
	const u8 *map;
	size_t map_len;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shstr;
	const Elf64_Sym *sym;
	size_t nsym;
	const char *str;
	unsigned long *secaddr;
	bool *secexec;
	unsigned long undef_base, code_start, code_end, inst_base, inst_end;
	unsigned long *fentry;
	size_t nfentry;
	struct kedr_func *funcs;
	unsigned int nr_funcs, nr_aliases, nr_padding;
	unsigned long *jl_sites;
	unsigned int nr_jl_sites;
	struct reloc_target *jl, *sc, *ex;
	unsigned int njl, nsc, nex;
	struct kedr_site *sites;
	unsigned int nr_sites;
} M;

/* ---- Figures ------------------------------------------------------------ */

#define MAX_REASONS 32
static struct {
	unsigned long modules, load_failed, functions, aliases, padding, cold, too_small_etc;
	unsigned long planned, instrumented, verified, cold_instrumented;
	unsigned long insns, sites, inline_sites, site_kind[8], jl_sites, loops, tramps, family_jumps;
	unsigned long table_jumps, size_ok, mismatches, bad_funcs, emit_errors;
	unsigned long orig_bytes, inst_bytes, unknown_relocs, fentry_nops, native_pv;
	const char *reason[MAX_REASONS];
	unsigned long reason_count[MAX_REASONS];
} S;

static bool verbose;
static unsigned long area_size = ~0UL;	/* -a: kedr_sample's KEDR_AREA_SIZE */
static unsigned int mod_mismatches;

/* Where each kind of thing the emitter treats specially was first seen */
enum { FT_LOOP, FT_TRAMP, FT_FAMILY, FT_JL, FT_POP_RSP, FT_SHIFT, FT_STRING, FT_LOCKED,
       FT_XADD, FT_CMPXCHG, FT_JMP_MEM, FT_CALL_MEM, FT_RIP, FT_GS, FT_BITOP, FT_SETCC,
       FT_CMOV, FT_UPDATE, FT_COLD_EXIT, FT_JUMP_REG, FT_JUMP_THUNK, FT_JUMP_MEM_EXIT,
       FT_COUNT };
static const char *const ft_name[FT_COUNT] = {
	"loop", "trampoline", "cold-family-jump", "static-key", "pop-rsp", "shift-mem",
	"string", "locked", "xadd", "cmpxchg", "jmp-mem", "call-mem", "rip-relative",
	"gs", "bitop-mem", "setcc-mem", "cmov-mem", "update", "exit-in-cold",
	"exit-jmp-reg", "exit-jmp-thunk", "exit-jmp-mem",
};
static unsigned long ft_count[FT_COUNT];
static const char *ft_first[FT_COUNT];

static void seen(int ft)
{
	extern const char *cur_module;

	ft_count[ft]++;
	if (!ft_first[ft])
		ft_first[ft] = strdup(cur_module);
}

static void count_reason(const char *why)
{
	unsigned int i;

	for (i = 0; i < MAX_REASONS && S.reason[i]; i++)
		if (!strcmp(S.reason[i], why))
			break;
	if (i == MAX_REASONS)
		i--;
	S.reason[i] = why;
	S.reason_count[i]++;
}

const char *cur_module;

/* ---- The two functions kedr_sample.c's emitter asks its caller for ----- */

static struct kedr_func *find_function(unsigned long addr)
{
	return function_at(M.funcs, M.nr_funcs, addr);
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static bool is_jump_label_site(unsigned long pc)
{
	return M.nr_jl_sites && bsearch(&pc, M.jl_sites, M.nr_jl_sites, sizeof(pc),
					cmp_ulong) != NULL;
}

/* kedr_sample.c's jump_label_sites(), over this tool's table */
static const unsigned long *jump_label_sites(unsigned long from, unsigned int *n)
{
	unsigned int lo = 0, hi = M.nr_jl_sites;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (M.jl_sites[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	*n = M.nr_jl_sites - lo;
	return M.jl_sites + lo;
}

/* ---- Loading ------------------------------------------------------------ */

static unsigned long sym_addr(unsigned int idx)
{
	const Elf64_Sym *s = &M.sym[idx];

	if (idx && s->st_shndx != SHN_UNDEF && s->st_shndx < M.eh->e_shnum &&
	    M.secaddr[s->st_shndx])
		return M.secaddr[s->st_shndx] + s->st_value;
	return M.undef_base + (unsigned long)idx * 256;	/* a slot of its own */
}

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* the register a retpoline thunk jumps through, by its name, or -1 */
static int thunk_reg_of_name(const char *name, int *kind)
{
	static const char *const prefix[2] = { "__x86_indirect_thunk_",
					       "__x86_indirect_jump_thunk_" };
	int k, r;

	for (k = 0; k < 2; k++) {
		if (strncmp(name, prefix[k], strlen(prefix[k])))
			continue;
		for (r = 0; r < 16; r++)
			if (!strcmp(name + strlen(prefix[k]), reg_names[r])) {
				*kind = k;
				return r;
			}
	}
	return -1;
}

/* the register of the thunk at @target, an undefined symbol's slot, or -1 */
static int thunk_reg_at(unsigned long target)
{
	unsigned long idx;
	int kind;

	if (target < M.undef_base || (target - M.undef_base) % 256)
		return -1;
	idx = (target - M.undef_base) / 256;
	if (!idx || idx >= M.nsym || M.sym[idx].st_shndx != SHN_UNDEF)
		return -1;
	return thunk_reg_of_name(M.str + M.sym[idx].st_name, &kind);
}

/* kedr_sample.c's kedr_jump_thunks[], for this module's fake addresses */
static void find_thunks(void)
{
	size_t j;

	memset(kedr_jump_thunks, 0, sizeof(kedr_jump_thunks));
	for (j = 1; j < M.nsym; j++) {
		int kind, r;

		if (M.sym[j].st_shndx != SHN_UNDEF)
			continue;
		r = thunk_reg_of_name(M.str + M.sym[j].st_name, &kind);
		if (r >= 0)
			kedr_jump_thunks[kind][r] = M.undef_base + j * 256;
	}
}

static bool is_exec(const Elf64_Shdr *s)
{
	return s->sh_type == SHT_PROGBITS && (s->sh_flags & SHF_ALLOC) &&
		(s->sh_flags & SHF_EXECINSTR);
}

static void note_table_field(struct reloc_target *t, unsigned int n, unsigned int esize,
			     unsigned long off, unsigned long val)
{
	unsigned long i = off / esize;

	if (i >= n)
		return;
	if (off % esize == 0) {
		t[i].a = val;
		t[i].has_a = true;
	} else if (off % esize == 4) {
		t[i].b = val;
		t[i].has_b = true;
	}
}

/*
 * Alternatives: the loader rewrites code for the CPU it runs on
 * (.altinstructions), before COMING. The engine cannot know the CPU, but
 * it knows the machine is no Xen PV guest, as the lab is not: it applies
 * the replacements marked ALT_NOT(X86_FEATURE_XENPV), the native code of
 * the paravirt operations ("call *pv_ops+N(%rip)" becomes "pushf; pop
 * %rax", "cli", "sti"...), padded with NOPs. 6.12's struct alt_instr
 * (asm/alternative.h): s32 instr, s32 repl, u32 ft_flags, u8 instrlen,
 * u8 replacementlen, 14 bytes; 6.1's has 12 and no ALT_NOT, and paravirt
 * calls of its own (.parainstructions), which modules do not use.
 */
#define ALT_ENTRY_LEN	14
#define ALT_NOT_XENPV	((1u << 16) | (8 * 32 + 16))	/* ALT_FLAG_NOT, X86_FEATURE_XENPV */

static void apply_native_paravirt(void)
{
	const Elf64_Shdr *alt = NULL, *rel = NULL;
	unsigned long *instr, *repl;
	unsigned int i, n;
	size_t j, nrel;

	for (i = 0; i < M.eh->e_shnum; i++)
		if (!strcmp(M.shstr + M.sh[i].sh_name, ".altinstructions"))
			alt = &M.sh[i];
	for (i = 0; alt && i < M.eh->e_shnum; i++)
		if (M.sh[i].sh_type == SHT_RELA && &M.sh[M.sh[i].sh_info] == alt)
			rel = &M.sh[i];
	if (!alt || !rel || alt->sh_size % ALT_ENTRY_LEN)
		return;
	n = alt->sh_size / ALT_ENTRY_LEN;
	nrel = rel->sh_size / sizeof(Elf64_Rela);
	instr = calloc(n, sizeof(*instr));
	repl = calloc(n, sizeof(*repl));
	for (j = 0; j < nrel; j++) {
		const Elf64_Rela *r = (const Elf64_Rela *)(M.map + rel->sh_offset) + j;
		unsigned int si = ELF64_R_SYM(r->r_info);
		unsigned long k = r->r_offset / ALT_ENTRY_LEN;

		if (si >= M.nsym || k >= n)
			continue;
		if (r->r_offset % ALT_ENTRY_LEN == 0)
			instr[k] = sym_addr(si) + r->r_addend;
		else if (r->r_offset % ALT_ENTRY_LEN == 4)
			repl[k] = sym_addr(si) + r->r_addend;
		else
			goto out;	/* not 6.12's layout */
	}
	for (i = 0; i < n; i++) {
		const u8 *e = M.map + alt->sh_offset + i * ALT_ENTRY_LEN;
		u32 flags;
		u8 ilen = e[12], rlen = e[13];

		memcpy(&flags, e + 8, 4);
		if (flags != ALT_NOT_XENPV || rlen > ilen ||
		    instr[i] < M.code_start || instr[i] + ilen > M.code_end ||
		    repl[i] < M.code_start || repl[i] + rlen > M.code_end)
			continue;
		memcpy((void *)instr[i], (void *)repl[i], rlen);
		memset((void *)(instr[i] + rlen), 0x90, ilen - rlen);
		S.native_pv++;
	}
out:
	free(instr);
	free(repl);
}

static void relocate(void)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < M.eh->e_shnum; i++) {
		const Elf64_Shdr *r = &M.sh[i];
		const Elf64_Shdr *t;
		const Elf64_Rela *rela;
		const char *tname;
		size_t n;

		if (r->sh_type != SHT_RELA || r->sh_info >= M.eh->e_shnum)
			continue;
		t = &M.sh[r->sh_info];
		tname = M.shstr + t->sh_name;
		rela = (const Elf64_Rela *)(M.map + r->sh_offset);
		n = r->sh_size / sizeof(*rela);
		for (j = 0; j < n; j++) {
			unsigned int type = ELF64_R_TYPE(rela[j].r_info);
			unsigned int si = ELF64_R_SYM(rela[j].r_info);
			unsigned long off = rela[j].r_offset, P;
			unsigned long val;
			u8 *loc;

			if (si >= M.nsym)
				continue;
			val = sym_addr(si) + rela[j].r_addend;	/* S + A */
			if (!M.secexec[r->sh_info]) {
				if (!strcmp(tname, "__jump_table"))
					note_table_field(M.jl, M.njl, 16, off, val);
				else if (!strcmp(tname, ".static_call_sites"))
					note_table_field(M.sc, M.nsc, 8, off, val);
				else if (!strcmp(tname, "__ex_table"))
					note_table_field(M.ex, M.nex, 12, off, val);
				continue;
			}
			if (off + 8 > t->sh_size + 4)	/* 4-byte fields at the end */
				continue;
			P = M.secaddr[r->sh_info] + off;
			loc = (u8 *)P;
			switch (type) {
			case R_X86_64_PC32:
			case R_X86_64_PLT32: {
				s32 v = val - P;

				memcpy(loc, &v, 4);
				if (off && loc[-1] == 0xe8 &&
				    !strcmp(M.str + M.sym[si].st_name, "__fentry__")) {
					M.fentry = realloc(M.fentry, (M.nfentry + 1) * sizeof(*M.fentry));
					M.fentry[M.nfentry++] = P - 1;
				}
				break;
			}
			case R_X86_64_32:
			case R_X86_64_32S: {
				u32 v = val;

				memcpy(loc, &v, 4);
				break;
			}
			case R_X86_64_64:
				if (off + 8 <= t->sh_size)
					memcpy(loc, &val, 8);
				break;
			case R_X86_64_PC64:
				val -= P;
				if (off + 8 <= t->sh_size)
					memcpy(loc, &val, 8);
				break;
			case R_X86_64_NONE:
				break;
			default:
				S.unknown_relocs++;
			}
		}
	}
}

static void unload_module(void)
{
	unsigned int i;

	for (i = 0; i < M.nr_funcs; i++) {
		kvfree(M.funcs[i].insns);
		kvfree(M.funcs[i].map);
	}
	free(M.funcs);
	free(M.secaddr);
	free(M.secexec);
	free(M.fentry);
	free(M.jl_sites);
	free(M.jl);
	free(M.sc);
	free(M.ex);
	free(M.sites);
	if (M.code_start && M.inst_end > M.code_start)
		madvise((void *)M.code_start, M.inst_end - M.code_start, MADV_DONTNEED);
	if (M.map)
		munmap((void *)M.map, M.map_len);
	memset(&M, 0, sizeof(M));
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY);
	unsigned long cur;
	struct stat st;
	unsigned int i;

	memset(&M, 0, sizeof(M));
	M.path = path;
	cur_module = path;
	M.name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	M.map_len = st.st_size;
	M.map = mmap(NULL, M.map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (M.map == MAP_FAILED) {
		M.map = NULL;
		return -1;
	}
	M.eh = (const Elf64_Ehdr *)M.map;
	if (memcmp(M.eh->e_ident, ELFMAG, SELFMAG) || M.eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    M.eh->e_type != ET_REL || M.eh->e_machine != EM_X86_64 ||
	    M.eh->e_shoff + (size_t)M.eh->e_shnum * sizeof(Elf64_Shdr) > M.map_len)
		return -1;
	M.sh = (const Elf64_Shdr *)(M.map + M.eh->e_shoff);
	M.shstr = (const char *)M.map + M.sh[M.eh->e_shstrndx].sh_offset;
	M.secaddr = calloc(M.eh->e_shnum, sizeof(*M.secaddr));
	M.secexec = calloc(M.eh->e_shnum, sizeof(*M.secexec));
	for (i = 0; i < M.eh->e_shnum; i++) {
		const Elf64_Shdr *s = &M.sh[i];
		const char *name = M.shstr + s->sh_name;

		if (s->sh_type == SHT_SYMTAB) {
			M.sym = (const Elf64_Sym *)(M.map + s->sh_offset);
			M.nsym = s->sh_size / sizeof(*M.sym);
			M.str = (const char *)M.map + M.sh[s->sh_link].sh_offset;
		}
		if (!strcmp(name, "__jump_table")) {
			M.njl = s->sh_size / 16;
			M.jl = calloc(M.njl + 1, sizeof(*M.jl));
		} else if (!strcmp(name, ".static_call_sites")) {
			M.nsc = s->sh_size / 8;
			M.sc = calloc(M.nsc + 1, sizeof(*M.sc));
		} else if (!strcmp(name, "__ex_table")) {
			M.nex = s->sh_size / 12;
			M.ex = calloc(M.nex + 1, sizeof(*M.ex));
		}
	}
	if (!M.sym)
		return -1;
	/* fake addresses first: data sections, then a slot per symbol */
	cur = ARENA_BASE + ARENA_GUARD;
	for (i = 0; i < M.eh->e_shnum; i++) {
		const Elf64_Shdr *s = &M.sh[i];

		if (!(s->sh_flags & SHF_ALLOC) || is_exec(s))
			continue;
		M.secaddr[i] = cur;
		cur = ALIGN(cur + s->sh_size + 64, 64UL);
	}
	M.undef_base = cur;
	cur += M.nsym * 256;
	/* then the code */
	M.code_start = cur = ALIGN(cur + ARENA_GUARD, 4096UL);
	for (i = 0; i < M.eh->e_shnum; i++) {
		const Elf64_Shdr *s = &M.sh[i];
		unsigned long a = s->sh_addralign > 16 ? s->sh_addralign : 16;

		if (!is_exec(s))
			continue;
		cur = ALIGN(cur, a);
		if (cur + s->sh_size > ARENA_BASE + ARENA_SIZE / 2)
			return -1;
		M.secaddr[i] = cur;
		M.secexec[i] = true;
		memcpy((void *)cur, M.map + s->sh_offset, s->sh_size);
		cur += s->sh_size;
	}
	M.code_end = cur;
	M.inst_base = ALIGN(cur + 4096, 4096UL);
	M.inst_end = M.inst_base;
	relocate();
	apply_native_paravirt();
	find_thunks();
	return 0;
}

/* ---- The function table (as collect_functions(), link_cold_parts()) ---- */

/* cmp_func_addr(), is_generic_name() and fold_aliases() come from kedr_sample.c */

static void collect_functions(void)
{
	unsigned int i, n;
	size_t j;

	M.funcs = calloc(M.nsym + 1, sizeof(*M.funcs));
	for (j = 1; j < M.nsym; j++) {
		const Elf64_Sym *s = &M.sym[j];
		struct kedr_func *f = &M.funcs[M.nr_funcs];

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || !s->st_size ||
		    s->st_shndx >= M.eh->e_shnum || !M.secexec[s->st_shndx] ||
		    s->st_value + s->st_size > M.sh[s->st_shndx].sh_size)
			continue;
		if (is_padding(M.str + s->st_name)) {	/* from kedr_sample.c */
			M.nr_padding++;
			continue;
		}
		f->addr = M.secaddr[s->st_shndx] + s->st_value;
		f->size = s->st_size;
		f->name = M.str + s->st_name;
		/* as the loader: .init* sections are the init text */
		f->init = !strncmp(M.shstr + M.sh[s->st_shndx].sh_name, ".init", 5);
		f->cold = strstr(f->name, ".cold") != NULL;
		M.nr_funcs++;
	}
	qsort(M.funcs, M.nr_funcs, sizeof(*M.funcs), cmp_func_addr);
	n = fold_aliases(M.funcs, M.nr_funcs);
	M.nr_aliases += M.nr_funcs - n;
	M.nr_funcs = n;
	/* as read_entry(): ENDBR64 (IBT, 6.12) first, then the ftrace site */
	for (i = 0; i < M.nr_funcs; i++) {
		struct kedr_func *f = &M.funcs[i];

		f->endbr = f->size >= KEDR_ENDBR_LEN && is_endbr(*(const u32 *)f->addr);
	}
	/* ftrace: "call __fentry__" at a function's start becomes the nop */
	for (j = 0; j < M.nfentry; j++) {
		struct kedr_func *f = find_function(M.fentry[j]);

		if (f && f->addr + (f->endbr ? KEDR_ENDBR_LEN : 0) == M.fentry[j]) {
			memcpy((void *)M.fentry[j], nop5, sizeof(nop5));
			S.fentry_nops++;
		}
	}
	for (i = 0; i < M.nr_funcs; i++) {
		struct kedr_func *f = &M.funcs[i];
		unsigned long at = f->addr + (f->endbr ? KEDR_ENDBR_LEN : 0);

		f->ftrace_nop = f->size >= at - f->addr + sizeof(nop5) &&
			!memcmp((void *)at, nop5, sizeof(nop5));
	}
	/* the static keys' sites, for is_jump_label_site() */
	M.jl_sites = calloc(M.njl + 1, sizeof(*M.jl_sites));
	for (i = 0; i < M.njl; i++)
		if (M.jl[i].has_a)
			M.jl_sites[M.nr_jl_sites++] = M.jl[i].a;
	qsort(M.jl_sites, M.nr_jl_sites, sizeof(*M.jl_sites), cmp_ulong);
}

/* link_cold_parts() and skip_families() come from kedr_sample.c (plan) */

/* ---- Plan and write (as plan_target(), write_instances()) ------------- */

static bool given_to_plan(const struct kedr_func *f)
{
	return !too_small(f) && strncmp(f->name, "__SCT__", 7);
}

/* planned_function() and lands_inside() come from kedr_sample.c (plan) */

static void check_kernel_tables(void)
{
	struct kedr_insn in;
	struct kedr_func *f;
	unsigned int i;

	for (i = 0; i < M.njl; i++) {
		f = M.jl[i].has_a ? planned_function(M.jl[i].a) : NULL;
		if (f && !lands_inside(f, M.jl[i].b))
			skip_function(f, "a static key jumps out of it", M.jl[i].a - f->addr);
	}
	for (i = 0; i < M.nsc; i++) {
		unsigned long addr = M.sc[i].a;

		f = M.sc[i].has_a ? planned_function(addr) : NULL;
		if (f && (kedr_decode((u8 *)addr, f->addr + f->size - addr, &in) < 0 ||
			  in.flow == KEDR_FLOW_JCC))
			skip_function(f, "a conditional tail call via a static call",
				      addr - f->addr);
	}
	for (i = 0; i < M.nex; i++) {
		f = M.ex[i].has_a ? planned_function(M.ex[i].a) : NULL;
		if (f && !lands_inside(f, M.ex[i].b))
			skip_function(f, "an exception fixup outside it", M.ex[i].a - f->addr);
	}
}

static void mismatch(const struct kedr_func *f, unsigned long off, const char *fmt, ...)
{
	va_list ap;

	S.mismatches++;
	if (++mod_mismatches > 50)
		return;
	printf("MISMATCH %s %s+0x%lx: ", M.name, f->name, off);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Reset what planning fills in, so that the engine can run again */
static void reset_plan(void)
{
	unsigned int i;

	for (i = 0; i < M.nr_funcs; i++) {
		struct kedr_func *f = &M.funcs[i];

		kvfree(f->insns);
		f->insns = NULL;
		kvfree(f->map);
		f->map = NULL;
		f->parent = NULL;
		f->skip = NULL;
		f->skip_off = 0;
		f->nr_insns = f->body_size = f->code_size = f->nr_sites = 0;
		f->offset = f->first_site = 0;
		f->inst = 0;
	}
	free(M.sites);
	M.sites = NULL;
	M.nr_sites = 0;
}

/*
 * run_engine() - what kedr_sample's plan_target() and write_instances() do.
 * Return: the number of functions whose real run failed or disagreed with
 * the dry run (each reported when @report).
 */
static __attribute__((noinline)) unsigned int run_engine(bool report)
{
	unsigned long size = 0;
	unsigned int i, bad = 0;

	link_cold_parts(M.funcs, M.nr_funcs);
	plan_functions(M.funcs, M.nr_funcs);
	skip_families(M.funcs, M.nr_funcs);
	check_kernel_tables();
	skip_families(M.funcs, M.nr_funcs);
	fit_in_area(M.funcs, M.nr_funcs, area_size);
	for (i = 0; i < M.nr_funcs; i++) {
		struct kedr_func *f = &M.funcs[i];

		if (f->skip)
			continue;
		f->offset = size;
		f->first_site = M.nr_sites;
		size += ALIGN(f->code_size, 16);
		M.nr_sites += f->nr_sites;
	}
	if (M.inst_base + size > ARENA_BASE + ARENA_SIZE) {
		fprintf(stderr, "%s: the instances do not fit in the arena\n", M.path);
		exit(2);
	}
	M.inst_end = M.inst_base + size;
	M.sites = calloc(M.nr_sites + 1, sizeof(*M.sites));
	for (i = 0; i < M.nr_funcs; i++)
		if (!M.funcs[i].skip)
			M.funcs[i].inst = M.inst_base + M.funcs[i].offset;
	memset((void *)M.inst_base, KEDR_OP_INT3, size);
	for (i = 0; i < M.nr_funcs; i++) {
		struct kedr_func *f = &M.funcs[i];
		struct kedr_emitter e = {
			.buf = (u8 *)f->inst,
			.addr = f->inst,
			.sites = M.sites + f->first_site,
			.sites_addr = SITES_FAKE + f->first_site * sizeof(struct kedr_site),
		};

		if (f->skip)
			continue;
		emit_function(&e, f);
		kvfree(f->insns);	/* as write_instances() does */
		f->insns = NULL;
		if (e.err || e.pos != f->code_size || e.nr_sites != f->nr_sites) {
			bad++;
			if (report) {
				S.emit_errors++;
				mismatch(f, 0, "real run: error %d, %u bytes and %u sites; dry run: %u bytes and %u sites",
					 e.err, e.pos, e.nr_sites, f->code_size, f->nr_sites);
			}
		} else if (report) {
			S.size_ok++;
		}
	}
	return bad;
}

/* ---- The check: what the event rules predict --------------------------- */

/*
 * The oracle below is written from the event rules (kedr_sample.c's header
 * and the lead's notes), on top of the decoder's view of each instruction:
 * its class, access, operand and flow. It does not call the emitter's own
 * predicates (records_access(), classify_dest()...).
 */

#define SITE_SEQ_LEN 14		/* push %rdi; mov $imm32,%rdi; call rel32; pop %rdi */

struct vctx {
	struct kedr_func *f;
	const u8 *inst;		/* the instance */
	unsigned int pos;	/* where we are in it */
	unsigned int site;	/* sites met so far */
	unsigned int off;	/* the original instruction being checked */
	unsigned int ntramp;
	unsigned long *tramp;	/* original targets of conditional tail calls */
	bool bad;
};

static s32 rd32(const u8 *p)
{
	s32 v;

	memcpy(&v, p, 4);
	return v;
}

static bool site_seq_at(const struct vctx *v, unsigned int pos)
{
	const u8 *p = v->inst + pos;

	if (pos + SITE_SEQ_LEN > v->f->code_size)
		return false;
	return p[0] == 0x57 && p[1] == 0x48 && p[2] == 0xc7 && p[3] == 0xc7 &&
		p[8] == 0xe8 && p[13] == 0x5f &&
		v->f->inst + pos + 13 + rd32(p + 9) ==
		(unsigned long)(fast ? kedr_fast_stub : kedr_event_stub);
}

/* the inline count (kedr_sample.c, emit_site()): before the site sequence,
 * "cmpb $0, kedr_store_full(%rip); jne +14" (over it); after it, one
 * "addq $1, %gs:event_counts+8*type" per event type */
#define CHECK_LEN 9
#define COUNT_LEN 10

static bool store_check_at(const struct vctx *v, unsigned int pos)
{
	const u8 *p = v->inst + pos;

	if (pos + CHECK_LEN > v->f->code_size)
		return false;
	return p[0] == 0x80 && p[1] == 0x3d && p[6] == 0 && p[7] == 0x75 &&
		p[8] == SITE_SEQ_LEN &&
		v->f->inst + pos + 7 + rd32(p + 2) == (unsigned long)&kedr_store_full;
}

/* the event type an "addq $1, %gs:disp32" at @pos counts, or -1 */
static int count_at(const struct vctx *v, unsigned int pos)
{
	const u8 *p = v->inst + pos;
	long off;

	if (pos + COUNT_LEN > v->f->code_size || p[0] != 0x65 || p[1] != 0x48 ||
	    p[2] != 0x83 || p[3] != 0x04 || p[4] != 0x25 || p[9] != 1)
		return -1;
	off = rd32(p + 5) - (long)(unsigned long)event_counts;
	if (off < 0 || off % 8 || off / 8 >= 8)
		return -1;
	return off / 8;
}

/*
 * The flags oracle: Capstone's own table of what each instruction does
 * to RFLAGS (detail on), walked forward from @pc along the straight line
 * and unconditional jumps inside @f. True if all six arithmetic flags are
 * written before any is read; false if one is read first, or the walk
 * cannot tell (it leaves the function, returns, or takes 4096 steps).
 */
static csh cs_flags;

#define FL_TEST (X86_EFLAGS_TEST_OF | X86_EFLAGS_TEST_SF | X86_EFLAGS_TEST_ZF | \
		 X86_EFLAGS_TEST_PF | X86_EFLAGS_TEST_CF | X86_EFLAGS_TEST_AF)

static unsigned int flags_written(uint64_t fl)
{
	static const uint64_t w[6] = {
		X86_EFLAGS_MODIFY_OF | X86_EFLAGS_RESET_OF | X86_EFLAGS_SET_OF | X86_EFLAGS_UNDEFINED_OF,
		X86_EFLAGS_MODIFY_SF | X86_EFLAGS_RESET_SF | X86_EFLAGS_SET_SF | X86_EFLAGS_UNDEFINED_SF,
		X86_EFLAGS_MODIFY_ZF | X86_EFLAGS_RESET_ZF | X86_EFLAGS_SET_ZF | X86_EFLAGS_UNDEFINED_ZF,
		X86_EFLAGS_MODIFY_PF | X86_EFLAGS_RESET_PF | X86_EFLAGS_SET_PF | X86_EFLAGS_UNDEFINED_PF,
		X86_EFLAGS_MODIFY_CF | X86_EFLAGS_RESET_CF | X86_EFLAGS_SET_CF | X86_EFLAGS_UNDEFINED_CF,
		X86_EFLAGS_MODIFY_AF | X86_EFLAGS_RESET_AF | X86_EFLAGS_SET_AF | X86_EFLAGS_UNDEFINED_AF,
	};
	unsigned int i, n = 0;

	for (i = 0; i < 6; i++)
		n += !!(fl & w[i]);
	return n;
}

/*
 * Capstone 4.0.2's tables omit some reads of the flags (checked with
 * detail on: ADC and SBB show no TEST_CF, nor do RCL, RCR, CMC, ADCX,
 * ADOX; LAHF and PUSHF show nothing at all). The SDM says each of these
 * reads them ("Operation" of each), so the oracle adds them, as it does
 * the FCMOVcc, which read them too.
 */
static bool cs_reads_flags_too(unsigned int id)
{
	switch (id) {
	case X86_INS_ADC: case X86_INS_SBB: case X86_INS_RCL: case X86_INS_RCR:
	case X86_INS_CMC: case X86_INS_ADCX: case X86_INS_ADOX: case X86_INS_LAHF:
	case X86_INS_PUSHF: case X86_INS_PUSHFD: case X86_INS_PUSHFQ:
	case X86_INS_INTO: case X86_INS_SALC:
	case X86_INS_FCMOVB: case X86_INS_FCMOVBE: case X86_INS_FCMOVE: case X86_INS_FCMOVU:
	case X86_INS_FCMOVNB: case X86_INS_FCMOVNBE: case X86_INS_FCMOVNE: case X86_INS_FCMOVNU:
		return true;
	}
	return false;
}

static bool oracle_flags_dead(const struct kedr_func *f, unsigned long pc)
{
	cs_insn *insn;
	bool dead = false;
	unsigned int steps;

	if (!cs_flags) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs_flags) != CS_ERR_OK)
			return false;
		cs_option(cs_flags, CS_OPT_DETAIL, CS_OPT_ON);
	}
	insn = cs_malloc(cs_flags);
	for (steps = 0; steps < 4096; steps++) {
		const uint8_t *code = (const uint8_t *)pc;
		size_t size = f->addr + f->size - pc;
		uint64_t addr = pc, fl;
		const cs_x86 *x;

		if (pc < f->addr || pc >= f->addr + f->size ||
		    !cs_disasm_iter(cs_flags, &code, &size, &addr, insn))
			break;
		x = &insn->detail->x86;
		fl = x->eflags;
		if ((fl & FL_TEST) || cs_reads_flags_too(insn->id))
			break;
		if (flags_written(fl) == 6) {
			dead = true;
			break;
		}
		if (insn->id == X86_INS_JMP && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			pc = x->operands[0].imm;
			continue;
		}
		if (cs_insn_group(cs_flags, insn, CS_GRP_JUMP) || cs_insn_group(cs_flags, insn, CS_GRP_RET) ||
		    cs_insn_group(cs_flags, insn, CS_GRP_INT) || cs_insn_group(cs_flags, insn, CS_GRP_IRET))
			break;
		pc = addr;
	}
	cs_free(insn, 1);
	return dead;
}

static void vbad(struct vctx *v, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!v->bad)
		S.bad_funcs++;
	v->bad = true;
	mismatch(v->f, v->off, "%s (instance +0x%x)", buf, v->pos);
}

static const char *const kind_name[] = { "read", "write", "update", "locked", "string",
					 "entry", "exit" };

/* take the next site sequence; return its site, or NULL (reported) */
static const struct kedr_site *take_site(struct vctx *v, u8 kind)
{
	unsigned long want = SITES_FAKE + (v->f->first_site + v->site) * sizeof(struct kedr_site);
	const struct kedr_site *s;
	u32 imm;

	/* the events each kind counts, from the rules (STRING: none inline) */
	static const u8 kind_events[7][2] = {
		{ 1 }, { 2 }, { 1, 2 }, { 3 }, { 0 }, { 4 }, { 5 },
	};
	bool inl = store_check_at(v, v->pos);
	unsigned int k;

	if (inl)
		v->pos += CHECK_LEN;
	if (!site_seq_at(v, v->pos)) {
		vbad(v, "expected a %s site", kind_name[kind]);
		return NULL;
	}
	imm = rd32(v->inst + v->pos + 4);
	if (imm != (u32)want) {
		vbad(v, "site sequence names site 0x%x, expected 0x%lx", imm, want);
		return NULL;
	}
	s = &M.sites[v->f->first_site + v->site];
	v->pos += SITE_SEQ_LEN;
	v->site++;
	if (s->kind != kind) {
		vbad(v, "site kind %u (%s), expected %s", s->kind,
		     s->kind < 7 ? kind_name[s->kind] : "?", kind_name[kind]);
		return NULL;
	}
	S.site_kind[kind]++;
	if (!fast && (inl || (s->flags & KEDR_SITE_COUNTED) || s->count[0] || s->count[1])) {
		vbad(v, "fast=0: a site with an inline count, or a count for the fast stub");
		return NULL;
	}
	if (!inl) {
		if (s->flags & KEDR_SITE_COUNTED)
			vbad(v, "a site marked counted inline, without the count");
		return s;
	}
	if (!kind_events[kind][0] || !(s->flags & KEDR_SITE_COUNTED) || s->count[0] || s->count[1]) {
		vbad(v, "inline count: %s site, flags 0x%x, count %u %u", kind_name[kind],
		     s->flags, s->count[0], s->count[1]);
		return NULL;
	}
	for (k = 0; k < 2 && kind_events[kind][k]; k++) {
		if (count_at(v, v->pos) != kind_events[kind][k]) {
			vbad(v, "inline count: expected addq $1, %%gs:event_counts[%u]", kind_events[kind][k]);
			return NULL;
		}
		v->pos += COUNT_LEN;
	}
	S.inline_sites++;
	if (!oracle_flags_dead(v->f, v->f->addr + v->off)) {
		vbad(v, "inline count where Capstone does not see the flags dead");
		return NULL;
	}
	return s;
}

static void expect_boundary(struct vctx *v, u8 kind, unsigned long pc)
{
	const struct kedr_site *s = take_site(v, kind);

	if (s && s->pc != pc)
		vbad(v, "%s site names 0x%lx, expected 0x%lx", kind_name[kind], s->pc, pc);
}

/*
 * The exit site of a return or a jump. A jump through a register, through
 * memory or through a retpoline thunk (the register is in the thunk's
 * name) may stay in its function: its site names where the target is and
 * the function's size, and the stub's counting-only shortcut must not
 * count it (kedr_sample.c, jump_leaves()). Not from a .cold part.
 */
static void expect_exit(struct vctx *v, unsigned long exit_pc, const struct kedr_insn *in,
			unsigned long target)
{
	const struct kedr_site *s = take_site(v, KEDR_SITE_EXIT);
	u8 flags = 0;
	int base = KEDR_REG_NONE;

	if (!s)
		return;
	if (s->pc != exit_pc)
		vbad(v, "exit site names 0x%lx, expected 0x%lx", s->pc, exit_pc);
	if (!v->f->cold && in && in->flow == KEDR_FLOW_JMP_IND && in->has_mem) {
		flags = KEDR_SITE_JUMP_MEM | (in->mem.rip ? KEDR_SITE_RIP : 0) |
			(in->mem.addr32 ? KEDR_SITE_ADDR32 : 0);
		seen(FT_JUMP_MEM_EXIT);
	} else if (!v->f->cold && in && in->flow == KEDR_FLOW_JMP_IND) {
		flags = KEDR_SITE_JUMP_REG;
		base = (in->modrm & 7) | (in->rex & KEDR_REX_B ? 8 : 0);
		seen(FT_JUMP_REG);
	} else if (!v->f->cold && target && thunk_reg_at(target) >= 0) {
		flags = KEDR_SITE_JUMP_REG;
		base = thunk_reg_at(target);
		seen(FT_JUMP_THUNK);
	}
	if ((s->flags & ~KEDR_SITE_COUNTED) != flags)
		vbad(v, "exit site flags 0x%x, expected 0x%x", s->flags, flags);
	if ((flags & KEDR_SITE_JUMP_REG) && s->base != base)
		vbad(v, "computed exit through register %d, expected %d", s->base, base);
	if (flags & KEDR_SITE_JUMP_MEM) {
		unsigned long pc = v->f->addr + v->off;

		if (in->mem.rip ? s->rip_addr != pc + in->length + in->mem.disp :
		    s->base != in->mem.base || s->index != in->mem.index ||
		    s->disp != in->mem.disp ||
		    (in->mem.index != KEDR_REG_NONE && s->scale != in->mem.scale))
			vbad(v, "computed exit: the site's operand is not the jump's");
	}
	if (flags && s->span != v->f->size)
		vbad(v, "computed exit: span %u, expected the function's size %u", s->span,
		     v->f->size);
	if (flags && (s->count[0] || s->count[1] || (s->flags & KEDR_SITE_COUNTED)))
		vbad(v, "computed exit counted without looking at its target");
}

/* which instructions' accesses the rules record */
static bool rule_records(const struct kedr_insn *in)
{
	if (in->str_op != KEDR_STR_NONE)
		return true;
	if (!in->has_mem || !in->access)
		return false;
	if (in->sp_based && !process_sp_accesses)
		return false;
	switch (in->class) {
	case KEDR_CLASS_MOV: case KEDR_CLASS_XCHG: case KEDR_CLASS_SETCC:
	case KEDR_CLASS_CMOVCC: case KEDR_CLASS_ALU: case KEDR_CLASS_BITOP:
	case KEDR_CLASS_CMP: case KEDR_CLASS_CMPXCHG: case KEDR_CLASS_XADD:
	case KEDR_CLASS_SHIFT: case KEDR_CLASS_STACK:
		return true;
	case KEDR_CLASS_BRANCH:	/* CALL/JMP through memory */
		return in->flow == KEDR_FLOW_CALL_IND || in->flow == KEDR_FLOW_JMP_IND;
	}
	return false;
}

static u8 rule_kind(const struct kedr_insn *in)
{
	bool r = in->access & KEDR_ACC_READ, w = in->access & KEDR_ACC_WRITE;

	if (in->str_op != KEDR_STR_NONE)
		return KEDR_SITE_STRING;
	if (in->class == KEDR_CLASS_XCHG || ((in->prefixes & KEDR_P_LOCK) && w))
		return KEDR_SITE_LOCKED;
	if (r && w)
		return KEDR_SITE_UPDATE;
	return w ? KEDR_SITE_WRITE : KEDR_SITE_READ;
}

static void expect_access(struct vctx *v, const struct kedr_insn *in, unsigned long pc)
{
	u8 kind = rule_kind(in);
	const struct kedr_site *s = take_site(v, kind);
	u8 seg, flags = 0;
	long disp;

	if (!s)
		return;
	if (kind == KEDR_SITE_STRING)
		seen(FT_STRING);
	else if (kind == KEDR_SITE_LOCKED)
		seen(FT_LOCKED);
	else if (kind == KEDR_SITE_UPDATE)
		seen(FT_UPDATE);
	switch (in->class) {
	case KEDR_CLASS_SHIFT: seen(FT_SHIFT); break;
	case KEDR_CLASS_XADD: seen(FT_XADD); break;
	case KEDR_CLASS_CMPXCHG: seen(FT_CMPXCHG); break;
	case KEDR_CLASS_BITOP: seen(FT_BITOP); break;
	case KEDR_CLASS_SETCC: seen(FT_SETCC); break;
	case KEDR_CLASS_CMOVCC: seen(FT_CMOV); break;
	case KEDR_CLASS_STACK:
		if (in->mem.base == KEDR_REG_RSP && !(in->access & KEDR_ACC_READ))
			seen(FT_POP_RSP);
		break;
	}
	if (in->flow == KEDR_FLOW_JMP_IND)
		seen(FT_JMP_MEM);
	if (in->flow == KEDR_FLOW_CALL_IND)
		seen(FT_CALL_MEM);
	if (in->mem.rip)
		seen(FT_RIP);
	if (in->mem.seg == KEDR_SEG_GS)
		seen(FT_GS);
	if (s->pc != pc || s->size != in->access_size)
		vbad(v, "site pc 0x%lx size %u, expected 0x%lx size %u", s->pc, s->size,
		     pc, in->access_size);
	if (kind == KEDR_SITE_STRING) {
		seg = in->seg_prefix == KEDR_SEG_FS || in->seg_prefix == KEDR_SEG_GS ?
			in->seg_prefix : KEDR_SEG_NONE;
		if (in->str_rep != KEDR_REP_NONE)
			flags |= KEDR_SITE_REP;
		if (in->prefixes & KEDR_P_ADSIZE)
			flags |= KEDR_SITE_ADDR32;
		if (s->string != in->str_op || s->seg != seg || (s->flags & ~KEDR_SITE_COUNTED) != flags)
			vbad(v, "string site: op %u seg %u flags 0x%x, expected %u %u 0x%x",
			     s->string, s->seg, s->flags, in->str_op, seg, flags);
		return;
	}
	seg = in->mem.seg;	/* the decoder sets only FS and GS */
	disp = in->mem.disp;
	/* POP m: with an %rsp base, the address is computed after the pop */
	if (in->class == KEDR_CLASS_STACK && !(in->access & KEDR_ACC_READ) &&
	    in->mem.base == KEDR_REG_RSP)
		disp += in->access_size;
	if (in->mem.rip)
		flags |= KEDR_SITE_RIP;
	if (in->mem.addr32)
		flags |= KEDR_SITE_ADDR32;
	if ((s->flags & ~KEDR_SITE_COUNTED) != flags || s->seg != seg)
		vbad(v, "site flags 0x%x seg %u, expected 0x%x %u", s->flags, s->seg, flags, seg);
	if (in->mem.rip) {
		if (s->rip_addr != pc + in->length + in->mem.disp)
			vbad(v, "site rip_addr 0x%lx, expected 0x%lx", s->rip_addr,
			     pc + in->length + in->mem.disp);
		return;
	}
	if (s->base != in->mem.base || s->index != in->mem.index || s->disp != disp ||
	    (in->mem.index != KEDR_REG_NONE && s->scale != in->mem.scale))
		vbad(v, "site operand %d,%d,%u,%ld, expected %d,%d,%u,%ld", s->base, s->index,
		     s->scale, s->disp, in->mem.base, in->mem.index, in->mem.scale, disp);
}

static bool related(const struct kedr_func *a, const struct kedr_func *b)
{
	return a->parent == b || b->parent == a || (a->parent && a->parent == b->parent);
}

/*
 * Where a direct branch of @f to @target must land: the instance place of
 * the target instruction (its sites included) if it stays inside @f or its
 * .cold family, else the original @target (*@outside set). A branch to the
 * very start of a function that is not .cold goes through the original.
 */
static unsigned long want_dest(struct vctx *v, unsigned long target, bool *outside)
{
	struct kedr_func *f = v->f, *g = find_function(target);
	const struct kedr_insn_map *m;

	*outside = !g || (target == g->addr && !g->cold) || (g != f && !related(f, g));
	if (*outside)
		return target;
	if (g != f) {
		S.family_jumps++;
		seen(FT_FAMILY);
	}
	if (!g->inst)
		return target;
	m = g->map ? map_lookup(g, target - g->addr) : NULL;
	if (!m) {
		vbad(v, "a branch into the middle of an instruction of %s", g->name);
		return 0;
	}
	return g->inst + m->inst;
}

static void expect_rel32(struct vctx *v, unsigned int at, unsigned long want, const char *what)
{
	unsigned long got = v->f->inst + at + 4 + rd32(v->inst + at);

	if (got != want)
		vbad(v, "%s goes to 0x%lx, expected 0x%lx", what, got, want);
}

static void check_branch(struct vctx *v, const struct kedr_insn *in, const u8 *code,
			 unsigned long target, bool outside, unsigned long dest)
{
	const u8 *p = v->inst + v->pos;
	unsigned int i;

	switch (in->flow) {
	case KEDR_FLOW_CALL:
		if (p[0] != KEDR_OP_CALL_REL32)
			return vbad(v, "expected call rel32");
		expect_rel32(v, v->pos + 1, dest, "call");
		v->pos += 5;
		break;
	case KEDR_FLOW_JMP:
		if (p[0] != KEDR_OP_JMP_REL32)
			return vbad(v, "expected jmp rel32");
		expect_rel32(v, v->pos + 1, dest, "jmp");
		v->pos += 5;
		break;
	case KEDR_FLOW_JCC:
	case KEDR_FLOW_LOOP:
		if (outside) {
			dest = v->f->inst + v->f->body_size + v->ntramp * (SITE_SEQ_LEN + 5);
			v->tramp = realloc(v->tramp, (v->ntramp + 1) * sizeof(*v->tramp));
			v->tramp[v->ntramp++] = target;
			seen(FT_TRAMP);
		}
		if (in->flow == KEDR_FLOW_JCC) {
			if (p[0] != 0x0f || p[1] != (0x80 | (in->opcode & 0x0f)))
				return vbad(v, "expected j%x rel32", in->opcode & 0x0f);
			expect_rel32(v, v->pos + 2, dest, "jcc");
			v->pos += 6;
			break;
		}
		S.loops++;
		seen(FT_LOOP);
		for (i = 0; i + 1 < in->length; i++)
			if (p[i] != code[i])
				return vbad(v, "LOOP/JRCXZ prefix or opcode changed");
		p += in->length - 1;
		if (p[0] != 2 || p[1] != 0xeb || p[2] != 5 || p[3] != KEDR_OP_JMP_REL32)
			return vbad(v, "LOOP/JRCXZ: expected loop +2; jmp +5; jmp rel32");
		expect_rel32(v, v->pos + in->length + 3, dest, "loop");
		v->pos += in->length + 7;
		break;
	}
}

static void check_copy(struct vctx *v, const struct kedr_insn *in, const u8 *code,
		       unsigned long pc)
{
	const u8 *p = v->inst + v->pos;
	struct kedr_insn ni;
	unsigned int i;

	if (kedr_decode(p, v->f->code_size - v->pos, &ni) != in->length)
		return vbad(v, "the copy does not decode to the same length");
	for (i = 0; i < in->length; i++) {
		if (in->has_mem && in->mem.rip && i >= in->disp_off && i < in->disp_off + 4u)
			continue;
		if (p[i] != code[i])
			return vbad(v, "the copy differs at byte %u", i);
	}
	if (in->has_mem && in->mem.rip) {
		unsigned long want = pc + in->length + in->mem.disp;
		unsigned long got = v->f->inst + v->pos + in->length + rd32(p + in->disp_off);

		if (got != want)
			vbad(v, "RIP-relative operand at 0x%lx, expected 0x%lx", got, want);
	}
	if (in->flow == KEDR_FLOW_JMP_IND && in->has_mem && in->mem.index != KEDR_REG_NONE)
		S.table_jumps++;
	v->pos += in->length;
}

static void verify_insn(struct vctx *v, unsigned int i, const struct kedr_insn *in)
{
	struct kedr_func *f = v->f;
	unsigned long pc = f->addr + v->off, target = 0, dest = 0;
	unsigned long exit_pc = f->parent ? f->parent->addr : f->addr;
	const u8 *code = (const u8 *)pc;
	bool branch = false, outside = false;

	if (f->map[i].orig != v->off || f->map[i].inst != v->pos)
		vbad(v, "map says orig +0x%x at +0x%x", f->map[i].orig, f->map[i].inst);
	if (in->flow == KEDR_FLOW_JMP || in->flow == KEDR_FLOW_JCC ||
	    in->flow == KEDR_FLOW_LOOP || in->flow == KEDR_FLOW_CALL) {
		branch = true;
		target = pc + in->length + in->branch_disp;
		dest = want_dest(v, target, &outside);
	}
	if (is_jump_label_site(pc)) {	/* 5-byte form, no site */
		S.jl_sites++;
		seen(FT_JL);
		if (f->map[i].copy != v->pos)
			vbad(v, "map says the copy is at +0x%x", f->map[i].copy);
		if (in->flow == KEDR_FLOW_JMP) {
			if (v->inst[v->pos] != KEDR_OP_JMP_REL32)
				return vbad(v, "static key: expected jmp rel32");
			expect_rel32(v, v->pos + 1, dest, "static key jmp");
		} else if (memcmp(v->inst + v->pos, nop5, 5)) {
			return vbad(v, "static key: expected the 5-byte nop");
		}
		v->pos += 5;
		return;
	}
	if (rule_records(in))
		expect_access(v, in, pc);
	if (in->flow == KEDR_FLOW_RET || in->flow == KEDR_FLOW_JMP_IND ||
	    (in->flow == KEDR_FLOW_JMP && outside)) {
		expect_exit(v, exit_pc, in, in->flow == KEDR_FLOW_JMP ? target : 0);
		if (f->cold)
			seen(FT_COLD_EXIT);
	}
	if (v->bad)
		return;
	if (site_seq_at(v, v->pos) || store_check_at(v, v->pos))
		return vbad(v, "a site the rules do not predict");
	if (f->map[i].copy != v->pos)
		vbad(v, "map says the copy is at +0x%x", f->map[i].copy);
	if (branch)
		check_branch(v, in, code, target, outside, dest);
	else
		check_copy(v, in, code, pc);
}

static void verify_function(struct kedr_func *f)
{
	struct vctx v = { .f = f, .inst = (const u8 *)f->inst };
	unsigned long exit_pc = f->parent ? f->parent->addr : f->addr;
	struct kedr_insn in;
	unsigned int i, k;

	if (!f->cold)
		expect_boundary(&v, KEDR_SITE_ENTRY, f->addr);
	for (i = 0; i < f->nr_insns && !v.bad; i++, v.off += in.length) {
		if (kedr_decode((const u8 *)f->addr + v.off, f->size - v.off, &in) < 0) {
			vbad(&v, "the original does not decode");
			break;
		}
		verify_insn(&v, i, &in);
		S.insns++;
	}
	if (!v.bad && v.off != f->size)
		vbad(&v, "instructions cover 0x%x bytes of 0x%x", v.off, f->size);
	if (!v.bad && v.pos != f->body_size)
		vbad(&v, "body ends at +0x%x, body_size 0x%x", v.pos, f->body_size);
	for (k = 0; k < v.ntramp && !v.bad; k++) {
		v.off = 0;
		expect_exit(&v, exit_pc, NULL, v.tramp[k]);
		if (v.bad)
			break;
		if (v.inst[v.pos] != KEDR_OP_JMP_REL32) {
			vbad(&v, "trampoline: expected jmp rel32");
			break;
		}
		expect_rel32(&v, v.pos + 1, v.tramp[k], "trampoline jmp");
		v.pos += 5;
	}
	S.tramps += v.ntramp;
	if (!v.bad && v.pos != f->code_size)
		vbad(&v, "instance ends at +0x%x, code_size 0x%x", v.pos, f->code_size);
	if (!v.bad && v.site != f->nr_sites)
		vbad(&v, "the rules predict %u sites, the plan says %u", v.site, f->nr_sites);
	S.sites += v.site;
	S.verified++;
	free(v.tramp);
}

/* ---- Modes --------------------------------------------------------------- */

static void check_module(const char *path)
{
	unsigned long orig = 0, inst = 0;
	unsigned int i, n_inst = 0;

	mod_mismatches = 0;
	S.modules++;
	if (load_module(path)) {
		S.load_failed++;
		fprintf(stderr, "%s: cannot load\n", path);
		unload_module();
		return;
	}
	collect_functions();
	run_engine(true);
	S.functions += M.nr_funcs;
	S.aliases += M.nr_aliases;
	S.padding += M.nr_padding;
	for (i = 0; i < M.nr_funcs; i++) {
		struct kedr_func *f = &M.funcs[i];

		S.cold += f->cold;
		S.planned += given_to_plan(f);
		if (f->skip) {
			count_reason(f->skip);
			if (verbose)
				printf("  left alone: %s (%u bytes): %s (at +0x%x)\n",
				       f->name, f->size, f->skip, f->skip_off);
			continue;
		}
		n_inst++;
		S.cold_instrumented += f->cold;
		orig += f->size;
		inst += ALIGN(f->code_size, 16);
		verify_function(f);
	}
	S.instrumented += n_inst;
	S.orig_bytes += orig;
	S.inst_bytes += inst;
	if (verbose)
		printf("%s: %u functions, %u instrumented, %lu -> %lu bytes, %u sites, %u mismatches\n",
		       M.name, M.nr_funcs, n_inst, orig, inst, M.nr_sites, mod_mismatches);
	unload_module();
}

static char **paths;
static size_t npaths;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t l = strlen(path);

	(void)st; (void)ftw;
	if (type == FTW_F && l > 3 && !strcmp(path + l - 3, ".ko")) {
		paths = realloc(paths, (npaths + 1) * sizeof(*paths));
		paths[npaths++] = strdup(path);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* a seeded choice of @n paths (Fisher-Yates with an LCG), kept in order */
static void sample_paths(size_t n, unsigned long seed)
{
	size_t i;

	if (n >= npaths)
		return;
	for (i = 0; i < n; i++) {
		size_t j;
		char *t;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		j = i + (seed >> 33) % (npaths - i);
		t = paths[i];
		paths[i] = paths[j];
		paths[j] = t;
	}
	for (i = n; i < npaths; i++)
		free(paths[i]);
	npaths = n;
	qsort(paths, npaths, sizeof(*paths), cmp_str);
}

static int do_check(char **named, int nnamed)
{
	unsigned int i;
	int k;

	for (i = 0; i < npaths; i++)
		check_module(paths[i]);
	for (k = 0; k < nnamed; k++)
		check_module(named[k]);
	printf("modules: %lu (%lu could not be loaded), fentry calls made nops: %lu, paravirt calls made native: %lu\n",
	       S.modules, S.load_failed, S.fentry_nops, S.native_pv);
	printf("functions: %lu (aliases folded: %lu; __pfx_ padding symbols skipped: %lu), .cold parts: %lu\n",
	       S.functions, S.aliases, S.padding, S.cold);
	printf("given to plan_function: %lu; instrumented: %lu (.cold parts: %lu); left alone: %lu\n",
	       S.planned, S.instrumented, S.cold_instrumented, S.functions - S.instrumented);
	for (i = 0; i < MAX_REASONS && S.reason[i]; i++)
		printf("  left alone: %-55s %lu\n", S.reason[i], S.reason_count[i]);
	printf("checked: %lu functions, %lu instructions, %lu sites (entry %lu, exit %lu, read %lu, write %lu, update %lu, locked %lu, string %lu)\n",
	       S.verified, S.insns, S.sites, S.site_kind[KEDR_SITE_ENTRY],
	       S.site_kind[KEDR_SITE_EXIT], S.site_kind[KEDR_SITE_READ],
	       S.site_kind[KEDR_SITE_WRITE], S.site_kind[KEDR_SITE_UPDATE],
	       S.site_kind[KEDR_SITE_LOCKED], S.site_kind[KEDR_SITE_STRING]);
	printf("inline counts: %lu of the sites (the flags dead there, Capstone agreeing)\n",
	       S.inline_sites);
	printf("seen: %lu static key sites, %lu LOOP/JRCXZ, %lu trampolines, %lu jumps within .cold families, %lu indexed indirect jumps\n",
	       S.jl_sites, S.loops, S.tramps, S.family_jumps, S.table_jumps);
	printf("code: %lu original bytes -> %lu instrumented bytes (%.2fx)\n",
	       S.orig_bytes, S.inst_bytes, S.orig_bytes ? (double)S.inst_bytes / S.orig_bytes : 0);
	printf("dry size == real size: %lu of %lu instances (%lu real runs failed or differed)\n",
	       S.size_ok, S.instrumented, S.emit_errors);
	printf("unknown relocation types in code: %lu\n", S.unknown_relocs);
	for (i = 0; i < FT_COUNT; i++)
		printf("  %-17s %9lu, first in %s\n", ft_name[i], ft_count[i],
		       ft_first[i] ? ft_first[i] : "-");
	printf("mismatches: %lu (in %lu functions)\n", S.mismatches, S.bad_funcs);
	return S.mismatches || S.load_failed ? 1 : 0;
}

/* ---- Bench ---------------------------------------------------------------- */

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_REPS 32

static int do_bench(int reps)
{
	double t_eng[MAX_REPS] = { 0 }, t_cs[MAX_REPS] = { 0 }, ratio[MAX_REPS];
	double *growth = calloc(npaths + 1, sizeof(double));
	unsigned long bytes = 0, insns_cs = 0, orig_all = 0, inst_all = 0;
	size_t ngrowth = 0, i, worst = 0;
	cs_insn *ci;
	csh cs;
	int r;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 2;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_OFF);
	ci = cs_malloc(cs);
	for (i = 0; i < npaths; i++) {
		unsigned long orig = 0, inst = 0;
		unsigned int k;

		if (load_module(paths[i])) {
			unload_module();
			continue;
		}
		collect_functions();
		for (k = 0; k < M.nr_funcs; k++)
			if (given_to_plan(&M.funcs[k]))
				bytes += M.funcs[k].size;
		for (r = 0; r < reps; r++) {
			double t;

			reset_plan();
			t = cpu_now();
			run_engine(false);
			t_eng[r] += cpu_now() - t;
			t = cpu_now();
			for (k = 0; k < M.nr_funcs; k++) {
				const uint8_t *p = (const uint8_t *)M.funcs[k].addr;
				size_t left = M.funcs[k].size;
				uint64_t addr = M.funcs[k].addr;

				if (!given_to_plan(&M.funcs[k]))
					continue;
				while (left) {
					if (cs_disasm_iter(cs, &p, &left, &addr, ci)) {
						insns_cs++;
						continue;
					}
					p++;
					left--;
					addr++;
				}
			}
			t_cs[r] += cpu_now() - t;
		}
		for (k = 0; k < M.nr_funcs; k++) {
			if (M.funcs[k].skip)
				continue;
			orig += M.funcs[k].size;
			inst += ALIGN(M.funcs[k].code_size, 16);
		}
		orig_all += orig;
		inst_all += inst;
		if (orig) {
			growth[ngrowth] = (double)inst / orig;
			if (growth[ngrowth] > growth[worst])
				worst = ngrowth;
			paths[ngrowth] = paths[i];	/* keep the name beside its figure */
			ngrowth++;
		}
		unload_module();
	}

	printf("engine: decode + plan + emit of every function of %zu modules (%lu bytes), %d repetitions, thread CPU time\n",
	       npaths, bytes, reps);
	for (r = 0; r < reps; r++) {
		ratio[r] = t_cs[r] / t_eng[r];
		printf("rep %d: engine %.3f s (%.1f MB/s), capstone decode only %.3f s (%.1f MB/s), ratio %.2f\n",
		       r + 1, t_eng[r], bytes / t_eng[r] / 1e6, t_cs[r], bytes / t_cs[r] / 1e6, ratio[r]);
	}
	printf("worst growth: %s %.2fx\n", ngrowth ? paths[worst] : "-", ngrowth ? growth[worst] : 0);
	{
		double lo_r = 1e9, hi_r = 0, te = median(t_eng, reps), tc = median(t_cs, reps);
		double g_med, g_max = ngrowth ? growth[worst] : 0;

		for (r = 0; r < reps; r++) {
			lo_r = ratio[r] < lo_r ? ratio[r] : lo_r;
			hi_r = ratio[r] > hi_r ? ratio[r] : hi_r;
		}
		g_med = ngrowth ? median(growth, ngrowth) : 0;
		printf("BENCH speed_ratio_median %.2f\n", median(ratio, reps));
		printf("BENCH speed_ratio_min %.2f\nBENCH speed_ratio_max %.2f\n", lo_r, hi_r);
		printf("BENCH engine_s_median %.3f\nBENCH capstone_s_median %.3f\n", te, tc);
		printf("BENCH engine_MBps %.1f\nBENCH capstone_MBps %.1f\n", bytes / te / 1e6,
		       bytes / tc / 1e6);
		printf("BENCH bytes %lu\nBENCH modules %zu\nBENCH reps %d\n", bytes, npaths, reps);
		printf("BENCH growth_median %.2f\nBENCH growth_worst %.2f\nBENCH growth_total %.2f\n",
		       g_med, g_max, orig_all ? (double)inst_all / orig_all : 0);
	}
	cs_free(ci, 1);
	cs_close(&cs);
	free(growth);
	return 0;
}

/* map the arena at ARENA_BASE (ENGINE_ARENA_MB: its size); false, said, if it cannot be */
static bool map_arena(void)
{
	void *arena;

	if (getenv("ENGINE_ARENA_MB"))
		ARENA_SIZE = strtoul(getenv("ENGINE_ARENA_MB"), NULL, 0) << 20;
	arena = mmap((void *)ARENA_BASE, ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (arena != (void *)ARENA_BASE) {
		fprintf(stderr, "cannot map the arena at 0x%lx\n", ARENA_BASE);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	unsigned long seed = 20261127, sample = 0;
	char **named = NULL;
	int nnamed = 0, reps = 5, i;
	const char *mode;

	if (argc < 3 || (strcmp(argv[1], "check") && strcmp(argv[1], "bench"))) {
		fprintf(stderr, "usage: %s check [-f 0|1] [-s] [-v] [-a BYTES] [-n N] [-S SEED] PATH...\n"
			"       %s bench [-f 0|1] [-r R] PATH...\n", argv[0], argv[0]);
		return 2;
	}
	mode = argv[1];
	if (!map_arena())
		return 2;
	named = calloc(argc, sizeof(*named));
	for (i = 2; i < argc; i++) {
		struct stat st;

		if (!strcmp(argv[i], "-s")) {
			process_sp_accesses = true;
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			fast = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-a") && i + 1 < argc) {
			area_size = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			sample = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "-S") && i + 1 < argc) {
			seed = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS)
				reps = 5;
		} else if (!stat(argv[i], &st) && S_ISDIR(st.st_mode)) {
			nftw(argv[i], visit, 16, FTW_PHYS);
		} else {
			named[nnamed++] = argv[i];
		}
	}
	qsort(paths, npaths, sizeof(*paths), cmp_str);
	if (sample)
		sample_paths(sample, seed);
	if (!strcmp(mode, "check"))
		return do_check(named, nnamed);
	for (i = 0; i < nnamed; i++) {
		paths = realloc(paths, (npaths + 1) * sizeof(*paths));
		paths[npaths++] = named[i];
	}
	return do_bench(reps);
}
