// SPDX-License-Identifier: GPL-2.0
/*
 * lab_selftest - a module that misbehaves on request
 *
 * Used only by tests/01-lab.t to prove that the lab (tests/vm/run) notices
 * when the guest kernel complains.  The parameter "action" says what to do
 * at load time:
 *
 *   none  nothing (the default): load and unload cleanly
 *   warn  WARN_ON(1), then load normally
 *   oops  dereference a NULL pointer (with oops=panic the guest panics)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static char *action = "none";
module_param(action, charp, 0444);
MODULE_PARM_DESC(action, "what to do at load time: none, warn or oops");

/**
 * lab_selftest_oops() - read through a NULL pointer
 *
 * The pointer is volatile so that the compiler cannot see that it is NULL
 * and has to emit a real load.
 *
 * Return: never returns; the load faults.
 */
static noinline int lab_selftest_oops(void)
{
	int *volatile ptr = NULL;

	return READ_ONCE(*ptr);
}

/**
 * lab_selftest_init() - do what the parameter "action" asks
 *
 * Return: 0 on success, -EINVAL if "action" is not one of none, warn, oops.
 */
static int __init lab_selftest_init(void)
{
	if (!strcmp(action, "none"))
		return 0;

	if (!strcmp(action, "warn")) {
		WARN_ON(1);
		return 0;
	}

	if (!strcmp(action, "oops")) {
		pr_info("dereferencing NULL, value %d\n",
			lab_selftest_oops());
		return 0;
	}

	pr_err("unknown action \"%s\"\n", action);
	return -EINVAL;
}

/**
 * lab_selftest_exit() - nothing to undo
 */
static void __exit lab_selftest_exit(void)
{
}

module_init(lab_selftest_init);
module_exit(lab_selftest_exit);

MODULE_DESCRIPTION("Misbehaves on request to test the kedr_sample lab");
MODULE_LICENSE("GPL");
