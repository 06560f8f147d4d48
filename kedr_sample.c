// SPDX-License-Identifier: GPL-2.0
/*
 * kedr_sample.c - watch another kernel module work, by rewriting its machine
 * code in memory the moment it is loaded.
 *
 * You tell kedr_sample the name of a module, the "target". kedr_sample waits
 * for it. When the target is loaded, after the kernel has placed its code in
 * memory but before the target's init function runs, kedr_sample writes an
 * instrumented copy of every function of the target and makes the original
 * jump to it. The copies record what the target does: each function entry
 * and exit, and each memory read, write and locked update. When the target
 * is unloaded, the records appear in debugfs.
 *
 * A session (`make demo` runs it in the lab; these lines are from such a
 * run on Debian 12's 6.1 kernel, shortened where it says "..."; the
 * numbers are checked against a run by tests/07-comment-facts.t):
 *
 *   # insmod kedr_sample.ko target_name=kedr_sample_target
 *   # insmod sample_target/kedr_sample_target.ko
 *   # echo hello > /dev/cfake0; dd if=/dev/cfake0 bs=5 count=1
 *   hello
 *   # rmmod kedr_sample_target
 *   # cat /sys/kernel/debug/kedr_sample/output
 *   [Totals] reads: 64; writes: 23; locked updates: 0.
 *   ...
 *   TID=0xff14dfebc25f4200 entry: addr=0xffffffffc092a280 ("cfake_open")
 *   TID=0xff14dfebc25f4200 read at 0xffffffffc092a289 (cfake_open+0x9/0x4d [kedr_sample_target]): addr=0xffffffffbc42e220, size=8
 *   TID=0xff14dfebc25f4200 read at 0xffffffffc092a2a8 (cfake_open+0x28/0x4d [kedr_sample_target]): addr=0xff14dfebc253b3d8, size=8
 *   TID=0xff14dfebc25f4200 write at 0xffffffffc092a2af (cfake_open+0x2f/0x4d [kedr_sample_target]): addr=0xff14dfebc18c02c8, size=8
 *   TID=0xff14dfebc25f4200 write at 0xffffffffc092a2ba (cfake_open+0x3a/0x4d [kedr_sample_target]): addr=0xff14dfebc18c2270, size=8
 *   TID=0xff14dfebc25f4200 exit: addr=0xffffffffc092a280 ("cfake_open")
 *   ...
 *   # dmesg | grep '\[sample\]'
 *   [sample] waiting for "kedr_sample_target"
 *   [sample] target "kedr_sample_target" is coming: core text 4096 bytes, init text 4096 bytes
 *   [sample] 8 functions, 1408 bytes (7 in core text, 1 in init text), 0 .cold parts, 2 aliases folded
 *   [sample] instrumented 8 functions, left alone 0; original code 1408 bytes, instrumented code 3872 bytes (core 2448, init 1424), 77 sites
 *   [sample] target "kedr_sample_target" is live: instances of init functions freed
 *   [sample] target "kedr_sample_target" is going: 64 reads, 23 writes, 0 locked updates, 9 entries, 9 exits; 105 events stored
 *   # rmmod kedr_sample
 *
 * Parameters: target_name (required), process_sp_accesses (record accesses
 * through %rsp too), num_records (how many events to keep), keep (the
 * "first" or the "last" of them), recording (0: start with the switch
 * kedr_sample/recording off), fast (0: the simple instrumenter alone,
 * without the speed-ups of part 14). With "dyndbg=+p" the log also lists
 * every function found.
 *
 * The file is meant to be read from top to bottom, as a story. Its parts,
 * which are also the chapters of the walkthrough in doc/:
 *
 *   1. The big picture
 *   2. Parameters, and reaching what the kernel does not export
 *   3. Anatomy of an x86-64 instruction
 *   4. Decoding one instruction
 *   5. One function, before and after
 *   6. The run-time side: recording an event
 *   7. Where the instances live
 *   8. What loaded code looks like
 *   9. The emitter
 *  10. Patching the original
 *  11. Instrumenting the target
 *  12. The output
 *  13. Module init and exit
 *  14. Making it fast
 *  15. Limitations and exercises
 *
 * Parts 1 to 13 are the simplest instrumenter that is correct on a hardened
 * kernel, and fast=0 runs them alone; part 14 makes it fast (fast=1, the
 * default) and can be skipped on a first reading.
 */

#define pr_fmt(fmt) "[sample] " fmt

#include <linux/debugfs.h>
#include <linux/elf.h>
#include <linux/jump_label.h>
#include <linux/kdebug.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/objtool.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/static_call_types.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#include <linux/execmem.h>	/* execmem_alloc() replaced module_alloc() */
#endif
#include <asm/extable.h>
#include <asm/ibt.h>
#include <asm/linkage.h>
#include <asm/msr.h>
#include <asm/percpu.h>

MODULE_AUTHOR("kedr_sample developers");
MODULE_DESCRIPTION("Instruments a kernel module at load time and records its memory accesses");
MODULE_LICENSE("GPL");

/* ==== 1. THE BIG PICTURE ==== */

/**
 * DOC: The big picture
 *
 * Everything kedr_sample does happens in two places: at load time, once,
 * and at run time, each time the target's code runs::
 *
 *   load time                                  run time
 *   ---------                                  --------
 *   insmod target.ko
 *        |
 *        v
 *   module notifier: COMING        +-------------------------------+
 *        |                         | the target's original code    |
 *        v                         |  foo: jmp foo'  int3 int3 ... |---+
 *   for each function foo:         +-------------------------------+   |
 *     decoder: bytes -> insns                                          |
 *     emitter: insns -> foo'       +-------------------------------+   |
 *     patch: foo starts with       | foo' (the instrumented copy)  |<--+
 *       a jump to foo'             |  record(entry)                |
 *        |                         |  record(read, addr, size)     |
 *        v                         |  mov (%rax), %rdx  (original) |
 *   target's init runs ----------->|  ...                          |
 *                                  +---------------+---------------+
 *                                                  v
 *                                    records (a fixed-size array)
 *                                                  |
 *   rmmod target: GOING ---------------------------+
 *        |                                         v
 *        +--------------------------> debugfs: kedr_sample/output
 *
 * A "function" here is what the target's symbol table calls one: an
 * STT_FUNC symbol with a size. The instrumented copy (the "instance")
 * lives in an area reserved inside kedr_sample's own code, near the target
 * (a jump on x86-64 reaches +-2 GiB), and the original gets a jump to it,
 * so every caller, whether it calls the function directly, through a
 * pointer or from the kernel, ends up in the copy.
 *
 * Some functions cannot be moved safely (part 11 says which and why); they
 * are left as they are, and the log says so.
 */

/* ==== 2. PARAMETERS, AND REACHING WHAT THE KERNEL DOES NOT EXPORT ==== */

/*
 * target_name: the module to instrument, as the kernel names it. The kernel
 * turns '-' into '_' in module names (KBUILD_MODNAME), so "kedr-sample-target"
 * and "kedr_sample_target" mean the same module; kedr_sample accepts either
 * and compares with underscores, as lsmod prints them.
 */
static char *target_name;
module_param(target_name, charp, 0444);
MODULE_PARM_DESC(target_name, "Name of the module to instrument (required)");

/*
 * process_sp_accesses: accesses through %rsp are mostly the function's own
 * stack frame (21.6% of the memory operands kedr_sample would record in
 * Debian's 6.1 modules: tests/07-comment-facts.t checks this figure and
 * the others of the comments), which is rarely interesting and costly to
 * record. Off by default, as in KEDR.
 */
static bool process_sp_accesses;
module_param(process_sp_accesses, bool, 0444);
MODULE_PARM_DESC(process_sp_accesses,
		 "Also record memory accesses made through %rsp (default: no)");

/*
 * fast: with fast=0, kedr_sample is the simplest instrumenter that works:
 * every event calls the recorder, in C, through the simple stub of part 6,
 * kedr_event_stub. With fast=1 (the default) it adds the speed-ups of the
 * last part, "Making it fast": a stub with a counting-only shortcut once
 * the store is full, which saves only the flags it changes, and counts
 * done inline where the flags are dead. Both record the same events
 * (tests/24-fast-vs-simple.t); make bench measures what fast=1 buys.
 */
static bool fast = true;
module_param(fast, bool, 0444);
MODULE_PARM_DESC(fast,
		 "Use the speed-ups of the part \"Making it fast\" (default: yes; 0: the simple instrumenter)");

/*
 * The hooks into the last part, "Making it fast", where they are defined.
 * fast=0 never calls them: each call is written "if (fast) ...". Until that
 * part, this file is the simple instrumenter and nothing else.
 */
struct kedr_site;
struct kedr_func;
struct kedr_emitter;
struct kedr_insn_map;
static int fast_init(void);				/* kedr_sample_init() */
static bool fast_counted(const struct kedr_site *s);	/* record_event() */
static void fast_store_full(bool full);		/* record_event() */
static struct kedr_func *function_at_fast(struct kedr_func *funcs,
					  unsigned int n,
					  unsigned long addr);	/* function_at() */
static const struct kedr_insn_map *map_lookup_fast(const struct kedr_func *g,
						   unsigned int off); /* map_lookup() */
static void find_dead_flags(struct kedr_func *f);	/* plan_function() */
static void fast_begin_function(const struct kedr_func *f);	/* emit_function() */
static void emit_site_fast(struct kedr_emitter *e,	/* emit_site() */
			   const struct kedr_site *site);

/*
 * The name kedr_sample compares with: target_name with '-' turned into '_'.
 * MODULE_NAME_LEN (56 on x86-64) includes the terminating zero.
 */
static char target[MODULE_NAME_LEN];

/**
 * DOC: Reaching what the kernel does not export
 *
 * A module may call only the kernel functions that are exported to it.
 * Since Linux 5.7, kallsyms_lookup_name() (which finds any kernel symbol by
 * name) is not exported, and neither are find_module(), module_alloc() or
 * text_poke(), which an instrumenting module needs. One exported facility
 * still knows every symbol: kprobes. Registering a kprobe on a function by
 * name makes the kernel look the name up and fill in kp.addr; unregistering
 * it right away leaves nothing behind. We do that once, for
 * kallsyms_lookup_name itself, and ask it for everything else.
 *
 * This is a trick, not an interface: a kernel built without CONFIG_KPROBES
 * or with kallsyms_lookup_name blacklisted for kprobes would refuse it, and
 * kedr_sample then refuses to load, saying why.
 */

typedef unsigned long (*kallsyms_lookup_name_t)(const char *name);
static kallsyms_lookup_name_t lookup_name;

/* [snippet:kernel-symbols] */
/* The kernel functions we look up, and where we keep their addresses */
static struct module *(*kedr_find_module)(const char *name);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
/* module_alloc(size) became execmem_alloc(type, size) in 6.10 */
#define KEDR_ALLOC_SYMBOL	KEDR_SYMBOL(execmem_alloc)
static void *(*kedr_execmem_alloc)(enum execmem_type type, size_t size);
#define kedr_module_alloc(size)	kedr_execmem_alloc(EXECMEM_MODULE_DATA, size)
#else
#define KEDR_ALLOC_SYMBOL	KEDR_SYMBOL(module_alloc)
static void *(*kedr_module_alloc)(unsigned long size);
#endif
static int (*kedr_set_memory_ro)(unsigned long addr, int numpages);
static void *(*kedr_text_poke_copy)(void *addr, const void *opcode, size_t len);
static void *(*kedr_text_poke_set)(void *addr, int c, size_t len);

#define KEDR_SYMBOL(name) { #name, (void **)&kedr_##name }
static const struct {
	const char *name;
	void **addr;
} kernel_symbols[] = {
	KEDR_SYMBOL(find_module),	/* is the target loaded already? */
	KEDR_ALLOC_SYMBOL,		/* memory near the target, for the sites */
	KEDR_SYMBOL(set_memory_ro),	/* the sites, once written */
	KEDR_SYMBOL(text_poke_copy),	/* write into read-only code */
	KEDR_SYMBOL(text_poke_set),	/* fill read-only code */
};
/* [/snippet:kernel-symbols] */

/**
 * find_lookup_name() - get the address of kallsyms_lookup_name() via kprobes
 *
 * Return: 0 or the error register_kprobe() gave.
 */
static int find_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	int err;

	err = register_kprobe(&kp);
	if (err)
		return err;
	lookup_name = (kallsyms_lookup_name_t)kp.addr;
	unregister_kprobe(&kp);
	return 0;
}

/**
 * resolve_kernel_symbols() - find the unexported kernel functions we use
 *
 * Return: 0, or an error (with a message) if one of them is missing.
 */
