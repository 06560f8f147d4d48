// SPDX-License-Identifier: GPL-2.0
/*
 * mech_target.c - a target for kedr_sample whose functions use the kernel
 * mechanisms that remember addresses of a module's code.
 *
 * The kernel keeps tables of addresses inside a module's functions and uses
 * them long after the module was loaded: where a faulting user access is
 * fixed up (__ex_table), where a WARN lives (__bug_table), which jumps a
 * static key flips (__jump_table), which calls a static call retargets
 * (.static_call_sites). kedr_sample moves every function of its target to
 * an instrumented copy, so each of these must follow the code. Each
 * function below uses one mechanism, and a debugfs file runs it on demand;
 * the tests (tests/30-mechanisms.t) check that it behaves and that
 * kedr_sample recorded it.
 *
 * The module is kedr_mech_target; its files are in
 * /sys/kernel/debug/kedr_mech_target/:
 *
 *   uaccess    write(): the bytes are fetched with unsafe_get_user(),
 *              kept in mech_buf, their sum in mech_sum; read(): mech_buf
 *              is given back with unsafe_put_user(). With a bad pointer
 *              both fail with EFAULT (the fixup is in this module's
 *              __ex_table).
 *   warn       write N: mech_warn(N), which WARNs when N is 1 and goes on.
 *   warn_cold  write N: the same with mech_warn_cold(), whose WARN is in
 *              its .cold part; the write fails with EINVAL after a WARN.
 *   key        write 0/1: disable/enable the static key mech_key; read: 1
 *              if mech_branch() took the "key on" branch, else 0.
 *   key_cold   read: the same for mech_branch_cold(), whose "key on" code
 *              is in its .cold part.
 *   call       write 0/1: point the static call mech_call at mech_double()
 *              or mech_square(); read: mech_call_site(7), i.e. 14 or 49
 *              (7 is the file's data, so that GCC does not fold it in).
 *   call_tail  read: mech_call_tail(7), where mech_call is a tail call.
 *   dbg        write N: mech_dbg(N), a pr_debug() (a static key of dynamic
 *              debug: "module kedr_mech_target +p" in its control file).
 *   cold       write N: mech_cold(N), whose error path (N > 100) GCC moves
 *              to mech_cold.cold; read: what it returned (0 or -22).
 *   defer      write anything: arm mech_timer; its callback (softirq)
 *              schedules mech_tasklet (softirq), which completes the wait;
 *              then mech_work runs on the system workqueue (process
 *              context). The write returns when all three have run once.
 *   vars       read: "name address value" of each variable the functions
 *              above write, to find their accesses in kedr_sample's output.
 *
 *   # insmod kedr_mech_target.ko
 *   # cd /sys/kernel/debug/kedr_mech_target
 *   # echo -n hello > uaccess; cat uaccess
 *   hello
 *   # echo 1 > key; cat key
 *   1
 *   # grep mech_sum vars
 *   mech_sum 0xffffffffc0a0c4a0 532
 */

#define pr_fmt(fmt) "[mech] " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/jump_label.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/static_call.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

MODULE_AUTHOR("kedr_sample developers");
MODULE_DESCRIPTION("A target for kedr_sample: fixups, WARN, static keys and calls, .cold");
MODULE_LICENSE("GPL");

/*
 * The variables the functions write. Each is written by one function only,
 * so that its accesses in the trace can be attributed (see "vars").
 */
static u8 mech_buf[64];			/* mech_uaccess_write() */
static unsigned long mech_len;		/* mech_uaccess_write() */
static unsigned long mech_sum;		/* mech_uaccess_write() */
static unsigned long mech_warn_calls;	/* mech_warn() */
static unsigned long mech_warn_cold_errors; /* mech_warn_cold(), .cold */
static unsigned long mech_key_on;	/* mech_branch(), key enabled */
static unsigned long mech_key_off;	/* mech_branch(), key disabled */
static unsigned long mech_key_cold_on;	/* mech_branch_cold(), .cold */
static unsigned long mech_key_cold_off;	/* mech_branch_cold() */
static unsigned long mech_call_result;	/* mech_call_site() */
static unsigned long mech_dbg_calls;	/* mech_dbg() */
static unsigned long mech_cold_calls;	/* mech_cold() */
static unsigned long mech_cold_errors;	/* mech_cold(), its .cold part */
static unsigned long mech_timer_hits;	/* mech_timer_fn() */
static unsigned long mech_tasklet_hits;	/* mech_tasklet_fn() */
static unsigned long mech_work_hits;	/* mech_work_fn() */

