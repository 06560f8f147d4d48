// SPDX-License-Identifier: GPL-2.0
/*
 * bench_target.c - kedr_bench_target, the workload of kedr_sample's run-time
 * benchmark (`make bench`, tests/bench/). Two memory-heavy loops, each run
 * on request and timed here, so that the same code can be timed plain and
 * instrumented:
 *
 *   buf N    N passes over a 4096-element u64 array: per element one load,
 *            one store (to a second array) and one read-modify-write
 *            (ADD reg, mem), i.e. 4 recorded events per element: a read,
 *            a write, and the read + write of the update.
 *   chase N  N steps of pointer chasing round a cycle of 4096 nodes in a
 *            fixed random order: per step two loads (p->next, p->val).
 *   live N   the buffer loop's three accesses written in assembly, with the
 *            arithmetic flags live at each of them (set before the load,
 *            read by the ADC that is the read-modify-write): kedr_sample
 *            cannot count inline there, every event goes to the stub.
 *   dead N   the same instructions with ADD for ADC: the flags are dead at
 *            each access, and fast=1 counts inline. Side by side, live and
 *            dead show what each speed-up of fast=1 buys (tests/bench).
 *
 *   # insmod kedr_bench_target.ko
 *   # echo "buf 100" > /sys/kernel/debug/kedr_bench/run
 *   # cat /sys/kernel/debug/kedr_bench/run
 *   buf 100 ns=1234567 events=1638400 sum=...
 *
 * "events" is what the loops do by construction, for comparing with the
 * [Totals] of kedr_sample; "ns" is the wall time of the loop (ktime).
 */

#define pr_fmt(fmt) "[bench] " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

MODULE_AUTHOR("kedr_sample developers");
MODULE_DESCRIPTION("Memory-heavy loops for kedr_sample's run-time benchmark");
MODULE_LICENSE("GPL");

#define BENCH_ELEMS	4096

struct bench_node {
	struct bench_node *next;
	u64 val;
};

static u64 bench_a[BENCH_ELEMS], bench_b[BENCH_ELEMS];
static struct bench_node bench_nodes[BENCH_ELEMS];
static struct dentry *bench_dir;
static DEFINE_MUTEX(bench_mutex);
static char bench_result[128];

/**
 * bench_buf_pass() - one pass of the buffer workload
 * @a: the array read and updated
 * @b: the array written
 *
 * Return: a checksum, so that nothing is optimised away.
 */
static noinline u64 bench_buf_pass(u64 *a, u64 *b)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 1; i < BENCH_ELEMS; i++) {
		u64 x = READ_ONCE(a[i - 1]);		/* load */

		WRITE_ONCE(b[i], x + i);		/* store */
		asm volatile("addq %1, %0" : "+m" (a[i]) : "r" (x));	/* RMW */
		sum += x;
	}
	return sum;
}

/*
 * One element of the live and dead loops: TEST sets the flags (CF = 0),
 * then a load, a store and a read-modify-write; @rmw is "adcq" (reads CF:
 * the flags are live from the TEST to it) or "addq" (writes them all
 * without reading: dead). CF is 0, so both compute the same.
 */
#define BENCH_PASS(rmw, a, b, i, x, y)						\
	asm volatile("testq %[n], %[n]\n\t"					\
		     "movq %[src], %[x]\n\t"		/* load */			\
		     "leaq (%[x],%[n]), %[y]\n\t"					\
		     "movq %[y], %[dst]\n\t"		/* store */			\
		     rmw " %[x], %[upd]"		/* RMW */			\
		     : [x] "=&r" (x), [y] "=&r" (y), [dst] "=m" (b[i]),	\
		       [upd] "+m" (a[i])						\
		     : [src] "m" (a[i - 1]), [n] "r" (i) : "cc")

/**
 * bench_live_pass() - one pass of the live workload (flags live)
 * @a: the array read and updated
 * @b: the array written
 *
 * Return: a checksum.
 */
