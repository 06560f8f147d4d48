// SPDX-License-Identifier: GPL-2.0
/*
 * workload.c - the loops of sample_target/bench_target.c, as a plain object
 * for tests/bench/hostbench.c: instrumented by the user-space
 * engine and run on the host's CPU, beside the original. Compiled like
 * kernel code where it matters (no red zone: the sites push below %rsp).
 * Self-contained: no calls, no global data (the arena gives data sections
 * fake addresses).
 */
typedef unsigned long long u64;

struct bench_node {
	struct bench_node *next;
	u64 val;
};

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))

u64 wl_buf_pass(u64 *a, u64 *b, unsigned int n);
u64 wl_chase(struct bench_node *p, unsigned long steps);
u64 wl_live_pass(u64 *a, u64 *b, unsigned int n);
u64 wl_dead_pass(u64 *a, u64 *b, unsigned int n);

/* per element: a load, a store, a read-modify-write: 4 events */
u64 wl_buf_pass(u64 *a, u64 *b, unsigned int n)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 1; i < n; i++) {
		u64 x = READ_ONCE(a[i - 1]);

		WRITE_ONCE(b[i], x + i);
		asm volatile("addq %1, %0" : "+m" (a[i]) : "r" (x));
		sum += x;
	}
	return sum;
}

/* per step: two loads */
u64 wl_chase(struct bench_node *p, unsigned long steps)
{
	u64 sum = 0;

	while (steps--) {
		p = READ_ONCE(p->next);
		sum += READ_ONCE(p->val);
	}
	return sum;
}

/* bench_target.c's live and dead loops: the same three accesses after a
 * TEST, with the flags live (ADC reads CF) or dead (ADD) at each of them */
#define WL_PASS(rmw, a, b, i, x, y)						\
	asm volatile("testq %[n], %[n]\n\t"					\
		     "movq %[src], %[x]\n\t"					\
		     "leaq (%[x],%[n]), %[y]\n\t"					\
		     "movq %[y], %[dst]\n\t"					\
		     rmw " %[x], %[upd]"						\
		     : [x] "=&r" (x), [y] "=&r" (y), [dst] "=m" (b[i]),	\
		       [upd] "+m" (a[i])						\
		     : [src] "m" (a[i - 1]), [n] "r" (i) : "cc")

u64 wl_live_pass(u64 *a, u64 *b, unsigned int n)
{
	u64 sum = 0, x, y;
	unsigned long i;

	for (i = 1; i < n; i++) {
		WL_PASS("adcq", a, b, i, x, y);
		sum += x;
	}
	return sum;
}

u64 wl_dead_pass(u64 *a, u64 *b, unsigned int n)
{
	u64 sum = 0, x, y;
	unsigned long i;

	for (i = 1; i < n; i++) {
		WL_PASS("addq", a, b, i, x, y);
		sum += x;
	}
	return sum;
}