static int resolve_kernel_symbols(void)
{
	unsigned int i;
	int err;

	err = find_lookup_name();
	if (err) {
		pr_err("cannot find kallsyms_lookup_name via kprobes (error %d)\n",
		       err);
		return err;
	}
	for (i = 0; i < ARRAY_SIZE(kernel_symbols); i++) {
		*kernel_symbols[i].addr = (void *)lookup_name(kernel_symbols[i].name);
		if (!*kernel_symbols[i].addr) {
			pr_err("cannot find %s() in this kernel\n",
			       kernel_symbols[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * The kernel's retpoline thunks, by register number (0 = %rax ... 15 =
 * %r15), 0 where there is none. In a kernel built with retpolines the
 * compiler writes "jmp *%rdi" as "jmp __x86_indirect_thunk_rdi", a direct
 * jump out of the module, and the kernel may turn it back into "jmp *%rdi"
 * as it loads the module. Either way the jump goes where %rdi says, and
 * the emitter needs to know which register that is (emit_exit_site()).
 * Kernels with call depth tracking also have __x86_indirect_jump_thunk_*.
 */
static unsigned long kedr_jump_thunks[2][16];

/**
 * find_jump_thunks() - fill kedr_jump_thunks[] by name
 */
static void find_jump_thunks(void)
{
	static const char *const regs[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	static const char *const kinds[2] = { "thunk", "jump_thunk" };
	char name[KSYM_NAME_LEN];
	unsigned int k, r;

	for (k = 0; k < ARRAY_SIZE(kinds); k++)
		for (r = 0; r < ARRAY_SIZE(regs); r++) {
			snprintf(name, sizeof(name), "__x86_indirect_%s_%s",
				 kinds[k], regs[r]);
			kedr_jump_thunks[k][r] = lookup_name(name);
		}
}

/* ==== 3. ANATOMY OF AN X86-64 INSTRUCTION ==== */

/* [snippet:decoder] */
/**
 * DOC: Anatomy of an x86-64 instruction
 *
 * kedr_sample copies the target's functions instruction by instruction,
 * so it must know where each instruction ends and what it does to
 * memory. An x86-64 instruction is 1 to 15 bytes (Intel SDM vol. 2,
 * section 2.3.11: longer is #GP) laid out like this (SDM vol. 2,
 * Figure 2-1 "Intel 64 and IA-32 Architectures Instruction Format"):
 *
 *   +----------+-----+---------+--------+-------+-----+--------+-----------+
 *   | legacy   | REX | VEX or  | opcode | ModRM | SIB | disp   | immediate |
 *   | prefixes |     | EVEX    | 1-3 B  |       |     | 0,1,4  | 0,1,2,4,8 |
 *   | 0-14 B   | 0/1 | 0,2,3,4 |        | 0/1   | 0/1 | (8: moffs)         |
 *   +----------+-----+---------+--------+-------+-----+--------+-----------+
 *
 *   legacy prefixes  F0 LOCK; F2 REPNE; F3 REP; 2E 36 3E 26 64 65 segment
 *                    overrides (only FS and GS mean something in 64-bit
 *                    mode); 66 operand size; 67 address size. Any order.
 *   REX              0100WRXB, right before the opcode (or it is ignored):
 *                    W = 64-bit operand, R/X/B = 4th bit of reg/index/base.
 *   VEX / EVEX       C5 + 1 byte, C4 + 2 bytes, 62 + 3 bytes: carry REX's
 *                    bits, the opcode map, a third register, the vector
 *                    length and the "mandatory prefix" (66/F3/F2).
 *   opcode           xx, 0F xx, 0F 38 xx or 0F 3A xx: four opcode maps.
 *   ModRM            mod(2) reg(3) rm(3):
 *
 *      7   6 5     3 2     0     mod 11: rm is a register, no memory
 *     +-----+-------+-------+    mod 00: [rm]     (rm 101: [rip + disp32])
 *     | mod |  reg  |  rm   |    mod 01: [rm + disp8]
 *     +-----+-------+-------+    mod 10: [rm + disp32]
 *                                rm 100 (with mod != 11): a SIB follows
 *   SIB              scale(2) index(3) base(3):
 *
 *      7   6 5     3 2     0     address = base + index * 2^scale + disp
 *     +-----+-------+-------+    index 100 (without REX.X): no index
 *     |scale| index | base  |    base 101 with mod 00: no base, disp32
 *     +-----+-------+-------+
 *   displacement     signed, 1 or 4 bytes (8 only in MOV A0-A3 "moffs")
 *   immediate        1, 2 or 4 bytes, sign-extended; 8 only for
 *                    MOV r64, imm64 (B8+r with REX.W)
 *
 * The opcode alone does not say how long the rest is: the decoder keeps,
 * for every opcode of every map, a 32-bit entry in insn_tables.h (has
 * ModRM? which immediate? what happens to the memory operand, how big,
 * which family, which kind of branch). Some opcodes need one more byte to
 * know what they are: a "group" opcode is refined by ModRM.reg (80 /7 is
 * CMP, the other 80 /r are ADD..XOR), an SSE opcode by its mandatory
 * prefix (0F 10 is MOVUPS, with F3 MOVSS, with F2 MOVSD).
 *
 * The decoder reads the bytes in order, once, and never reads past the
 * length it was given; it knows every instruction found in the 4023
 * modules of Debian's 6.1 kernel (the proof is in tests/, see
 * tests/README.md "Decoder"), and answers "unknown" for the rest.
 */

/* ==== 4. DECODING ONE INSTRUCTION ==== */

#include "insn_tables.h"

#define KEDR_MAX_INSN_LEN	15	/* SDM vol. 2, section 2.3.11 */

/* Errors of kedr_decode(), returned negated */
#define KEDR_DECODE_UNKNOWN	1	/* an opcode the tables do not know, or #UD */
#define KEDR_DECODE_TRUNCATED	2	/* the bytes ran out before the instruction did */
#define KEDR_DECODE_TOO_LONG	3	/* more than 15 bytes (e.g. endless prefixes) */

/* struct kedr_insn::prefixes */
#define KEDR_P_LOCK		0x01
#define KEDR_P_REP		0x02	/* F3 */
#define KEDR_P_REPNE		0x04	/* F2 */
#define KEDR_P_OPSIZE		0x08	/* 66 */
#define KEDR_P_ADSIZE		0x10	/* 67 */

/* Segments (struct kedr_insn::seg_prefix, struct kedr_mem::seg) */
#define KEDR_SEG_NONE		0	/* flat: base 0 in 64-bit mode */
#define KEDR_SEG_ES		1
#define KEDR_SEG_CS		2
#define KEDR_SEG_SS		3
#define KEDR_SEG_DS		4
#define KEDR_SEG_FS		5
#define KEDR_SEG_GS		6	/* per-cpu data and the stack canary %gs:0x28 */

/* struct kedr_insn::vex */
#define KEDR_VEX_NONE		0
#define KEDR_VEX_VEX2		1	/* C5 xx */
#define KEDR_VEX_VEX3		2	/* C4 xx xx */
#define KEDR_VEX_EVEX		3	/* 62 xx xx xx */

/* struct kedr_insn::access and ::str_src / ::str_dst */
#define KEDR_ACC_READ		0x01
#define KEDR_ACC_WRITE		0x02
#define KEDR_ACC_LOCKED		0x04	/* LOCK prefix, or XCHG with memory */

/* struct kedr_insn::str_rep */
#define KEDR_REP_NONE		0
#define KEDR_REP_REP		1	/* F3 on MOVS, STOS, LODS, INS, OUTS */
#define KEDR_REP_REPE		2	/* F3 on CMPS, SCAS */
#define KEDR_REP_REPNE		3	/* F2 (on CMPS, SCAS; elsewhere acts as REP) */

/* struct kedr_insn::flags */
#define KEDR_F_EVEX_DISP8	0x01	/* EVEX disp8*N: N not applied to mem.disp */
#define KEDR_F_BROADCAST	0x02	/* EVEX.b with memory: one element is read */

#define KEDR_REG_NONE		(-1)
#define KEDR_REG_RSP		4	/* register numbers: rax 0, rcx 1, rdx 2, rbx 3, */
#define KEDR_REG_RBP		5	/* rsp 4, rbp 5, rsi 6, rdi 7, r8-r15 8-15 */

/**
 * struct kedr_mem - the explicit memory operand, as the CPU computes it
 * @base:	base register 0-15, or KEDR_REG_NONE
 * @index:	index register 0-15, or KEDR_REG_NONE (for VEX gathers, a
 *		vector register: see Limitations)
 * @scale:	1, 2, 4 or 8
 * @seg:	KEDR_SEG_FS or KEDR_SEG_GS if the address is based on them,
 *		else KEDR_SEG_NONE (ES/CS/SS/DS have base 0 in 64-bit mode)
 * @rip:	the address is %rip + @disp, %rip being the next instruction
 * @addr32:	a 67 prefix: the address is computed in 32 bits
 * @disp:	the displacement, sign-extended (the 64-bit moffs of MOV A0-A3)
 */
struct kedr_mem {
	s8 base;
	s8 index;
	u8 scale;
	u8 seg;
	bool rip;
	bool addr32;
	s64 disp;
};

/**
 * struct kedr_insn - one decoded instruction: what the emitter needs, and its layout
 * @length:	total length in bytes
 * @map:	opcode map, KEDR_MAP_1BYTE, _0F, _0F38 or _0F3A
 * @opcode:	the last opcode byte
 * @modrm:	the ModRM byte (valid if @modrm_off)
 * @prefixes:	KEDR_P_* legacy prefixes seen
 * @seg_prefix:	last segment override, KEDR_SEG_*, or KEDR_SEG_NONE
 * @rex:	REX bits (0100WRXB); for VEX/EVEX, the equivalent W, R, X, B
 * @vex:	KEDR_VEX_*
 * @vector_len:	VEX/EVEX vector length in bytes (16, 32, 64), else 0
 * @opsize:	operand size of the integer operation: 1, 2, 4 or 8
 * @flags:	KEDR_F_*
 * @modrm_off:	offset of ModRM in the instruction, 0 if none (the opcode
 *		always comes first, so 0 cannot be a real offset)
 * @sib_off:	offset of SIB, 0 if none
 * @disp_off:	offset of the displacement (or moffs), 0 if none
 * @disp_size:	its size: 0, 1, 4 (or 8 for moffs)
 * @imm_off:	offset of the immediate (or branch displacement), 0 if none
 * @imm_size:	its size: 0, 1, 2, 3 (ENTER Iw, Ib), 4 or 8
 * @imm:	its value, sign-extended (ENTER: both, little-endian)
 * @has_mem:	there is an explicit memory operand (ModRM mod != 11, or moffs)
 * @mem:	that operand
 * @access:	KEDR_ACC_* on @mem, or on [rsi]/[rdi] for string operations;
 *		0 if no data is accessed (LEA, NOP Ev, PREFETCH, CLFLUSH)
 * @access_size: bytes accessed (per element for string operations), 0
 *		if unknown (XSAVE family)
 * @class:	KEDR_CLASS_* family (insn_tables.h)
 * @sp_based:	@mem is addressed from %rsp (base register %rsp, not RIP)
 * @str_op:	KEDR_STR_* string operation, or KEDR_STR_NONE
 * @str_rep:	KEDR_REP_*
 * @str_src:	KEDR_ACC_* on the source [rsi] (segment @seg_prefix or DS)
 * @str_dst:	KEDR_ACC_* on the destination ES:[rdi]
 * @flow:	KEDR_FLOW_* control-flow kind
 * @branch_off:	offset of a relative branch displacement, 0 if none
 * @branch_size: its size, 1 or 4 (2 for XBEGIN with 66)
 * @branch_disp: its value: target = address of next instruction + this
 *
 * The emitter reads fewer fields than these. @imm, @str_src,
 * @str_dst and the offsets and sizes of the fields (@modrm_off, @sib_off,
 * @disp_size, @imm_off, @imm_size, @branch_off, @branch_size) complete the
 * decoder's answer: the layout of every byte of the instruction, which is
 * how the decoder is proven, field by field, against objdump and Capstone
 * on every instruction of Debian's modules (tests/10 to 14). A decoder
 * that says only what its one user needs cannot be checked that way.
 */
struct kedr_insn {
	u8 length;
	u8 map;
	u8 opcode;
	u8 modrm;
	u8 prefixes;
	u8 seg_prefix;
	u8 rex;
	u8 vex;
	u8 vector_len;
	u8 opsize;
	u8 flags;
	u8 modrm_off;
	u8 sib_off;
	u8 disp_off;
	u8 disp_size;
	u8 imm_off;
	u8 imm_size;
	s64 imm;
	bool has_mem;
	struct kedr_mem mem;
	u8 access;
	u16 access_size;
	u8 class;
	bool sp_based;
	u8 str_op;
	u8 str_rep;
	u8 str_src;
	u8 str_dst;
	u8 flow;
	u8 branch_off;
	u8 branch_size;
	s32 branch_disp;
};

/**
 * struct kedr_cursor - the bytes being decoded and how far we are
 * @code:	first byte of the instruction
 * @avail:	how many bytes may be read from @code
 * @pos:	offset of the next byte to read
 * @mand:	mandatory prefix index for the tables: 0 none, 1 66, 2 F3, 3 F2
 * @entry:	the opcode's table entry, once known
 */
struct kedr_cursor {
	const u8 *code;
	size_t avail;
	u8 pos;
	u8 mand;
	u32 entry;
};

/**
 * kedr_fetch() - read the next byte, never past the end
 * @c:		cursor
 * @byte:	where to put it
 *
 * Return: 0, or -KEDR_DECODE_TOO_LONG at the 16th byte, or
 * -KEDR_DECODE_TRUNCATED when the caller's bytes run out first.
 */
static int kedr_fetch(struct kedr_cursor *c, u8 *byte)
{
	if (c->pos >= KEDR_MAX_INSN_LEN)
		return -KEDR_DECODE_TOO_LONG;
	if (c->pos >= c->avail)
		return -KEDR_DECODE_TRUNCATED;
	*byte = c->code[c->pos++];
	return 0;
}

/**
 * kedr_fetch_le() - read a little-endian signed field of 1, 2, 4 or 8 bytes
 * @c:		cursor
 * @size:	its size in bytes
 * @val:	where to put the value, sign-extended
 *
 * Return: 0 or the error of kedr_fetch().
 */
static int kedr_fetch_le(struct kedr_cursor *c, unsigned int size, s64 *val)
{
	unsigned int end = c->avail < KEDR_MAX_INSN_LEN ? c->avail : KEDR_MAX_INSN_LEN;
	u64 v = 0;
	unsigned int i;

	/* NB: one check for the whole field, with kedr_fetch()'s verdict on
	 * the first byte that would be out of bounds */
	if (c->pos + size > end)
		return end == KEDR_MAX_INSN_LEN ? -KEDR_DECODE_TOO_LONG :
			-KEDR_DECODE_TRUNCATED;
	for (i = 0; i < size; i++)
		v |= (u64)c->code[c->pos + i] << (8 * i);
	c->pos += size;
	if (size < 8 && (v >> (8 * size - 1)) & 1)
		v |= ~0ULL << (8 * size);	/* sign-extend */
	*val = (s64)v;
	return 0;
}

/**
 * DOC: Prefixes
 *
 * Legacy prefixes come in any order and any number (up to the 15-byte
 * limit). When two of a kind disagree the last one wins, which is what
 * the CPUs do for the segment and F2/F3 (the SDM calls it unpredictable
 * and no compiler emits it). A REX byte counts only if the opcode follows
 * it at once: a legacy prefix after REX makes the CPU ignore the REX (SDM
 * vol. 2, section 2.2.1). F2/F3 and 66 double as "mandatory prefixes"
 * that select an SSE instruction; F2/F3 take precedence over 66 (0F 10
 * with 66 F2 is MOVSD, not MOVUPD).
 */

/**
 * kedr_note_prefix() - record one legacy prefix byte
 * @insn:	the instruction being decoded
 * @c:		cursor (its mandatory prefix index is updated)
 * @b:		the byte
 *
 * Return: true if @b is a legacy prefix, false if it is something else.
 */
static bool kedr_note_prefix(struct kedr_insn *insn, struct kedr_cursor *c, u8 b)
{
	switch (b) {
	case KEDR_PFX_LOCK:	insn->prefixes |= KEDR_P_LOCK; break;
	case KEDR_PFX_REP:	insn->prefixes |= KEDR_P_REP; c->mand = 2; break;
	case KEDR_PFX_REPNE:	insn->prefixes |= KEDR_P_REPNE; c->mand = 3; break;
	case KEDR_PFX_OPSIZE:	insn->prefixes |= KEDR_P_OPSIZE; break;
	case KEDR_PFX_ADSIZE:	insn->prefixes |= KEDR_P_ADSIZE; break;
	case KEDR_PFX_ES:	insn->seg_prefix = KEDR_SEG_ES; break;
	case KEDR_PFX_CS:	insn->seg_prefix = KEDR_SEG_CS; break;
	case KEDR_PFX_SS:	insn->seg_prefix = KEDR_SEG_SS; break;
	case KEDR_PFX_DS:	insn->seg_prefix = KEDR_SEG_DS; break;
	case KEDR_PFX_FS:	insn->seg_prefix = KEDR_SEG_FS; break;
	case KEDR_PFX_GS:	insn->seg_prefix = KEDR_SEG_GS; break;
	default:
		return false;
	}
	return true;
}

/**
 * kedr_decode_prefixes() - read legacy prefixes and REX up to the opcode
 * @c:		cursor at the first byte
 * @insn:	the instruction being decoded
 * @op:	where to put the first byte that is not a prefix
 *
 * Return: 0 or the error of kedr_fetch().
 */
static int kedr_decode_prefixes(struct kedr_cursor *c, struct kedr_insn *insn, u8 *op)
{
	u8 b;
	int err;

	for (;;) {
		err = kedr_fetch(c, &b);
		if (err)
			return err;
		if (kedr_note_prefix(insn, c, b)) {
			insn->rex = 0;	/* a REX before a legacy prefix is ignored */
			continue;
		}
		if (b >= KEDR_REX_FIRST && b <= KEDR_REX_LAST) {
			insn->rex = b;
			continue;
		}
		break;
	}
	if (c->mand == 0 && (insn->prefixes & KEDR_P_OPSIZE))
		c->mand = 1;
	*op = b;
	return 0;
}

/**
 * DOC: VEX and EVEX
 *
 * AVX instructions replace REX, the 0F/0F38/0F3A escape and the
 * mandatory prefix with one VEX prefix (SDM vol. 2, section 2.3.5) and
 * AVX-512 with one EVEX prefix (section 2.7.1). Their register bits are
 * stored inverted (~R: a 1 bit means R = 0), a leftover from the opcodes (LES,
 * LDS, BOUND) they were carved from. The layouts, bit 7 first:
 *
 *   C5  ~R ~vvvv L pp                      map 0F, W=0
 *   C4  ~R ~X ~B mmmmm | W ~vvvv L pp          mmmmm: 1 = 0F, 2 = 0F38, 3 = 0F3A
 *   62  ~R ~X ~B ~R' 0 mmm | W ~vvvv 1 pp | z L'L b ~V' aaa
 *
 * pp is the mandatory prefix (0 none, 1 66, 2 F3, 3 F2), L (or L'L) the
 * vector length: 16, 32 or 64 bytes. A LOCK, 66, F2, F3 or REX in front
 * of VEX/EVEX is #UD (SDM vol. 2, section 2.3.2), so "unknown" here.
 * After the prefix come the opcode, always a ModRM (except VZEROUPPER and
 * VZEROALL, VEX 0F 77) and an immediate in map 0F3A and for the few 0F
 * opcodes that also have one without VEX.
 */

/**
 * kedr_decode_vex() - read the bytes of a VEX or EVEX prefix
 * @c:		cursor just after the C4, C5 or 62 byte
 * @insn:	the instruction being decoded
 * @first:	that byte
 *
 * Return: 0, -KEDR_DECODE_UNKNOWN for a map or prefix combination the
 * decoder does not know, or the error of kedr_fetch().
 */
static int kedr_decode_vex(struct kedr_cursor *c, struct kedr_insn *insn, u8 first)
{
	u8 p0, p1 = 0, p2 = 0, map;
	int err;

	if ((insn->prefixes & (KEDR_P_LOCK | KEDR_P_REP | KEDR_P_REPNE |
			       KEDR_P_OPSIZE)) || insn->rex)
		return -KEDR_DECODE_UNKNOWN;
	err = kedr_fetch(c, &p0);
	if (!err && first != KEDR_VEX2)
		err = kedr_fetch(c, &p1);
	if (!err && first == KEDR_EVEX)
		err = kedr_fetch(c, &p2);
	if (err)
		return err;
	/* ~R is bit 7 of the first payload byte in all three forms */
	insn->rex = KEDR_REX_FIRST | ((p0 & KEDR_VEX_NOT_R) ? 0 : KEDR_REX_R);
	if (first == KEDR_VEX2) {
		insn->vex = KEDR_VEX_VEX2;
		map = KEDR_MAP_0F;
		p1 = p0;	/* W=0, ~vvvv L pp sit where the 3-byte form has them */
	} else {
		insn->vex = first == KEDR_VEX3 ? KEDR_VEX_VEX3 : KEDR_VEX_EVEX;
		map = p0 & (first == KEDR_VEX3 ? KEDR_VEX3_MAP_MASK : KEDR_EVEX_MAP_MASK);
		insn->rex |= ((p0 & KEDR_VEX_NOT_X) ? 0 : KEDR_REX_X) |
			     ((p0 & KEDR_VEX_NOT_B) ? 0 : KEDR_REX_B) |
			     ((p1 & KEDR_VEX_W) ? KEDR_REX_W : 0);
	}
	if (map < KEDR_MAP_0F || map > KEDR_MAP_0F3A)
		return -KEDR_DECODE_UNKNOWN;	/* maps 5/6 (AVX512-FP16), XOP-like */
	insn->map = map;
	c->mand = p1 & KEDR_VEX_PP_MASK;	/* pp: 0 none, 1 66, 2 F3, 3 F2 */
	if (first == KEDR_EVEX) {
		if (!(p1 & KEDR_EVEX_P1_ONE))
			return -KEDR_DECODE_UNKNOWN;	/* fixed 1 bit */
		insn->vector_len = 16 << ((p2 >> KEDR_EVEX_LL_SHIFT) & 0x03);	/* L'L */
		if (insn->vector_len > 64)
			insn->vector_len = 64;	/* L'L=3: rounding control, 512 bits */
		if (p2 & KEDR_EVEX_BCST)
			insn->flags |= KEDR_F_BROADCAST;	/* b: only matters with memory */
	} else {
		insn->vector_len = (p1 & KEDR_VEX_L) ? 32 : 16;
	}
	return 0;
}

/**
 * kedr_vex_entry() - the table entry of a VEX/EVEX opcode
 * @c:		cursor (its mandatory prefix is VEX.pp)
 * @map:	KEDR_MAP_0F, _0F38 or _0F3A
 * @op:	the opcode byte
 *
 * VEX reuses the legacy rows: the exceptions list first, else the legacy
 * entry (refined by VEX.pp if it has mandatory-prefix variants), else
 * "reads a vector". Then the VEX rules for ModRM and immediate replace
 * the legacy ones (SDM vol. 2, section 2.3.5 and Table A-1): map 0F3A
 * always has Ib, map 0F38 never, map 0F only where the legacy row has an
 * Ib (PSHUFD, the shift groups, CMPPS, PINSRW, PEXTRW, SHUFPS).
 *
 * Return: the entry.
 */
static u32 kedr_vex_entry(const struct kedr_cursor *c, u8 map, u8 op)
{
	static const u32 *const maps[] = {
		[KEDR_MAP_0F] = kedr_map_0f, [KEDR_MAP_0F38] = kedr_map_0f38,
		[KEDR_MAP_0F3A] = kedr_map_0f3a,
	};
	u32 e = maps[map][op];
	unsigned int i, imm, kind;

	for (i = 0; i < ARRAY_SIZE(kedr_vex_exceptions); i++)
		if (kedr_vex_exceptions[i].map == map && kedr_vex_exceptions[i].opcode == op)
			e = kedr_vex_exceptions[i].entry;
	if (KEDR_E_KIND(e) == KEDR_K_PREFIX)
		e = kedr_pfx_tables[KEDR_E_SUB(e)][c->mand];
	kind = KEDR_E_KIND(e);
	if (kind != KEDR_K_PLAIN && kind != KEDR_K_GROUP)
		e = KEDR_ENTRY(1, 0, KEDR_A_R, KEDR_SZ_X, KEDR_CLASS_SIMD, 0);
	imm = KEDR_E_IMM(e);
	e &= ~(0x7u << KEDR_E_IMM_SHIFT);
	if (map == KEDR_MAP_0F3A || (map == KEDR_MAP_0F && imm == KEDR_IMM_B))
		e |= (u32)KEDR_IMM_B << KEDR_E_IMM_SHIFT;
	/* NB: only VZEROUPPER/VZEROALL (0F 77, like EMMS) have no ModRM */
	if (map != KEDR_MAP_0F || kind != KEDR_K_PLAIN)
		e |= KEDR_E_MODRM;
	return e;
}

/**
 * kedr_decode_opcode() - read the opcode bytes and find their table entry
 * @c:		cursor after the prefixes, @op already read
 * @insn:	the instruction being decoded
 * @op:	the first byte after the legacy prefixes and REX
 *
 * Return: 0 (the entry is in @c->entry), or a negative KEDR_DECODE_* error.
 */
static int kedr_decode_opcode(struct kedr_cursor *c, struct kedr_insn *insn, u8 op)
{
	int err;

	if (op == KEDR_VEX2 || op == KEDR_VEX3 || op == KEDR_EVEX) {
		err = kedr_decode_vex(c, insn, op);
		if (!err)
			err = kedr_fetch(c, &insn->opcode);
		if (err)
			return err;
		c->entry = kedr_vex_entry(c, insn->map, insn->opcode);
		return 0;
	}
	insn->map = KEDR_MAP_1BYTE;
	if (op == KEDR_ESC_0F) {
		err = kedr_fetch(c, &op);
		if (err)
			return err;
		insn->map = KEDR_MAP_0F;
		if (op == KEDR_ESC_0F38 || op == KEDR_ESC_0F3A) {
			insn->map = op == KEDR_ESC_0F38 ? KEDR_MAP_0F38 : KEDR_MAP_0F3A;
			err = kedr_fetch(c, &op);
			if (err)
				return err;
		}
	}
	insn->opcode = op;
	switch (insn->map) {
	case KEDR_MAP_1BYTE:	c->entry = kedr_map_1byte[op]; break;
	case KEDR_MAP_0F:	c->entry = kedr_map_0f[op]; break;
	case KEDR_MAP_0F38:	c->entry = kedr_map_0f38[op]; break;
	default:		c->entry = kedr_map_0f3a[op]; break;
	}
	return 0;
}

/**
 * DOC: ModRM, SIB and displacement
 *
 * With mod != 11 the ModRM byte names memory; the address is
 * base + index * scale + displacement (SDM vol. 2, Tables 2-2 and 2-3
 * with the 64-bit changes of Table 2-5). Three encodings are special:
 *
 *   - rm = 100 does not mean %rsp: a SIB byte follows. So any %rsp- (or
 *     %r12-) based operand has a SIB, with index 100 meaning "none".
 *   - mod = 00, rm = 101 does not mean [%rbp]: it is [%rip + disp32]
 *     ("RIP-relative", SDM vol. 2, section 2.2.1.6); [%rbp] is written
 *     [%rbp + 0] with a disp8. REX.B does not change this (also %r13).
 *   - in a SIB, base = 101 with mod = 00 means "no base, disp32".
 *
 * A 67 prefix makes the CPU add in 32 bits (and use %eip); the encoding
 * stays the same, so it changes nothing here but @mem.addr32.
 */

/**
 * kedr_decode_sib() - read a SIB byte and fill base, index and scale
 * @c:		cursor at the SIB byte
 * @insn:	the instruction being decoded (ModRM already read)
 * @mod:	ModRM.mod
 *
 * Return: the displacement size that mod = 00 implies (4 for "no base"),
 * or a negative error of kedr_fetch().
 */
static int kedr_decode_sib(struct kedr_cursor *c, struct kedr_insn *insn, u8 mod)
{
	u8 sib, base, index;
	int err;

	insn->sib_off = c->pos;
	err = kedr_fetch(c, &sib);
	if (err)
		return err;
	/* 7-6 scale, 5-3 index, 2-0 base */
	base = sib & 0x07;
	index = ((sib >> 3) & 0x07) | ((insn->rex & KEDR_REX_X) ? 8 : 0);
	insn->mem.scale = 1 << (sib >> 6);
	insn->mem.index = index == KEDR_REG_RSP ? KEDR_REG_NONE : index;
	if (base == KEDR_REG_RBP && mod == 0) {
		insn->mem.base = KEDR_REG_NONE;
		return 4;
	}
	insn->mem.base = base | ((insn->rex & KEDR_REX_B) ? 8 : 0);
	return 0;
}

/**
 * kedr_decode_modrm() - read ModRM, SIB and displacement
 * @c:		cursor at the ModRM byte
 * @insn:	the instruction being decoded
 *
 * Return: 0 or a negative error of kedr_fetch().
 */
static int kedr_decode_modrm(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u8 modrm, mod, rm, disp_size = 0;
	int err;

	insn->modrm_off = c->pos;
	err = kedr_fetch(c, &modrm);
	if (err)
		return err;
	insn->modrm = modrm;
	mod = modrm >> 6;
	rm = modrm & 0x07;
	if (mod == 3 || KEDR_E_KIND(c->entry) == KEDR_K_MODREG)
		return 0;			/* a register: no memory operand */
	insn->has_mem = true;
	insn->mem.scale = 1;
	insn->mem.index = KEDR_REG_NONE;
	if (rm == KEDR_REG_RSP) {		/* 100: a SIB follows */
		err = kedr_decode_sib(c, insn, mod);
		if (err < 0)
			return err;
		disp_size = err;
	} else if (rm == KEDR_REG_RBP && mod == 0) {	/* 00 101: RIP-relative */
		insn->mem.base = KEDR_REG_NONE;
		insn->mem.rip = true;
		disp_size = 4;
	} else {
		insn->mem.base = rm | ((insn->rex & KEDR_REX_B) ? 8 : 0);
	}
	if (mod == 1)
		disp_size = 1;
	else if (mod == 2)
		disp_size = 4;
	if (!disp_size)
		return 0;
	if (insn->vex == KEDR_VEX_EVEX && disp_size == 1)
		insn->flags |= KEDR_F_EVEX_DISP8;
	insn->disp_off = c->pos;
	insn->disp_size = disp_size;
	return kedr_fetch_le(c, disp_size, &insn->mem.disp);
}

/**
 * DOC: Groups, mandatory prefixes, immediates
 *
 * Once ModRM is known, a group opcode becomes its real instruction
 * (kedr_groups[][ModRM.reg]) and an SSE opcode too
 * (kedr_pfx_tables[][mandatory prefix]). Only then is the immediate's
 * size known: F6 /0 (TEST Eb, Ib) has one, F6 /2 (NOT Eb) has none.
 *
 * Immediate sizes depend on the operand size (SDM vol. 2, Appendix A.2.2):
 * "Iz" is 2 bytes with 66 and 4 otherwise, even with REX.W (it is then
 * sign-extended to 64 bits); only MOV r64, imm64 ("Iv") has 8. Near
 * branches with 66 are where Intel and AMD CPUs disagree: refused.
 *
 * The entry also says which mandatory prefixes an SSE row has, and
 * whether it exists only with a memory (or only a register) operand:
 * anything else is #UD, so "unknown".
 */

/**
 * kedr_resolve_entry() - refine a group or mandatory-prefix entry
 * @c:		cursor (holds the entry and the mandatory prefix)
 * @insn:	the instruction being decoded (ModRM already read)
 *
 * Return: 0, or -KEDR_DECODE_UNKNOWN for an opcode that does not exist.
 */
static int kedr_resolve_entry(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u32 e = c->entry;
	u8 reg = (insn->modrm >> 3) & 0x07;

	if (KEDR_E_KIND(e) == KEDR_K_GROUP)
		e = kedr_groups[KEDR_E_SUB(e)][reg];
	else if (KEDR_E_KIND(e) == KEDR_K_PREFIX)
		e = kedr_pfx_tables[KEDR_E_SUB(e)][c->mand];
	/* AMD XOP (8F with ModRM.reg != 0) lands on an invalid group entry */
	if (KEDR_E_KIND(e) == KEDR_K_INVALID || KEDR_E_KIND(e) == KEDR_K_PFXBYTE)
		return -KEDR_DECODE_UNKNOWN;
	c->entry = e;
	return 0;
}

/**
 * kedr_check_valid() - refuse a prefix or ModRM form the row does not have
 * @c:		cursor (holds the final entry and the mandatory prefix)
 * @insn:	the instruction being decoded (ModRM already read)
 *
 * Return: 0, or -KEDR_DECODE_UNKNOWN.
 */
static int kedr_check_valid(const struct kedr_cursor *c, const struct kedr_insn *insn)
{
	u32 e = c->entry;
	unsigned int valid = KEDR_E_VALID(e);

	if (insn->vex)
		return 0;	/* VEX/EVEX validity is not checked: see Limitations */
	if (valid && !(valid & (1u << c->mand)))
		return -KEDR_DECODE_UNKNOWN;	/* SSE row without this prefix */
	if ((e & KEDR_E_MEM_ONLY) && !insn->has_mem)
		return -KEDR_DECODE_UNKNOWN;
	if ((e & KEDR_E_REG_ONLY) && insn->has_mem)
		return -KEDR_DECODE_UNKNOWN;
	return 0;
}

/**
 * kedr_imm_size() - how many immediate bytes an entry implies
 * @insn:	the instruction being decoded (prefixes known)
 * @e:		its table entry
 *
 * Return: 0 to 8.
 */
static unsigned int kedr_imm_size(const struct kedr_insn *insn, u32 e)
{
	switch (KEDR_E_IMM(e)) {
	case KEDR_IMM_B:
		return 1;
	case KEDR_IMM_W:
		return 2;
	case KEDR_IMM_Z:
		return insn->opsize == 2 ? 2 : 4;
	case KEDR_IMM_V:
		return insn->opsize;
	case KEDR_IMM_WB:
		return 3;
	case KEDR_IMM_O:
		return (insn->prefixes & KEDR_P_ADSIZE) ? 4 : 8;
	case KEDR_IMM_BB:
		return 2;
	default:
		return 0;
	}
}

/**
 * kedr_is_cpu_dependent() - is this a 66-prefixed near branch?
 * @c:		cursor (holds the entry)
 * @insn:	the instruction being decoded
 *
 * Intel CPUs ignore 66 on JMP/Jcc/CALL rel32 in 64-bit mode and still
 * read 4 bytes ("f64", SDM vol. 2, Appendix A.2.5); AMD CPUs read a rel16
 * (AMD APM vol. 3, "Near branches ... operand size override": so does
 * GNU objdump). No compiler emits it; an instruction whose length depends
 * on the vendor is refused.
 *
 * Return: true to refuse the instruction.
 */
static bool kedr_is_cpu_dependent(const struct kedr_cursor *c, const struct kedr_insn *insn)
{
	unsigned int flow = KEDR_E_FLOW(c->entry);

	return (insn->prefixes & KEDR_P_OPSIZE) && KEDR_E_IMM(c->entry) == KEDR_IMM_Z &&
	       KEDR_E_KIND(c->entry) == KEDR_K_PLAIN &&
	       (flow == KEDR_FLOW_JMP || flow == KEDR_FLOW_JCC || flow == KEDR_FLOW_CALL);
}

/**
 * kedr_decode_imm() - read the immediate, or the moffs of MOV A0-A3
 * @c:		cursor after ModRM/SIB/displacement
 * @insn:	the instruction being decoded
 *
 * A moffs is an address, not an immediate: it is reported as the
 * displacement of a memory operand without base or index.
 *
 * Return: 0 or a negative error of kedr_fetch().
 */
static int kedr_decode_imm(struct kedr_cursor *c, struct kedr_insn *insn)
{
	unsigned int size = kedr_imm_size(insn, c->entry);

	if (!size)
		return 0;
	if (KEDR_E_IMM(c->entry) == KEDR_IMM_O) {
		insn->has_mem = true;
		insn->mem.base = KEDR_REG_NONE;
		insn->mem.index = KEDR_REG_NONE;
		insn->mem.scale = 1;
		insn->disp_off = c->pos;
		insn->disp_size = size;
		return kedr_fetch_le(c, size, &insn->mem.disp);
	}
	insn->imm_off = c->pos;
	insn->imm_size = size;
	return kedr_fetch_le(c, size, &insn->imm);
}

/**
 * DOC: What the instruction does to memory
 *
 * The entry says read (R), write (W) or both (RW), and a size code. Some
 * answers are choices the SDM settles, worth knowing when reading a trace:
 *
 *   - CMOVcc reads its source even if the condition is false ("the source
 *     operand is read ... regardless of the condition", SDM vol. 2,
 *     CMOVcc, a memory source may fault even when no move happens): R.
 *   - CMPXCHG writes its destination even when the comparison fails ("the
 *     destination operand is written back if the comparison fails", SDM
 *     vol. 2, CMPXCHG), so it is RW, with LOCK a locked RW. CMPXCHG8B/16B
 *     likewise, 8 or 16 bytes (REX.W).
 *   - XCHG with memory is locked without LOCK (SDM vol. 2, XCHG).
 *   - BT/BTS/BTR/BTC with a register bit offset may touch memory outside
 *     the operand ModRM names: the offset is signed and can select any
 *     bit up to 2^63 away (SDM vol. 2, BT, "bit base addressing"). The
 *     decoder reports the ModRM operand and its size; the run-time side
 *     adds, from the register's value, the offset of the whole element,
 *     of the operand's size, that holds the bit.
 *   - SETcc writes 1 byte; MOVZX/MOVSX read 1 or 2, MOVSXD 4; MOVBE
 *     is a MOV (reads or writes operand-size bytes).
 *   - LEA, the NOP Ev hint space (0F 18-1F) and PREFETCH compute an
 *     address but access no data: access 0. CLFLUSH too (a cache
 *     operation, not a data access).
 *   - The stack accesses of PUSH/POP/CALL/RET are implicit and not
 *     reported; PUSH Ev, POP Ev, CALL/JMP Ev with memory are (8 bytes).
 */

/**
 * kedr_rule_size() - the access size a size-code rule gives
 * @insn:	the instruction being decoded
 * @rule:	a KEDR_SZ_RULE_* value, or a plain byte count
 *
 * Return: the size in bytes.
 */
static unsigned int kedr_rule_size(const struct kedr_insn *insn, u8 rule)
{
	unsigned int vl = insn->vector_len ? insn->vector_len : 16;
	bool w = insn->rex & KEDR_REX_W;
	bool o16 = insn->prefixes & KEDR_P_OPSIZE;

	switch (rule) {
	case KEDR_SZ_RULE_V:	return insn->opsize;
	case KEDR_SZ_RULE_Y:	return w ? 8 : 4;
	case KEDR_SZ_RULE_D64:	return o16 ? 2 : 8;
	case KEDR_SZ_RULE_Z:	return o16 ? 2 : 4;
	case KEDR_SZ_RULE_MP:	return 2 + insn->opsize;
	case KEDR_SZ_RULE_DQ:	return w ? 16 : 8;
	case KEDR_SZ_RULE_VL:	return vl;
	case KEDR_SZ_RULE_VH:	return vl / 2;
	case KEDR_SZ_RULE_VQ:	return vl / 4;
	case KEDR_SZ_RULE_VE:	return vl / 8;
	default:		return rule;
	}
}

/**
 * kedr_decode_access() - fill access kind, size and family from the entry
 * @c:		cursor (holds the entry)
 * @insn:	the instruction being decoded
 *
 * Return: 0, or -KEDR_DECODE_UNKNOWN for a LOCK the CPU would refuse or
 * an x87 memory form that does not exist.
 */
static int kedr_decode_access(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u32 e = c->entry;
	unsigned int acc = KEDR_E_ACC(e), size_code = KEDR_E_SIZE(e);
	unsigned int size;
	u8 x87;

	insn->class = KEDR_E_CLASS(e);
	if (KEDR_E_KIND(e) == KEDR_K_X87 && insn->has_mem) {
		x87 = kedr_x87_mem[KEDR_E_SUB(e)][(insn->modrm >> 3) & 0x07];
		if (!x87)
			return -KEDR_DECODE_UNKNOWN;
		acc = x87 & 0x03;
		size = x87 >> 2;
		if (size == KEDR_X87_FSAVE_CODE)
			size = KEDR_X87_FSAVE_SIZE;
		insn->class = KEDR_CLASS_OTHER;
	} else if (size_code == KEDR_SZ_512) {
		size = KEDR_FXSAVE_SIZE;
	} else {
		size = kedr_rule_size(insn, kedr_size_codes[size_code][c->mand]);
	}
	if (insn->has_mem && acc != KEDR_A_NONE) {
		insn->access = acc;	/* KEDR_A_R/W are KEDR_ACC_READ/WRITE */
		insn->access_size = size;
		if ((insn->flags & KEDR_F_BROADCAST) && insn->class == KEDR_CLASS_SIMD)
			insn->access_size = (insn->rex & KEDR_REX_W) ? 8 : 4;
		if (e & KEDR_E_LOCKED)
			insn->access |= KEDR_ACC_LOCKED;
	}
	if (!(insn->prefixes & KEDR_P_LOCK))
		return 0;
	/* LOCK: only read-modify-write of memory by the lockable families
	 * (SDM vol. 2, LOCK: otherwise #UD) */
	if (insn->access != KEDR_A_RW && insn->access != (KEDR_A_RW | KEDR_ACC_LOCKED))
		return -KEDR_DECODE_UNKNOWN;
	switch (insn->class) {
	case KEDR_CLASS_ALU: case KEDR_CLASS_BITOP: case KEDR_CLASS_CMPXCHG:
	case KEDR_CLASS_XADD: case KEDR_CLASS_XCHG:
		insn->access |= KEDR_ACC_LOCKED;
		return 0;
	default:
		return -KEDR_DECODE_UNKNOWN;
	}
}

/**
 * kedr_decode_string() - the implicit operands of a string operation
 * @c:		cursor (holds the entry, a KEDR_K_STRING one)
 * @insn:	the instruction being decoded
 *
 * Element size: byte forms 1; the others the operand size, but INS and
 * OUTS move at most 4 bytes (size code Z). F3 is REP, or REPE for the
 * comparing CMPS/SCAS; F2 is REPNE (SDM vol. 2, REP/REPE/REPZ/REPNE/REPNZ).
 */
static void kedr_decode_string(struct kedr_cursor *c, struct kedr_insn *insn)
{
	u8 op = KEDR_E_FLOW(c->entry);	/* kind STRING keeps the operation there */
	bool compares = op == KEDR_STR_CMPS || op == KEDR_STR_SCAS;

	insn->str_op = op;
	insn->class = KEDR_CLASS_STRING;
	insn->str_src = kedr_str_access[op][0];
	insn->str_dst = kedr_str_access[op][1];
	insn->access = insn->str_src | insn->str_dst;
	insn->access_size = kedr_rule_size(insn, kedr_size_codes[KEDR_E_SIZE(c->entry)][0]);
	if (c->mand == 3)	/* F2 last */
		insn->str_rep = KEDR_REP_REPNE;
	else if (c->mand == 2)
		insn->str_rep = compares ? KEDR_REP_REPE : KEDR_REP_REP;
}

/**
 * kedr_decode_flow() - control-flow kind and relative branch target
 * @c:		cursor (holds the entry)
 * @insn:	the instruction being decoded, immediate already read
 */
static void kedr_decode_flow(struct kedr_cursor *c, struct kedr_insn *insn)
{
	insn->flow = KEDR_E_FLOW(c->entry);
	switch (insn->flow) {
	case KEDR_FLOW_JMP: case KEDR_FLOW_JCC: case KEDR_FLOW_LOOP:
	case KEDR_FLOW_CALL: case KEDR_FLOW_XBEGIN:
		insn->branch_off = insn->imm_off;
		insn->branch_size = insn->imm_size;
		insn->branch_disp = (s32)insn->imm;
		break;
	default:
		break;
	}
}

/**
 * kedr_decode() - decode one x86-64 instruction
 * @code:	its first byte
 * @avail:	how many bytes may be read from @code (never more are read)
 * @insn:	filled with what the instruction is
 *
 * The steps follow the bytes: prefixes, VEX/EVEX, opcode, ModRM with SIB
 * and displacement, immediate; then what the table entry says about
 * memory, string operations and control flow.
 *
 * Return: the length (1-15), -KEDR_DECODE_UNKNOWN, -KEDR_DECODE_TRUNCATED
 * or -KEDR_DECODE_TOO_LONG.
 */
static int kedr_decode(const u8 *code, size_t avail, struct kedr_insn *insn)
{
	struct kedr_cursor c = { .code = code, .avail = avail };
	u8 op;
	int err;

	memset(insn, 0, sizeof(*insn));
	err = kedr_decode_prefixes(&c, insn, &op);
	if (!err)
		err = kedr_decode_opcode(&c, insn, op);
	if (err)
		return err;
	if (KEDR_E_KIND(c.entry) == KEDR_K_INVALID || KEDR_E_KIND(c.entry) == KEDR_K_PFXBYTE)
		return -KEDR_DECODE_UNKNOWN;
	/* Operand size: SDM vol. 1, Table 3-4; byte forms say so in their size code */
	insn->opsize = (insn->rex & KEDR_REX_W) ? 8 :
		       (insn->prefixes & KEDR_P_OPSIZE) ? 2 : 4;
	if (c.entry & KEDR_E_MODRM) {
		err = kedr_decode_modrm(&c, insn);
		if (!err)
			err = kedr_resolve_entry(&c, insn);
		if (err)
			return err;
	}
	err = kedr_check_valid(&c, insn);
	if (err)
		return err;
	if (KEDR_E_SIZE(c.entry) == KEDR_SZ_B && KEDR_E_KIND(c.entry) == KEDR_K_PLAIN)
		insn->opsize = 1;
	if (kedr_is_cpu_dependent(&c, insn))
		return -KEDR_DECODE_UNKNOWN;
	err = kedr_decode_imm(&c, insn);
	if (err)
		return err;
	insn->length = c.pos;
	if (KEDR_E_KIND(c.entry) == KEDR_K_STRING) {
		kedr_decode_string(&c, insn);
		return insn->length;
	}
	err = kedr_decode_access(&c, insn);
	if (err)
		return err;
	if (insn->has_mem) {
		insn->mem.addr32 = insn->prefixes & KEDR_P_ADSIZE;
		if (insn->seg_prefix == KEDR_SEG_FS || insn->seg_prefix == KEDR_SEG_GS)
			insn->mem.seg = insn->seg_prefix;
		insn->sp_based = insn->mem.base == KEDR_REG_RSP;
	}
	kedr_decode_flow(&c, insn);
	return insn->length;
}

/**
 * DOC: What the decoder does not do
 *
 * Honest limits (part 15 points back here). None of them changes where an
 * instruction ends, so none of them can make the emitter copy garbage; at
 * worst the access of a rare SIMD form is described imprecisely, and
 * kedr_sample does not record SIMD accesses anyway:
 *
 *   - VEX/EVEX opcodes are not validated: every opcode of maps 0F, 0F38
 *     and 0F3A gets the VEX length rules and, unless the legacy row or
 *     the exception list says otherwise, "reads a vector". The lengths
 *     are exact (VEX fixes them); the access of rare AVX forms may not
 *     be. VSIB gathers/scatters report the vector index register's number
 *     in @mem.index.
 *   - EVEX disp8 is compressed (disp8*N, SDM vol. 2, section 2.7.5); N
 *     depends on the instruction's tuple type, which the tables do not
 *     hold: @mem.disp keeps the raw disp8 and KEDR_F_EVEX_DISP8 is set.
 *   - Some sub-encodings are decoded with the right length without being
 *     validated: the ModRM.reg variants of groups 7, 9, 12-15 (e.g.
 *     0F 71 /0 does not exist), x87 register forms, 3DNow! suffixes, MPX
 *     bound registers above 3, VIA PadLock ModRM values.
 *   - Extensions newer than the corpus are "unknown": Key Locker, CET
 *     WRSS/WRUSS, RAO-INT, HRESET, AVX512-FP16 (EVEX maps 5 and 6), AMD
 *     XOP (8F with ModRM.reg != 0).
 *   - 66 on JMP/Jcc/CALL rel32 is "unknown": Intel and AMD CPUs disagree
 *     on its length.
 *   - XSAVE/XRSTOR and friends access a size that depends on CPU state:
 *     access_size is 0. The implicit accesses of PadLock (0F A6/A7),
 *     XLAT, MASKMOVQ and of PUSH/POP/CALL/RET are not reported.
 */
/* [/snippet:decoder] */

/* ==== 5. ONE FUNCTION, BEFORE AND AFTER ==== */

/**
 * DOC: One function, before and after
 *
 * Take cfake_open() of the sample target, as it is in memory once the
 * loader and ftrace are done with it (objdump of the .ko, with the ftrace
 * site as it is at COMING; the walkthrough shows the real bytes)::
 *
 *   cfake_open:
 *     +0x00  nopl 0x0(%rax,%rax,1)     ; ftrace's nop ("call __fentry__")
 *     +0x05  push %rbp
 *     +0x06  mov  %rdi,%rbp
 *     +0x09  mov  0x...(%rip),%rdi     ; a RIP-relative load
 *     ...
 *     +0x1e  call kmalloc_trace        ; of = kzalloc(...)
 *     +0x23  test %rax,%rax
 *     +0x26  je   +0x46
 *     +0x28  mov  0x248(%rbp),%rdx     ; inode->i_cdev
 *     +0x2f  mov  %rax,0xc8(%rbx)      ; filp->private_data = of
 *     ...
 *     +0x41  ret                       ; "jmp __x86_return_thunk" in the
 *                                      ; file, a plain ret on CPUs that
 *                                      ; do not need the thunk
 *
 * kedr_sample writes a new version of it, the "instance", elsewhere::
 *
 *   cfake_open':
 *            <record: entry of cfake_open>
 *            nopl 0x0(%rax,%rax,1)     ; copied, harmless
 *            push %rbp
 *            mov  %rdi,%rbp
 *            <record: read, 8 bytes at the same address>
 *            mov  0x...(%rip),%rdi     ; displacement re-aimed from here
 *            ...
 *            call kmalloc_trace        ; rel32 re-aimed from here
 *            test %rax,%rax
 *            je   <instance of +0x46>  ; now a 6-byte jcc rel32
 *            <record: read, 8 bytes at 0x248(%rbp)>
 *            mov  0x248(%rbp),%rdx
 *            <record: write, 8 bytes at 0xc8(%rbx)>
 *            mov  %rax,0xc8(%rbx)
 *            ...
 *            <record: exit of cfake_open>
 *            ret
 *
 * and the original becomes a way in::
 *
 *   cfake_open:
 *     +0x00  nopl 0x0(%rax,%rax,1)     ; left for ftrace
 *     +0x05  jmp  cfake_open'
 *     +0x0a  int3 int3 int3 ...        ; nothing may run here any more
 *
 * Every instruction is copied as it is, except those whose meaning depends
 * on where they are: relative jumps and calls, and RIP-relative memory
 * operands. Those are re-encoded so that they reach the same targets from
 * the new place. Short jumps (rel8) become near ones (rel32), since the
 * instance is longer than the original; JRCXZ and LOOP, which exist only
 * with rel8, get a three-instruction equivalent.
 *
 * Where does control go?
 *
 *  - A jump inside the function goes to the matching place in the
 *    instance.
 *  - A jump to another function, or out of the module, is a tail call:
 *    the function ends there, so an exit is recorded first. A conditional
 *    one records the exit only when it is taken, via a small trampoline at
 *    the end of the instance. The exceptions are the function's .cold
 *    parts (and, from a .cold part, its parent): jumps between them stay
 *    inside one logical function and go straight to the other instance.
 *  - A call is a call: the callee, if it is instrumented too, records its
 *    own entry and exit. Returns (RET, RET imm16) record an exit; so do
 *    indirect jumps, which in compiled C are tail calls through a pointer
 *    (kernels built with retpolines have no jump tables: -fno-jump-tables),
 *    unless, when they run, they land back inside their own function, as
 *    hand-written assembly may do (jump_leaves() in part 6).
 *  - Anything else that lands in the middle of the original (a jump from
 *    code that is not instrumented, a computed jump) hits an int3. The
 *    int3 handler of part 10 sends it to the matching instruction of the
 *    instance.
 */

/* ==== 6. THE RUN-TIME SIDE: RECORDING AN EVENT ==== */

/**
 * DOC: Recording an event
 *
 * The instrumented code reports each event by calling into kedr_sample.
 * Before a memory access such as ``mov 0x8(%rbx), %eax`` the emitter puts
 * four instructions (14 bytes, KEDR_SITE_LEN)::
 *
 *   push %rdi                  ; keep the target's %rdi
 *   mov  $site, %rdi           ; site: what this place in the code does
 *   call kedr_event_stub       ; save everything, record, restore
 *   pop  %rdi
 *   mov  0x8(%rbx), %eax       ; the original instruction, unchanged
 *
 * A "site" (struct kedr_site) is written once, at load time, in pages of
 * its own beside the instrumented code: the address of the original
 * instruction, the kind of event, the access size, and the memory operand
 * as the decoder saw it (base, index, scale, displacement, segment). It
 * does not hold the address that is accessed: that depends on register
 * values known only when the code runs. So kedr_event_stub saves all sixteen general
 * registers and the flags on the stack, in the order of their numbers in
 * the instruction encoding (0 = %rax ... 15 = %r15), and kedr_on_site()
 * computes ``base + index * scale + disp`` from them, exactly as the CPU
 * is about to. The target's registers and flags are restored afterwards,
 * so the original instruction sees the machine as it would have without
 * us.
 *
 * Why not compute the address in the emitted code, with a LEA? One reason
 * is %gs: per-cpu data is addressed as %gs:offset, and LEA ignores
 * segments. The other is that the uniform way is easy to follow and to get
 * right; its cost is measured by "make bench" (figures in the walkthrough).
 *
 * What the recording costs and guarantees:
 *
 *  - It never sleeps and never allocates. Every event is counted in a
 *    per-CPU counter (one ``incq %gs:...``, safe against interrupts and
 *    NMIs); the first num_records events are also stored, each in a slot
 *    claimed with one atomic increment, so concurrent CPUs never share a
 *    slot. Once the store is full only the counters move.
 *  - Every event costs the same: a call, sixteen registers and the flags
 *    saved and restored, and record_event() in C, whether the event is
 *    stored or only counted. That is the simple instrumenter (fast=0);
 *    part 14, "Making it fast", shows what fast=1 changes.
 *  - It runs in whatever context the target runs in: process, softirq,
 *    hard interrupt, NMI. The "TID" stored is ``current``, the task
 *    pointer, as in KEDR; in interrupt context that is the task that was
 *    interrupted, not an owner of the work.
 *  - It calls nothing of the target, so it cannot recurse into
 *    instrumented code, and it is marked notrace and NOKPROBE so that
 *    tracing it does not recurse either.
 */

/* [engine] */
/* [snippet:sites] */
/*
 * What was recorded: the types that appear in the output. An unlocked
 * read-modify-write (``addl $1, (%rax)``) gives a read and then a write;
 * a LOCKed one, or XCHG with memory, gives one "locked update".
 */
enum kedr_event_type {
	KEDR_EV_NONE = 0,	/* a slot not (yet) filled */
	KEDR_EV_READ,
	KEDR_EV_WRITE,
	KEDR_EV_LOCKED,
	KEDR_EV_ENTRY,
	KEDR_EV_EXIT,
	KEDR_EV_COUNT
};

/* What a site asks for (struct kedr_site.kind) */
enum kedr_site_kind {
	KEDR_SITE_READ,		/* read the memory operand */
	KEDR_SITE_WRITE,	/* write it */
	KEDR_SITE_UPDATE,	/* read it, then write it (not locked) */
	KEDR_SITE_LOCKED,	/* locked read-modify-write */
	KEDR_SITE_STRING,	/* a string instruction: see record_string() */
	KEDR_SITE_ENTRY,	/* the function starts */
	KEDR_SITE_EXIT,		/* the function returns or tail-jumps away */
};

/* struct kedr_site.flags */
#define KEDR_SITE_RIP		0x01	/* RIP-relative: the address is known */
#define KEDR_SITE_ADDR32	0x02	/* 67 prefix: 32-bit address arithmetic */
#define KEDR_SITE_REP		0x04	/* string op with REP/REPE/REPNE */
/* 0x08 is KEDR_SITE_COUNTED, of part 14 */
#define KEDR_SITE_JUMP_REG	0x10	/* an exit site of a computed jump: */
#define KEDR_SITE_JUMP_MEM	0x20	/* to @base, or to what the operand holds */
#define KEDR_SITE_JUMP		(KEDR_SITE_JUMP_REG | KEDR_SITE_JUMP_MEM)

/* More register numbers (the decoder names %rsp and %rbp; SDM vol. 2, Table 2-2) */
#define KEDR_REG_RCX	1
#define KEDR_REG_RSI	6
#define KEDR_REG_RDI	7

/**
 * struct kedr_site - one place in the instrumented code that records
 * @pc:       the original instruction (for entry and exit: the function)
 * @rip_addr: for a RIP-relative operand, the address it refers to
 * @disp:     displacement of the memory operand
 * @kind:     enum kedr_site_kind
 * @size:     access size in bytes (for strings: the element size)
 * @base:     base register number, or KEDR_REG_NONE
 * @index:    index register number, or KEDR_REG_NONE
 * @scale:    the index's scale factor: 1, 2, 4 or 8
 * @seg:      KEDR_SEG_FS, KEDR_SEG_GS or KEDR_SEG_NONE
 * @string:   for KEDR_SITE_STRING, which one (enum kedr_str_op)
 * @flags:    KEDR_SITE_RIP, KEDR_SITE_ADDR32, KEDR_SITE_REP,
 *            KEDR_SITE_JUMP_REG, KEDR_SITE_JUMP_MEM
 * @count:    0 with fast=0; for part 14's stub, the event types it counts
 * @bitreg:   for BT/BTS/BTR/BTC with a register bit offset, that register,
 *            else KEDR_REG_NONE
 * @span:     for an exit site marked KEDR_SITE_JUMP, the size of the
 *            function @pc: a jump to a place in it is no exit
 *            (see jump_leaves())
 */
struct kedr_site {
	unsigned long pc;
	unsigned long rip_addr;
	long disp;
	u8 kind;
	u8 size;
	s8 base;
	s8 index;
	u8 scale;
	u8 seg;
	u8 string;
	u8 flags;
	u8 count[2];	/* part 14 */
	s8 bitreg;
	u32 span;
};

/* [/snippet:sites] */
/* [/engine] */

/* [snippet:record-types] */
/**
 * struct kedr_regs - the frame kedr_event_stub builds on the stack
 * @r:     the general registers by number; r[KEDR_REG_RSP] is filled in by
 *         kedr_on_site(), the stub stores a placeholder there
 * @flags: RFLAGS
 * @ret:   return address into the instrumented code
 * @rdi:   the target's %rdi, pushed by the emitted code before the call
 */
struct kedr_regs {
	unsigned long r[16];
	unsigned long flags;
	unsigned long ret;
	unsigned long rdi;
};

/**
 * struct kedr_record - one stored event
 * @tid:  the task (``current``) that caused it
 * @pc:   the original instruction, or the function for entry and exit
 * @addr: the memory accessed, or the function for entry and exit
 * @size: bytes accessed (0 for entry and exit)
 * @type: enum kedr_event_type; written last, so a filled slot is complete
 */
struct kedr_record {
	unsigned long tid;
	unsigned long pc;
	unsigned long addr;
	unsigned long size;
	unsigned int type;
};
/* [/snippet:record-types] */

/* num_records: how many events are stored; all of them are counted */
static unsigned int num_records = 512;	/* KEDR_DEMO_NUM_RECORDS in KEDR */
module_param(num_records, uint, 0444);
MODULE_PARM_DESC(num_records, "How many events to store (1..4194304, default 512)");
#define KEDR_MAX_RECORDS	(1U << 22)

static struct kedr_record *records;	/* num_records slots */
static atomic_long_t nr_claimed;	/* slots handed out so far */
static DEFINE_PER_CPU(unsigned long, event_counts[KEDR_EV_COUNT]);

/**
 * DOC: What the store keeps: the switch, and the first or the last
 *
 * A store of num_records slots fills up fast: with a real module (fat under
 * a file system, say) the first 512 events are all from its init and from
 * mounting, and the write you wanted to watch is only counted. ftrace
 * answers this with two ideas, and so does kedr_sample:
 *
 *  - A switch, like ftrace's ``tracing_on``: the debugfs file
 *    kedr_sample/recording (write ``0`` or ``1``; the parameter recording=0
 *    starts with it off). While it is off every event is still counted,
 *    but none is stored: record_event() reads the switch before it claims
 *    a slot. (With fast=1, part 14's flag for "store nothing" is set
 *    while it is off, as when the store is full: an event then costs
 *    what one after a full store costs.) The file's writers take a
 *    mutex; the recorder takes no lock, it only reads.
 *  - keep=first (the default, KEDR's way) keeps the first num_records
 *    events; keep=last keeps the last ones in a ring that overwrites the
 *    oldest, as ftrace's buffer does by default. The ring is never full, so
 *    with keep=last every event stored goes the whole way to record_event(),
 *    fast=1 or not: "make bench" measures what that costs.
 *
 * Both keep the events in the order in which they claimed their slot: one
 * atomic increment of nr_claimed gives each event its number, and event
 * number n goes to slot n (keep=first) or n % num_records (keep=last). A
 * CPU claims its events in the order it meets them, an interrupt's events
 * in between, so the output is in time order for each CPU; between CPUs,
 * it is the order of their increments, which happen just before the
 * access (the site runs before the original instruction).
 *
 * In the ring two writers can meet in one slot: while one writes a
 * record, num_records more events may be claimed (by other CPUs, or by an
 * NMI on this one) and the last of them wants the same slot. So each slot
 * has a number, ring_seq: the event it holds, plus one (0: none), with
 * KEDR_RING_BUSY while a writer fills it. A writer takes the slot with one
 * cmpxchg, and only if nobody is filling it and it holds an older event;
 * otherwise its event is lost, never torn. The output, read when the
 * target is gone and none of its code runs, shows a slot only if it holds
 * the event its position asks for, and says how many were lost.
 */
/* [snippet:recording] */
static bool recording = true;	/* the switch: store events (debugfs recording) */
module_param(recording, bool, 0444);
MODULE_PARM_DESC(recording, "Store events from the start (default 1); then see debugfs kedr_sample/recording");

static bool keep_last;		/* keep=last: the store is a ring */

/* keep=: "first" or "last", anything else fails insmod */
static int keep_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "first") || sysfs_streq(val, "last")) {
		keep_last = sysfs_streq(val, "last");
		return 0;
	}
	pr_err("keep is \"%s\"; it must be \"first\" or \"last\"\n", val);
	return -EINVAL;
}

static int keep_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", keep_last ? "last" : "first");
}

static const struct kernel_param_ops keep_ops = {
	.set = keep_set,
	.get = keep_get,
};
module_param_cb(keep, &keep_ops, NULL, 0444);
MODULE_PARM_DESC(keep, "When more events come than num_records, store the \"first\" (default) or the \"last\"");

static unsigned long *ring_seq;	/* keep=last: per slot, its event + 1 */
#define KEDR_RING_BUSY	(1UL << 63)	/* in ring_seq: a writer fills the slot */

/* What was counted while recording was on: before the last switch-on, and at it */
static unsigned long counted_on[KEDR_EV_COUNT], counted_at_on[KEDR_EV_COUNT];
static DEFINE_MUTEX(recording_mutex);	/* the switch's writers */

/**
 * ring_store() - keep=last: store an event in the ring
 * @s:    the site
 * @addr: see struct kedr_record
 * @size: see struct kedr_record
 * @type: enum kedr_event_type
 */
static notrace void ring_store(const struct kedr_site *s, unsigned long addr,
			       unsigned long size, unsigned int type)
{
	unsigned long n = atomic_long_inc_return(&nr_claimed);	/* event n - 1 */
	unsigned long slot = (n - 1) % num_records;
	unsigned long old = READ_ONCE(ring_seq[slot]);
	struct kedr_record *r = &records[slot];

	/* NB: a slot being filled, or holding a newer event: ours is lost */
	if ((old & KEDR_RING_BUSY) || old >= n ||
	    cmpxchg(&ring_seq[slot], old, n | KEDR_RING_BUSY) != old)
		return;
	r->tid = (unsigned long)current;
	r->pc = s->pc;
	r->addr = addr;
	r->size = size;
	r->type = type;
	smp_store_release(&ring_seq[slot], n);
}

/* At COMING (with the records): a new target, nothing stored or counted */
static void reset_recording(void)
{
	mutex_lock(&recording_mutex);
	memset(ring_seq, 0, num_records * sizeof(*ring_seq));
	memset(counted_on, 0, sizeof(counted_on));
	memset(counted_at_on, 0, sizeof(counted_at_on));
	if (fast)	/* hook: part 14 */
		fast_store_full(!READ_ONCE(recording));
	mutex_unlock(&recording_mutex);
}
/* [/snippet:recording] */

/**
 * record_event() - count an event, and store it if there is room
 * @s:    the site (its @pc goes into the record)
 * @addr: see struct kedr_record
 * @size: see struct kedr_record
 * @type: enum kedr_event_type
 *
 * Count it, then claim a slot if any is left.
 */
static notrace void record_event(const struct kedr_site *s, unsigned long addr,
				 unsigned long size, unsigned int type)
{
	struct kedr_record *r;
	long i;

	if (!(fast && fast_counted(s)))	/* hook: already counted? */
		this_cpu_inc(event_counts[type]);
	if (!READ_ONCE(recording))	/* the switch */
		return;
	if (keep_last) {
		ring_store(s, addr, size, type);
		return;
	}
	/* NB: read first, so that a full store costs no atomic operation */
	i = atomic_long_read(&nr_claimed);
	if (i < num_records)
		i = atomic_long_inc_return(&nr_claimed) - 1;
	if (i >= num_records) {
		if (fast)	/* hook: from now on, only count */
			fast_store_full(true);
		return;
	}
	r = &records[i];
	r->tid = (unsigned long)current;
	r->pc = s->pc;
	r->addr = addr;
	r->size = size;
	smp_store_release(&r->type, type);
}

/**
 * event_total() - how many events of a type were counted, on all CPUs
 * @type: enum kedr_event_type
 *
 * Return: the sum.
 */
static unsigned long event_total(unsigned int type)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(event_counts[type], cpu);
	return sum;
}

