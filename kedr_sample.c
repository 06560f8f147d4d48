// SPDX-License-Identifier: GPL-2.0
/*
 * kedr_sample.c - watch another kernel module work, by rewriting its machine
 * code in memory the moment it is loaded.
 *
 * You tell kedr_sample the name of a module, the "target". kedr_sample waits
 * for it. When the target is loaded, after the kernel has placed its code in
 * memory but before the target's init function runs, kedr_sample looks at
 * every function of the target. That is the moment this file is about.
 *
 * A session, on a kernel where both modules are built (see the README):
 *
 *   # insmod kedr_sample.ko target_name=kedr_sample_target
 *   # insmod sample_target/kedr_sample_target.ko
 *   # dmesg | grep '\[sample\]'
 *   [sample] waiting for "kedr_sample_target"
 *   [sample] target "kedr_sample_target" is coming: core text 2272 bytes, init text 402 bytes
 *   [sample] 12 functions, 2601 bytes (11 in core text, 1 in init text), 0 .cold parts, 2 aliases folded
 *   # echo hello > /dev/cfake0
 *   # rmmod kedr_sample_target
 *   # rmmod kedr_sample
 *
 * With "dyndbg=+p" added to the first insmod, the log also lists every
 * function found, with its address and size.
 *
 * The file is meant to be read from top to bottom. Its parts:
 *
 *   1. The big picture
 *   2. Parameters, and reaching what the kernel does not export
 *   9. Finding the target: the module notifier, walking its functions
 *  11. Module init and exit
 *  12. Limitations and exercises
 *
 * The numbers are those of the walkthrough in doc/; the parts in between
 * (the decoder, the instrumentation, the records and the output file) are
 * the chapters still to be written.
 */

#define pr_fmt(fmt) "[sample] " fmt

