// SPDX-License-Identifier: GPL-2.0
/*
 * insn_target.c - kedr_insn_target: known machine code for kedr_sample to
 * instrument, one small assembly function per class of instructions.
 *
 * The test functions are in insn_target_asm.S; this file gives them a
 * buffer and a way to be called, in debugfs:
 *
 *   /sys/kernel/debug/kedr_insn_target/
 *	midjump	write anything: jump into the middle of a function (see
 *		kit_midjump in insn_target_asm.S)
 *	run	write N: run test N (kit_tests[N] in insn_target_asm.S) on the
 *		buffer; the test's return value goes to "result"
 *	buffer	the buffer's address (hex)
 *	data	the buffer's 4096 bytes
 *	result	what the last test returned (hex)
 *	pcpu0	the address of CPU 0's copy of the per-cpu kit_pcpu (hex)
 *	sp	%rsp as the last run of kit_stack saw it at entry (hex)
 *
 * A session (tests/20-insn-classes.t does this, pinned to CPU 0; the
 * output below is from a real run in the lab, TIDs shortened):
 *
 *   # insmod kedr_sample.ko target_name=kedr_insn_target num_records=100000
 *   # insmod kedr_insn_target.ko
 *   # cat /sys/kernel/debug/kedr_insn_target/buffer
 *   0xff3e773b0114d000
 *   # echo 0 > /sys/kernel/debug/kedr_insn_target/run		(kit_mov)
 *   # rmmod kedr_insn_target
 *   # cat /sys/kernel/debug/kedr_sample/output
 *   ...
 *   TID=0x...c200 entry: addr=0xffffffffc0654070 ("kit_mov")
 *   TID=0x...c200 read at 0xffffffffc0654070 (kit_mov+0x0/0x4b [kedr_insn_target]): addr=0xff3e773b0114d000, size=1
 *   TID=0x...c200 read at 0xffffffffc0654072 (kit_mov+0x2/0x4b [kedr_insn_target]): addr=0xff3e773b0114d002, size=2
 *   ...
 *
 * The buffer is filled with 0x5a at load time, so that every test sees the
 * same data whether kedr_sample is there or not; the test compares the
 * results and the buffer's content of both.
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>

MODULE_AUTHOR("kedr_sample developers");
MODULE_DESCRIPTION("Instruction-class test functions for kedr_sample");
MODULE_LICENSE("GPL");

#define KIT_BUFFER_SIZE	4096	/* page-aligned by kmalloc: CMPXCHG16B needs 16 */
#define KIT_FILL	0x5a

/* Used by insn_target_asm.S, hence not static */
void *kit_buffer;			/* the test buffer */
u64 kit_result;				/* what the last test returned */
DEFINE_PER_CPU(u64, kit_pcpu[4]);	/* for kit_percpu's %gs accesses */

/* Defined in insn_target_asm.S */
extern u64 kit_sp;
int kit_run(void *data, u64 n);
int kit_leaf(void *buf);
int kit_c_icall(void *buf);

/* volatile: the compiler must load the pointer and call through it */
static int (*volatile kit_c_target)(void *buf) = kit_leaf;

static u64 kit_buffer_addr;		/* what "buffer" shows */
static u64 kit_pcpu0_addr;		/* what "pcpu0" shows */
static struct debugfs_blob_wrapper kit_blob;
static struct dentry *kit_dir;

/* "run": write-only, its set callback is kit_run() in assembly */
DEFINE_DEBUGFS_ATTRIBUTE(kit_run_fops, NULL, kit_run, "%llu\n");

int kit_midjump(void *buf);

/**
 * kit_run_midjump() - "midjump": jump into the middle of a function
 * @data: unused
 * @val:  unused (any number written)
 *
 * Runs kit_midjump() on the buffer; its result (0x3d) goes to "result".
 *
 * Return: 0.
 */
static int kit_run_midjump(void *data, u64 val)
{
	kit_result = kit_midjump(kit_buffer);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kit_midjump_fops, NULL, kit_run_midjump, "%llu\n");

/**
 * kit_c_icall() - test 19: an indirect call from C
 * @buf: the test buffer
 *
 * In a kernel built with retpolines, the call through the function pointer
 * is a direct "call __x86_indirect_thunk_rax", and the thunk jumps to
 * kit_leaf(): kedr_sample must see kit_leaf's entry, access and exit
 * between this function's entry and exit. The "+ 1" keeps the compiler
 * from turning the call into a tail call.
 *
 * Return: what kit_leaf() returned, plus one.
 */
int kit_c_icall(void *buf)
{
	return kit_c_target(buf) + 1;
}

/**
 * kit_init() - allocate the buffer, create the debugfs files
 *
 * Return: 0, or -ENOMEM.
 */
static int __init kit_init(void)
{
	kit_buffer = kmalloc(KIT_BUFFER_SIZE, GFP_KERNEL);
	if (!kit_buffer)
		return -ENOMEM;
	memset(kit_buffer, KIT_FILL, KIT_BUFFER_SIZE);
	kit_buffer_addr = (unsigned long)kit_buffer;
	kit_pcpu0_addr = (unsigned long)per_cpu_ptr(&kit_pcpu, 0);
	kit_blob.data = kit_buffer;
	kit_blob.size = KIT_BUFFER_SIZE;

	kit_dir = debugfs_create_dir("kedr_insn_target", NULL);
	debugfs_create_file_unsafe("run", 0200, kit_dir, NULL, &kit_run_fops);
	debugfs_create_file_unsafe("midjump", 0200, kit_dir, NULL,
				   &kit_midjump_fops);
	debugfs_create_x64("buffer", 0444, kit_dir, &kit_buffer_addr);
	debugfs_create_blob("data", 0444, kit_dir, &kit_blob);
	debugfs_create_x64("result", 0444, kit_dir, &kit_result);
	debugfs_create_x64("pcpu0", 0444, kit_dir, &kit_pcpu0_addr);
	debugfs_create_x64("sp", 0444, kit_dir, &kit_sp);
	return 0;
}

/**
 * kit_exit() - remove the debugfs files, free the buffer
 */
static void __exit kit_exit(void)
{
	debugfs_remove_recursive(kit_dir);
	kfree(kit_buffer);
}

module_init(kit_init);
module_exit(kit_exit);