/* how many records hold an event: the claimed slots, at most num_records */
static long events_stored(void)
{
	return min_t(long, atomic_long_read(&nr_claimed), num_records);
}

/* [snippet:recording-switch] */
/**
 * set_recording() - turn the switch, and account for what it counted
 * @on: store events from now on, or not
 *
 * The switch changes first when turning off, last when turning on. An
 * event on another CPU at that moment may be stored or not; every event
 * is counted either way, and "counted while recording" is the totals'
 * growth between switch-on and switch-off.
 */
static void set_recording(bool on)
{
	unsigned int t;

	mutex_lock(&recording_mutex);
	if (on != READ_ONCE(recording)) {
		if (!on)
			WRITE_ONCE(recording, false);
		for (t = 0; t < KEDR_EV_COUNT; t++) {
			if (on)
				counted_at_on[t] = event_total(t);
			else
				counted_on[t] += event_total(t) - counted_at_on[t];
		}
		if (on)
			WRITE_ONCE(recording, true);
		if (fast)	/* hook: part 14; keep=first and all claimed: full */
			fast_store_full(!on || (!keep_last &&
				atomic_long_read(&nr_claimed) >= num_records));
	}
	mutex_unlock(&recording_mutex);
}

/* How many events of a type were counted while recording was on */
static unsigned long counted_recording(unsigned int t)
{
	unsigned long n;

	mutex_lock(&recording_mutex);
	n = counted_on[t];
	if (READ_ONCE(recording))
		n += event_total(t) - counted_at_on[t];
	mutex_unlock(&recording_mutex);
	return n;
}
/* [/snippet:recording-switch] */

/* debugfs kedr_sample/recording, read: "1" or "0" */
static ssize_t recording_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[2] = { READ_ONCE(recording) ? '1' : '0', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

/* debugfs kedr_sample/recording, write: "1" or "0", a newline allowed */
static ssize_t recording_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[2] = "";

	if (count < 1 || count > 2 || copy_from_user(buf, ubuf, count))
		return -EINVAL;
	if ((buf[0] != '0' && buf[0] != '1') || (count == 2 && buf[1] != '\n'))
		return -EINVAL;
	set_recording(buf[0] == '1');
	return count;
}

static const struct file_operations recording_fops = {
	.owner = THIS_MODULE,
	.read = recording_read,
	.write = recording_write,
	.llseek = default_llseek,
};

/* [snippet:recording-output] */
/* The record at position @i of the output: for keep=last, from the oldest */
static struct kedr_record *stored_record(long i)
{
	static struct kedr_record lost;		/* KEDR_EV_NONE: prints nothing */
	long n = atomic_long_read(&nr_claimed), k;

	if (!keep_last)
		return &records[i];
	k = max_t(long, n - num_records, 0) + i;	/* the event wanted */
	if (READ_ONCE(ring_seq[k % num_records]) != k + 1)
		return &lost;
	return &records[k % num_records];
}

/**
 * show_recording() - the output's lines about the switch and the store
 * @m: the seq_file
 *
 * After [Totals]: what was counted while recording was on, then what the
 * store kept and what it did not.
 */
static void show_recording(struct seq_file *m)
{
	long i, stored = 0, wanted = events_stored();
	unsigned long on = 0;
	unsigned int t;

	seq_printf(m, "[Totals while recording] reads: %lu; writes: %lu; locked updates: %lu.\n",
		   counted_recording(KEDR_EV_READ), counted_recording(KEDR_EV_WRITE),
		   counted_recording(KEDR_EV_LOCKED));
	for (i = 0; i < wanted; i++)
		stored += stored_record(i)->type != KEDR_EV_NONE;
	if (keep_last) {
		seq_printf(m, "[Store] keep=last num_records=%u: %ld stored, %ld overwritten, %ld lost.\n",
			   num_records, stored,
			   atomic_long_read(&nr_claimed) - wanted, wanted - stored);
		return;
	}
	for (t = 0; t < KEDR_EV_COUNT; t++)
		on += counted_recording(t);
	seq_printf(m, "[Store] keep=first num_records=%u: %ld stored, %ld not stored (the store was full).\n",
		   num_records, stored, max_t(long, on - stored, 0));
}
/* [/snippet:recording-output] */

/**
 * segment_base() - the base address of %fs or %gs in the kernel
 * @seg: KEDR_SEG_* (only FS and GS have a base)
 *
 * In the kernel %gs points to this CPU's per-cpu area, whose offset the
 * per-cpu variable this_cpu_off holds; %fs still holds the base of the
 * interrupted user task.
 *
 * Return: the base, 0 for KEDR_SEG_NONE.
 */
