// SPDX-License-Identifier: GPL-2.0
/*
 * lab_oddcode - a target whose functions kedr_sample must leave alone, one
 * for each reason found in the code itself (tests/06-failures.t): an
 * instruction the decoder does not know, a far jump, XBEGIN, a branch with
 * a 16-bit operand size, a last instruction that runs past the function's
 * end, a jump into the middle of an instruction. Each odd instruction is on
 * a path that is not taken when the function is called with 0, so the
 * functions run (uninstrumented) and return 1; the init function calls
 * each and fails the load if one does not. Assembly, so that the compiler
 * cannot tidy the oddities away; objtool is not run on this file (it
 * would refuse them too).
 */
#include <linux/init.h>
#include <linux/module.h>

#define ODD(name, body)						\
	asm("	.pushsection .text, \"ax\"\n"			\
	    "	.globl " #name "\n"				\
	    "	.type " #name ", @function\n"			\
	    #name ":\n"						\
	    "	test %edi, %edi\n"				\
	    "	jz 9f\n"					\
	    body						\
	    "9:	mov $1, %eax\n"					\
	    "	ret\n"						\
	    "	int3\n"						\
	    "	.size " #name ", . - " #name "\n"		\
	    "	.popsection\n");				\
	int name(int arg)

/* D6 (SALC) is invalid in 64-bit mode: Intel SDM vol. 2, Table A-2 */
ODD(odd_unknown, "	.byte 0xd6\n");
/* FF /5: jmp far, through a pointer */
ODD(odd_far, "	ljmp *(%rax)\n");
/* C7 F8 rel32: XBEGIN, its abort path relative to the instruction */
ODD(odd_xbegin, "	.byte 0xc7, 0xf8, 0, 0, 0, 0\n");
/* 66 EB rel8: jmp with a 16-bit operand size (IP, not RIP, is jumped to) */
ODD(odd_jmp16, "	.byte 0x66, 0xeb, 0x00\n");
/* a jump into the second byte of a 2-byte NOP (66 90): a valid 1-byte NOP */
ODD(odd_midjump, "	jmp 8f + 1\n8:	.byte 0x66, 0x90\n	jmp 9f\n");

/* the symbol says 3 bytes less than the code has: its last
 * instruction, a 5-byte mov, runs past the function's end */
asm("	.pushsection .text, \"ax\"\n"
    "	.globl odd_truncated\n"
    "	.type odd_truncated, @function\n"
    "odd_truncated:\n"
    "	nop\n"
    "	nop\n"
    "	nop\n"
    "	nop\n"
    "	nop\n"
    "	nop\n"
    "	mov $1, %eax\n"
    "	.size odd_truncated, . - odd_truncated - 3\n"
    "	ret\n"
    "	int3\n"
    "	.popsection\n");
int odd_truncated(int arg);

/* NB: direct calls: the functions have no ENDBR64 for an indirect one */
static int __init lab_oddcode_init(void)
{
	if (odd_unknown(0) + odd_far(0) + odd_xbegin(0) + odd_jmp16(0) +
	    odd_midjump(0) + odd_truncated(0) != 6)
		return -EINVAL;
	return 0;
}

static void __exit lab_oddcode_exit(void)
{
}

module_init(lab_oddcode_init);
module_exit(lab_oddcode_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Functions kedr_sample must leave alone, and why");