#include <linux/elf.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

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
 * STT_FUNC symbol with a size. The instrumented copy lives in memory that
 * kedr_sample allocates near the target (a jump on x86-64 reaches +-2 GiB),
 * and the original gets a jump to it, so every caller, whether it calls
 * the function directly, through a pointer or from the kernel, ends up in
 * the copy.
 *
 * This first version does the left column up to the first box: it waits for
 * the target, finds its functions and reports what it found. The rest of the
 * picture is drawn here so that you know where each part will fit.
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
 * stack frame (21.6% of the memory operands in Debian's modules), which is
 * rarely interesting and costly to record. Off by default, as in KEDR.
 */
static bool process_sp_accesses;
module_param(process_sp_accesses, bool, 0444);
MODULE_PARM_DESC(process_sp_accesses,
		 "Also record memory accesses made through %rsp (default: no)");

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

/* find_module(): the loaded (or loading) module with that name, or NULL */
static struct module *(*kedr_find_module)(const char *name);

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
 * Return: 0, or -ENOENT (with a message) if one of them is missing.
 */
static int resolve_kernel_symbols(void)
{
	int err;

	err = find_lookup_name();
	if (err) {
		pr_err("cannot find kallsyms_lookup_name via kprobes (error %d)\n",
		       err);
		return err;
	}
	kedr_find_module = (void *)lookup_name("find_module");
	if (!kedr_find_module) {
		pr_err("cannot find find_module()\n");
		return -ENOENT;
	}
	return 0;
}

/* ==== 9. FINDING THE TARGET ==== */

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
 * ``text_size`` bytes.
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
 *    found like the others; we note which they are, because code jumps
 *    into their middle from the parent and back.
 */

/* JMP rel32 is E9 + a 32-bit displacement: 5 bytes (Intel SDM vol. 2, JMP) */
#define KEDR_JMP_REL32_LEN 5

/*
 * The 5-byte nop that ftrace leaves at the start of a traced function in
 * place of "call __fentry__" (Intel SDM vol. 2, NOP: 0F 1F /0 with a
 * ModRM + SIB + disp8, "nopl 0x0(%rax,%rax,1)").
 */
static const u8 ftrace_nop[KEDR_JMP_REL32_LEN] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/**
 * struct kedr_func - one function of the target
 * @addr:  its address in the target's code
 * @size:  its size in bytes, from the symbol table
 * @name:  its name (a copy: the symbol table it came from is freed after init)
 * @init:  true if it lies in the init text (freed after the target's init)
 * @cold:  true if it is a ".cold" part of another function
 * @ftrace_nop: true if it starts with ftrace's 5-byte nop
 */
struct kedr_func {
	unsigned long addr;
	unsigned int size;
	const char *name;
	bool init;
	bool cold;
	bool ftrace_nop;
};

/**
 * struct kedr_target - what kedr_sample knows about the loaded target
 * @mod:      the target module, NULL while it is not loaded
 * @funcs:    its functions, sorted by address, aliases folded
 * @nr_funcs: how many
 * @nr_aliases: symbols folded into another one of the same address and size
 */
struct kedr_target {
	struct module *mod;
	struct kedr_func *funcs;
	unsigned int nr_funcs;
	unsigned int nr_aliases;
};

static struct kedr_target tgt;

/**
 * in_text() - does [addr, addr + size) lie in the executable part of a layout?
 * @layout: core_layout or init_layout of a module
 * @addr:   start address
 * @size:   size in bytes
 *
 * Return: true if it does.
 */
static bool in_text(const struct module_layout *layout, unsigned long addr,
		    unsigned int size)
{
	unsigned long start = (unsigned long)layout->base;

	return addr >= start && addr + size <= start + layout->text_size;
}

/**
 * is_generic_name() - is this one of the names module_init/module_exit add?
 * @name: a symbol name
 *
 * Return: true for "init_module" and "cleanup_module".
 */
static bool is_generic_name(const char *name)
{
	return !strcmp(name, "init_module") || !strcmp(name, "cleanup_module");
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
 * free_functions() - forget the target's functions
 * @t: the target
 */
static void free_functions(struct kedr_target *t)
{
	unsigned int i;

	for (i = 0; i < t->nr_funcs; i++)
		kfree(t->funcs[i].name);
	kfree(t->funcs);
	t->funcs = NULL;
	t->nr_funcs = 0;
	t->nr_aliases = 0;
}

/**
 * fold_aliases() - merge functions with the same address and size
 * @t: the target, its functions sorted by cmp_func_addr()
 *
 * Of two aliases the one with a generic name (init_module, cleanup_module)
 * goes; of two ordinary names the first in the table stays.
 */
static void fold_aliases(struct kedr_target *t)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->nr_funcs; i++) {
		struct kedr_func *f = &t->funcs[i];
		struct kedr_func *last = n ? &t->funcs[n - 1] : NULL;

		if (!last || cmp_func_addr(last, f)) {
			t->funcs[n++] = *f;
			continue;
		}
		t->nr_aliases++;
		if (is_generic_name(last->name) && !is_generic_name(f->name))
			swap(last->name, f->name);
		kfree(f->name);
	}
	t->nr_funcs = n;
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
	unsigned int i;

	t->funcs = kcalloc(ks->num_symtab, sizeof(*t->funcs), GFP_KERNEL);
	if (!t->funcs)
		return -ENOMEM;
	for (i = 1; i < ks->num_symtab; i++) {	/* entry 0 is the null symbol */
		const Elf_Sym *sym = &ks->symtab[i];
		struct kedr_func *f = &t->funcs[t->nr_funcs];

		if (ELF_ST_TYPE(sym->st_info) != STT_FUNC || !sym->st_size)
			continue;
		f->addr = sym->st_value;
		f->size = sym->st_size;
		if (in_text(&mod->init_layout, f->addr, f->size))
			f->init = true;
		else if (!in_text(&mod->core_layout, f->addr, f->size))
			continue;	/* not in the module's code: not ours */
		f->name = kstrdup(ks->strtab + sym->st_name, GFP_KERNEL);
		if (!f->name) {
			free_functions(t);
			return -ENOMEM;
		}
		f->cold = strstr(f->name, ".cold") != NULL;
		f->ftrace_nop = f->size >= sizeof(ftrace_nop) &&
			!memcmp((void *)f->addr, ftrace_nop, sizeof(ftrace_nop));
		t->nr_funcs++;
	}
	sort(t->funcs, t->nr_funcs, sizeof(*t->funcs), cmp_func_addr, NULL);
	fold_aliases(t);
	return 0;
}

/**
 * too_small() - is the function too small to receive a jump?
 * @f: the function
 *
 * The original will start with a 5-byte jump to the instrumented copy. If
 * the function starts with ftrace's nop, the nop must stay where it is
 * (ftrace checks those bytes before it changes them) and the jump goes
 * right after it, so such a function needs 10 bytes.
 *
 * Return: true if @f cannot hold the jump.
 */