static notrace unsigned long segment_base(u8 seg)
{
	unsigned long base = 0;

	if (seg == KEDR_SEG_GS)
		base = this_cpu_read(this_cpu_off);
	else if (seg == KEDR_SEG_FS)
		rdmsrl(MSR_FS_BASE, base);
	return base;
}

/**
 * bit_string_offset() - where BT & co. with a register offset really go
 * @s:    the site, with @s->bitreg
 * @regs: the target's registers
 *
 * With a register bit offset, BT, BTS, BTR and BTC treat memory as a bit
 * string starting at the operand: the offset is signed, of the operand's
 * size, and selects the element at operand + (offset >> log2(bits)) *
 * bytes (Intel SDM vol. 2, BT: "Bit(BitBase, BitOffset)"). The shift of a
 * negative offset rounds down, as the CPU does.
 *
 * Return: the byte offset from the operand to the element accessed.
 */
static notrace long bit_string_offset(const struct kedr_site *s,
				      const struct kedr_regs *regs)
{
	long bit = regs->r[s->bitreg];

	if (s->size == 2)
		bit = (s16)bit;
	else if (s->size == 4)
		bit = (s32)bit;
	return (bit >> ilog2(s->size * BITS_PER_BYTE)) * s->size;
}

/**
 * operand_address() - the address a memory operand refers to, right now
 * @s:    the site
 * @regs: the target's registers
 *
 * Return: the linear address (Intel SDM vol. 1, 3.7.5 "Specifying an
 * Offset": base + index * scale + displacement, plus the segment base).
 */
static notrace unsigned long operand_address(const struct kedr_site *s,
					     const struct kedr_regs *regs)
{
	unsigned long addr;

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
	if (s->bitreg != KEDR_REG_NONE)
		addr += bit_string_offset(s, regs);
	return addr + segment_base(s->seg);
}

/**
 * record_string() - record what a string instruction is about to touch
 * @s:    the site, with @s->string saying which instruction
 * @regs: the target's registers
 *
 * %rsi is the source (DS, or a segment override), %rdi the destination (ES,
 * no override), %rcx the count if there is a REP prefix; the direction flag
 * says whether they go up or down (Intel SDM vol. 1, 7.3.9). The whole
 * range is one event: ``rep movsq`` with %rcx = 4 is a read of 32 bytes and
 * a write of 32 bytes. With %rcx = 0 nothing is touched and nothing is
 * recorded.
 *
 * NB: REPE/REPNE CMPS and SCAS stop early when the data says so; the range
 * recorded is the longest they may touch, %rcx elements.
 */
static notrace void record_string(const struct kedr_site *s,
				  const struct kedr_regs *regs)
{
	unsigned long count = 1, len, src, dst;
	bool a32 = s->flags & KEDR_SITE_ADDR32;

	if (s->flags & KEDR_SITE_REP)
		count = a32 ? (u32)regs->r[KEDR_REG_RCX] : regs->r[KEDR_REG_RCX];
	if (!count)
		return;
	len = count * s->size;
	src = a32 ? (u32)regs->r[KEDR_REG_RSI] : regs->r[KEDR_REG_RSI];
	dst = a32 ? (u32)regs->r[KEDR_REG_RDI] : regs->r[KEDR_REG_RDI];
	if (regs->flags & X86_EFLAGS_DF) {	/* going down */
		src -= len - s->size;
		dst -= len - s->size;
	}
	src += segment_base(s->seg);

	switch (s->string) {
	case KEDR_STR_MOVS:
		record_event(s, src, len, KEDR_EV_READ);
		record_event(s, dst, len, KEDR_EV_WRITE);
		break;
	case KEDR_STR_CMPS:
		record_event(s, src, len, KEDR_EV_READ);
		record_event(s, dst, len, KEDR_EV_READ);
		break;
	case KEDR_STR_LODS:
	case KEDR_STR_OUTS:
		record_event(s, src, len, KEDR_EV_READ);
		break;
	case KEDR_STR_SCAS:
		record_event(s, dst, len, KEDR_EV_READ);
		break;
	case KEDR_STR_STOS:
	case KEDR_STR_INS:
		record_event(s, dst, len, KEDR_EV_WRITE);
		break;
	}
}

/**
 * jump_leaves() - does the jump of an exit site leave its function?
 * @s:    an exit site
 * @regs: the target's registers
 *
 * A return, or a direct jump to another function, always leaves: the
 * emitter knew it. A jump through a register or through memory (a site
 * marked KEDR_SITE_JUMP) may go anywhere: to another function, a tail
 * call, or back into its own, as hand-written assembly does with a table
 * of places to go (crc32c-intel's crc_pcl jumps, through a table, to one
 * of the labels of its own body). Execution needs nothing from us there: the jump lands in
 * the int3 fill of the original and part 10's handler sends it on to the
 * instance. But it is no exit. So here, with the registers at hand, we
 * look at where it goes: into the function, past its first byte, it
 * stays. (To the first byte it goes through the original's way in, which
 * records an entry again: an exit then is right.)
 *
 * Return: true if an exit is to be recorded.
 */
static notrace bool jump_leaves(const struct kedr_site *s,
				const struct kedr_regs *regs)
{
	unsigned long to;

	if (s->flags & KEDR_SITE_JUMP_REG)
		to = regs->r[s->base];
	else if (!(s->flags & KEDR_SITE_JUMP_MEM))
		return true;
	else if (copy_from_kernel_nofault(&to, (void *)operand_address(s, regs),
					  sizeof(to)))
		return true;	/* the jump itself will fault */
	return !(to > s->pc && to < s->pc + s->span);
}

__visible void kedr_on_site(const struct kedr_site *s, struct kedr_regs *regs);

/**
 * kedr_on_site() - called by kedr_event_stub for every site reached
 * @s:    the site
 * @regs: the target's registers, saved by the stub
 */
__visible notrace void kedr_on_site(const struct kedr_site *s,
				    struct kedr_regs *regs)
{
	unsigned long addr;

	/* the target's %rsp: just above the %rdi the emitted code pushed */
	regs->r[KEDR_REG_RSP] = (unsigned long)(&regs->rdi + 1);

	switch (s->kind) {
	case KEDR_SITE_ENTRY:
		record_event(s, s->pc, 0, KEDR_EV_ENTRY);
		return;
	case KEDR_SITE_EXIT:
		if (jump_leaves(s, regs))
			record_event(s, s->pc, 0, KEDR_EV_EXIT);
		return;
	case KEDR_SITE_STRING:
		record_string(s, regs);
		return;
	}
	addr = operand_address(s, regs);
	switch (s->kind) {
	case KEDR_SITE_READ:
		record_event(s, addr, s->size, KEDR_EV_READ);
		break;
	case KEDR_SITE_WRITE:
		record_event(s, addr, s->size, KEDR_EV_WRITE);
		break;
	case KEDR_SITE_UPDATE:
		record_event(s, addr, s->size, KEDR_EV_READ);
		record_event(s, addr, s->size, KEDR_EV_WRITE);
		break;
	case KEDR_SITE_LOCKED:
		record_event(s, addr, s->size, KEDR_EV_LOCKED);
		break;
	}
}
NOKPROBE_SYMBOL(kedr_on_site);

/*
 * kedr_event_stub: the hand-written assembly between the emitted code and
 * kedr_on_site(). Entered with %rdi = the site and, on the stack, the
 * return address and the target's %rdi (pushed by the emitted code). It
 * builds a struct kedr_regs: RFLAGS first (PUSHFQ), then the sixteen
 * registers from r[15] down, so that the last push is r[0], %rax. For
 * r[7] it pushes the target's %rdi, for r[4] a placeholder that
 * kedr_on_site() replaces. All sixteen, because an operand may use any of
 * them; a C function may change only the caller-saved ones (%rax, %rcx,
 * %rdx, %rsi, %rdi, %r8-%r11) and the flags, but popping them all back is
 * the simplest way to be sure. The kernel's C code assumes the direction
 * flag is clear, and the target may have set it, so the stub clears it for
 * the call, in a copy of the flags (objtool rejects a plain CLD). The pops
 * undo the pushes, and the final POPFQ restores the target's flags, all of
 * them. That is the whole of it: every event, whether it is stored or only
 * counted, goes to kedr_on_site() in C.
 */
/*
 * The sixteen registers as a struct kedr_regs, from r[15] down to r[0]
 * (the caller has pushed RFLAGS above them), and back. Part 14's stub
 * builds the same frame.
 */
#define KEDR_PUSH_REGS \
"	pushq %r15\n" \
"	pushq %r14\n" \
"	pushq %r13\n" \
"	pushq %r12\n" \
"	pushq %r11\n" \
"	pushq %r10\n" \
"	pushq %r9\n" \
"	pushq %r8\n" \
"	pushq 0x50(%rsp)\n"	/* r[7]: the target's %rdi (8 regs, flags, ret above) */ \
"	pushq %rsi\n" \
"	pushq %rbp\n" \
"	pushq %rsp\n"		/* r[4]: placeholder, see kedr_on_site() */ \
"	pushq %rbx\n" \
"	pushq %rdx\n" \
"	pushq %rcx\n" \
"	pushq %rax\n"

#define KEDR_POP_REGS \
"	popq %rax\n" \
"	popq %rcx\n" \
"	popq %rdx\n" \
"	popq %rbx\n" \
"	addq $8, %rsp\n"	/* r[4] */ \
"	popq %rbp\n" \
"	popq %rsi\n" \
"	addq $8, %rsp\n"	/* r[7]: the emitted code pops %rdi itself */ \
"	popq %r8\n" \
"	popq %r9\n" \
"	popq %r10\n" \
"	popq %r11\n" \
"	popq %r12\n" \
"	popq %r13\n" \
"	popq %r14\n" \
"	popq %r15\n"

/* [snippet:event-stub] */
void kedr_event_stub(void);
asm(
"	.pushsection .text, \"ax\"\n"
"	.globl kedr_event_stub\n"
"	.type kedr_event_stub, @function\n"
"kedr_event_stub:\n"
	ANNOTATE_NOENDBR		/* only instances call it, directly */
"	pushfq\n"
	KEDR_PUSH_REGS
"	pushq 0x80(%rsp)\n"	/* a copy of the target's flags */
"	andq $~0x400, (%rsp)\n"	/* without X86_EFLAGS_DF */
"	popfq\n"
"	movq %rsp, %rsi\n"	/* kedr_on_site(site, regs) */
"	call kedr_on_site\n"
	KEDR_POP_REGS
"	popfq\n"		/* the target's flags, DF included */
	ASM_RET
"	.size kedr_event_stub, .-kedr_event_stub\n"
"	.popsection\n");
/* [/snippet:event-stub] */

/* ==== 7. WHERE THE INSTANCES LIVE ==== */

/**
 * DOC: Where the instances live
 *
 * The instances need memory that is executable and within 2 GiB of the
 * target, of kedr_sample and of the kernel, because every jump and call in
 * them is rel32. The module area (0xffffffffc0000000 and up, 1 GiB) is such
 * a place. But not any page of it will do: the kernel asks "which module
 * is this address in?" (__module_address()) when it looks for the fixup of
 * a faulting user-memory access, and "is this module text?" before it
 * patches a static key or a static call. For memory of its own, from
 * module_alloc(), the answer would be "none", and a fault in an instance
 * would be an oops.
 *
 * So the instances live inside kedr_sample itself: kedr_sample.ko carries
 * an area of KEDR_AREA_SIZE bytes of int3 in a text section of its own,
 * ".kedr_area". The kernel maps it with the rest of kedr_sample's code,
 * read-only and executable; kedr_sample writes instances into it with
 * text_poke_copy() and wipes them with text_poke_set(), the way the kernel
 * patches code. No page is ever writable and executable at once.
 *
 * Instances of core functions are placed first, those of init functions
 * after them, so that when the target's init is over the init part can be
 * wiped and given back.
 *
 * What it costs: the area is in kedr_sample.ko as it is in memory, int3
 * for int3, so the file is as big as the area, and so much memory is
 * taken while kedr_sample is loaded, whatever the target. (A section
 * without contents, like .bss, would cost the file nothing, but objtool,
 * which kbuild runs on every object, cannot read an executable one.) An
 * instance is nearly three times its original, so the 8 MiB of the
 * default area hold about 3 MB of code: every module of Debian's 6.1 and
 * 6.12 kernels but amdgpu, the largest (i915, the next, fits; the README
 * has the figures). Build with a larger area for a larger target, or a
 * smaller one for a smaller file: ``make KEDR_AREA_SIZE=24M`` (bytes, or
 * K or M).
 *
 * A target whose instances do not all fit is instrumented as far as they
 * do: fit_in_area(), when the target is planned, gives each function and
 * its .cold parts room
 * together, the core functions first, then the init ones, each in address
 * order, and leaves alone the families that find none, reporting them like
 * any other function left alone.
 *
 * The sites (struct kedr_site) are data. They go to pages of their own
 * from module_alloc(): writable while they are filled, then read-only, never
 * executable. The code names a site with a sign-extended 32-bit address,
 * which module_alloc() memory, in the top 2 GiB, always has.
 */

/* [engine] */
/* int3: what the area holds where no instance is (Intel SDM vol. 2, INT n) */
#define KEDR_OP_INT3		0xCC
/* [/engine] */

/* [snippet:area] */
#ifndef KEDR_AREA_SIZE
#define KEDR_AREA_SIZE	(8 << 20)
#endif

extern u8 kedr_area[];
asm(
"	.pushsection .kedr_area, \"ax\"\n"
"	.balign 4096\n"
"	.globl kedr_area\n"
"kedr_area:\n"
	ANNOTATE_NOENDBR	/* entered by direct jumps only: no ENDBR */
"	.fill " __stringify(KEDR_AREA_SIZE) ", 1, 0xcc\n"
"	.popsection\n");
/* [/snippet:area] */

/**
 * struct kedr_region - the instances of the core or of the init functions
 * @code:  where their code starts in kedr_area
 * @code_size: bytes of code
 * @sites: their sites, from module_alloc(), NULL if none
 * @sites_size: bytes allocated for the sites (whole pages)
 * @nr_sites: how many sites
 */
struct kedr_region {
	u8 *code;
	unsigned long code_size;
	struct kedr_site *sites;
	unsigned long sites_size;
	unsigned int nr_sites;
};

/**
 * alloc_sites() - get read-write, non-executable memory for a region's sites
 * @r: the region, its @nr_sites set
 *
 * Return: 0 or -ENOMEM.
 */
static int alloc_sites(struct kedr_region *r)
{
	if (!r->nr_sites)
		return 0;
	r->sites_size = PAGE_ALIGN(r->nr_sites * sizeof(*r->sites));
	r->sites = kedr_module_alloc(r->sites_size);
	if (r->sites)
		return 0;
	pr_err("no memory for %u sites (%lu bytes)\n", r->nr_sites, r->sites_size);
	return -ENOMEM;
}

/**
 * write_region() - copy a region's code into the area, protect its sites
 * @r:       the region
 * @scratch: its code, written there by the emitter
 *
 * Return: 0 or the error of set_memory_ro().
 */
static int write_region(struct kedr_region *r, const u8 *scratch)
{
	int err;

	if (r->code_size)
		kedr_text_poke_copy(r->code, scratch, r->code_size);
	if (!r->sites)
		return 0;
	err = kedr_set_memory_ro((unsigned long)r->sites,
				 r->sites_size >> PAGE_SHIFT);
	if (err)
		pr_err("cannot make the sites read-only (error %d)\n", err);
	return err;
}

/**
 * free_region() - wipe a region's code, free its sites
 * @r: the region (it may hold nothing)
 *
 * NB: module_alloc() marks its areas VM_FLUSH_RESET_PERMS, so vfree()
 * makes the pages writable again before anyone reuses them.
 */
static void free_region(struct kedr_region *r)
{
	if (r->code && r->code_size)
		kedr_text_poke_set(r->code, KEDR_OP_INT3, r->code_size);
	vfree(r->sites);
	memset(r, 0, sizeof(*r));
}

/* ==== 8. WHAT LOADED CODE LOOKS LIKE ==== */

/**
 * DOC: Finding the target
 *
 * The kernel tells interested parties about every module that comes and
 * goes, through the module notifier chain. The states, in order:
 *
 *  MODULE_STATE_COMING
 *	The module's code and data are in place and relocated; text and
 *	read-only data are already read-only; ftrace has turned each
 *	function's "call __fentry__" into a 5-byte nop; static keys and
 *	static calls are set up (their notifiers run before ours). The
 *	module's init function has NOT run yet. This is where kedr_sample
 *	does its work: nothing of the target has executed so far.
 *  MODULE_STATE_LIVE
 *	init has returned successfully; the init sections are freed soon
 *	after.
 *  MODULE_STATE_GOING
 *	The module is being removed (its exit function has run), or its
 *	init function failed. Its symbols can still be looked up.
 *
 * In Linux 6.1 the module's memory is described by two layouts:
 * core_layout (everything that stays: .text first, then read-only data,
 * then data) and init_layout (.init.text and init data, freed after init).
 * Each starts at ``base``, and its executable part is the first
 * ``text_size`` bytes. Since 6.4 each kind of memory is a block of its
 * own, mod->mem[MOD_TEXT], mod->mem[MOD_INIT_TEXT]...; module_text() below
 * answers for both.
 *
 * Where are the functions? KEDR's sample of 2011 asked a helper script
 * (kedr_get_sections.sh) to read /sys/module/NAME/sections. In 6.1 that
 * directory appears only after COMING, too late. But the loader keeps the
 * module's whole ELF symbol table at hand during init, in mod->kallsyms:
 * every symbol with its type, address (already relocated) and size. After
 * init the kernel switches to a smaller table (core symbols only), so we
 * copy what we need while we can.
 *
 * Two kinds of symbols need care:
 *
 *  - Aliases. module_init(fn) makes "init_module" an alias of fn: same
 *    address, same size. Instrumenting a function twice would be a
 *    disaster, so symbols with the same address and size are folded into
 *    one function, which keeps the more telling name.
 *  - .cold parts. GCC moves the unlikely paths of a function "foo" into a
 *    separate function "foo.cold" in .text.unlikely, and jumps between the
 *    two. They are functions of their own in the symbol table, so they are
 *    found like the others; we link each to its parent, because code
 *    jumps into their middle from the parent and back.
 *  - Padding. A kernel built with call padding (6.12) puts 16 bytes of
 *    nop before every function, each with a symbol of its own, "__pfx_foo"
 *    (STT_FUNC, 16 bytes). That is no function: the kernel may write its
 *    call-depth accounting there (retbleed=stuff). It is skipped, and
 *    counted apart.
 */

/*
 * The 5-byte nop that ftrace leaves at the start of a traced function in
 * place of "call __fentry__" (Intel SDM vol. 2, NOP: 0F 1F /0 with a
 * ModRM + SIB + disp8, "nopl 0x0(%rax,%rax,1)"): the kernel's x86_nops[5].
 * A disabled static key is the same 5 bytes (see "Addresses the kernel
 * keeps" below), so one array serves both.
 */
/* [engine] */
#define KEDR_FTRACE_NOP_LEN	5	/* the jump goes after it, if there is one */
#define KEDR_ENDBR_LEN		4	/* F3 0F 1E FA (IBT): the jump goes after it too */
static const u8 nop5[KEDR_FTRACE_NOP_LEN] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
/* [/engine] */

/* [engine] */
/**
 * struct kedr_insn_map - where an original instruction went
 * @orig: its offset in the original function
 * @inst: the offset of its code in the instance (the recording that goes
 *        before it included: a jump here must record the access too)
 * @copy: the offset of the instruction itself in the instance (what a
 *        kernel table that named the original instruction must now name)
 * @flags_dead: false with fast=0; part 14 says what it is
 */
struct kedr_insn_map {
	u32 orig;
	u32 inst;
	u32 copy;
	bool flags_dead;	/* part 14 only */
};

/**
 * struct kedr_func - one function of the target, and its instance
 * @addr:  its address in the target's code
 * @size:  its size in bytes, from the symbol table
 * @name:  its name (a copy: the symbol table it came from is freed after init)
 * @init:  true if it lies in the init text (freed after the target's init)
 * @cold:  true if it is a ".cold" part of another function
 * @endbr: true if it starts with ENDBR64 (or its sealed form), see entry_len()
 * @ftrace_nop: true if it starts with ftrace's 5-byte nop (after @endbr)
 * @parent: for a .cold part, the function it belongs to (if found)
 * @has_cold: some .cold part has this function as its @parent
 * @skip:  why it is left alone, or NULL if it is instrumented
 * @skip_off: where in the function that reason lies
 * @insns: its instructions, decoded once when it is planned and kept until
 *         its instance is written (80 bytes each)
 * @map:   per instruction, its offset in the original and in the instance
 * @nr_insns: entries in @insns and in @map
 * @body_size: bytes of the instance up to the code of its last instruction
 * @code_size: bytes of the instance
 * @nr_sites: sites it uses
 * @offset: where the instance is in its region
 * @first_site: index of its first site in its region
 * @inst:  address of the instance, 0 if none (yet, or any more)
 */
struct kedr_func {
	unsigned long addr;
	unsigned int size;
	const char *name;
	bool init;
	bool cold;
	bool endbr;
	bool ftrace_nop;
	struct kedr_func *parent;
	bool has_cold;
	const char *skip;
	unsigned int skip_off;
	struct kedr_insn *insns;
	struct kedr_insn_map *map;
	unsigned int nr_insns;
	unsigned int body_size;
	unsigned int code_size;
	unsigned int nr_sites;
	unsigned int offset;
	unsigned int first_site;
	unsigned long inst;
};

/**
 * entry_len() - bytes at the start of a function that stay where they are
 * @f: the function
 *
 * NB: 6.1 has ftrace's nop at +0; 6.12 (IBT) ENDBR64 at +0, the nop at +4.
 *
 * Return: the length of ENDBR64 and ftrace's nop, those it has.
 */
static unsigned int entry_len(const struct kedr_func *f)
{
	return (f->endbr ? KEDR_ENDBR_LEN : 0) +
	       (f->ftrace_nop ? KEDR_FTRACE_NOP_LEN : 0);
}
/* [/engine] */

/**
 * struct kedr_target - what kedr_sample knows about the target
 * @mod:      the target module, NULL while it is not loaded
 * @funcs:    its functions, sorted by address, aliases folded; kept after
 *            the target is gone, to name the functions in the output
 * @nr_funcs: how many
 * @nr_aliases: symbols folded into another one of the same address and size
 * @nr_padding: __pfx_ symbols skipped (padding before functions, 6.12)
 * @core:     instances of functions in the core text
 * @init:     instances of functions in the init text
 * @jl_sites: addresses of the target's static key sites, sorted
 * @nr_jl_sites: how many
 * @extable:  the target's exception table entries, re-aimed at instances,
 *            which kedr_sample lends the kernel as its own (see "Addresses
 *            the kernel keeps" below)
 * @nr_extable: how many
 * @no_room:  bytes the instances that found no room in the area would
 *            have needed
 */
struct kedr_target {
	struct module *mod;
	struct kedr_func *funcs;
	unsigned int nr_funcs;
	unsigned int nr_aliases;
	unsigned int nr_padding;
	struct kedr_region core;
	struct kedr_region init;
	unsigned long *jl_sites;
	unsigned int nr_jl_sites;
	struct exception_table_entry *extable;
	unsigned int nr_extable;
	unsigned long no_room;
};

static struct kedr_target tgt;

/* [engine] */
/**
 * function_at() - the function of a table that contains an address
 * @funcs: functions sorted by address, not overlapping
 * @n:     how many
 * @addr:  the address
 *
 * Return: the function, or NULL.
 */
static struct kedr_func *function_at(struct kedr_func *funcs, unsigned int n,
				     unsigned long addr)
{
	unsigned int lo = 0, hi = n;
	struct kedr_func *f;

	if (fast)	/* hook: part 14 */
		return function_at_fast(funcs, n, addr);
	while (lo < hi) {	/* the first function that starts after @addr */
		unsigned int mid = lo + (hi - lo) / 2;

		if (funcs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;	/* NB: most calls go to the kernel, below us */
	f = &funcs[lo - 1];	/* the last one that starts at or below it */
	return addr < f->addr + f->size ? f : NULL;
}
/* [/engine] */

/* the target's function that contains @addr, or NULL */
static struct kedr_func *find_function(unsigned long addr)
{
	return function_at(tgt.funcs, tgt.nr_funcs, addr);
}

/**
 * module_text() - where a module's core or init code is
 * @mod:  the module
 * @init: true for the init code, false for the core code
 * @size: receives its size in bytes
 *
 * Return: its start. NB: 6.1 has two layouts, each with code first; since
 * 6.4 each kind of memory is a block of its own, mod->mem[type].
 */
static unsigned long module_text(const struct module *mod, bool init,
				 unsigned int *size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	const struct module_memory *m = &mod->mem[init ? MOD_INIT_TEXT : MOD_TEXT];

	*size = m->size;
#else
	const struct module_layout *m = init ? &mod->init_layout : &mod->core_layout;

	*size = m->text_size;
#endif
	return (unsigned long)m->base;
}

/* does [@addr, @addr + @size) lie in @mod's init (or core) code? */
static bool in_text(const struct module *mod, bool init, unsigned long addr,
		    unsigned int size)
{
	unsigned int text_size;
	unsigned long start = module_text(mod, init, &text_size);

	return addr >= start && addr + size <= start + text_size;
}

/**
 * free_maps() - free the decoded instructions and the instruction maps
 * @t: the target
 */
static void free_maps(struct kedr_target *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_funcs; i++) {
		kvfree(t->funcs[i].insns);
		t->funcs[i].insns = NULL;
		kvfree(t->funcs[i].map);
		t->funcs[i].map = NULL;
	}
}

/**
 * free_functions() - forget the target's functions
 * @t: the target
 */
static void free_functions(struct kedr_target *t)
{
	unsigned int i;

	free_maps(t);
	for (i = 0; i < t->nr_funcs; i++)
		kfree(t->funcs[i].name);
	kvfree(t->funcs);
	t->funcs = NULL;
	t->nr_funcs = 0;
	t->nr_aliases = 0;
	t->nr_padding = 0;
}

/* [engine] */
/* "init_module" and "cleanup_module": the names module_init/module_exit add */
static bool is_generic_name(const char *name)
{
	return !strcmp(name, "init_module") || !strcmp(name, "cleanup_module");
}

/* 6.12 (call padding): "__pfx_foo", the 16 bytes before foo, is no function */
static bool is_padding(const char *name)
{
	return !strncmp(name, "__pfx_", 6);
}

/**
 * cmp_func_addr() - order functions by address, then by size (for sort())
 * @a: a struct kedr_func
 * @b: another
 *
 * Return: <0, 0 or >0 as for memcmp().
 */
static int cmp_func_addr(const void *a, const void *b)
{
	const struct kedr_func *fa = a, *fb = b;

	if (fa->addr != fb->addr)
		return fa->addr < fb->addr ? -1 : 1;
	if (fa->size != fb->size)
		return fa->size < fb->size ? -1 : 1;
	return 0;
}

/**
 * fold_aliases() - merge functions with the same address and size
 * @funcs: the functions, sorted by cmp_func_addr()
 * @n:     how many
 *
 * Of two aliases the one with a generic name (init_module, cleanup_module)
 * goes; of two ordinary names the first in the table stays. The names of
 * those that go are freed.
 *
 * Return: how many functions are left, at the start of @funcs.
 */
static unsigned int fold_aliases(struct kedr_func *funcs, unsigned int n)
{
	unsigned int i, kept = 0;

	for (i = 0; i < n; i++) {
		struct kedr_func *f = &funcs[i];
		struct kedr_func *last = kept ? &funcs[kept - 1] : NULL;

		if (!last || cmp_func_addr(last, f)) {
			funcs[kept++] = *f;
			continue;
		}
		if (is_generic_name(last->name) && !is_generic_name(f->name))
			swap(last->name, f->name);
		kfree(f->name);
	}
	return kept;
}
/* [/engine] */

/**
 * read_entry() - what the start of a function holds that must stay there
 * @f: the function; sets @f->endbr and @f->ftrace_nop
 *
 * NB: is_endbr() is the kernel's own test: ENDBR64 or the 4-byte nop that
 * the loader "seals" an unused one into; always false without IBT (6.1).
 */
static void read_entry(struct kedr_func *f)
{
	const u8 *p = (const u8 *)f->addr, *end = p + f->size;

	f->endbr = f->size >= KEDR_ENDBR_LEN && is_endbr(*(const u32 *)p);
	if (f->endbr)
		p += KEDR_ENDBR_LEN;
	f->ftrace_nop = end - p >= KEDR_FTRACE_NOP_LEN &&
			!memcmp(p, nop5, KEDR_FTRACE_NOP_LEN);
}

/**
 * collect_functions() - copy the target's functions from its symbol table
 * @t:   the target; @t->funcs receives the functions
 * @mod: the target module, in MODULE_STATE_COMING
 *
 * Return: 0 or -ENOMEM.
 */
static int collect_functions(struct kedr_target *t, struct module *mod)
{
	/* NB: at COMING the loader's full table is stable: init has not run */
	struct mod_kallsyms *ks = rcu_dereference_protected(mod->kallsyms, 1);
	unsigned int i, n;

	t->funcs = kvcalloc(ks->num_symtab, sizeof(*t->funcs), GFP_KERNEL);
	if (!t->funcs) {
		pr_err("no memory for a table of %u symbols\n", ks->num_symtab);
		return -ENOMEM;
	}
	for (i = 1; i < ks->num_symtab; i++) {	/* entry 0 is the null symbol */
		const Elf_Sym *sym = &ks->symtab[i];
		struct kedr_func *f = &t->funcs[t->nr_funcs];

		if (ELF_ST_TYPE(sym->st_info) != STT_FUNC || !sym->st_size)
			continue;
		if (is_padding(ks->strtab + sym->st_name)) {
			t->nr_padding++;
			continue;
		}
		f->addr = sym->st_value;
		f->size = sym->st_size;
		if (in_text(mod, true, f->addr, f->size))
			f->init = true;
		else if (!in_text(mod, false, f->addr, f->size))
			continue;	/* not in the module's code: not ours */
		f->name = kstrdup(ks->strtab + sym->st_name, GFP_KERNEL);
		if (!f->name) {
			pr_err("no memory for the name of %s\n",
			       ks->strtab + sym->st_name);
			free_functions(t);
			return -ENOMEM;
		}
		f->cold = strstr(f->name, ".cold") != NULL;
		read_entry(f);
		t->nr_funcs++;
	}
	sort(t->funcs, t->nr_funcs, sizeof(*t->funcs), cmp_func_addr, NULL);
	n = fold_aliases(t->funcs, t->nr_funcs);
	t->nr_aliases += t->nr_funcs - n;
	t->nr_funcs = n;
	return 0;
}

/* [engine] */
/**
 * link_cold_parts() - point each "foo.cold" at "foo"
 * @funcs: the target's functions
 * @n:     how many
 */
static void link_cold_parts(struct kedr_func *funcs, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		struct kedr_func *f = &funcs[i];
		size_t len;

		if (!f->cold)
			continue;
		len = strstr(f->name, ".cold") - f->name;
		for (j = 0; j < n; j++) {
			const char *name = funcs[j].name;

			/* NB: the first letter first: this runs n times */
			if (!funcs[j].cold && name[0] == f->name[0] &&
			    !strncmp(name, f->name, len) && !name[len]) {
				f->parent = &funcs[j];
				funcs[j].has_cold = true;
				break;
			}
		}
	}
}