static noinline u64 bench_live_pass(u64 *a, u64 *b)
{
	u64 sum = 0, x, y;
	unsigned long i;

	for (i = 1; i < BENCH_ELEMS; i++) {
		BENCH_PASS("adcq", a, b, i, x, y);
		sum += x;
	}
	return sum;
}

/**
 * bench_dead_pass() - one pass of the dead workload (flags dead)
 * @a: the array read and updated
 * @b: the array written
 *
 * Return: a checksum.
 */
static noinline u64 bench_dead_pass(u64 *a, u64 *b)
{
	u64 sum = 0, x, y;
	unsigned long i;

	for (i = 1; i < BENCH_ELEMS; i++) {
		BENCH_PASS("addq", a, b, i, x, y);
		sum += x;
	}
	return sum;
}

/**
 * bench_chase() - the pointer-chasing workload
 * @steps: how many nodes to visit
 *
 * Return: a checksum.
 */
static noinline u64 bench_chase(unsigned long steps)
{
	struct bench_node *p = &bench_nodes[0];
	u64 sum = 0;

	while (steps--) {
		p = READ_ONCE(p->next);			/* load */
		sum += READ_ONCE(p->val);		/* load */
		if (!(steps & 0xffff))
			cond_resched();
	}
	return sum;
}

/**
 * bench_run() - run a workload and keep its result for reading
 * @what: "buf", "chase", "live" or "dead"
 * @n:    passes or steps
 *
 * Return: 0 or -EINVAL.
 */
static int bench_run(const char *what, unsigned long n)
{
	u64 sum = 0, events, t;
	unsigned long i;

	t = ktime_get_ns();
	if (!strcmp(what, "buf")) {
		for (i = 0; i < n; i++) {
			sum += bench_buf_pass(bench_a, bench_b);
			cond_resched();
		}
		events = (u64)n * (BENCH_ELEMS - 1) * 4;
	} else if (!strcmp(what, "live") || !strcmp(what, "dead")) {
		bool live = !strcmp(what, "live");

		for (i = 0; i < n; i++) {
			sum += live ? bench_live_pass(bench_a, bench_b) :
				bench_dead_pass(bench_a, bench_b);
			cond_resched();
		}
		events = (u64)n * (BENCH_ELEMS - 1) * 4;
	} else if (!strcmp(what, "chase")) {
		sum = bench_chase(n);
		events = (u64)n * 2;
	} else {
		return -EINVAL;
	}
	t = ktime_get_ns() - t;
	snprintf(bench_result, sizeof(bench_result), "%s %lu ns=%llu events=%llu sum=%llu\n",
		 what, n, t, events, sum);
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char buf[32], what[8];
	unsigned long n;
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	if (sscanf(buf, "%7s %lu", what, &n) != 2)
		return -EINVAL;
	mutex_lock(&bench_mutex);
	err = bench_run(what, n);
	mutex_unlock(&bench_mutex);
	return err ? err : count;
}

static ssize_t bench_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, count, ppos, bench_result,
				       strlen(bench_result));
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.read = bench_read,
	.write = bench_write,
	.llseek = default_llseek,
};

static u16 bench_perm[BENCH_ELEMS] __initdata;

static int __init bench_init(void)
{
	u16 *perm = bench_perm;
	u32 seed = 20261127;
	unsigned int i;

	/* a single cycle in a fixed pseudo-random order (Sattolo's algorithm) */
	for (i = 0; i < BENCH_ELEMS; i++)
		perm[i] = i;
	for (i = BENCH_ELEMS - 1; i > 0; i--) {
		unsigned int j;
		u16 t;

		seed = seed * 1664525 + 1013904223;	/* Numerical Recipes LCG */
		j = seed % i;
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < BENCH_ELEMS; i++) {
		bench_nodes[i].next = &bench_nodes[perm[i]];
		bench_nodes[i].val = i;
		bench_a[i] = i;
	}
	bench_dir = debugfs_create_dir("kedr_bench", NULL);
	debugfs_create_file("run", 0600, bench_dir, NULL, &bench_fops);
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}

module_init(bench_init);
module_exit(bench_exit);