/**
 * mech_rare() - pr_info() for the rare paths below, GCC told it is cold
 * @fmt: the format, then its arguments
 *
 * NB: GCC moves a path that calls a cold function to a .cold part. printk()
 * is cold in 6.1; in 6.12 built by GCC 12 the kernel's __cold is empty (GCC
 * would drop the 16-byte alignment of cold functions), so we say it here.
 */
static noinline __attribute__((__cold__)) __printf(1, 2)
void mech_rare(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vprintk(fmt, args);
	va_end(args);
}
#define mech_rare_info(fmt, ...) mech_rare(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)

/* ==== A FAULTING USER ACCESS: __ex_table ==== */

/**
 * mech_uaccess_write() - fetch the user's bytes with unsafe_get_user()
 * @file: the debugfs file (unused)
 * @ubuf: the user's buffer
 * @len:  its length (at most sizeof(mech_buf) is taken)
 * @ppos: the file position (unused: every write starts over)
 *
 * NB: unsafe_get_user() is inline: the load and its exception-table entry
 * are in this function, unlike get_user() and copy_from_user(), whose
 * loads are in the kernel's own code.
 *
 * Return: the number of bytes taken, or -EFAULT.
 */
static ssize_t mech_uaccess_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned long sum = 0;
	size_t i;
	u8 c;

	len = min(len, sizeof(mech_buf));
	if (!user_access_begin(ubuf, len))
		return -EFAULT;
	for (i = 0; i < len; i++) {
		unsafe_get_user(c, ubuf + i, efault);
		mech_buf[i] = c;
		sum += c;
	}
	user_access_end();
	mech_len = len;
	mech_sum = sum;
	return len;
efault:
	user_access_end();
	return -EFAULT;
}

/**
 * mech_uaccess_read() - give mech_buf back with unsafe_put_user()
 * @file: the debugfs file (unused)
 * @ubuf: the user's buffer
 * @len:  its length
 * @ppos: the file position, advanced
 *
 * Return: the number of bytes given, 0 at the end, or -EFAULT.
 */
static ssize_t mech_uaccess_read(struct file *file, char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	loff_t pos = *ppos;
	size_t i;

	if (pos < 0 || pos >= mech_len)
		return 0;
	len = min_t(size_t, len, mech_len - pos);
	if (!user_access_begin(ubuf, len))
		return -EFAULT;
	for (i = 0; i < len; i++)
		unsafe_put_user(mech_buf[pos + i], ubuf + i, efault);
	user_access_end();
	*ppos = pos + len;
	return len;
efault:
	user_access_end();
	return -EFAULT;
}

static const struct file_operations mech_uaccess_fops = {
	.owner = THIS_MODULE,
	.read = mech_uaccess_read,
	.write = mech_uaccess_write,
	/* NB: no .llseek: lseek() fails with ESPIPE (no_llseek is gone in 6.12) */
};

/* ==== A WARNING: __bug_table ==== */

/**
 * mech_warn() - WARN when asked to, then carry on
 * @val: 1 to warn
 *
 * The tests find the WARN_ON() line by its MECH_WARN_LINE comment.
 * NB: the UD2 of the WARN is in mech_warn itself.
 *
 * Return: 0.
 */
static noinline int mech_warn(u64 val)
{
	WARN_ON(val == 1);	/* MECH_WARN_LINE */
	mech_warn_calls++;
	return 0;
}

/**
 * mech_warn_cold() - WARN when asked to, in a .cold part, then carry on
 * @val: 1 to warn
 *
 * NB: the code under the unlikely WARN_ON(), its UD2 first, goes to
 * mech_warn_cold.cold. The line is marked MECH_WARN_COLD_LINE.
 *
 * Return: 0, or -EINVAL after a warning.
 */
static noinline int mech_warn_cold(u64 val)
{
	if (WARN_ON(val == 1)) {	/* MECH_WARN_COLD_LINE */
		mech_warn_cold_errors++;
		mech_rare_info("mech_warn_cold: warned %lu times\n", mech_warn_cold_errors);
		return -EINVAL;
	}
	return 0;
}

/**
 * mech_warn_set() - debugfs write of "warn": run mech_warn()
 * @data: unused
 * @val:  its argument
 *
 * Return: what mech_warn() returned.
 */
