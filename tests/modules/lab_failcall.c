// SPDX-License-Identifier: GPL-2.0
/*
 * lab_failcall - make one call of a kernel function fail, for the tests of
 * what kedr_sample does when it runs out of memory (tests/06-failures.t).
 *
 *   insmod lab_failcall.ko func=kvmalloc_node nth=2 lo=0x... hi=0x...
 *
 * A kretprobe on FUNC counts the calls whose return address lies in
 * [lo, hi) (the caller's module, from /proc/modules) and makes the NTH of
 * them fail as that function fails: what it allocated is freed and it
 * returns NULL (kvmalloc_node, vmalloc, module_alloc, kstrdup), or it
 * returns -ENOMEM (set_memory_ro). The module under test is not changed
 * and knows nothing of this. /sys/module/lab_failcall/parameters/failed
 * says whether the call came (1) and how many calls were seen (seen).
 * Debian's kernels have no fault injection (CONFIG_FAULT_INJECTION is off).
 */
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static char *func = "kvmalloc_node";
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "the function whose call fails");
static unsigned int nth = 1;
module_param(nth, uint, 0444);
MODULE_PARM_DESC(nth, "which call from [lo, hi) fails (1: the first)");
static unsigned long lo, hi;
module_param(lo, ulong, 0444);
MODULE_PARM_DESC(lo, "the first address of the caller's code");
module_param(hi, ulong, 0444);
MODULE_PARM_DESC(hi, "the address after it");
static unsigned int seen, failed;
module_param(seen, uint, 0444);
MODULE_PARM_DESC(seen, "calls from [lo, hi) so far");
module_param(failed, uint, 0444);
MODULE_PARM_DESC(failed, "1 once the call has been made to fail");

enum how { FREE_KV, FREE_V, FREE_K, RETURN_ENOMEM };

static const struct {
	const char *name;
	enum how how;
} funcs[] = {
	{ "kvmalloc_node", FREE_KV },		/* 6.1 */
	{ "__kvmalloc_node_noprof", FREE_KV },	/* 6.10 and later */
	{ "vmalloc", FREE_V },
	{ "vmalloc_noprof", FREE_V },
	{ "module_alloc", FREE_V },
	{ "execmem_alloc", FREE_V },
	{ "kstrdup", FREE_K },
	{ "set_memory_ro", RETURN_ENOMEM },
};
static enum how how;
static DEFINE_SPINLOCK(lock);

struct call {
	bool fail;
};

static int on_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	unsigned long ret = *(unsigned long *)regs->sp;	/* at the first insn */
	struct call *c = (struct call *)ri->data;
	unsigned long flags;

	c->fail = false;
	if (ret < lo || ret >= hi)
		return 1;	/* not from the caller we watch: no return probe */
	spin_lock_irqsave(&lock, flags);
	c->fail = ++seen == nth;
	spin_unlock_irqrestore(&lock, flags);
	return c->fail ? 0 : 1;
}

static int on_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	void *p = (void *)regs_return_value(regs);

	switch (how) {
	case FREE_KV:
		kvfree(p);
		break;
	case FREE_V:
		vfree(p);
		break;
	case FREE_K:
		kfree(p);
		break;
	case RETURN_ENOMEM:
		regs_set_return_value(regs, -ENOMEM);
		WRITE_ONCE(failed, 1);
		return 0;
	}
	regs_set_return_value(regs, 0);
	WRITE_ONCE(failed, 1);
	return 0;
}

static struct kretprobe probe = {
	.entry_handler = on_entry,
	.handler = on_return,
	.data_size = sizeof(struct call),
	.maxactive = 64,
};

static int __init lab_failcall_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(funcs); i++)
		if (!strcmp(func, funcs[i].name))
			break;
	if (i == ARRAY_SIZE(funcs) || !nth || lo >= hi) {
		pr_err("lab_failcall: func=%s nth=%u lo=0x%lx hi=0x%lx: not that\n",
		       func, nth, lo, hi);
		return -EINVAL;
	}
	how = funcs[i].how;
	probe.kp.symbol_name = func;
	return register_kretprobe(&probe);
}

static void __exit lab_failcall_exit(void)
{
	unregister_kretprobe(&probe);
}

module_init(lab_failcall_init);
module_exit(lab_failcall_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Make the Nth call of a kernel function from a given module fail");