/* is one a .cold part of the other, or are both parts of a third? */
static bool same_family(const struct kedr_func *a, const struct kedr_func *b)
{
	return a->parent == b || b->parent == a ||
		(a->parent && a->parent == b->parent);
}
/* [/engine] */

/**
 * DOC: Addresses the kernel keeps
 *
 * Some tables of a module hold addresses of its instructions, and the
 * kernel looks them up at run time, by exact address or to patch the code
 * there. Once the code has moved to an instance, the int3 fill is where
 * those tables point, and each of them, left as it is, crashes the kernel
 * sooner or later:
 *
 *  - __ex_table: where a fault in a user-memory access is fixed up (so that
 *    read() with a bad pointer returns -EFAULT instead of an oops);
 *  - __bug_table: where a BUG() or WARN() lives (its UD2);
 *  - __jump_table: static keys (and tracepoints, dynamic debug), whose
 *    nops and jumps the kernel rewrites when a key changes;
 *  - .static_call_sites: calls the kernel retargets when a static call
 *    is updated.
 *
 * Every entry is a 32-bit offset from the entry itself to the address, so
 * re-aiming one is a matter of writing a new offset. At COMING all four are
 * still writable (the loader makes __jump_table read-only only after the
 * target's init) and the kernel's own notifiers, which run before ours,
 * are done with them. So:
 *
 *  - __bug_table entries are re-aimed at the UD2 in the instance;
 *  - __jump_table entries at the instance's copy of the site, and at the
 *    instance's copy of the jump's target. The instance keeps each site in
 *    the 5-byte form, since the kernel checks what it replaces;
 *  - .static_call_sites entries at the instance's call (or jump), which
 *    is a rel32 instruction of the same 5 bytes as the original;
 *  - __ex_table: here the kernel first asks which module holds the
 *    faulting address, then searches that module's table. The instances
 *    are in kedr_sample (part 7), so kedr_sample lends the kernel a table
 *    of its own: the target's entries, re-aimed and sorted by address.
 *    (kedr_sample's own table is empty: it touches no user memory.)
 *
 * What cannot be re-aimed is left alone, with the reason in the log: a
 * static key whose jump leaves the function, a conditional tail call
 * through a static call, a fixup outside the function, and the static
 * call trampolines (__SCT__*), which the kernel rewrites as a whole.
 */

/* order unsigned longs, for sort() */
static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/**
 * collect_jump_label_sites() - note where the target's static keys are
 * @t:   the target
 * @mod: the target module
 *
 * The emitter must know them before it measures anything: it writes each
 * of them in the form the kernel expects to find.
 *
 * Return: 0 or -ENOMEM.
 */