static bool too_small(const struct kedr_func *f)
{
	unsigned int need = KEDR_JMP_REL32_LEN;

	if (f->ftrace_nop)
		need += sizeof(ftrace_nop);
	return f->size < need;
}

/**
 * report_functions() - log what was found in the target
 * @t: the target, its functions collected
 */
static void report_functions(const struct kedr_target *t)
{
	unsigned int i, nr_init = 0, nr_cold = 0, nr_small = 0;
	unsigned long bytes = 0;

	for (i = 0; i < t->nr_funcs; i++) {
		const struct kedr_func *f = &t->funcs[i];

		pr_debug("function %s at 0x%lx, %u bytes, %s%s%s\n", f->name,
			 f->addr, f->size, f->init ? "init" : "core",
			 f->cold ? ", .cold part" : "",
			 f->ftrace_nop ? ", ftrace nop" : "");
		bytes += f->size;
		nr_init += f->init;
		nr_cold += f->cold;
		if (too_small(f)) {
			nr_small++;
			pr_info("too small to patch: %s (%u bytes%s)\n", f->name,
				f->size, f->ftrace_nop ? ", starts with the ftrace nop" : "");
		}
	}
	pr_info("%u functions, %lu bytes (%u in core text, %u in init text), %u .cold parts, %u aliases folded, %u too small to patch\n",
		t->nr_funcs, bytes, t->nr_funcs - nr_init, nr_init, nr_cold,
		t->nr_aliases, nr_small);
}

/**
 * on_target_coming() - the target is loaded and its init has not run yet
 * @mod: the target
 *
 * kedr_sample holds a reference to itself while the target is loaded: the
 * target's code will jump into memory that kedr_sample owns, so kedr_sample
 * must not go away first (rmmod kedr_sample fails with "in use").
 */
static void on_target_coming(struct module *mod)
{
	int err;

	pr_info("target \"%s\" is coming: core text %u bytes, init text %u bytes\n",
		mod->name, mod->core_layout.text_size,
		mod->init_layout.text_size);
	if (!try_module_get(THIS_MODULE)) {
		pr_err("kedr_sample is going away; target left alone\n");
		return;
	}
	tgt.mod = mod;
	err = collect_functions(&tgt, mod);
	if (err) {
		pr_err("cannot list the target's functions (error %d); target left alone\n",
		       err);
		return;
	}
	report_functions(&tgt);
}

/**
 * on_target_going() - the target is being unloaded, or its init failed
 * @mod: the target
 */
static void on_target_going(struct module *mod)
{
	if (tgt.mod != mod)
		return;
	pr_info("target \"%s\" is going\n", mod->name);
	free_functions(&tgt);
	tgt.mod = NULL;
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
	else if (state == MODULE_STATE_GOING)
		on_target_going(mod);
	return NOTIFY_DONE;
}

static struct notifier_block module_nb = {
	.notifier_call = module_notify,
	/* NB: 0, so the kernel's own notifiers (static keys...) run first */
	.priority = 0,
};

/* ==== 11. MODULE INIT AND EXIT ==== */

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

	err = set_target();
	if (err)
		return err;
	err = resolve_kernel_symbols();
	if (err)
		return err;
	err = register_module_notifier(&module_nb);
	if (err)
		return err;
	if (target_is_loaded() && !tgt.mod) {
		pr_err("\"%s\" is already loaded; unload it first, then load it again after kedr_sample\n",
		       target);
		unregister_module_notifier(&module_nb);
		return -EEXIST;
	}
	pr_info("waiting for \"%s\"\n", target);
	return 0;
}

/**
 * kedr_sample_exit() - stop waiting
 *
 * NB: while the target is loaded kedr_sample holds a reference to itself,
 * so this runs only when no target is loaded.
 */
static void __exit kedr_sample_exit(void)
{
	unregister_module_notifier(&module_nb);
	pr_info("unloaded\n");
}

module_init(kedr_sample_init);
module_exit(kedr_sample_exit);

/* ==== 12. LIMITATIONS AND EXERCISES ==== */

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
 *  - It finds and reports the target's functions; it does not change them
 *    yet.
 *
 * Exercises:
 *
 *  1. Load kedr_sample with dyndbg=+p and a module of your choice as the
 *     target. Compare the function list in the log with
 *     "readelf -sW module.ko | grep FUNC". Which symbols were folded?
 *  2. Compare the addresses in the log with /proc/kallsyms once the target
 *     is loaded. Which functions are missing from /proc/kallsyms, and why?
 */