static int mech_warn_set(void *data, u64 val)
{
	return mech_warn(val);
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_warn_fops, NULL, mech_warn_set, "%llu\n");

/**
 * mech_warn_cold_set() - debugfs write of "warn_cold": run mech_warn_cold()
 * @data: unused
 * @val:  its argument
 *
 * Return: what mech_warn_cold() returned (-EINVAL after the warning).
 */
static int mech_warn_cold_set(void *data, u64 val)
{
	return mech_warn_cold(val);
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_warn_cold_fops, NULL, mech_warn_cold_set, "%llu\n");

/* ==== A STATIC KEY: __jump_table ==== */

static DEFINE_STATIC_KEY_FALSE(mech_key);

/**
 * mech_branch() - count a call as "key on" or "key off"
 *
 * NB: static_branch_unlikely() is a 5-byte nop while the key is off and a
 * jmp to the "on" code while it is on: the kernel rewrites this function.
 *
 * Return: 1 if the key was on, 0 if it was off.
 */
static noinline int mech_branch(void)
{
	if (static_branch_unlikely(&mech_key)) {
		mech_key_on++;
		return 1;
	}
	mech_key_off++;
	return 0;
}

/**
 * mech_branch_cold() - the same, with the "key on" code in a .cold part
 *
 * NB: the jump the kernel writes when the key is on leads to
 * mech_branch_cold.cold, outside the function's own bytes.
 *
 * Return: 1 if the key was on, 0 if it was off.
 */
static noinline int mech_branch_cold(void)
{
	if (static_branch_unlikely(&mech_key)) {
		mech_key_cold_on++;
		mech_rare_info("mech_branch_cold: key on, %lu times\n", mech_key_cold_on);
		return 1;
	}
	mech_key_cold_off++;
	return 0;
}

/**
 * mech_key_get() - debugfs read of "key": run mech_branch()
 * @data: unused
 * @val:  what mech_branch() returned
 *
 * Return: 0.
 */
static int mech_key_get(void *data, u64 *val)
{
	*val = mech_branch();
	return 0;
}

/**
 * mech_key_set() - debugfs write of "key": switch mech_key
 * @data: unused
 * @val:  0 (disable) or 1 (enable)
 *
 * Return: 0, or -EINVAL for another value.
 */
static int mech_key_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	if (val)
		static_branch_enable(&mech_key);
	else
		static_branch_disable(&mech_key);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_key_fops, mech_key_get, mech_key_set, "%llu\n");

/**
 * mech_key_cold_get() - debugfs read of "key_cold": run mech_branch_cold()
 * @data: unused
 * @val:  what mech_branch_cold() returned
 *
 * Return: 0.
 */
static int mech_key_cold_get(void *data, u64 *val)
{
	*val = mech_branch_cold();
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_key_cold_fops, mech_key_cold_get, NULL, "%llu\n");

/* ==== A STATIC CALL: .static_call_sites ==== */

/**
 * mech_double() - one target of mech_call
 * @x: a number
 *
 * Return: 2 * @x.
 */
static int mech_double(int x)
{
	return 2 * x;
}

/**
 * mech_square() - the other target of mech_call
 * @x: a number
 *
 * Return: @x * @x.
 */
static int mech_square(int x)
{
	return x * x;
}

DEFINE_STATIC_CALL(mech_call, mech_double);

/* The argument of mech_call_site(), the data of the debugfs file "call" */
static int mech_call_arg = 7;

/**
 * mech_call_site() - call through mech_call, then maybe reschedule
 * @x: the argument
 *
 * NB: both calls are static calls: static_call(mech_call) is a direct call
 * the kernel retargets on static_call_update(); cond_resched() (with
 * CONFIG_PREEMPT_DYNAMIC) is one it turns into a nop or back into a call
 * when /sys/kernel/debug/sched/preempt changes.
 *
 * Return: what the current target of mech_call returned.
 */
static noinline int mech_call_site(int x)
{
	int r = static_call(mech_call)(x);

	mech_call_result = r;
	cond_resched();
	return r;
}

/**
 * mech_call_tail() - call through mech_call as the last thing
 * @x: the argument
 *
 * NB: a tail call: "jmp __SCT__mech_call", which the kernel retargets as
 * a jmp (the static call site is marked as a tail call).
 *
 * Return: what the current target of mech_call returned.
 */
static noinline int mech_call_tail(int x)
{
	return static_call(mech_call)(x);
}