static int collect_jump_label_sites(struct kedr_target *t, struct module *mod)
{
	unsigned int i, n = mod->num_jump_entries;

	if (!n)
		return 0;
	t->jl_sites = kvmalloc_array(n, sizeof(*t->jl_sites), GFP_KERNEL);
	if (!t->jl_sites) {
		pr_err("no memory for the %u static key sites\n", n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		t->jl_sites[i] = jump_entry_code(&mod->jump_entries[i]);
	sort(t->jl_sites, n, sizeof(*t->jl_sites), cmp_ulong, NULL);
	t->nr_jl_sites = n;
	return 0;
}

/**
 * jump_label_sites() - the target's static key sites from an address on
 * @from: an address
 * @n:    receives how many sites there are at or after @from
 *
 * Return: the first of them, in the sorted list (the emitter walks it
 * along with the code, see at_jump_label_site()).
 */
static const unsigned long *jump_label_sites(unsigned long from, unsigned int *n)
{
	unsigned int lo = 0, hi = tgt.nr_jl_sites;

	while (lo < hi) {	/* the first site >= from */
		unsigned int mid = lo + (hi - lo) / 2;

		if (tgt.jl_sites[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	*n = tgt.nr_jl_sites - lo;
	return tgt.jl_sites + lo;
}

/* ==== 9. THE EMITTER ==== */

/**
 * DOC: Two passes: measure, then write
 *
 * An instance is longer than its original, by an amount that depends on
 * what it records, and it cannot be written before its address is known:
 * its jumps and calls are rel32, counted from where they will be, and a
 * jump into another function of its family (a .cold part) must know where
 * that function's instance starts. So the emitter goes over each function
 * twice, along the same code:
 *
 *  - the *dry run* (measure_function()): the emitter has no buffer and no
 *    sites (NULL); each of its helpers only adds up the bytes and the
 *    sites it would write, and the function's map notes where each
 *    instruction would go. Once every function is measured, each instance
 *    gets its place in the area.
 *  - the *real run* (write_instances()): the same calls, now with a buffer,
 *    at the final address, writing bytes and sites.
 *
 * Both runs take the same path through the same code, with the same
 * decoded instructions, so they agree: the real run checks that it wrote
 * exactly the bytes and sites the dry run measured, and fails otherwise.
 */

/* [engine] */
/* The bytes the emitter writes (Intel SDM vol. 2, chapters 3-4, and A-2) */
#define KEDR_OP_CALL_REL32	0xE8
#define KEDR_OP_JMP_REL32	0xE9
#define KEDR_OP_JMP_REL8	0xEB
#define KEDR_OP_JCC_REL32	0x80	/* 0F 80+cc (Jcc rel8 is 70+cc) */
#define KEDR_OP_INT3		0xCC
#define KEDR_CC_MASK		0x0F	/* the condition is the low nibble */

#define KEDR_JMP_LEN		5	/* E9 rel32 */
#define KEDR_FTRACE_NOP_LEN	5	/* the jump goes after it, if there is one */
#define KEDR_ENDBR_LEN		4	/* F3 0F 1E FA (IBT): the jump goes after it too */
#define KEDR_SITE_LEN		14	/* push, mov $site, call, pop: see part 6 */
/* a trampoline for a conditional tail call: exit site, then jmp */
#define KEDR_TRAMP_LEN		(KEDR_SITE_LEN + KEDR_JMP_LEN)

/**
 * struct kedr_emitter - where the emitter writes, or pretends to
 * @buf:   the buffer (NULL in a dry run: only sizes are computed)
 * @addr:  the address @buf will have when the code runs
 * @pos:   bytes emitted so far
 * @sites: where sites go (NULL in a dry run)
 * @sites_addr: the address @sites will have
 * @nr_sites: sites emitted so far
 * @nr_tramps: trampolines needed so far
 * @insn_pos: where the last instruction itself went (see kedr_insn_map.copy)
 * @err:   set when something cannot be encoded (a target out of reach)
 */
struct kedr_emitter {
	u8 *buf;
	unsigned long addr;
	unsigned int pos;
	struct kedr_site *sites;
	unsigned long sites_addr;
	unsigned int nr_sites;
	unsigned int nr_tramps;
	unsigned int insn_pos;
	int err;
};

/* append @len bytes (in a dry run, only count them) */
static void emit_bytes(struct kedr_emitter *e, const void *src, unsigned int len)
{
	if (e->buf)
		memcpy(e->buf + e->pos, src, len);
	e->pos += len;
}

/* append one byte */
static void emit_byte(struct kedr_emitter *e, u8 b)
{
	emit_bytes(e, &b, 1);
}

/**
 * emit_rel32() - append a 32-bit displacement that reaches @target
 * @e:      the emitter
 * @target: where the jump or call must go
 *
 * The displacement counts from the end of the instruction, which ends
 * with it (true of every jump and call the emitter writes).
 */
static void emit_rel32(struct kedr_emitter *e, unsigned long target)
{
	long rel = target - (e->addr + e->pos + 4);
	s32 rel32 = rel;

	if (e->buf && rel != rel32)
		e->err = -ERANGE;	/* NB: cannot happen within the module area */
	emit_bytes(e, &rel32, 4);
}

/* append "jmp rel32" or "call rel32" (@op) to @target */
static void emit_jump(struct kedr_emitter *e, u8 op, unsigned long target)
{
	emit_byte(e, op);
	emit_rel32(e, target);
}

/**
 * DOC: Emitted code, written as assembly
 *
 * What the emitter writes for an event is not spelled out byte by byte in
 * C: it is written once, in assembly, as a *template* between two labels,
 * in .rodata (data: it never runs there). Its *holes*, the fields that
 * differ from one copy to the next, hold placeholders; a label right after
 * each hole marks where it ends. The emitter copies the template's bytes
 * and writes the real values into the holes: an address (imm32), or a
 * displacement to a target (rel32), which depends on where the copy is.
 * The kernel's optimized kprobes (arch/x86/kernel/kprobes/opt.c) write
 * their detour the same way.
 */

/*
 * The call site of part 6, KEDR_SITE_LEN bytes: two holes, the site's
 * address (imm32: the sites are in the top 2 GiB, see part 7) and the
 * call's rel32 to the stub ("call ." is a placeholder: a call to itself).
 */
/* [snippet:tmpl-site] */
extern const u8 kedr_tmpl_site[], kedr_tmpl_site_addr[], kedr_tmpl_site_stub[],
	kedr_tmpl_site_end[];
asm(
"	.pushsection .rodata\n"
"kedr_tmpl_site:\n"
"	pushq %rdi\n"
"	movq $0x7fffffff, %rdi\n"
"kedr_tmpl_site_addr:\n"		/* hole: imm32, the site's address */
"	call .\n"
"kedr_tmpl_site_stub:\n"		/* hole: rel32, to the stub */
"	popq %rdi\n"
"kedr_tmpl_site_end:\n"
"	.if kedr_tmpl_site_end - kedr_tmpl_site - " __stringify(KEDR_SITE_LEN) "\n"
"	.error \"the call site is not KEDR_SITE_LEN bytes\"\n"
"	.endif\n"
"	.popsection\n");
/* [/snippet:tmpl-site] */

/* the offset in a template of the 4-byte hole that ends at @label */
#define KEDR_HOLE(tmpl, label)	((label) - (tmpl) - 4)

/* append a template, from @start to @end */
static void emit_template(struct kedr_emitter *e, const u8 *start, const u8 *end)
{
	emit_bytes(e, start, end - start);
}

/* fill a 4-byte hole at @off in the code with @val */
static void fill_hole(struct kedr_emitter *e, unsigned int off, s32 val)
{
	if (e->buf)
		memcpy(e->buf + off, &val, 4);
}

/* fill a rel32 hole at @off with the displacement to @target */
static void fill_rel32(struct kedr_emitter *e, unsigned int off,
		       unsigned long target)
{
	long rel = target - (e->addr + off + 4);	/* from the field's end */

	if (e->buf && rel != (s32)rel)
		e->err = -ERANGE;	/* NB: cannot happen within the module area */
	fill_hole(e, off, rel);
}

/**
 * emit_call_site() - append the call that records an event, and the site
 * @e:    the emitter
 * @site: what to record
 * @stub: the stub to call: kedr_event_stub (part 14 has another)
 *
 * The template kedr_tmpl_site, and a copy of @site in the region's sites,
 * at the address its MOV names.
 */
static void emit_call_site(struct kedr_emitter *e, const struct kedr_site *site,
			   void (*stub)(void))
{
	/* [snippet:emit-site] */
	unsigned int at = e->pos;
	unsigned long where = e->sites_addr + e->nr_sites * sizeof(*site);

	emit_template(e, kedr_tmpl_site, kedr_tmpl_site_end);
	fill_hole(e, at + KEDR_HOLE(kedr_tmpl_site, kedr_tmpl_site_addr), where);
	fill_rel32(e, at + KEDR_HOLE(kedr_tmpl_site, kedr_tmpl_site_stub),
		   (unsigned long)stub);
	if (e->sites)
		e->sites[e->nr_sites] = *site;
	e->nr_sites++;
	/* [/snippet:emit-site] */
}

/* append the code that records an event: the call of kedr_event_stub */
static void emit_site(struct kedr_emitter *e, const struct kedr_site *site)
{
	if (fast) {	/* hook: part 14 */
		emit_site_fast(e, site);
		return;
	}
	emit_call_site(e, site, kedr_event_stub);
}

/**
 * emit_boundary_site() - record the entry or the exit of a function
 * @e:    the emitter
 * @kind: KEDR_SITE_ENTRY or KEDR_SITE_EXIT
 * @func: the address of the function (of the parent, for a .cold part)
 */
static void emit_boundary_site(struct kedr_emitter *e, u8 kind,
			       unsigned long func)
{
	struct kedr_site site = {
		.pc = func, .kind = kind, .base = KEDR_REG_NONE,
		.index = KEDR_REG_NONE, .bitreg = KEDR_REG_NONE,
	};

	emit_site(e, &site);
}

/**
 * DOC: What is recorded
 *
 * Every recorded access is recorded *before* its instruction runs, from
 * the registers as they are then: an instruction that faults is still
 * recorded, and the order of the records is the order of the program.
 * What the decoder says the instruction does to memory (part 4, where the
 * SDM's answers for CMOVcc, CMPXCHG, XCHG and BT are quoted) decides the
 * event:
 *
 *  - a read, a write, or both without LOCK: a "read", a "write", or a read
 *    and then a write of the same bytes (``addl $1, (%rax)``);
 *  - locked (a LOCK prefix, or XCHG with memory): one "locked update";
 *  - a string instruction: the whole range it touches, computed when it
 *    runs (record_string() in part 6);
 *  - BT & co. with a register bit offset: the element that holds the bit,
 *    found when it runs (bit_string_offset() in part 6).
 */

/**
 * records_access() - does kedr_sample record this instruction's access?
 * @in: the instruction
 *
 * The families of instructions that the original KEDR sample records, which
 * this project started from; call them the seed (MOV, XCHG, SETcc, CMOVcc,
 * the ALU and bit operations, CMP, CMPXCHG, string operations:
 * KEDR_CLASS_IS_SEED() in insn_tables.h). With them, the few
 * integer instructions that are just as common and mean the same to a
 * reader of the trace: XADD (LOCK XADD is atomic_add_return()), shifts
 * and rotates, PUSH/POP of memory and CALL/JMP through memory (the read
 * of the pointer). Not recorded: SSE/AVX and x87 accesses, and system
 * instructions (see Limitations).
 *
 * Return: true if a site goes before @in.
 */
static bool records_access(const struct kedr_insn *in)
{
	if (!in->access || (!in->has_mem && in->str_op == KEDR_STR_NONE))
		return false;
	if (in->sp_based && !process_sp_accesses)
		return false;
	switch (in->class) {
	case KEDR_CLASS_XADD:
	case KEDR_CLASS_SHIFT:
	case KEDR_CLASS_STACK:
	case KEDR_CLASS_BRANCH:
		return true;
	default:
		return KEDR_CLASS_IS_SEED(in->class);
	}
}

/* BT, BTS, BTR, BTC m, r: 0F A3, AB, B3, BB /r (Intel SDM vol. 2, Table A-3) */
#define KEDR_OP_BT_REG		0xA3
#define KEDR_OP_BTS_REG		0xAB
#define KEDR_OP_BTR_REG		0xB3
#define KEDR_OP_BTC_REG		0xBB

/**
 * bit_offset_register() - the bit offset register of BT & co., if any
 * @in: the instruction
 *
 * Return: ModRM.reg (extended by REX.R) for BT/BTS/BTR/BTC m, r;
 * KEDR_REG_NONE for everything else (see bit_string_offset()).
 */
static s8 bit_offset_register(const struct kedr_insn *in)
{
	if (in->map != KEDR_MAP_0F || !in->has_mem)
		return KEDR_REG_NONE;
	switch (in->opcode) {
	case KEDR_OP_BT_REG:
	case KEDR_OP_BTS_REG:
	case KEDR_OP_BTR_REG:
	case KEDR_OP_BTC_REG:
		return ((in->modrm >> 3) & 7) | (in->rex & KEDR_REX_R ? 8 : 0);
	}
	return KEDR_REG_NONE;
}

/**
 * site_operand() - put the memory operand of an instruction in a site
 * @site: the site
 * @in:   the instruction
 * @pc:   its address in the original (a RIP-relative operand counts from
 *        its end)
 */
static void site_operand(struct kedr_site *site, const struct kedr_insn *in,
			 unsigned long pc)
{
	site->base = in->mem.base;
	site->index = in->mem.index;
	site->scale = in->mem.scale;
	site->disp = in->mem.disp;
	if (in->mem.seg == KEDR_SEG_FS || in->mem.seg == KEDR_SEG_GS)
		site->seg = in->mem.seg;
	if (in->mem.addr32)
		site->flags |= KEDR_SITE_ADDR32;
	if (in->mem.rip) {
		site->flags |= KEDR_SITE_RIP;
		site->rip_addr = pc + in->length + in->mem.disp;
	}
}

/**
 * emit_access_site() - record the memory access @in is about to make
 * @e:  the emitter
 * @in: the instruction
 * @pc: its address in the original
 */
static void emit_access_site(struct kedr_emitter *e, const struct kedr_insn *in,
			     unsigned long pc)
{
	struct kedr_site site = {
		.pc = pc, .size = in->access_size,
		.bitreg = bit_offset_register(in),
	};

	site_operand(&site, in, pc);
	if (in->str_op != KEDR_STR_NONE) {
		site.kind = KEDR_SITE_STRING;
		site.string = in->str_op;
		if (in->str_rep != KEDR_REP_NONE)
			site.flags |= KEDR_SITE_REP;
		if (in->prefixes & KEDR_P_ADSIZE)
			site.flags |= KEDR_SITE_ADDR32;
		if (in->seg_prefix == KEDR_SEG_FS || in->seg_prefix == KEDR_SEG_GS)
			site.seg = in->seg_prefix;
	} else if (in->access & KEDR_ACC_LOCKED) {
		site.kind = KEDR_SITE_LOCKED;
	} else if ((in->access & KEDR_ACC_READ) && (in->access & KEDR_ACC_WRITE)) {
		site.kind = KEDR_SITE_UPDATE;
	} else {
		site.kind = in->access & KEDR_ACC_WRITE ?
			KEDR_SITE_WRITE : KEDR_SITE_READ;
	}
	/* NB: POP m with an %rsp base addresses memory after %rsp has grown
	 * (Intel SDM vol. 2, POP) */
	if (in->class == KEDR_CLASS_STACK && in->access == KEDR_ACC_WRITE &&
	    in->mem.base == KEDR_REG_RSP)
		site.disp += in->access_size;
	emit_site(e, &site);
}

/**
 * emit_copy() - append the instruction as it is, re-aimed if RIP-relative
 * @e:  the emitter
 * @in: the instruction
 * @code: its bytes
 * @pc: its address in the original
 */
static void emit_copy(struct kedr_emitter *e, const struct kedr_insn *in,
		      const u8 *code, unsigned long pc)
{
	unsigned int start = e->pos;
	long disp;
	s32 disp32;

	e->insn_pos = start;
	emit_bytes(e, code, in->length);
	if (!in->has_mem || !in->mem.rip || !e->buf)
		return;
	/* the operand is at pc + length + disp; from here it is that far away */
	disp = pc + in->length + in->mem.disp - (e->addr + start + in->length);
	disp32 = disp;
	if (disp != disp32)
		e->err = -ERANGE;
	memcpy(e->buf + start + in->disp_off, &disp32, 4);
}

/**
 * struct kedr_fctx - what emitting one function needs to know
 * @f:    the function
 * @code: its bytes (the original, still intact)
 * @tramp_base: address of its first trampoline (after the body)
 * @exit_pc: what its exit events name: the function, or a .cold part's parent
 * @jl:   the next static key site at or after the current instruction
 * @nr_jl: how many sites are left from @jl on (the list is sorted)
 */
struct kedr_fctx {
	struct kedr_func *f;
	const u8 *code;
	unsigned long tramp_base;
	unsigned long exit_pc;
	const unsigned long *jl;
	unsigned int nr_jl;
};

/* Where a direct jump or call goes, seen from the function it is in */
enum kedr_dest {
	KEDR_DEST_SAME,		/* inside the same function */
	KEDR_DEST_FAMILY,	/* inside its .cold part, or its parent */
	KEDR_DEST_OUTSIDE,	/* anywhere else: a call, or a tail call */
};

/**
 * classify_dest() - where does a jump from @f to @target go?
 * @f:      the function the jump is in
 * @target: its destination
 * @g:      receives the function that contains @target, if any
 *
 * NB: a jump or call to the very start of a function (its own start too)
 * is a call or a tail call: it goes through the original, so the callee
 * records its entry. A .cold part has no entry of its own.
 *
 * Return: enum kedr_dest.
 */
static enum kedr_dest classify_dest(struct kedr_func *f, unsigned long target,
				    struct kedr_func **g)
{
	*g = target >= f->addr && target < f->addr + f->size ? f :
		find_function(target);
	if (!*g || (target == (*g)->addr && !(*g)->cold))
		return KEDR_DEST_OUTSIDE;
	if (*g == f)
		return KEDR_DEST_SAME;
	return same_family(f, *g) ? KEDR_DEST_FAMILY : KEDR_DEST_OUTSIDE;
}

/**
 * map_lookup() - the map entry of the instruction at an offset
 * @g:   a function, with its map
 * @off: an offset in it
 *
 * Return: the entry, or NULL if no instruction starts at @off.
 */
static const struct kedr_insn_map *map_lookup(const struct kedr_func *g,
					      unsigned int off)
{
	unsigned int lo = 0, hi = g->nr_insns;

	if (fast)	/* hook: part 14 */
		return map_lookup_fast(g, off);
	while (lo < hi) {	/* as in function_at() */
		unsigned int mid = lo + (hi - lo) / 2;

		if (g->map[mid].orig <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && g->map[lo - 1].orig == off ? &g->map[lo - 1] : NULL;
}

/**
 * resolve_dest() - the address, in @g's instance, of @target
 * @e:      the emitter (its error is set if @target is not an instruction)
 * @f:      the function being emitted
 * @g:      the function that contains @target
 * @target: an address in the original @g
 *
 * NB: the dry run comes after every function has its map (plan_functions()), so a
 * jump into the middle of an instruction is found there, before anything
 * is written.
 *
 * Return: the address (an offset in a dry run, where ->inst is 0).
 */
static unsigned long resolve_dest(struct kedr_emitter *e,
				  const struct kedr_func *f,
				  const struct kedr_func *g, unsigned long target)
{
	const struct kedr_insn_map *m;

	if (g != f && (g->skip || !g->map))
		return target;	/* left alone, so intact: the original will do */
	m = map_lookup(g, target - g->addr);
	if (!m) {
		e->err = -EINVAL;	/* into the middle of an instruction */
		return 0;
	}
	return g->inst + m->inst;
}

/**
 * jump_thunk_register() - is @target a retpoline thunk, and for which register?
 * @target: where a direct jump goes
 *
 * Return: the register the thunk jumps through, or KEDR_REG_NONE.
 */
static s8 jump_thunk_register(unsigned long target)
{
	unsigned int k, r;

	for (k = 0; k < ARRAY_SIZE(kedr_jump_thunks); k++)
		for (r = 0; r < ARRAY_SIZE(kedr_jump_thunks[k]); r++)
			if (kedr_jump_thunks[k][r] && kedr_jump_thunks[k][r] == target)
				return r;
	return KEDR_REG_NONE;
}

/**
 * emit_exit_site() - record an exit, or a computed jump that may be one
 * @e:   the emitter
 * @x:   the function being emitted
 * @reg: for a jump through a register (or its retpoline thunk), that
 *       register; else KEDR_REG_NONE
 * @in:  for a jump through memory, the instruction (at @pc); else NULL
 * @pc:  the address of @in in the original
 *
 * A computed jump may stay in its function: its site says where to look
 * for the target, and jump_leaves() decides at run time. NB: a .cold part
 * records its parent's exit, and a jump to its parent's body from there is
 * not worth the trouble: from a .cold part, a computed jump is an exit.
 */
static void emit_exit_site(struct kedr_emitter *e, const struct kedr_fctx *x,
			   s8 reg, const struct kedr_insn *in, unsigned long pc)
{
	struct kedr_site site = {
		.pc = x->exit_pc, .kind = KEDR_SITE_EXIT, .base = KEDR_REG_NONE,
		.index = KEDR_REG_NONE, .bitreg = KEDR_REG_NONE,
	};

	if (!x->f->cold && reg != KEDR_REG_NONE) {
		site.flags = KEDR_SITE_JUMP_REG;
		site.base = reg;
		site.span = x->f->size;
	} else if (!x->f->cold && in) {
		site_operand(&site, in, pc);
		site.flags |= KEDR_SITE_JUMP_MEM;
		site.span = x->f->size;
	}
	emit_site(e, &site);
}

/**
 * emit_branch() - append a relative jump, call or LOOP, re-aimed
 * @e:  the emitter
 * @x:  the function being emitted
 * @in: the instruction
 * @code: its bytes
 * @pc: its address in the original
 */
static void emit_branch(struct kedr_emitter *e, const struct kedr_fctx *x,
			const struct kedr_insn *in, const u8 *code,
			unsigned long pc)
{
	/* [snippet:emit-branch] */
	unsigned long target = pc + in->length + in->branch_disp;
	const u8 loop_skip[] = { KEDR_OP_JMP_REL8, KEDR_JMP_LEN };
	u8 cc = in->opcode & KEDR_CC_MASK;
	struct kedr_func *g;
	enum kedr_dest kind = classify_dest(x->f, target, &g);
	unsigned long dest = target;

	if (kind != KEDR_DEST_OUTSIDE)
		dest = resolve_dest(e, x->f, g, target);
	else if (in->flow == KEDR_FLOW_JCC || in->flow == KEDR_FLOW_LOOP)
		dest = x->tramp_base + KEDR_TRAMP_LEN * e->nr_tramps++;

	if (kind == KEDR_DEST_OUTSIDE && in->flow == KEDR_FLOW_JMP)	/* we leave */
		emit_exit_site(e, x, jump_thunk_register(target), NULL, pc);
	e->insn_pos = e->pos;
	switch (in->flow) {
	case KEDR_FLOW_CALL:
		emit_jump(e, KEDR_OP_CALL_REL32, dest);
		break;
	case KEDR_FLOW_JMP:
		emit_jump(e, KEDR_OP_JMP_REL32, dest);
		break;
	case KEDR_FLOW_JCC:
		emit_byte(e, KEDR_ESC_0F);
		emit_jump(e, KEDR_OP_JCC_REL32 | cc, dest);
		break;
	case KEDR_FLOW_LOOP:
		/* loop +2 (over the next jmp); jmp +5 (over the last); jmp dest */
		emit_bytes(e, code, in->length - 1);
		emit_byte(e, sizeof(loop_skip));
		emit_bytes(e, loop_skip, sizeof(loop_skip));
		emit_jump(e, KEDR_OP_JMP_REL32, dest);
		break;
	}
	/* [/snippet:emit-branch] */
}

/**
 * at_jump_label_site() - is the instruction at @pc a static key's site?
 * @x:  the function being emitted; its cursor moves forward
 * @pc: the address of the instruction, the next in address order
 *
 * Return: true if the target's __jump_table names @pc.
 */
static bool at_jump_label_site(struct kedr_fctx *x, unsigned long pc)
{
	while (x->nr_jl && *x->jl < pc) {
		x->jl++;
		x->nr_jl--;
	}
	return x->nr_jl && *x->jl == pc;
}

/**
 * emit_jump_label() - append a static key's nop or jump, in its 5-byte form
 * @e:  the emitter
 * @x:  the function being emitted
 * @in: the instruction: a 2- or 5-byte nop, or a jmp rel8 or rel32
 * @pc: its address in the original
 *
 * When a static key changes, the kernel finds the instruction by its
 * __jump_table entry (re-aimed at the instance, see "Addresses the kernel
 * keeps"), checks that it
 * is the nop or the jmp it expects, of the length it decodes there, and
 * swaps one for the other. A jmp rel8 might not reach its target in the
 * longer instance, so every site is written in the 5-byte form: the nop
 * as nop5, the jump as jmp rel32. No exit is recorded: the kernel may
 * turn the jump into a nop at any time.
 */
static void emit_jump_label(struct kedr_emitter *e, const struct kedr_fctx *x,
			    const struct kedr_insn *in, unsigned long pc)
{
	unsigned long target = pc + in->length + in->branch_disp;
	struct kedr_func *g;

	e->insn_pos = e->pos;
	if (in->flow != KEDR_FLOW_JMP) {
		emit_bytes(e, nop5, sizeof(nop5));
		return;
	}
	if (classify_dest(x->f, target, &g) != KEDR_DEST_OUTSIDE)
		target = resolve_dest(e, x->f, g, target);
	emit_jump(e, KEDR_OP_JMP_REL32, target);
}

/**
 * emit_insn() - append one instruction and what records it
 * @e:  the emitter
 * @x:  the function being emitted
 * @in: the instruction, decoded
 * @off: its offset in the function
 */
static void emit_insn(struct kedr_emitter *e, struct kedr_fctx *x,
		      const struct kedr_insn *in, unsigned int off)
{
	unsigned long pc = x->f->addr + off;
	const u8 *code = x->code + off;

	if (at_jump_label_site(x, pc)) {
		emit_jump_label(e, x, in, pc);
		return;
	}
	if (records_access(in))
		emit_access_site(e, in, pc);
	switch (in->flow) {
	case KEDR_FLOW_CALL:
	case KEDR_FLOW_JMP:
	case KEDR_FLOW_JCC:
	case KEDR_FLOW_LOOP:
		emit_branch(e, x, in, code, pc);
		return;
	case KEDR_FLOW_RET:
		emit_boundary_site(e, KEDR_SITE_EXIT, x->exit_pc);
		break;
	case KEDR_FLOW_JMP_IND:	/* JMP r/m64: FF /4 */
		if (in->has_mem)
			emit_exit_site(e, x, KEDR_REG_NONE, in, pc);
		else
			emit_exit_site(e, x, (in->modrm & 7) |
				       (in->rex & KEDR_REX_B ? 8 : 0), NULL, pc);
		break;
	}
	emit_copy(e, in, code, pc);
}

/**
 * emit_trampolines() - append the exits of conditional tail calls
 * @e: the emitter, at the end of the function's body
 * @x: the function
 *
 * Goes over the function again and, for each conditional jump (or LOOP) that
 * leaves it, in the order emit_branch() counted them, writes
 * "record exit; jmp target".
 */
static void emit_trampolines(struct kedr_emitter *e, const struct kedr_fctx *x)
{
	struct kedr_func *f = x->f, *g;
	unsigned int i;

	for (i = 0; i < f->nr_insns; i++) {
		const struct kedr_insn *in = &f->insns[i];
		unsigned long target;

		if (in->flow != KEDR_FLOW_JCC && in->flow != KEDR_FLOW_LOOP)
			continue;
		target = f->addr + f->map[i].orig + in->length + in->branch_disp;
		if (classify_dest(f, target, &g) != KEDR_DEST_OUTSIDE)
			continue;
		emit_exit_site(e, x, jump_thunk_register(target), NULL, 0);
		emit_jump(e, KEDR_OP_JMP_REL32, target);
	}
}

/**
 * emit_function() - write (or, in a dry run, measure) one instance
 * @e: the emitter, its @addr the instance's address; @pos, @nr_sites and
 *     @nr_tramps start at 0
 * @f: the function, decoded (its @insns, and its map with the offsets)
 *
 * The dry run and the real one take the same path through this code, so
 * the sizes measured in the first are those written in the second (see
 * "Two passes: measure, then write").
 */
static void emit_function(struct kedr_emitter *e, struct kedr_func *f)
{
	/* [snippet:emit-function] */
	struct kedr_fctx x = {
		.f = f, .code = (const u8 *)f->addr,
		.tramp_base = e->addr + f->body_size,
		.exit_pc = f->parent ? f->parent->addr : f->addr,
	};
	unsigned int i;

	x.jl = jump_label_sites(f->addr, &x.nr_jl);
	if (fast)	/* hook: part 14 */
		fast_begin_function(f);
	if (!f->cold)
		emit_boundary_site(e, KEDR_SITE_ENTRY, f->addr);
	for (i = 0; i < f->nr_insns; i++) {
		f->map[i].inst = e->pos;
		emit_insn(e, &x, &f->insns[i], f->map[i].orig);
		f->map[i].copy = e->insn_pos;
	}
	f->body_size = e->pos;
	if (e->nr_tramps)	/* NB: rare */
		emit_trampolines(e, &x);
	/* [/snippet:emit-function] */
}
/* [/engine] */

/* ==== 10. PATCHING THE ORIGINAL ==== */

/**
 * DOC: Patching the original
 *
 * The target's own code is read-only by the time of MODULE_STATE_COMING, so
 * it is patched the way the kernel patches itself, with text_poke_copy()
 * and text_poke_set(), which write through a temporary writable mapping.
 * Two steps per function, in this order:
 *
 *  1. The jump: "jmp instance" at the start (after ftrace's nop, which must
 *     stay: ftrace compares those 5 bytes before it changes them, and turns
 *     itself off for the whole system if they are not what it left there;
 *     and after ENDBR64, where a kernel built for IBT has one: a call
 *     through a pointer must land on it).
 *  2. The fill: int3 over the rest.
 *
 * In this order, the function works at every moment: before step 1 it is
 * the original, after it the instance, and between the steps the rest of
 * the original is still valid code. (At COMING nothing runs the target
 * yet, but the order costs nothing and keeps the reasoning simple.)
 *
 * Why int3 rather than leaving the old code? Because anything that still
 * jumps into the middle of the original would run uninstrumented code
 * silently. With int3 it traps, and the trap handler below turns it into a
 * jump to the same instruction in the instance.
 */

/**
 * fill_original() - int3 from @from to the end of the original, but ENDBR64
 * @f:    the function
 * @from: where the fill starts
 *
 * NB: under IBT an indirect jump must land on ENDBR64. Those in the middle
 * of the original stay, so that such a jump reaches the int3 right after
 * one, and the int3 handler below (not a #CP fault) deals with it.
 */
static void fill_original(const struct kedr_func *f, unsigned long from)
{
	unsigned long end = f->addr + f->size;
	unsigned int i;

	for (i = 0; i < f->nr_insns; i++) {
		unsigned long a = f->addr + f->map[i].orig;

		if (a < from || a + KEDR_ENDBR_LEN > end ||
		    !is_endbr(*(const u32 *)a))
			continue;
		if (a > from)
			kedr_text_poke_set((void *)from, KEDR_OP_INT3, a - from);
		from = a + KEDR_ENDBR_LEN;
	}
	if (end > from)
		kedr_text_poke_set((void *)from, KEDR_OP_INT3, end - from);
}

/**
 * patch_original() - send callers of the original to the instance
 * @f: the function, its instance in place
 */
static void patch_original(const struct kedr_func *f)
{
	/* [snippet:patch-original] */
	unsigned long at = f->addr + entry_len(f);	/* ENDBR64, ftrace nop */
	u8 jmp[KEDR_JMP_LEN] = { KEDR_OP_JMP_REL32 };
	s32 rel = f->inst - (at + KEDR_JMP_LEN);

	memcpy(&jmp[1], &rel, sizeof(rel));
	kedr_text_poke_copy((void *)at, jmp, sizeof(jmp));	/* 1. the jump */
	fill_original(f, at + KEDR_JMP_LEN);			/* 2. the fill */
	/* [/snippet:patch-original] */
}

/**
 * DOC: Jumps into the middle of the original
 *
 * Direct jumps that kedr_sample can see are re-aimed when the instance is
 * written. What it cannot see, it catches: code that is left alone
 * (a function that could not be instrumented, jumping into its .cold part),
 * or a computed jump. Such a jump executes an int3 of the fill; the CPU
 * raises #BP with the address after the int3; the kernel offers the trap
 * to kprobes, then to the "die" notifier chain, where kedr_sample looks
 * the address up. If it is the first byte of an instruction of an
 * instrumented function, the saved instruction pointer is moved to that
 * instruction's place in the instance and the trap returns there. Anything
 * else is not ours and goes on to the next handler.
 *
 * The handler runs in a context like an NMI's: it must not sleep or take a
 * lock. It only reads the function table, which is published with RCU and
 * withdrawn (followed by synchronize_rcu()) before any of it is freed.
 */

static struct kedr_func __rcu *patched_funcs;	/* tgt.funcs, once patched */
static unsigned int nr_patched_funcs;

/**
 * redirect_address() - where in an instance a trapped address belongs
 * @funcs: the function table (sorted by address)
 * @n:     its length
 * @addr:  the address of the int3 that trapped
 *
 * Return: the address in the instance, or 0 if @addr is not ours.
 */
static unsigned long redirect_address(struct kedr_func *funcs,
				      unsigned int n, unsigned long addr)
{
	const struct kedr_func *f = function_at(funcs, n, addr);
	const struct kedr_insn_map *m;
	unsigned long inst;

	if (!f)
		return 0;
	inst = READ_ONCE(f->inst);
	/* NB: ENDBR64, the nop and the jump at the start are no int3 */
	if (!inst || !f->map || addr < f->addr + entry_len(f) + KEDR_JMP_LEN)
		return 0;
	m = map_lookup(f, addr - f->addr);
	return m ? inst + m->inst : 0;
}

/**
 * on_die() - the die notifier: redirect int3 traps in patched originals
 * @nb:   our notifier block
 * @val:  what happened (enum die_val)
 * @data: struct die_args, with the registers
 *
 * Return: NOTIFY_STOP if the trap was ours and is handled, else NOTIFY_DONE.
 */
static int on_die(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	struct kedr_func *funcs;
	unsigned long to = 0;

	if (val != DIE_INT3 || user_mode(args->regs))
		return NOTIFY_DONE;
	rcu_read_lock();
	funcs = rcu_dereference(patched_funcs);
	if (funcs)	/* int3 is a trap: ip is past it */
		to = redirect_address(funcs, READ_ONCE(nr_patched_funcs),
				      args->regs->ip - 1);
	rcu_read_unlock();
	if (!to)
		return NOTIFY_DONE;
	instruction_pointer_set(args->regs, to);
	return NOTIFY_STOP;
}
NOKPROBE_SYMBOL(on_die);

static struct notifier_block die_nb = {
	.notifier_call = on_die,
};

/* ==== 11. INSTRUMENTING THE TARGET ==== */

/*
 * From the function table of part 8 to patched originals, in the order of
 * instrument_target() at the end of this part: plan each function (decode
 * it once, check it, measure it with the emitter's dry run), leave alone
 * what the kernel's tables or the area forbid, write the instances,
 * re-aim the kernel's tables, patch the originals. Everything that can
 * fail does so before the first byte of the target changes.
 */

/* [engine] */
/**
 * skip_function() - leave a function alone, and say why
 * @f:   the function
 * @why: the reason, for the log
 * @off: where in the function the reason is (or 0)
 *
 * The first reason found is the one reported.
 */
static void skip_function(struct kedr_func *f, const char *why, unsigned int off)
{
	if (f->skip)
		return;
	f->skip = why;
	f->skip_off = off;
}

/**
 * too_small() - is the function too small to receive a jump?
 * @f: the function
 *
 * The original will start with a 5-byte jump to the instrumented copy. If
 * the function starts with ftrace's nop, the nop must stay where it is
 * and the jump goes right after it, so such a function needs 10 bytes
 * (14 with ENDBR64 before the nop: see entry_len()).
 *
 * Return: true if @f cannot hold the jump.
 */
static bool too_small(const struct kedr_func *f)
{
	return f->size < entry_len(f) + KEDR_JMP_LEN;
}

/**
 * check_insn() - can the emitter handle this instruction?
 * @in: the instruction
 *
 * Return: NULL if it can, else why not.
 */
static const char *check_insn(const struct kedr_insn *in)
{
	switch (in->flow) {
	case KEDR_FLOW_FAR:
		return "a far call, jump or return";
	case KEDR_FLOW_XBEGIN:
		return "XBEGIN, whose abort path is relative";
	case KEDR_FLOW_JMP:
	case KEDR_FLOW_JCC:
	case KEDR_FLOW_LOOP:
	case KEDR_FLOW_CALL:
		if (in->prefixes & KEDR_P_OPSIZE)
			return "a branch with a 16-bit operand size";
	}
	return NULL;
}

/**
 * more_insns() - make room for more decoded instructions
 * @old: the array so far (its contents are kept), or NULL
 * @cap: its capacity, doubled here
 *
 * Return: the new array, or NULL (and @old freed) if there is no memory.
 */
static struct kedr_insn *more_insns(struct kedr_insn *old, unsigned int *cap)
{
	struct kedr_insn *p = kvmalloc_array(*cap * 2, sizeof(*p), GFP_KERNEL);

	if (p && old)
		memcpy(p, old, *cap * sizeof(*p));
	kvfree(old);
	*cap *= 2;
	return p;
}

/**
 * plan_function() - decode a function once, check it, keep what was decoded
 * @f: the function
 *
 * One walk over the code. The instructions go to @f->insns, where the dry
 * run and the real run of the emitter find them: each instruction of the
 * target is decoded once. (An instruction is 4.2 bytes on average in
 * Debian's modules; the array starts at a quarter of the function's size
 * and doubles when that is not enough.)
 */
static void plan_function(struct kedr_func *f)
{
	const u8 *code = (const u8 *)f->addr;
	unsigned int i, off, n = 0, cap = f->size / 4 + 1;
	struct kedr_insn *insns = kvmalloc_array(cap, sizeof(*insns), GFP_KERNEL);
	const char *why = NULL;
	int err;

	for (off = 0; off < f->size && !why; off += insns[n++].length) {
		if (n == cap)
			insns = more_insns(insns, &cap);
		if (!insns) {
			why = "out of memory";
			break;
		}
		err = kedr_decode(code + off, f->size - off, &insns[n]);
		if (err < 0)
			why = err == -KEDR_DECODE_TRUNCATED ?
				"its last instruction runs past its end" :
				"an instruction the decoder does not know";
		else
			why = check_insn(&insns[n]);
		if (why)
			break;
	}
	if (!why) {
		f->map = kvmalloc_array(n, sizeof(*f->map), GFP_KERNEL);
		if (!f->map)
			why = "out of memory";
	}
	if (why) {
		skip_function(f, why, off);
		kvfree(insns);
		return;
	}
	for (i = 0, off = 0; i < n; off += insns[i++].length)
		f->map[i].orig = off;
	f->insns = insns;
	f->nr_insns = n;
	if (fast)	/* hook: part 14 */
		find_dead_flags(f);
}

/**
 * measure_function() - the emitter's dry run: how big the instance is
 * @f: the function, planned; every other function planned too
 *
 * It also fills in where each instruction goes in the instance (the map's
 * @inst and @copy offsets).
 */
static void measure_function(struct kedr_func *f)
{
	struct kedr_emitter dry = { };

	emit_function(&dry, f);
	if (dry.err) {
		skip_function(f, "a jump into the middle of an instruction", 0);
		return;
	}
	f->code_size = dry.pos;
	f->nr_sites = dry.nr_sites;
}

/**
 * skip_families() - a function and its .cold parts go together
 * @funcs: the target's functions
 * @n:     how many
 *
 * If one part is left alone, so are the others: the jumps between them are
 * re-aimed only between instances.
 */
static void skip_families(struct kedr_func *funcs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)		/* a part takes its parent */
		if (funcs[i].parent && funcs[i].skip)
			skip_function(funcs[i].parent,
				      "a .cold part of it is left alone", 0);
	for (i = 0; i < n; i++)		/* a parent takes its parts */
		if (funcs[i].parent && funcs[i].parent->skip)
			skip_function(&funcs[i], "its parent is left alone", 0);
}

/**
 * plan_functions() - decode and measure each function that can be instrumented
 * @funcs: the target's functions, their .cold parts linked
 * @n:     how many
 *
 * The dry run of a function needs the maps of the functions its jumps may
 * land in: its own, and those of its .cold family. So a function with no
 * family is measured right after it is decoded, while its instructions
 * are still in the CPU's cache, and the families once every function has
 * its map.
 */
static void plan_functions(struct kedr_func *funcs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct kedr_func *f = &funcs[i];

		if (too_small(f))
			skip_function(f, "too small to hold a jump", 0);
		else if (str_has_prefix(f->name, "__SCT__"))
			skip_function(f, "a static call trampoline", 0);
		if (!f->skip)
			plan_function(f);
		if (!f->skip && !f->cold && !f->has_cold)
			measure_function(f);
	}
	for (i = 0; i < n; i++)
		if (!funcs[i].skip && (funcs[i].cold || funcs[i].has_cold))
			measure_function(&funcs[i]);
}

/* the reason given for the functions fit_in_area() leaves alone */
static const char no_room[] = "no room left in the area (KEDR_AREA_SIZE)";

/**
 * family_size() - the room a function's instance takes, with its .cold parts'
 * @funcs: the target's functions, measured
 * @n:     how many
 * @f:     one of them, not a .cold part of another
 *
 * Return: the bytes of their instances, each aligned to 16 bytes.
 */
static unsigned long family_size(const struct kedr_func *funcs, unsigned int n,
				 const struct kedr_func *f)
{
	unsigned long size = ALIGN(f->code_size, 16);
	unsigned int i;

	if (f->has_cold)	/* NB: a few functions: the scan is rare */
		for (i = 0; i < n; i++)
			if (funcs[i].parent == f)
				size += ALIGN(funcs[i].code_size, 16);
	return size;
}

/**
 * fit_in_area() - leave alone the functions whose instances find no room
 * @funcs: the target's functions, measured, families settled
 * @n:     how many
 * @room:  the bytes of the area
 *
 * A function and its .cold parts jump into each other's instances, so
 * they take room together or not at all. The families of the core code
 * are taken first, in address order, then those of the init code, as their
 * instances lie in the area (where the init text lies, above or below the
 * core text, is the allocator's choice: in the 6.12 lab fat's was below,
 * and which functions get room must not depend on it). One that does not
 * fit is left alone, and the next are still tried: a smaller one may fit.
 * Nothing else ties two instances together (calls and jumps to other
 * functions go through their originals).
 *
 * Return: the bytes the instances left out would have needed.
 */
static unsigned long fit_in_area(struct kedr_func *funcs, unsigned int n,
				 unsigned long room)
{
	unsigned long used = 0, left_out = 0, size;
	unsigned int i, init;

	for (init = 0; init <= 1; init++) {	/* the core code, then init */
		for (i = 0; i < n; i++) {
			struct kedr_func *f = &funcs[i];

			/* NB: a part comes with its parent */
			if (f->skip || f->parent || f->init != init)
				continue;
			size = family_size(funcs, n, f);
			if (used + size <= room) {
				used += size;
				continue;
			}
			skip_function(f, no_room, 0);
			left_out += size;
		}
	}
	for (i = 0; i < n; i++)
		if (funcs[i].parent && funcs[i].parent->skip == no_room)
			skip_function(&funcs[i], no_room, 0);
	return left_out;
}

/* the instrumented function that contains @addr, or NULL */
static struct kedr_func *planned_function(unsigned long addr)
{
	struct kedr_func *f = find_function(addr);

	return f && !f->skip ? f : NULL;
}

/**
 * lands_inside() - does a jump from @f to @target stay in @f's family?
 * @f:      an instrumented function
 * @target: the destination
 *
 * Return: true if @target is an instruction of @f, or of a .cold part or
 * parent of it.
 */
static bool lands_inside(struct kedr_func *f, unsigned long target)
{
	struct kedr_func *g;

	if (classify_dest(f, target, &g) == KEDR_DEST_OUTSIDE)
		return false;
	return g->map && map_lookup(g, target - g->addr);
}
/* [/engine] */

/* the address a self-relative 32-bit field points to */
static unsigned long rel32_target(const s32 *field)
{
	return (unsigned long)field + *field;
}

/* make a self-relative 32-bit field point to @addr (within 2 GiB of it) */
static void set_rel32(s32 *field, unsigned long addr)
{
	*field = addr - (unsigned long)field;
}

/**
 * instance_address() - where an instruction of the original is now
 * @addr: the address of an instruction in an instrumented function
 * @copy: true: of the instruction itself; false: of the code that records
 *        its access, where a jump to it must go
 *
 * Return: the address in the instance, or @addr if the function is not
 * instrumented (or @addr is no instruction of it).
 */
static unsigned long instance_address(unsigned long addr, bool copy)
{
	const struct kedr_func *f = find_function(addr);
	const struct kedr_insn_map *m;

	if (!f || f->skip || !f->inst)
		return addr;
	m = map_lookup(f, addr - f->addr);
	if (!m)
		return addr;
	return f->inst + (copy ? m->copy : m->inst);
}

/**
 * check_kernel_tables() - leave alone what cannot be re-aimed
 * @mod: the target, its functions planned
 */
static void check_kernel_tables(struct module *mod)
{
	struct kedr_insn in;
	struct kedr_func *f;
	unsigned int i;

	for (i = 0; i < mod->num_jump_entries; i++) {
		struct jump_entry *je = &mod->jump_entries[i];

		f = planned_function(jump_entry_code(je));
		if (f && !lands_inside(f, jump_entry_target(je)))
			skip_function(f, "a static key jumps out of it",
				      jump_entry_code(je) - f->addr);
	}
	for (i = 0; i < mod->num_static_call_sites; i++) {
		s32 *site = &mod->static_call_sites[i].addr;
		unsigned long addr = rel32_target(site);

		f = planned_function(addr);
		if (f && (kedr_decode((u8 *)addr, f->addr + f->size - addr, &in) < 0 ||
			  in.flow == KEDR_FLOW_JCC))
			skip_function(f, "a conditional tail call via a static call",
				      addr - f->addr);
	}
	for (i = 0; i < mod->num_exentries; i++) {
		struct exception_table_entry *ex = &mod->extable[i];

		f = planned_function(rel32_target(&ex->insn));
		if (f && !lands_inside(f, rel32_target(&ex->fixup)))
			skip_function(f, "an exception fixup outside it",
				      rel32_target(&ex->insn) - f->addr);
	}
}

/* order exception table entries whose fields hold absolute addresses */
static int cmp_extable(const void *a, const void *b)
{
	const struct exception_table_entry *x = a, *y = b;
	unsigned long xi = (unsigned int)x->insn, yi = (unsigned int)y->insn;

	return xi < yi ? -1 : xi > yi;
}

/**
 * build_extable() - the target's exception table, re-aimed at the instances
 * @t:   the target, its instances written
 * @mod: the target module
 *
 * NB: entries are relative to their own address, which changes when they
 * are sorted; so they are first sorted with the low 32 bits of the absolute
 * addresses (all in the same 1 GiB module area, so the order is right), and
 * only then made relative.
 *
 * Return: 0 or -ENOMEM.
 */
static int build_extable(struct kedr_target *t, struct module *mod)
{
	struct exception_table_entry *x;
	unsigned int i, n = 0;

	for (i = 0; i < mod->num_exentries; i++)
		n += planned_function(rel32_target(&mod->extable[i].insn)) != NULL;
	if (!n)
		return 0;
	x = kedr_module_alloc(PAGE_ALIGN(n * sizeof(*x)));
	if (!x) {
		pr_err("no memory for an exception table of %u entries\n", n);
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < mod->num_exentries; i++) {
		const struct exception_table_entry *ex = &mod->extable[i];
		unsigned long insn = rel32_target(&ex->insn);

		if (!planned_function(insn))
			continue;
		x[n].insn = instance_address(insn, true);
		x[n].fixup = instance_address(rel32_target(&ex->fixup), false);
		x[n++].data = ex->data;
	}
	sort(x, n, sizeof(*x), cmp_extable, NULL);
	for (i = 0; i < n; i++) {
		set_rel32(&x[i].insn, (unsigned long)(s32)x[i].insn);
		set_rel32(&x[i].fixup, (unsigned long)(s32)x[i].fixup);
	}
	t->extable = x;
	t->nr_extable = n;
	return 0;
}

/**
 * reaim_kernel_tables() - point the kernel's tables at the instances
 * @t:   the target, its instances written
 * @mod: the target module
 */
static void reaim_kernel_tables(struct kedr_target *t, struct module *mod)
{
	unsigned int i;

	for (i = 0; i < mod->num_bugs; i++) {
		s32 *ud2 = &mod->bug_table[i].bug_addr_disp;

		set_rel32(ud2, instance_address(rel32_target(ud2), true));
	}
	for (i = 0; i < mod->num_jump_entries; i++) {
		struct jump_entry *je = &mod->jump_entries[i];
		unsigned long code = jump_entry_code(je);

		if (!planned_function(code))
			continue;
		set_rel32(&je->target, instance_address(jump_entry_target(je), false));
		set_rel32(&je->code, instance_address(code, true));
	}
	for (i = 0; i < mod->num_static_call_sites; i++) {
		s32 *site = &mod->static_call_sites[i].addr;

		set_rel32(site, instance_address(rel32_target(site), true));
	}
	if (t->extable) {	/* lend it to the kernel as kedr_sample's own */
		THIS_MODULE->extable = t->extable;
		smp_wmb();	/* NB: the table before its length */
		WRITE_ONCE(THIS_MODULE->num_exentries, t->nr_extable);
	}
}

/**
 * plan_target() - decide what to instrument, and measure it
 * @t:   the target, its functions collected
 * @mod: the target module
 */
static void plan_target(struct kedr_target *t, struct module *mod)
{
	unsigned int i;

	link_cold_parts(t->funcs, t->nr_funcs);
	plan_functions(t->funcs, t->nr_funcs);
	skip_families(t->funcs, t->nr_funcs);
	check_kernel_tables(mod);
	skip_families(t->funcs, t->nr_funcs);
	t->no_room = fit_in_area(t->funcs, t->nr_funcs, KEDR_AREA_SIZE);
	for (i = 0; i < t->nr_funcs; i++) {
		struct kedr_func *f = &t->funcs[i];
		struct kedr_region *r = f->init ? &t->init : &t->core;

		if (f->skip)
			continue;
		f->offset = r->code_size;
		f->first_site = r->nr_sites;
		r->code_size += ALIGN(f->code_size, 16);
		r->nr_sites += f->nr_sites;
	}
	t->core.code = kedr_area;
	t->init.code = kedr_area + t->core.code_size;
}

/**
 * write_instances() - write every planned instance into the area
 * @t: the target, planned, the sites of its regions allocated
 *
 * The emitter writes into a scratch buffer, as if it were at the final
 * address; the result goes into the read-only area in one copy per region.
 *
 * Return: 0, or the first error (nothing of the target is patched yet).
 */
static int write_instances(struct kedr_target *t)
{
	unsigned long size = t->core.code_size + t->init.code_size;
	u8 *scratch;
	unsigned int i;
	int err = 0;

	for (i = 0; i < t->nr_funcs; i++) {	/* addresses first: jumps */
		struct kedr_func *f = &t->funcs[i];	/* between instances */
		struct kedr_region *r = f->init ? &t->init : &t->core;

		if (!f->skip)
			f->inst = (unsigned long)r->code + f->offset;
	}
	if (!size)
		return 0;	/* nothing instrumented (a module of data only...) */
	scratch = vmalloc(size);
	if (!scratch) {
		pr_err("no memory for a scratch buffer of %lu bytes\n", size);
		return -ENOMEM;
	}
	memset(scratch, KEDR_OP_INT3, size);
	for (i = 0; i < t->nr_funcs && !err; i++) {
		struct kedr_func *f = &t->funcs[i];
		struct kedr_region *r = f->init ? &t->init : &t->core;
		struct kedr_emitter e = {
			.buf = scratch + (f->inst - (unsigned long)kedr_area),
			.addr = f->inst,
			.sites = r->sites + f->first_site,
			.sites_addr = (unsigned long)(r->sites + f->first_site),
		};

		if (f->skip)
			goto next;
		emit_function(&e, f);
		err = e.err;
		if (!err && (e.pos != f->code_size || e.nr_sites != f->nr_sites))
			err = -EFAULT;	/* the dry run measured otherwise */
		if (err)
			pr_err("cannot write the instance of %s (error %d)\n",
			       f->name, err);
next:
		kvfree(f->insns);	/* the map stays: the int3 handler needs it */
		f->insns = NULL;
	}
	if (!err)
		err = write_region(&t->core, scratch);
	if (!err)
		err = write_region(&t->init, scratch + t->core.code_size);
	vfree(scratch);
	return err;
}

/**
 * report_target() - log what was found, instrumented and left alone
 * @t: the target
 *
 * NB: the functions that found no room in the area can be thousands (most
 * of amdgpu in a small area): one line says how many, kedr_sample/functions
 * names them (and dyndbg=+p logs them).
 */
static void report_target(const struct kedr_target *t)
{
	unsigned int i, nr_init = 0, nr_cold = 0, nr_skip = 0, nr_done = 0;
	unsigned int nr_no_room = 0;
	unsigned long bytes = 0, done_bytes = 0, no_room_bytes = 0, need;

	for (i = 0; i < t->nr_funcs; i++) {
		const struct kedr_func *f = &t->funcs[i];

		pr_debug("function %s at 0x%lx, %u bytes, %s%s%s%s; instance at 0x%lx, %u bytes\n",
			 f->name, f->addr, f->size, f->init ? "init" : "core",
			 f->cold ? ", .cold part" : "", f->endbr ? ", endbr64" : "",
			 f->ftrace_nop ? ", ftrace nop" : "", f->inst,
			 f->skip ? 0 : f->code_size);
		bytes += f->size;
		nr_init += f->init;
		nr_cold += f->cold;
		if (f->skip == no_room) {
			nr_skip++;
			nr_no_room++;
			no_room_bytes += f->size;
			pr_debug("left alone: %s (%u bytes): %s\n",
				 f->name, f->size, f->skip);
		} else if (f->skip) {
			nr_skip++;
			pr_info("left alone: %s (%u bytes): %s (at +0x%x)\n",
				f->name, f->size, f->skip, f->skip_off);
		} else {
			nr_done++;
			done_bytes += f->size;
		}
	}
	pr_info("%u functions, %lu bytes (%u in core text, %u in init text), %u .cold parts, %u aliases folded\n",
		t->nr_funcs, bytes, t->nr_funcs - nr_init, nr_init, nr_cold,
		t->nr_aliases);
	if (t->nr_padding)
		pr_info("%u __pfx_ symbols skipped: padding before functions, not functions\n",
			t->nr_padding);
	pr_info("instrumented %u functions, left alone %u; original code %lu bytes, instrumented code %lu bytes (core %lu, init %lu), %u sites\n",
		nr_done, nr_skip, done_bytes,
		t->core.code_size + t->init.code_size, t->core.code_size,
		t->init.code_size, t->core.nr_sites + t->init.nr_sites);
	need = t->core.code_size + t->init.code_size + t->no_room;
	if (nr_no_room)
		pr_warn("left alone: %u functions (%lu bytes): no room left in the area; all instances need %lu bytes, the area holds %u: build kedr_sample with KEDR_AREA_SIZE=%luM to instrument them (kedr_sample/functions names them)\n",
			nr_no_room, no_room_bytes, need, KEDR_AREA_SIZE,
			DIV_ROUND_UP(need, SZ_1M));
}

/**
 * instrument_target() - plan, write, re-aim the kernel's tables, patch
 * @t:   the target, its functions collected
 * @mod: the target module
 *
 * Return: 0, or an error, in which case nothing of the target is changed
 * and nothing of the instances is left but the function table.
 */
static int instrument_target(struct kedr_target *t, struct module *mod)
{
	/* [snippet:instrument-target] */
	unsigned int i;
	int err;

	err = collect_jump_label_sites(t, mod);
	if (err)
		return err;
	plan_target(t, mod);	/* NB: what does not fit is left alone */
	err = alloc_sites(&t->core);
	if (!err)
		err = alloc_sites(&t->init);
	if (!err)
		err = write_instances(t);
	if (!err)
		err = build_extable(t, mod);
	if (err)
		goto out_free;
	reaim_kernel_tables(t, mod);
	WRITE_ONCE(nr_patched_funcs, t->nr_funcs);
	rcu_assign_pointer(patched_funcs, t->funcs);
	for (i = 0; i < t->nr_funcs; i++)
		if (!t->funcs[i].skip)
			patch_original(&t->funcs[i]);
	return 0;
	/* [/snippet:instrument-target] */

out_free:
	for (i = 0; i < t->nr_funcs; i++)
		t->funcs[i].inst = 0;
	free_region(&t->core);
	free_region(&t->init);
	kvfree(t->jl_sites);
	t->jl_sites = NULL;
	t->nr_jl_sites = 0;
	return err;
}

/**
 * reset_records() - forget the events of a previous target
 */
static void reset_records(void)
{
	int cpu, i;

	memset(records, 0, num_records * sizeof(*records));
	atomic_long_set(&nr_claimed, 0);
	if (fast)	/* hook: part 14 */
		fast_store_full(false);
	for_each_possible_cpu(cpu)
		for (i = 0; i < KEDR_EV_COUNT; i++)
			per_cpu(event_counts[i], cpu) = 0;
	reset_recording();	/* after the counts, which it takes as 0 */
}

static DEFINE_MUTEX(output_mutex);	/* the output against a new target */

/**
 * on_target_coming() - the target is loaded and its init has not run yet
 * @mod: the target
 *
 * kedr_sample holds a reference to itself while the target is loaded: the
 * target's code jumps into memory that kedr_sample owns, and calls
 * kedr_event_stub, so kedr_sample must not go away first (rmmod kedr_sample
 * fails: "Resource temporarily unavailable", the EAGAIN of a module in use).
 *
 * If the target cannot be instrumented at all (no memory, mostly), nothing
 * of it has changed: kedr_sample forgets it, drops that reference and can
 * be unloaded while the target runs on, as if kedr_sample had not been
 * there. Each step that fails says why in the log first.
 */
static void on_target_coming(struct module *mod)
{
	unsigned int core_size, init_size;
	int err;

	module_text(mod, false, &core_size);
	module_text(mod, true, &init_size);
	pr_info("target \"%s\" is coming: core text %u bytes, init text %u bytes\n",
		mod->name, core_size, init_size);
	if (!try_module_get(THIS_MODULE)) {
		pr_err("kedr_sample is going away; target left alone\n");
		return;
	}
	mutex_lock(&output_mutex);
	free_functions(&tgt);		/* those of a previous target */
	reset_records();
	tgt.mod = mod;
	err = collect_functions(&tgt, mod);
	if (!err)
		err = instrument_target(&tgt, mod);
	if (err) {
		free_functions(&tgt);
		tgt.mod = NULL;
	}
	mutex_unlock(&output_mutex);
	if (err) {
		pr_err("cannot instrument \"%s\" (error %d); it runs as it is\n",
		       mod->name, err);
		module_put(THIS_MODULE);
		return;
	}
	report_target(&tgt);
}

/**
 * release_instances() - withdraw instances from the kernel, wipe them
 * @t:    the target
 * @init: true: only the init ones (the target's init is over); false: all
 *
 * NB: synchronize_rcu() waits for int3 handlers and exception table
 * searches that may still look at our tables; the code itself is no longer
 * run by anyone (see the callers).
 */
static void release_instances(struct kedr_target *t, bool init)
{
	unsigned int i;

	if (!init) {
		RCU_INIT_POINTER(patched_funcs, NULL);
		WRITE_ONCE(THIS_MODULE->num_exentries, 0);
	}
	for (i = 0; i < t->nr_funcs; i++)
		if (!init || t->funcs[i].init)
			WRITE_ONCE(t->funcs[i].inst, 0);
	synchronize_rcu();
	free_region(&t->init);
	if (init)
		return;
	free_region(&t->core);
	free_maps(t);
	THIS_MODULE->extable = NULL;
	vfree(t->extable);
	t->extable = NULL;
	t->nr_extable = 0;
	kvfree(t->jl_sites);
	t->jl_sites = NULL;
	t->nr_jl_sites = 0;
}

/**
 * on_target_live() - the target's init has returned: free init instances
 * @mod: the target
 *
 * The init part of the area is wiped (it stays reserved until the target
 * goes: the core part is before it); the init sites are freed.
 */
static void on_target_live(struct module *mod)
{
	if (tgt.mod != mod || !tgt.init.code_size)
		return;
	pr_info("target \"%s\" is live: instances of init functions freed\n",
		mod->name);
	release_instances(&tgt, true);
}

/**
 * on_target_going() - the target is being unloaded, or its init failed
 * @mod: the target
 *
 * Its exit function (or failed init) has returned and nobody holds a
 * reference to it, so none of its code, original or instance, is running.
 */
static void on_target_going(struct module *mod)
{
	if (tgt.mod != mod)
		return;
	mutex_lock(&output_mutex);
	release_instances(&tgt, false);
	tgt.mod = NULL;			/* the output is ready */
	mutex_unlock(&output_mutex);
	pr_info("target \"%s\" is going: %lu reads, %lu writes, %lu locked updates, %lu entries, %lu exits; %ld events stored\n",
		mod->name, event_total(KEDR_EV_READ), event_total(KEDR_EV_WRITE),
		event_total(KEDR_EV_LOCKED), event_total(KEDR_EV_ENTRY),
		event_total(KEDR_EV_EXIT), events_stored());
	module_put(THIS_MODULE);
}

/**
 * module_notify() - called for every module that changes state
 * @nb:    our notifier block
 * @state: the new state (enum module_state)
 * @data:  the module
 *
 * NB: notifiers of different modules may run at the same time, but only one
 * module can bear the target's name, so the target's events come in order.
 *
 * Return: NOTIFY_DONE: we never veto a module.
 */
static int module_notify(struct notifier_block *nb, unsigned long state,
			 void *data)
{
	struct module *mod = data;

	if (strcmp(mod->name, target))
		return NOTIFY_DONE;
	if (state == MODULE_STATE_COMING)
		on_target_coming(mod);
	else if (state == MODULE_STATE_LIVE)
		on_target_live(mod);
	else if (state == MODULE_STATE_GOING)
		on_target_going(mod);
	return NOTIFY_DONE;
}

static struct notifier_block module_nb = {
	.notifier_call = module_notify,
	/* NB: 0, so the kernel's own notifiers (static keys...) run first */
	.priority = 0,
};
/* ==== 12. THE OUTPUT: DEBUGFS kedr_sample/output ==== */

/**
 * DOC: The output
 *
 * Once the target is gone, /sys/kernel/debug/kedr_sample/output shows what
 * was recorded, in the format of KEDR's sample::
 *
 *   [Totals] reads: 64; writes: 23; locked updates: 0.
 *   ...
 *   TID=0xff2374e981eba100 entry: addr=0xffffffffc0706280 ("cfake_open")
 *   TID=0xff2374e981eba100 read at 0xffffffffc0706289 (cfake_open+0x9/0x4d [kedr_sample_target]): addr=0xffffffffb4a2e220, size=8
 *   TID=0xff2374e981eba100 read at 0xffffffffc07062a8 (cfake_open+0x28/0x4d [kedr_sample_target]): addr=0xff2374e981c305e8, size=8
 *   TID=0xff2374e981eba100 write at 0xffffffffc07062af (cfake_open+0x2f/0x4d [kedr_sample_target]): addr=0xff2374e981b06dc8, size=8
 *   TID=0xff2374e981eba100 write at 0xffffffffc07062ba (cfake_open+0x3a/0x4d [kedr_sample_target]): addr=0xff2374e981d1fe50, size=8
 *   TID=0xff2374e981eba100 exit: addr=0xffffffffc0706280 ("cfake_open")
 *   ...
 *
 * (from a run of the session in the header; tests/07-comment-facts.t
 * checks it against another). The totals count every event; the lines that follow are the first
 * num_records events, in the order their slots were claimed. (Two lines
 * after the totals, left out here, say what was counted while recording
 * was on and what the store kept: see "What the store keeps".) While the
 * target is loaded the file is empty (the records are still being
 * written); it can then be read any number of times, until the target is
 * loaded again. The function names come from the table kedr_sample copied
 * at COMING, so events in init functions are named too, although the
 * kernel has forgotten those symbols by then.
 */

static struct dentry *debugfs_dir;

/**
 * output_ready() - may the records be shown?
 *
 * Return: true once a target has come and gone. Called with output_mutex.
 */
static bool output_ready(void)
{
	return !tgt.mod && tgt.funcs;
}

/**
 * output_start() - seq_file: lock, and find the line at *@pos
 * @m:   the seq_file
 * @pos: line number: 0 is the totals, n the record n - 1
 *
 * Return: SEQ_START_TOKEN, a record, or NULL at the end.
 */
static void *output_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&output_mutex);
	if (!output_ready())
		return NULL;
	if (*pos == 0)
		return SEQ_START_TOKEN;
	if (*pos > events_stored())
		return NULL;
	return stored_record(*pos - 1);
}

/**
 * output_next() - seq_file: the next line
 * @m:   the seq_file
 * @v:   the current line
 * @pos: its number, to advance
 *
 * Return: as output_start().
 */
static void *output_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	if (*pos > events_stored())
		return NULL;
	return stored_record(*pos - 1);
}

/* seq_file: unlock */
static void output_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&output_mutex);
}

/**
 * show_pc() - print "name+0xoff/0xsize [module]" for an address
 * @m:  the seq_file
 * @pc: an address in the target's code
 */
static void show_pc(struct seq_file *m, unsigned long pc)
{
	const struct kedr_func *f = find_function(pc);

	if (f)
		seq_printf(m, "%s+0x%lx/0x%x [%s]", f->name, pc - f->addr,
			   f->size, target);
	else
		seq_printf(m, "0x%lx [%s]", pc, target);
}

/**
 * output_show() - seq_file: print one line
 * @m: the seq_file
 * @v: SEQ_START_TOKEN or a record
 *
 * Return: 0.
 */
static int output_show(struct seq_file *m, void *v)
{
	/* [snippet:output-format] */
	static const char * const names[KEDR_EV_COUNT] = {
		[KEDR_EV_READ] = "read", [KEDR_EV_WRITE] = "write",
		[KEDR_EV_LOCKED] = "locked update",
		[KEDR_EV_ENTRY] = "entry", [KEDR_EV_EXIT] = "exit",
	};
	const struct kedr_record *r = v;
	const struct kedr_func *f;

	if (v == SEQ_START_TOKEN) {
		seq_printf(m, "[Totals] reads: %lu; writes: %lu; locked updates: %lu.\n",
			   event_total(KEDR_EV_READ), event_total(KEDR_EV_WRITE),
			   event_total(KEDR_EV_LOCKED));
		show_recording(m);
		return 0;
	}
	switch (r->type) {
	case KEDR_EV_ENTRY:
	case KEDR_EV_EXIT:
		f = find_function(r->addr);
		seq_printf(m, "TID=0x%lx %s: addr=0x%lx (\"%s\")\n", r->tid,
			   names[r->type], r->addr, f ? f->name : "?");
		break;
	case KEDR_EV_READ:
	case KEDR_EV_WRITE:
	case KEDR_EV_LOCKED:
		seq_printf(m, "TID=0x%lx %s at 0x%lx (", r->tid,
			   names[r->type], r->pc);
		show_pc(m, r->pc);
		seq_printf(m, "): addr=0x%lx, size=%lu\n", r->addr, r->size);
		break;
	}
	/* [/snippet:output-format] */
	return 0;
}

static const struct seq_operations output_sops = {
	.start = output_start,
	.next  = output_next,
	.stop  = output_stop,
	.show  = output_show,
};
DEFINE_SEQ_ATTRIBUTE(output);

/**
 * DOC: Where is my function? kedr_sample/functions
 *
 * The instances have no symbols of their own: in a stack trace or an oops
 * an address in one shows as ``kedr_area+0x1a40/0x800000 [kedr_sample]``.
 * /sys/kernel/debug/kedr_sample/functions lists, for the last target, each
 * function with its address and size, where its instance is and its size
 * (while the target is loaded; "gone" once it was freed, as those of init
 * functions are after init), or why it was left alone ("left alone: too
 * small to hold a jump"). Some lines of it, with the sample target loaded
 * (checked against a run by tests/07-comment-facts.t)::
 *
 *   cfake_open 0xffffffffc0706280 77 instance 0xffffffffc02f26e0 263
 *   cfake_exit 0xffffffffc0706344 11 instance 0xffffffffc02f2950 53
 *   cfake_init 0xffffffffc070c000 600 instance gone
 *
 * so kedr_area+0x1a40 is the instance that starts at kedr_area + 0x1a40.
 */

/**
 * functions_show() - print the function table
 * @m: the seq_file
 * @v: unused
 *
 * Return: 0.
 */