/**
 * mech_call_get() - debugfs read of "call": run mech_call_site()
 * @data: its argument, an int (mech_call_arg)
 * @val:  its result
 *
 * Return: 0.
 */
static int mech_call_get(void *data, u64 *val)
{
	*val = mech_call_site(*(int *)data);
	return 0;
}

/**
 * mech_call_set() - debugfs write of "call": retarget mech_call
 * @data: unused
 * @val:  0 for mech_double(), 1 for mech_square()
 *
 * Return: 0, or -EINVAL for another value.
 */
static int mech_call_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	static_call_update(mech_call, val ? mech_square : mech_double);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_call_fops, mech_call_get, mech_call_set, "%llu\n");

/**
 * mech_call_tail_get() - debugfs read of "call_tail": run mech_call_tail()
 * @data: its argument, an int (mech_call_arg)
 * @val:  its result
 *
 * Return: 0.
 */
static int mech_call_tail_get(void *data, u64 *val)
{
	*val = mech_call_tail(*(int *)data);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_call_tail_fops, mech_call_tail_get, NULL, "%llu\n");

/* ==== DYNAMIC DEBUG: a static key per pr_debug() ==== */

/**
 * mech_dbg() - a pr_debug(), then count the call
 * @val: a number to print
 *
 * NB: with CONFIG_JUMP_LABEL, a pr_debug() is a static branch on a key of
 * its own; "+p" in the dynamic debug control file enables it.
 *
 * Return: 0.
 */
static noinline int mech_dbg(u64 val)
{
	pr_debug("mech_dbg: %llu\n", val);
	mech_dbg_calls++;
	return 0;
}

/**
 * mech_dbg_set() - debugfs write of "dbg": run mech_dbg()
 * @data: unused
 * @val:  its argument
 *
 * Return: 0.
 */
static int mech_dbg_set(void *data, u64 val)
{
	return mech_dbg(val);
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_dbg_fops, NULL, mech_dbg_set, "%llu\n");

/* ==== A .cold PART ==== */

/* What mech_cold() returned last */
static int mech_cold_last;

/**
 * mech_cold() - a function with an unlikely error path
 * @v: a number; above 100 it is an error
 *
 * NB: GCC moves the unlikely block to mech_cold.cold in .text.unlikely;
 * mech_cold jumps there, and the block jumps back to count the call.
 *
 * Return: 0, or -EINVAL if @v > 100.
 */
static noinline int mech_cold(unsigned int v)
{
	int ret = 0;

	if (unlikely(v > 100)) {
		mech_cold_errors++;
		mech_rare_info("mech_cold(%u): too big, error %lu of %lu calls\n",
			       v, mech_cold_errors, mech_cold_calls + 1);
		ret = -EINVAL;
	}
	mech_cold_calls++;
	return ret;
}

/**
 * mech_cold_get() - debugfs read of "cold"
 * @data: unused
 * @val:  what mech_cold() returned last
 *
 * Return: 0.
 */
static int mech_cold_get(void *data, u64 *val)
{
	*val = (u64)(s64)mech_cold_last;
	return 0;
}

/**
 * mech_cold_set() - debugfs write of "cold": run mech_cold()
 * @data: unused
 * @val:  its argument
 *
 * Return: 0.
 */
static int mech_cold_set(void *data, u64 val)
{
	mech_cold_last = mech_cold(min_t(u64, val, UINT_MAX));
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_cold_fops, mech_cold_get, mech_cold_set, "%lld\n");

/* ==== A TIMER, A TASKLET, A WORK ITEM ==== */

static struct timer_list mech_timer;
static DECLARE_COMPLETION(mech_deferred);

/**
 * mech_tasklet_fn() - the tasklet (softirq): count, wake the writer
 * @t: the tasklet
 */
static void mech_tasklet_fn(struct tasklet_struct *t)
{
	mech_tasklet_hits++;
	complete(&mech_deferred);
}

static DECLARE_TASKLET(mech_tasklet, mech_tasklet_fn);

/**
 * mech_timer_fn() - the timer callback (softirq): count, run the tasklet
 * @t: the timer
 */
static void mech_timer_fn(struct timer_list *t)
{
	mech_timer_hits++;
	tasklet_schedule(&mech_tasklet);
}

/**
 * mech_work_fn() - the work item (process context): count
 * @work: the work item
 */