static int functions_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&output_mutex);
	for (i = 0; i < tgt.nr_funcs; i++) {
		const struct kedr_func *f = &tgt.funcs[i];

		seq_printf(m, "%s 0x%lx %u ", f->name, f->addr, f->size);
		if (f->skip)
			seq_printf(m, "left alone: %s\n", f->skip);
		else if (f->inst)
			seq_printf(m, "instance 0x%lx %u\n", f->inst, f->code_size);
		else
			seq_puts(m, "instance gone\n");
	}
	mutex_unlock(&output_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(functions);

/* ==== 13. MODULE INIT AND EXIT ==== */

/**
 * set_target() - check target_name and store it, with '_' for '-'
 *
 * Return: 0 or -EINVAL (with a message saying what is wrong).
 */
static int set_target(void)
{
	size_t i, len;

	if (!target_name || !*target_name) {
		pr_err("target_name is not set: insmod kedr_sample.ko target_name=<module>\n");
		return -EINVAL;
	}
	len = strlen(target_name);
	if (len >= sizeof(target)) {
		pr_err("target_name is %zu characters long; module names have at most %zu\n",
		       len, sizeof(target) - 1);
		return -EINVAL;
	}
	for (i = 0; i <= len; i++)
		target[i] = target_name[i] == '-' ? '_' : target_name[i];
	return 0;
}

/**
 * target_is_loaded() - is a module with the target's name already there?
 *
 * kedr_sample must see the target arrive (COMING) to instrument it before
 * any of its code runs; a target that is already loaded is too late.
 *
 * Return: true if it is loaded or being loaded.
 */
static bool target_is_loaded(void)
{
	bool loaded;

	/* NB: find_module() walks an RCU list; disabling preemption is its lock */
	preempt_disable();
	loaded = kedr_find_module(target) != NULL;
	preempt_enable();
	return loaded;
}

/**
 * kedr_sample_init() - check the parameters and start waiting for the target
 *
 * The notifier is registered before the check for an already loaded target,
 * so that a target that starts loading in between is either seen by the
 * check or by the notifier.
 *
 * Return: 0 or a negative error, which makes insmod fail.
 */
static int __init kedr_sample_init(void)
{
	int err;

	if (fast) {	/* hook: part 14 */
		err = fast_init();
		if (err)
			return err;
	}
	err = set_target();
	if (err)
		return err;
	if (num_records < 1 || num_records > KEDR_MAX_RECORDS) {
		pr_err("num_records is %u; it must be 1..%u\n", num_records,
		       KEDR_MAX_RECORDS);
		return -EINVAL;
	}
	err = resolve_kernel_symbols();
	if (err)
		return err;
	find_jump_thunks();
	/* the records, then the ring's numbers: one allocation */
	records = vzalloc(array_size(num_records,
				     sizeof(*records) + sizeof(*ring_seq)));
	if (!records)
		return -ENOMEM;
	ring_seq = (unsigned long *)(records + num_records);
	debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("recording", 0644, debugfs_dir, NULL, &recording_fops);
	debugfs_create_file("output", 0444, debugfs_dir, NULL, &output_fops);
	debugfs_create_file("functions", 0444, debugfs_dir, NULL,
			    &functions_fops);
	err = register_die_notifier(&die_nb);
	if (err)
		goto out_debugfs;
	err = register_module_notifier(&module_nb);
	if (err)
		goto out_die;
	if (target_is_loaded() && !tgt.mod) {
		pr_err("\"%s\" is already loaded; unload it first, then load it again after kedr_sample\n",
		       target);
		err = -EEXIST;
		goto out_notifier;
	}
	pr_info("waiting for \"%s\"\n", target);
	return 0;

out_notifier:
	unregister_module_notifier(&module_nb);
out_die:
	unregister_die_notifier(&die_nb);
out_debugfs:
	debugfs_remove_recursive(debugfs_dir);
	vfree(records);
	return err;
}

/**
 * kedr_sample_exit() - stop waiting
 *
 * NB: while the target is loaded kedr_sample holds a reference to itself,
 * so this runs only when no target is loaded and no instance exists.
 */
static void __exit kedr_sample_exit(void)
{
	unregister_module_notifier(&module_nb);
	unregister_die_notifier(&die_nb);
	debugfs_remove_recursive(debugfs_dir);
	free_functions(&tgt);
	vfree(records);
	pr_info("unloaded\n");
}

module_init(kedr_sample_init);
module_exit(kedr_sample_exit);

/* ==== 14. MAKING IT FAST ==== */

/**
 * DOC: Making it fast
 *
 * Parts 1 to 13 are the whole of a correct instrumenter: with fast=0 that
 * is all that runs. Every event costs the same there: a call, the flags
 * and sixteen registers pushed and popped, and record_event() in C, even
 * after the store is full, when all that is left to do is to add 1 to a
 * counter. This part adds, with fast=1 (the default), four speed-ups; the
 * first three in the order they were made, each on top of the previous
 * one:
 *
 *  1. Once the store is full, only count. Past the first num_records
 *     events (512 by default), which is nearly all of a run, an event
 *     changes one per-cpu counter. kedr_fast_stub, the stub of fast=1,
 *     checks a flag, kedr_store_full, which record_event() sets when it
 *     finds no slot left, and then only counts the event types the site
 *     names in its @count, without calling C.
 *  2. Save only the flags that the shortcut changes. PUSHFQ and POPFQ
 *     save and restore all of RFLAGS, and POPFQ, which may change system
 *     flags, is slow. The shortcut's CMP and INC change only the
 *     arithmetic flags: LAHF and SETO keep them in %ax, SAHF and an ADD
 *     that overflows when OF was set put them back. The full path does the
 *     same, unless the target had set the direction flag.
 *  3. Count in the instrumented code itself, where the target's flags are
 *     dead. Then a site needs no call at all once the store is full: a
 *     CMP of kedr_store_full, a jump over the call, and an ADD to the
 *     counter, three instructions. Where the flags may be live (or the
 *     count depends on the registers: string instructions, computed
 *     jumps), the site calls kedr_fast_stub as in 1 and 2. Knowing where
 *     the flags are dead is the liveness analysis of compilers, below.
 *  4. Search without branches. The emitter looks up the function of every
 *     call's target and the map of every jump's; the binary searches of
 *     the core are written again so that the compiler makes each step a
 *     CMOV.
 *
 * What each one bought, measured the way make bench measures (both modes
 * side by side in one session), is in doc/bench-results.md, which make
 * bench writes, and in the walkthrough's "What it costs". fast=0 and
 * fast=1 record the same events (tests/24-fast-vs-simple.t).
 *
 * The core reaches this part only through the hooks declared in part 2.
 */

/* [engine] */
#define KEDR_SITE_COUNTED	0x08	/* struct kedr_site.flags: the emitted code counts it */
/* Where @count is in a site, for kedr_fast_stub (checked in fast_init()) */
#define KEDR_SITE_COUNT_OFF	32
/* [/engine] */

/*
 * 1. Once the store is full, only count.
 */
u8 kedr_store_full;	/* not static: kedr_fast_stub, in assembly, reads it */

/* record_event()'s hook: is @s counted by the emitted code itself (3.)? */
static notrace bool fast_counted(const struct kedr_site *s)
{
	return s->flags & KEDR_SITE_COUNTED;
}

/* record_event()'s hook: the store is full, or empty again (and set_recording()'s) */
static notrace void fast_store_full(bool full)
{
	WRITE_ONCE(kedr_store_full, full);
}

/*
 * 1 and 2. kedr_fast_stub: what kedr_event_stub becomes with fast=1.
 * Entered like kedr_event_stub. Once the store is full, events are only
 * counted, and the stub does just that, with no call: one per-CPU
 * increment for each type in site->count. It saves only the flags that
 * CMP, TEST and INC change, with LAHF and SETO (PUSHFQ/POPFQ cost much
 * more; LAHF and SAHF exist in 64-bit mode on every CPU since 2005: CPUID
 * 80000001H, ECX bit 0). Otherwise it builds the same struct kedr_regs as
 * kedr_event_stub, calls kedr_on_site(site, regs) and undoes it all; but
 * the flags come back through SAHF (and the OF trick) unless the target
 * had set the direction flag, the one flag our C code may not run with:
 * only then does a POPFQ restore them. Nothing else in RFLAGS (IF, AC...)
 * is changed by the C code.
 */
/* [snippet:fast-stub] */
void kedr_fast_stub(void);
asm(
"	.pushsection .text, \"ax\"\n"
"	.globl kedr_fast_stub\n"
"	.type kedr_fast_stub, @function\n"
"kedr_fast_stub:\n"
	ANNOTATE_NOENDBR		/* only instances call it, directly */
"	pushq %rax\n"			/* fast path: save the arithmetic */
"	lahf\n"			/* flags in %ah (SF ZF AF PF CF) */
"	seto %al\n"			/* and %al (OF) */
"	cmpb $0, kedr_store_full(%rip)\n"
"	je .Lkedr_fast_flags\n"		/* the store is not full: record */
"	pushq %rcx\n"
"	movzbl " __stringify(KEDR_SITE_COUNT_OFF) "(%rdi), %ecx\n"
"	testl %ecx, %ecx\n"
"	je .Lkedr_fast_rcx\n"		/* a string: the count needs %rcx */
"	incq %gs:event_counts(,%rcx,8)\n"
"	movzbl " __stringify(KEDR_SITE_COUNT_OFF) "+1(%rdi), %ecx\n"
"	testl %ecx, %ecx\n"
"	je 1f\n"
"	incq %gs:event_counts(,%rcx,8)\n"
"1:	popq %rcx\n"
"	addb $0x7f, %al\n"		/* OF again: 0x7f + 1 overflows */
"	sahf\n"			/* and the others */
"	popq %rax\n"
	ASM_RET
".Lkedr_fast_rcx:\n"
"	popq %rcx\n"
".Lkedr_fast_flags:\n"
"	addb $0x7f, %al\n"
"	sahf\n"
"	popq %rax\n"
"	pushfq\n"			/* the full path: record */
	KEDR_PUSH_REGS
"	testl $0x400, 0x80(%rsp)\n"	/* X86_EFLAGS_DF: the target set it? */
"	jz 2f\n"
"	pushq 0x80(%rsp)\n"	/* rare: clear DF in a copy of the flags */
"	andq $~0x400, (%rsp)\n"	/* (objtool rejects a plain CLD) */
"	popfq\n"
"2:	movq %rsp, %rsi\n"
"	call kedr_on_site\n"
	KEDR_POP_REGS
"	testl $0x400, (%rsp)\n"	/* DF was set: POPFQ restores it */
"	jnz 3f\n"
"	pushq %rax\n"			/* else only the arithmetic flags */
"	movzbl 9(%rsp), %eax\n"	/* changed: OF is bit 11 of RFLAGS, */
"	shrb $3, %al\n"
"	andb $1, %al\n"
"	movb 8(%rsp), %ah\n"		/* SF ZF AF PF CF its low byte, */
"	addb $0x7f, %al\n"		/* as in the shortcut above */
"	sahf\n"
"	popq %rax\n"
"	leaq 8(%rsp), %rsp\n"		/* drop RFLAGS (LEA: flags untouched) */
	ASM_RET
"3:	popfq\n"
	ASM_RET
"	.size kedr_fast_stub, .-kedr_fast_stub\n"
"	.popsection\n");
/* [/snippet:fast-stub] */

/*
 * 3. Count in the instrumented code, where the flags are dead.
 */
/* [engine] */
/**
 * DOC: When the flags are free
 *
 * The inline count of emit_site_fast() changes the arithmetic flags (CF, PF,
 * AF, ZF, SF, OF): CMP and ADD write them. It may go only where the
 * target's own code does not need the flags it had there, that is where
 * they are *dead*: whatever path the code takes from there, some
 * instruction overwrites all six before any instruction reads one. This
 * is the liveness question of compilers, and find_dead_flags() answers it
 * the way they do, going backwards over the function: before an
 * instruction that sets all the flags without reading them (ADD, SUB,
 * AND, OR, XOR, CMP, TEST, NEG) they are dead; before one that may read
 * them they are live; before one known to leave them unread (MOV, LEA,
 * PUSH, INC, shifts, calls...) they are whatever they are after it, and
 * before an unconditional jump within the function, whatever they are at
 * its target. Everything else counts as a reader: a conditional jump, a
 * return or a jump out of the function (hand-written assembly may hand
 * the flags to the caller), a static key (the kernel may turn its nop
 * into a jump), an instruction flags_use() does not know.
 *
 * A call is walked through: the function called may leave the flags as
 * they were (hand-written assembly sometimes does), and if it changes
 * them, the caller cannot have been counting on them. Being wrong by
 * saying "live" costs a little time; being wrong by saying "dead" would
 * change what the target computes, so every doubt goes to "live".
 */

/* What an instruction does with the arithmetic flags (flags_use()) */
enum kedr_flags_use {
	KEDR_FLAGS_MAY_READ = 0,	/* reads them, or we do not know */
	KEDR_FLAGS_KEEP,	/* does not read them (it may change some) */
	KEDR_FLAGS_SET,		/* sets all six without reading any */
	KEDR_FLAGS_BY_REG,	/* a group: ModRM.reg says (flags_use()) */
	KEDR_FLAGS_JUMP,	/* JMP: as at its target (find_dead_flags()) */
};

/*
 * The one-byte opcodes (Intel SDM vol. 2, Table A-2 and the instructions'
 * "Flags Affected"); an opcode not listed "may read" them. ADC and SBB
 * (10-1D) read CF, the Jcc (70-7F) read them, PUSHF and LAHF (9C, 9F)
 * copy them.
 */
static const u8 kedr_flags_1byte[256] = {
	[0x00 ... 0x05] = KEDR_FLAGS_SET,	/* ADD */
	[0x08 ... 0x0D] = KEDR_FLAGS_SET,	/* OR */
	[0x20 ... 0x25] = KEDR_FLAGS_SET,	/* AND */
	[0x28 ... 0x2D] = KEDR_FLAGS_SET,	/* SUB */
	[0x30 ... 0x35] = KEDR_FLAGS_SET,	/* XOR */
	[0x38 ... 0x3D] = KEDR_FLAGS_SET,	/* CMP */
	[0x50 ... 0x5F] = KEDR_FLAGS_KEEP,	/* PUSH, POP */
	[0x63]          = KEDR_FLAGS_KEEP,	/* MOVSXD */
	[0x68 ... 0x6B] = KEDR_FLAGS_KEEP,	/* PUSH imm, IMUL */
	[0x80 ... 0x83] = KEDR_FLAGS_BY_REG,	/* the ALU ops with an immediate */
	[0x84 ... 0x85] = KEDR_FLAGS_SET,	/* TEST */
	[0x86 ... 0x8F] = KEDR_FLAGS_KEEP,	/* XCHG, MOV, LEA, POP */
	[0x90 ... 0x99] = KEDR_FLAGS_KEEP,	/* NOP, XCHG, CDQE, CQO & co. */
	[0xA0 ... 0xA7] = KEDR_FLAGS_KEEP,	/* MOV moffs, MOVS, CMPS */
	[0xA8 ... 0xA9] = KEDR_FLAGS_SET,	/* TEST */
	[0xAA ... 0xAF] = KEDR_FLAGS_KEEP,	/* STOS, LODS, SCAS */
	[0xB0 ... 0xBF] = KEDR_FLAGS_KEEP,	/* MOV imm */
	[0xC0 ... 0xC1] = KEDR_FLAGS_BY_REG,	/* shifts and rotates */
	[0xC6 ... 0xC7] = KEDR_FLAGS_KEEP,	/* MOV imm */
	[0xD0 ... 0xD3] = KEDR_FLAGS_BY_REG,	/* shifts and rotates */
	[0xE8]          = KEDR_FLAGS_KEEP,	/* CALL: see the DOC above */
	[0xE9]          = KEDR_FLAGS_JUMP,	/* JMP rel32 */
	[0xEB]          = KEDR_FLAGS_JUMP,	/* JMP rel8 */
	[0xF6 ... 0xF7] = KEDR_FLAGS_BY_REG,	/* TEST, NOT, NEG, MUL... */
	[0xFE ... 0xFF] = KEDR_FLAGS_BY_REG,	/* INC, DEC, CALL, PUSH... */
};

/* ModRM.reg of the groups */
#define KEDR_ALU_ADC	2	/* 80-83: /2 ADC and /3 SBB read CF */
#define KEDR_ALU_SBB	3
#define KEDR_GRP_RCL	2	/* C0-D3: /2 RCL and /3 RCR read CF */
#define KEDR_GRP_RCR	3
#define KEDR_GRP3_NEG	3	/* F6/F7: /0 /1 TEST, /2 NOT, /3 NEG, /4-/7 MUL... */
#define KEDR_GRP5_CALL	2	/* FE/FF: /0 INC, /1 DEC, /2 CALL, /6 PUSH */
#define KEDR_GRP5_PUSH	6

/**
 * flags_use() - what one instruction does with the arithmetic flags
 * @in: the instruction
 *
 * Only the common integer instructions are classified; anything else
 * (VEX-encoded, x87, system...) "may read" them.
 *
 * Return: enum kedr_flags_use, never KEDR_FLAGS_BY_REG.
 */
static enum kedr_flags_use flags_use(const struct kedr_insn *in)
{
	u8 op = in->opcode, reg = (in->modrm >> 3) & 7;

	/* NB: VEX and EVEX have no one-byte map */
	if (in->map == KEDR_MAP_1BYTE) {
		if (kedr_flags_1byte[op] != KEDR_FLAGS_BY_REG)
			return kedr_flags_1byte[op];
		switch (op) {
		case 0x80 ... 0x83:
			return reg == KEDR_ALU_ADC || reg == KEDR_ALU_SBB ?
				KEDR_FLAGS_MAY_READ : KEDR_FLAGS_SET;
		case 0xF6 ... 0xF7:
			return reg < 2 || reg == KEDR_GRP3_NEG ? KEDR_FLAGS_SET :
				KEDR_FLAGS_KEEP;
		case 0xFE ... 0xFF:
			return reg < 2 || reg == KEDR_GRP5_CALL ||
				reg == KEDR_GRP5_PUSH ? KEDR_FLAGS_KEEP :
				KEDR_FLAGS_MAY_READ;
		default:	/* C0, C1, D0-D3 */
			return reg == KEDR_GRP_RCL || reg == KEDR_GRP_RCR ?
				KEDR_FLAGS_MAY_READ : KEDR_FLAGS_KEEP;
		}
	}
	if (in->vex != KEDR_VEX_NONE)
		return KEDR_FLAGS_MAY_READ;
	if (in->map == KEDR_MAP_0F) {
		switch (op) {
		case 0x1E:			/* ENDBR64 (6.12), hint NOPs */
		case 0x1F:			/* NOP Ev */
		case 0xA3: case 0xAB:		/* BT, BTS Ev, Gv */
		case 0xB3: case 0xBB:		/* BTR, BTC Ev, Gv */
		case 0xBA:			/* BT.. Ev, Ib */
		case 0xAF:			/* IMUL Gv, Ev */
		case 0xB0: case 0xB1:		/* CMPXCHG */
		case 0xB6: case 0xB7:		/* MOVZX */
		case 0xBE: case 0xBF:		/* MOVSX */
		case 0xB8: case 0xBC: case 0xBD:	/* POPCNT, BSF, BSR */
		case 0xC0: case 0xC1:		/* XADD */
		case 0xC7:			/* CMPXCHG8B/16B, RDRAND... */
		case 0xC8 ... 0xCF:		/* BSWAP */
			return KEDR_FLAGS_KEEP;
		}
		return KEDR_FLAGS_MAY_READ;
	}
	if (in->map == KEDR_MAP_0F38)	/* MOVBE, CRC32 */
		return op == 0xF0 || op == 0xF1 ? KEDR_FLAGS_KEEP :
			KEDR_FLAGS_MAY_READ;
	return KEDR_FLAGS_MAY_READ;
}

/**
 * find_dead_flags() - plan_function()'s hook: where are the flags dead?
 * @f: the function, decoded (its insns and its map)
 *
 * See "When the flags are free" above. Sets @flags_dead in @f's map, for
 * each of its instructions. Going backwards, what follows an instruction is known
 * before the instruction itself, except the target of a jump backwards
 * (a loop): the first pass takes it as live, the second, if there is a
 * jump backwards, knows better.
 * Taking it as live is always safe: a flag is only ever marked dead from
 * what proves it.
 */
static void find_dead_flags(struct kedr_func *f)
{
	const struct kedr_insn *insns = f->insns;
	const unsigned long *jl;
	unsigned int n_jl, k, i, pass;
	bool loop = false;

	jl = jump_label_sites(f->addr, &n_jl);
	for (k = 0; k < n_jl && jl[k] < f->addr + f->size; k++)
		;
	n_jl = k;	/* those in @f */
	for (i = 0; i < f->nr_insns; i++)
		f->map[i].flags_dead = false;
	for (pass = 0; pass < 2; pass++) {
		bool dead = false;	/* after the last instruction */

		for (i = f->nr_insns, k = n_jl; i-- > 0;) {
			const struct kedr_insn *in = &insns[i];
			unsigned long pc, target;
			const struct kedr_insn_map *m;
			enum kedr_flags_use use;

			use = flags_use(in);
			if (use == KEDR_FLAGS_JUMP) {
				pc = f->addr + f->map[i].orig;
				target = pc + in->length + in->branch_disp;
				m = target > f->addr && target < f->addr + f->size ?
					map_lookup(f, target - f->addr) : NULL;
				dead = m && m->flags_dead;
				loop |= m && m - f->map <= i;
			} else {	/* NB: no branch: the CPU cannot guess this one */
				dead = (use == KEDR_FLAGS_SET) |
					(dead & (use == KEDR_FLAGS_KEEP));
			}
			if (k) {	/* a static key: the kernel may make it a jump */
				pc = f->addr + f->map[i].orig;
				while (k && jl[k - 1] > pc)
					k--;
				if (k && jl[k - 1] == pc)
					dead = false;
			}
			f->map[i].flags_dead = dead;
		}
		if (!loop)
			break;	/* no jump backwards: one pass was enough */
	}
}

/*
 * find_dead_flags() leaves its answers in the function's map; the sites
 * come in the order of the instructions, so a cursor finds them.
 */
static const struct kedr_func *dead_func;	/* the function being emitted */
static unsigned int dead_next;		/* the instruction flags_dead_at() is at */

/* emit_function()'s hook: the sites that follow are @f's */
static void fast_begin_function(const struct kedr_func *f)
{
	dead_func = f;
	dead_next = 0;
}

/* are the flags dead before the instruction at @pc? */
static bool flags_dead_at(unsigned long pc)
{
	const struct kedr_func *f = dead_func;

	while (dead_next < f->nr_insns && f->addr + f->map[dead_next].orig < pc)
		dead_next++;
	return dead_next < f->nr_insns && f->addr + f->map[dead_next].orig == pc &&
		f->map[dead_next].flags_dead;
}

/*
 * What a site counts, by kind (enum kedr_site_kind): the same events as
 * kedr_on_site() gives, minus the address. String instructions count
 * nothing when %rcx is 0, so the stub takes its full path for them.
 */
#define KEDR_SITE_MAX_TYPES	2
static const u8 kedr_count_types[][KEDR_SITE_MAX_TYPES] = {
	[KEDR_SITE_READ]   = { KEDR_EV_READ },
	[KEDR_SITE_WRITE]  = { KEDR_EV_WRITE },
	[KEDR_SITE_UPDATE] = { KEDR_EV_READ, KEDR_EV_WRITE },
	[KEDR_SITE_LOCKED] = { KEDR_EV_LOCKED },
	[KEDR_SITE_STRING] = { 0 },
	[KEDR_SITE_ENTRY]  = { KEDR_EV_ENTRY },
	[KEDR_SITE_EXIT]   = { KEDR_EV_EXIT },
};

/*
 * The templates of the inline count (see "Emitted code, written as
 * assembly"). The store check: "is the store full?", and if so a jump over
 * the KEDR_SITE_LEN bytes of the call site that follows; one hole, the
 * rel32 of %rip to kedr_store_full (NB: %rip is the end of the whole
 * instruction, one byte after the hole: the imm8 $0 follows it). The
 * count: ADD $1 to a per-cpu counter, %gs-based; one hole, the counter's
 * per-cpu offset (a disp32, followed by the imm8 $1).
 */
/* [snippet:tmpl-count] */
extern const u8 kedr_tmpl_check[], kedr_tmpl_check_full[], kedr_tmpl_check_end[],
	kedr_tmpl_count[], kedr_tmpl_count_counter[], kedr_tmpl_count_end[];
asm(
"	.pushsection .rodata\n"
"kedr_tmpl_check:\n"
"	cmpb $0, .(%rip)\n"
"kedr_tmpl_check_full:\n"	/* hole: rel32 to kedr_store_full, 1 byte before */
"	jne .+2+" __stringify(KEDR_SITE_LEN) "\n"
"kedr_tmpl_check_end:\n"
"kedr_tmpl_count:\n"
"	addq $1, %gs:0x7fffffff\n"
"kedr_tmpl_count_counter:\n"	/* hole: disp32, the counter, 1 byte before */
"kedr_tmpl_count_end:\n"
"	.popsection\n");
/* [/snippet:tmpl-count] */

/**
 * emit_store_check() - append "if the store is full, skip the call"
 * @e: the emitter
 *
 * ``cmpb $0, kedr_store_full(%rip); jne`` over the KEDR_SITE_LEN bytes
 * of the call sequence that follows.
 */
static void emit_store_check(struct kedr_emitter *e)
{
	/* the hole ends 1 byte before the label, %rip 1 byte after the hole */
	unsigned int hole = e->pos + KEDR_HOLE(kedr_tmpl_check, kedr_tmpl_check_full) - 1;

	emit_template(e, kedr_tmpl_check, kedr_tmpl_check_end);
	fill_hole(e, hole, (unsigned long)&kedr_store_full - (e->addr + hole + 5));
}

/**
 * emit_count() - append "addq $1, %gs:event_counts[type]"
 * @e:    the emitter
 * @type: enum kedr_event_type
 *
 * The address of a per-cpu variable is its offset from this CPU's %gs
 * base; the offsets of a module's per-cpu variables fit in 32 bits
 * (kedr_sample_init() checks it), as in this_cpu_add(). Why ADD $1 and not
 * INC, one byte shorter: INC keeps CF, so it depends on the flags before
 * it, and an emulator such as QEMU must then work out CF from the last
 * operation that set it; ADD sets them all.
 */
static void emit_count(struct kedr_emitter *e, u8 type)
{
	unsigned int hole = e->pos + KEDR_HOLE(kedr_tmpl_count, kedr_tmpl_count_counter) - 1;

	emit_template(e, kedr_tmpl_count, kedr_tmpl_count_end);
	fill_hole(e, hole, (__force unsigned long)&event_counts[type]);
}

/**
 * emit_site_fast() - emit_site()'s hook: the site of fast=1
 * @e:    the emitter
 * @site: what to record
 *
 * Always the call of emit_call_site(), to kedr_fast_stub. Where the flags
 * are free and the events of the site do not depend on the registers, the
 * count is done inline, and the call only when the store is not full yet::
 *
 *   cmpb $0, kedr_store_full(%rip)
 *   jne  1f                          ; full: just count
 *   push %rdi; mov $site, %rdi; call kedr_fast_stub; pop %rdi
 *   1: addq $1, %gs:event_counts+8*TYPE  ; per type of event, READ etc.
 *
 * Once the store is full an event then costs three instructions instead
 * of a call. Elsewhere the site says which types kedr_fast_stub counts
 * once the store is full. NB: the flags at an exit may be the caller's
 * (hand-written assembly may return them): never an inline count there.
 */
static void emit_site_fast(struct kedr_emitter *e, const struct kedr_site *site)
{
	/* [snippet:emit-site-fast] */
	const u8 *types = kedr_count_types[site->kind];
	bool flags_free = site->kind != KEDR_SITE_EXIT && flags_dead_at(site->pc);
	struct kedr_site s = *site;
	unsigned int i;

	if (site->kind == KEDR_SITE_STRING || (site->flags & KEDR_SITE_JUMP)) {
		flags_free = false;	/* the count needs %rcx, or the target */
		types = kedr_count_types[KEDR_SITE_STRING];	/* none */
	}
	if (flags_free) {
		emit_store_check(e);
		s.flags |= KEDR_SITE_COUNTED;	/* the stub must not count it again */
	} else {
		memcpy(s.count, types, sizeof(s.count));
	}
	emit_call_site(e, &s, kedr_fast_stub);
	for (i = 0; flags_free && i < KEDR_SITE_MAX_TYPES && types[i]; i++)
		emit_count(e, types[i]);
	/* [/snippet:emit-site-fast] */
}
/* ---- end of MAKING IT FAST ---- */


/*
 * 4. Searches without a branch to mispredict.
 *
 * The emitter looks up the function of every call's target, and the map
 * of every jump's: binary searches, whose every step is a branch the CPU
 * guesses right half of the time. Written so that each step only chooses
 * one of two pointers, the compiler makes the choice a CMOV, and the
 * search has no branch but the loop's. They answer exactly what function_at() and map_lookup() answer. The engine of
 * make bench (decode, plan, measure, write) is measurably slower without
 * them ("Instrumentation speed" in doc/bench-results.md, with fast=1).
 */

/* function_at()'s hook */
static struct kedr_func *function_at_fast(struct kedr_func *funcs,
					  unsigned int n, unsigned long addr)
{
	struct kedr_func *f = funcs;
	unsigned int half;

	if (!n || addr < funcs[0].addr)
		return NULL;
	while (n > 1) {	/* the last function that starts at or below @addr */
		half = n / 2;
		f = f[half].addr <= addr ? f + half : f;
		n -= half;
	}
	return addr < f->addr + f->size ? f : NULL;
}

/* map_lookup()'s hook */
static const struct kedr_insn_map *map_lookup_fast(const struct kedr_func *g,
						   unsigned int off)
{
	const struct kedr_insn_map *m = g->map;
	unsigned int n = g->nr_insns, half;

	if (!n)
		return NULL;
	while (n > 1) {		/* as in function_at_fast() */
		half = n / 2;
		m = m[half].orig <= off ? m + half : m;
		n -= half;
	}
	return m->orig == off ? m : NULL;
}
/* [/engine] */

/**
 * fast_init() - kedr_sample_init()'s hook: check what fast=1 relies on
 *
 * Return: 0, or -ENOMEM if the per-cpu counters are out of reach.
 */
static int fast_init(void)
{
	long counters = (__force long)&event_counts[KEDR_EV_COUNT];

	BUILD_BUG_ON(offsetof(struct kedr_site, count) != KEDR_SITE_COUNT_OFF);
	/* emit_count() writes the per-cpu offset of a counter as a disp32 */
	if (counters != (s32)counters) {
		pr_err("the per-cpu counters are out of reach of a disp32\n");
		return -ENOMEM;
	}
	return 0;
}

/* ==== 15. LIMITATIONS AND EXERCISES ==== */

/**
 * DOC: Limitations and exercises
 *
 * Limitations of this version:
 *
 *  - One target at a time, named when kedr_sample is loaded.
 *  - The target must be loaded after kedr_sample: a module that is already
 *    running has executed code that kedr_sample never saw, so it is
 *    refused rather than instrumented halfway.
 *  - Functions are found by their symbols. Code that no STT_FUNC symbol
 *    covers (hand-written assembly without ".type ... @function", the
 *    alternative instructions in .altinstr_replacement) is not seen.
 *  - Left alone (and reported): functions under 5 bytes (10 with the
 *    ftrace nop, 14 with ENDBR64 before it), static call trampolines
 *    (__SCT__*), functions with an
 *    instruction the decoder does not know, a far branch or XBEGIN, a
 *    static key that jumps out of the function, a conditional tail call
 *    through a static call, or an exception fixup outside the function;
 *    and with any of those, their .cold parts or parent. The kernel's
 *    tables (__ex_table, __bug_table, __jump_table, .static_call_sites)
 *    are re-aimed at the instances (part 11).
 *  - The instances must fit in the area, KEDR_AREA_SIZE (8 MiB unless
 *    built otherwise, part 7); the functions whose instances find no room
 *    are left alone (a line in the log says how many and what area would
 *    hold them all; kedr_sample/functions names them).
 *  - While a target is being instrumented, its decoded instructions are
 *    kept in memory: 80 bytes each, about 9 MB for ext4, freed as the
 *    instances are written.
 *  - kprobes work at the start of an instrumented function (through
 *    ftrace); elsewhere in it they are refused, since the original is
 *    int3 there.
 *  - A WARN or an oops in an instance reports the right file and line, but
 *    its RIP reads kedr_area+0x... (see the point on stack traces below).
 *  - SSE/AVX, x87 and system instructions are copied but their memory
 *    accesses are not recorded; nor are the implicit stack accesses of
 *    PUSH, POP, CALL and RET.
 *  - The decoder's own limits (VEX/EVEX validation, EVEX disp8*N, XSAVE
 *    sizes, instruction set extensions newer than Debian 12's modules)
 *    are in part 4, "What the decoder does not do". An instruction it does
 *    not know leaves its function alone.
 *  - REPE/REPNE CMPS and SCAS are recorded as touching %rcx elements, the
 *    most they may touch; they may stop earlier.
 *  - Stack traces through an instance show "?" frames: the kernel's ORC
 *    unwinder has no tables for code it did not load. Instance addresses
 *    print as kedr_area+0x... [kedr_sample]; kedr_sample/functions in
 *    debugfs says which function each instance belongs to.
 *  - A computed jump (through a register, memory or a retpoline thunk)
 *    records an exit unless, at run time, its target lies inside its own
 *    function (jump_leaves()): compiled C has no jump tables in kernels
 *    built with retpolines, but hand-written assembly does (crc32c-intel's
 *    crc_pcl). From a .cold part, or into a .cold part of its function,
 *    such a jump still counts as an exit.
 *  - IBT (indirect branch tracking, 6.12) is not enforced in the lab: the
 *    CPU QEMU emulates without KVM has none. So this is reasoned, not
 *    proven: calls through pointers land on the original's ENDBR64, kept,
 *    then jump directly to the instance; ENDBR64s in the middle of an
 *    original survive the int3 fill (fill_original()); returns, the int3
 *    redirect and exception fixups reach instances by RET or by the IRET
 *    that ends a trap, which IBT does not check (kprobes reach their
 *    out-of-line copies the same way). No indirect CALL or JMP lands in an
 *    instance, so instances need no ENDBR64 but the copied ones.
 *  - Call depth tracking (6.12, retbleed=stuff on Intel Skylake-class
 *    CPUs): the loader rewrites the target's calls before COMING, and the
 *    instances copy the rewritten calls. The calls an instance makes to
 *    kedr_event_stub are not counted, which only makes the kernel refill
 *    the return stack buffer sooner.
 *
 * Exercises:
 *
 *  1. Load kedr_sample with dyndbg=+p and a module of your choice as the
 *     target. Compare the function list in the log with
 *     "readelf -sW module.ko | grep FUNC". Which symbols were folded?
 *  2. Compare the addresses in the log with /proc/kallsyms once the target
 *     is loaded. Which functions are missing from /proc/kallsyms, and why?
 *  3. Count the events of one call of cfake_write() for an n-byte write and
 *     explain each term of the formula from the disassembly
 *     (objdump -d sample_target/kedr_sample_target.ko).
 *  4. Record only writes: change records_access() and measure what it saves
 *     with "make bench".
 *  5. Make %pS name instances: what would kedr_sample need to give the
 *     kernel so that a WARN in an instance says "cfake_read+0x32"?
 *  6. find_dead_flags() takes a static key, which may be a nop or a jump,
 *     as a reader of the flags. Make it look both ways (the flags are dead
 *     if they are dead on both), and count the sites that gain an inline count (make
 *     emitter-corpus-check prints them).
 */