static void mech_work_fn(struct work_struct *work)
{
	mech_work_hits++;
}

static DECLARE_WORK(mech_work, mech_work_fn);

/**
 * mech_defer_set() - debugfs write of "defer": run the timer, the tasklet
 * and the work item once each, and wait for them
 * @data: unused
 * @val:  unused
 *
 * Return: 0, or -ETIMEDOUT if the tasklet has not run within 5 seconds.
 */
static int mech_defer_set(void *data, u64 val)
{
	reinit_completion(&mech_deferred);
	mod_timer(&mech_timer, jiffies + 1);
	if (!wait_for_completion_timeout(&mech_deferred, 5 * HZ))
		return -ETIMEDOUT;
	queue_work(system_wq, &mech_work);
	flush_work(&mech_work);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(mech_defer_fops, NULL, mech_defer_set, "%llu\n");

/* ==== THE VARIABLES, FOR THE TESTS ==== */

#define MECH_VAR(v) { #v, &v }

static const struct {
	const char *name;
	unsigned long *addr;
} mech_vars[] = {
	MECH_VAR(mech_len),
	MECH_VAR(mech_sum),
	MECH_VAR(mech_warn_calls),
	MECH_VAR(mech_warn_cold_errors),
	MECH_VAR(mech_key_on),
	MECH_VAR(mech_key_off),
	MECH_VAR(mech_key_cold_on),
	MECH_VAR(mech_key_cold_off),
	MECH_VAR(mech_call_result),
	MECH_VAR(mech_dbg_calls),
	MECH_VAR(mech_cold_calls),
	MECH_VAR(mech_cold_errors),
	MECH_VAR(mech_timer_hits),
	MECH_VAR(mech_tasklet_hits),
	MECH_VAR(mech_work_hits),
};

/**
 * mech_vars_show() - "name address value" of each variable
 * @m:    the seq_file
 * @data: unused
 *
 * mech_buf, an array, has its address and the length written last.
 *
 * Return: 0.
 */
static int mech_vars_show(struct seq_file *m, void *data)
{
	size_t i;

	seq_printf(m, "mech_buf 0x%lx %lu\n", (unsigned long)mech_buf, mech_len);
	for (i = 0; i < ARRAY_SIZE(mech_vars); i++)
		seq_printf(m, "%s 0x%lx %lu\n", mech_vars[i].name,
			   (unsigned long)mech_vars[i].addr,
			   READ_ONCE(*mech_vars[i].addr));
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(mech_vars);

/* ==== MODULE INIT AND EXIT ==== */

static struct dentry *mech_dir;

/**
 * mech_init() - create the debugfs files
 *
 * Return: 0 (debugfs failures are not fatal: the files are only missing).
 */
static int __init mech_init(void)
{
	timer_setup(&mech_timer, mech_timer_fn, 0);
	mech_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("uaccess", 0600, mech_dir, NULL, &mech_uaccess_fops);
	debugfs_create_file_unsafe("warn", 0200, mech_dir, NULL, &mech_warn_fops);
	debugfs_create_file_unsafe("warn_cold", 0200, mech_dir, NULL,
				   &mech_warn_cold_fops);
	debugfs_create_file_unsafe("key", 0600, mech_dir, NULL, &mech_key_fops);
	debugfs_create_file_unsafe("key_cold", 0400, mech_dir, NULL,
				   &mech_key_cold_fops);
	debugfs_create_file_unsafe("call", 0600, mech_dir, &mech_call_arg,
				   &mech_call_fops);
	debugfs_create_file_unsafe("call_tail", 0400, mech_dir, &mech_call_arg,
				   &mech_call_tail_fops);
	debugfs_create_file_unsafe("dbg", 0200, mech_dir, NULL, &mech_dbg_fops);
	debugfs_create_file_unsafe("cold", 0600, mech_dir, NULL, &mech_cold_fops);
	debugfs_create_file_unsafe("defer", 0200, mech_dir, NULL, &mech_defer_fops);
	debugfs_create_file("vars", 0400, mech_dir, NULL, &mech_vars_fops);
	return 0;
}

/**
 * mech_exit() - remove the files, make sure nothing deferred is pending
 */
static void __exit mech_exit(void)
{
	debugfs_remove_recursive(mech_dir);
	del_timer_sync(&mech_timer);
	tasklet_kill(&mech_tasklet);
	cancel_work_sync(&mech_work);
}

module_init(mech_init);
module_exit(mech_exit);
