/* SPDX-License-Identifier: GPL-2.0 */
/*
 * insn_target_asm.S - the instruction-class test functions of
 * kedr_insn_target (see insn_target.c for the module around them).
 *
 * Each test function kit_<class>(buf) gets the 4096-byte test buffer in
 * %rdi and exercises one class of instructions on it. The interesting
 * instructions carry a label of their own, e.g. "mov_1:"; the labels are
 * local symbols of the .ko, so a test on the host reads their offsets
 * with objdump -t and knows the pc of every access without trusting
 * kedr_sample (tests/insn-classes-check.pl).
 * tests/insn-classes.events lists, by hand, the events each function must
 * produce: keep it in step with this file.
 *
 * Most test functions return a value in %rax computed from what they
 * read; the test runs each with and without instrumentation and compares
 * the results and the buffer's content. So registers are always set
 * before use, and no code address stays in the buffer: the outcome of a
 * run must not depend on garbage or on where the module was loaded.
 *
 * Buffer map (offsets; each function has its own area):
 *	  0- 47  kit_mov, kit_ext	384-527  kit_str_rep
 *	 44- 63  kit_xchg		528-559  kit_io
 *	 64- 95  kit_setcc_cmov		560-575  kit_stack
 *	 96-175  kit_alu		576-591  kit_tail, kit_leaf
 *	176-223  kit_bits		592-607  kit_loop, kit_rec
 *	224-239  kit_cmpxchg		608-615  kit_icall
 *	240-271  kit_cmpxchg8b16b	616-655  kit_prefix
 *	272-311  kit_lock		700-719  kit_smp (tests/21-smp.t)
 *	320-383  kit_str		720-847  kit_modrm (and 1520)
 *					796-815  kit_btreg
 *	900-901  kit_midjump		920-943  kit_flags
 *	960-962  kit_jtab
 */

#include <linux/linkage.h>
#include <asm/nospec-branch.h>

#define KIT_NR_TESTS	27	/* entries in kit_tests, checked at its end */

	.text

/*
 * kit_run() - the "run" file's set callback: run test @n on the buffer
 * @data: (%rdi) unused
 * @n:    (%rsi) the test number, an index into kit_tests
 * Return: 0, or -EINVAL (-22) for an unknown test. The test's own return
 * value goes to kit_result.
 *
 * Written in assembly so that the events of every trigger are known:
 * a read of kit_buffer, a read of the table entry (call *mem), the test's
 * events, a write of kit_result.
 */
SYM_FUNC_START(kit_run)
	cmp	$KIT_NR_TESTS, %rsi
	jae	.Linval
run_1:	mov	kit_buffer(%rip), %rdi
	ANNOTATE_RETPOLINE_SAFE
run_2:	call	*kit_tests(, %rsi, 8)	/* reads kit_tests[n] */
run_3:	mov	%rax, kit_result(%rip)
	xor	%eax, %eax
	RET
.Linval:
	mov	$-22, %rax
	RET
SYM_FUNC_END(kit_run)

/* MOV: loads and stores of 1, 2 (66 prefix), 4 and 8 (REX.W) bytes */
SYM_FUNC_START(kit_mov)
mov_1:	movb	(%rdi), %al
mov_2:	movw	2(%rdi), %ax
mov_3:	movl	4(%rdi), %ecx
mov_4:	movq	8(%rdi), %rdx
mov_5:	movb	$0x11, 16(%rdi)
mov_6:	movw	$0x2222, 18(%rdi)
mov_7:	movl	$0x33333333, 20(%rdi)
mov_8:	movq	$-2, 24(%rdi)
mov_9:	movq	%rdx, 32(%rdi)
	mov	$2, %esi
mov_10:	movq	8(%rdi, %rsi, 8), %r8		/* SIB: buf + 8 + 2*8 */
mov_11:	movabs	kit_static, %eax		/* A1 moffs64 */
	add	%rcx, %rax
	add	%rdx, %rax
	add	%r8, %rax
	RET
SYM_FUNC_END(kit_mov)

/* MOVSX, MOVZX, MOVSXD, MOVBE */
SYM_FUNC_START(kit_ext)
ext_1:	movsbl	1(%rdi), %eax
ext_2:	movswq	2(%rdi), %rcx
ext_3:	movslq	4(%rdi), %rdx
ext_4:	movzbl	5(%rdi), %esi
ext_5:	movzwl	6(%rdi), %r8d
ext_6:	movbe	8(%rdi), %r9
ext_7:	movbe	%ecx, 40(%rdi)
ext_8:	movbe	%dx, 44(%rdi)
	add	%rcx, %rax
	add	%rdx, %rax
	add	%rsi, %rax
	add	%r8, %rax
	add	%r9, %rax
	RET
SYM_FUNC_END(kit_ext)

/* XCHG with memory: implicitly locked, whatever the operand order */
SYM_FUNC_START(kit_xchg)
	mov	$0x1234, %eax
	mov	$0x56, %ecx
	mov	$0x789a, %edx
	mov	$0xbcdef, %esi
xchg_1:	xchg	%eax, 48(%rdi)
xchg_2:	xchg	56(%rdi), %rsi
xchg_3:	xchg	%cl, 47(%rdi)
xchg_4:	xchg	%dx, 46(%rdi)
	add	%rcx, %rax
	add	%rdx, %rax
	add	%rsi, %rax
	RET
SYM_FUNC_END(kit_xchg)

/* SETcc writes one byte; CMOVcc reads, whether the condition holds or not */
SYM_FUNC_START(kit_setcc_cmov)
	mov	$1, %ecx
	mov	$5, %eax
	mov	$6, %edx
	cmp	$1, %ecx			/* ZF=1 */
set_1:	sete	64(%rdi)
set_2:	setne	65(%rdi)
cmov_1:	cmove	72(%rdi), %eax		/* taken */
cmov_2:	cmovne	80(%rdi), %rdx		/* not taken: %rdx stays 6 */
cmov_3:	cmovl	88(%rdi), %cx		/* not taken (SF=OF) */
	add	%rdx, %rax
	add	%rcx, %rax
	RET
SYM_FUNC_END(kit_setcc_cmov)

/* Integer ALU: reg<-mem reads; mem<-op read then write */
SYM_FUNC_START(kit_alu)
	mov	$3, %eax
	mov	$1, %ecx
alu_1:	addl	%eax, 96(%rdi)
alu_2:	subl	96(%rdi), %ecx
alu_3:	andq	$0x7f, 104(%rdi)
alu_4:	orb	$1, 112(%rdi)
alu_5:	xorw	$0x55, 114(%rdi)
alu_6:	adcl	%eax, 116(%rdi)
alu_7:	sbbl	116(%rdi), %eax
alu_8:	cmpl	$7, 120(%rdi)
alu_9:	testl	%eax, 120(%rdi)
alu_10:	incl	124(%rdi)
alu_11:	decq	128(%rdi)
alu_12:	notb	136(%rdi)
alu_13:	negw	138(%rdi)
alu_14:	mull	140(%rdi)		/* %edx:%eax = %eax * m32 */
alu_15:	imull	140(%rdi), %ecx
alu_16:	imulq	$3, 144(%rdi), %rsi
alu_17:	movl	$7, 148(%rdi)
	xor	%edx, %edx
	mov	$100, %eax
alu_18:	divl	148(%rdi)		/* 100 / 7 */
alu_19:	shll	152(%rdi)
alu_20:	shrq	$3, 160(%rdi)
	mov	$2, %ecx
alu_21:	sarw	%cl, 168(%rdi)
alu_22:	rolb	$1, 170(%rdi)
	add	%rsi, %rax
	add	%rdx, %rax
	RET
SYM_FUNC_END(kit_alu)

/* Bit operations: BT reads; BTS/BTR/BTC read then write; scans read */
SYM_FUNC_START(kit_bits)
	mov	$5, %ecx
	xor	%eax, %eax
bit_1:	btl	$3, 176(%rdi)
	adc	$0, %eax
bit_2:	btsq	$60, 184(%rdi)
bit_3:	btrw	$2, 192(%rdi)
bit_4:	btcl	%ecx, 196(%rdi)
bit_5:	btq	%rcx, 200(%rdi)
	adc	$0, %eax
bit_6:	bsfl	204(%rdi), %edx
bit_7:	bsrq	208(%rdi), %rsi
bit_8:	popcntw	216(%rdi), %r8w
bit_9:	tzcntl	220(%rdi), %r9d
	add	%rdx, %rax
	add	%rsi, %rax
	movzwl	%r8w, %r8d
	add	%r8, %rax
	add	%r9, %rax
	RET
SYM_FUNC_END(kit_bits)

/* CMPXCHG with and without LOCK, succeeding and failing */
SYM_FUNC_START(kit_cmpxchg)
cx_1:	movq	$10, 224(%rdi)
	mov	$10, %eax
	mov	$20, %ecx
cx_2:	cmpxchgq %rcx, 224(%rdi)		/* succeeds: mem = 20 */
cx_3:	cmpxchgq %rcx, 224(%rdi)		/* fails: %rax = 20 */
cx_4:	movl	232(%rdi), %eax
cx_5:	lock cmpxchgl %ecx, 232(%rdi)	/* succeeds */
cx_6:	lock cmpxchgl %ecx, 232(%rdi)	/* fails */
cx_7:	lock cmpxchgb %cl, 236(%rdi)
cx_8:	cmpxchgw %cx, 238(%rdi)
	RET
SYM_FUNC_END(kit_cmpxchg)

/* CMPXCHG8B and CMPXCHG16B (its operand 16-byte aligned) */
SYM_FUNC_START(kit_cmpxchg8b16b)
	push	%rbx
c8_1:	movl	240(%rdi), %eax
c8_2:	movl	244(%rdi), %edx
	mov	$1, %ebx
	mov	$2, %ecx
c8_3:	cmpxchg8b 240(%rdi)			/* succeeds */
c8_4:	lock cmpxchg8b 240(%rdi)		/* fails */
	xor	%eax, %eax
	xor	%edx, %edx
c16_1:	cmpxchg16b 256(%rdi)			/* fails, loads %rdx:%rax */
c16_2:	lock cmpxchg16b 256(%rdi)		/* succeeds */
	pop	%rbx
	add	%rdx, %rax
	RET
SYM_FUNC_END(kit_cmpxchg8b16b)

/* LOCK-prefixed read-modify-write: one "locked update" each */
SYM_FUNC_START(kit_lock)
	mov	$1, %eax
lock_1:	lock addl $1, 272(%rdi)
lock_2:	lock orq %rax, 280(%rdi)
lock_3:	lock xaddl %eax, 288(%rdi)
lock_4:	xaddq	%rax, 296(%rdi)			/* no LOCK: read, write */
lock_5:	lock incw 304(%rdi)
lock_6:	lock decb 306(%rdi)
lock_7:	lock btsl $1, 308(%rdi)
	RET
SYM_FUNC_END(kit_lock)

/* String instructions without REP: element sizes 1, 2, 4, 8 */
SYM_FUNC_START(kit_str)
	mov	%rdi, %r11
	lea	320(%r11), %rsi
str_1:	lodsb
str_2:	lodsw
str_3:	lodsl
str_4:	lodsq
	lea	336(%r11), %rdi
str_5:	stosb
str_6:	stosw
str_7:	stosl
str_8:	stosq
	lea	352(%r11), %rdi
str_9:	scasl
	lea	360(%r11), %rsi
	lea	368(%r11), %rdi
str_10:	movsq
str_11:	cmpsw				/* %rsi = 368, %rdi = 376 */
	RET
SYM_FUNC_END(kit_str)

/* REP string instructions, %rcx = 0, and the direction flag set */
SYM_FUNC_START(kit_str_rep)
	mov	%rdi, %r11
	lea	384(%r11), %rdi
	mov	$16, %ecx
	mov	$0x77, %eax
rep_1:	rep stosb
	lea	384(%r11), %rsi
	lea	400(%r11), %rdi
	mov	$4, %ecx
rep_2:	rep movsl
	lea	400(%r11), %rsi
	lea	384(%r11), %rdi
	mov	$2, %ecx
rep_3:	repe cmpsq
	lea	384(%r11), %rdi
	mov	$3, %ecx
rep_4:	repne scasw
	lea	416(%r11), %rsi
	mov	$5, %ecx
rep_5:	rep lodsb
	xor	%ecx, %ecx
rep_6:	rep stosq			/* %rcx = 0: no access, no event */
rep_7:	rep movsb			/* neither */
	std				/* backwards: from high to low addresses */
	lea	440(%r11), %rdi
	mov	$3, %ecx
rep_8:	rep stosq			/* 440, 432, 424 */
	lea	470(%r11), %rsi
	lea	510(%r11), %rdi
	mov	$4, %ecx
rep_9:	rep movsw			/* from 470..464 to 510..504 */
	lea	520(%r11), %rsi
rep_10:	lodsl				/* one element at 520 */
	cld
	RET
SYM_FUNC_END(kit_str_rep)

/* INS and OUTS on port 0x80 (POST codes: harmless, QEMU ignores them) */
SYM_FUNC_START(kit_io)
	mov	%rdi, %r11
	mov	$0x80, %edx
	lea	528(%r11), %rsi
io_1:	outsb
	mov	$4, %ecx
io_2:	rep outsw			/* from 529 */
	lea	544(%r11), %rdi
io_3:	insb
	mov	$2, %ecx
io_4:	rep insl			/* to 545 */
	xor	%eax, %eax
	RET
SYM_FUNC_END(kit_io)

/* %gs-based accesses to the per-cpu kit_pcpu (u64[4], see insn_target.c) */
SYM_FUNC_START(kit_percpu)
pcpu_1:	incq	%gs:kit_pcpu(%rip)
pcpu_2:	movl	%gs:kit_pcpu+8(%rip), %eax
pcpu_3:	movw	$7, %gs:kit_pcpu+12(%rip)
	lea	kit_pcpu(%rip), %rcx		/* the per-cpu offset */
pcpu_4:	movq	%gs:16(%rcx), %rdx
	add	%rdx, %rax
	RET
SYM_FUNC_END(kit_percpu)

/* RIP-relative operands, some with an immediate after the displacement */
SYM_FUNC_START(kit_rip)
rip_1:	movq	kit_static(%rip), %rax
rip_2:	addl	$1, kit_static+8(%rip)
rip_3:	movb	$1, kit_static+12(%rip)
rip_4:	cmpw	$5, kit_static+14(%rip)
rip_5:	lock incl kit_static+16(%rip)
	RET
SYM_FUNC_END(kit_rip)

/*
 * %rsp-based operands (recorded only with process_sp_accesses=1) next to
 * the same kind of access through another register (always recorded).
 * kit_sp keeps %rsp at entry for the test (it points at the return address).
 */
SYM_FUNC_START(kit_stack)
stk_1:	mov	%rsp, kit_sp(%rip)
	sub	$16, %rsp
stk_2:	movq	$1, 8(%rsp)			/* sp-8 */
stk_3:	movq	8(%rsp), %rax
stk_4:	addl	$2, (%rsp)			/* sp-16 */
stk_5:	pushq	8(%rsp)				/* reads sp-8 */
stk_6:	popq	(%rsp)				/* writes sp-16 */
stk_7:	pushq	560(%rdi)
stk_8:	popq	568(%rdi)
	mov	%rsp, %rcx
stk_9:	movq	$3, 8(%rcx)			/* sp-8, not %rsp-based */
	add	$16, %rsp
stk_10:	cmpq	$0, (%rsp)			/* the return address */
	RET
SYM_FUNC_END(kit_stack)

/* Tail calls: a conditional one (not taken, then taken), a direct jmp */
SYM_FUNC_START(kit_tail)
	xor	%esi, %esi
	call	kit_tail_cond
	mov	$1, %esi
	call	kit_tail_cond
	jmp	kit_leaf
SYM_FUNC_END(kit_tail)

SYM_FUNC_START(kit_tail_cond)
tail_1:	movl	%esi, 580(%rdi)
	test	%esi, %esi
	jnz	kit_leaf			/* leaves the function */
tail_2:	movl	$9, 584(%rdi)
	RET
SYM_FUNC_END(kit_tail_cond)

SYM_FUNC_START(kit_leaf)
leaf_1:	addb	$1, 588(%rdi)
	mov	$1, %eax
	RET
SYM_FUNC_END(kit_leaf)

/* LOOP and JRCXZ (rel8 branches the instrumented copy must re-aim) */
SYM_FUNC_START(kit_loop)
	mov	$3, %ecx
.Lloop:
loop_1:	addb	$1, 592(%rdi, %rcx)		/* %rcx = 3, 2, 1 */
	loop	.Lloop
	jrcxz	.Lzero				/* taken */
	movb	$0, 600(%rdi)
.Lzero:
loop_2:	movb	$1, 601(%rdi)
loop_3:	movzbl	593(%rdi), %eax
	RET
SYM_FUNC_END(kit_loop)

/* Recursion: kit_rec(buf, 3) calls itself twice */
SYM_FUNC_START(kit_recurse)
	mov	$3, %esi
	call	kit_rec
	RET
SYM_FUNC_END(kit_recurse)

SYM_FUNC_START(kit_rec)
rec_1:	incl	604(%rdi)
	dec	%esi
	jz	.Lrec_done
	call	kit_rec
.Lrec_done:
rec_2:	movl	604(%rdi), %eax
	RET
SYM_FUNC_END(kit_rec)

/*
 * Not in kit_tests ("midjump" runs it): a jump through a register into the
 * middle of another function. Instrumented, the middle of kit_midtarget's
 * original is int3; kedr_sample's int3 handler must send the jump on to
 * the same instruction in the instance, which records mid_2's write.
 * Under IBT the jump must land on an ENDBR64 (empty without IBT): the fill
 * keeps it, and the int3 after it traps.
 * (No entry of kit_midtarget is recorded: control never came in by its
 * start. So this is not one of kit_tests, whose entries and exits pair.)
 */
SYM_FUNC_START(kit_midjump)
	lea	kit_mid_in(%rip), %rax
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rax
SYM_FUNC_END(kit_midjump)

SYM_FUNC_START(kit_midtarget)
mid_1:	movb	$1, 900(%rdi)		/* skipped by the jump */
kit_mid_in:
	ENDBR				/* IBT (6.12): an indirect jump lands on one */
mid_2:	movb	$2, 901(%rdi)
	mov	$0x3d, %eax
	RET
SYM_FUNC_END(kit_midtarget)

/* CALL through memory: the pointer is read from the buffer */
SYM_FUNC_START(kit_icall)
	lea	kit_leaf(%rip), %rax
icall_1: movq	%rax, 608(%rdi)
	ANNOTATE_RETPOLINE_SAFE
icall_2: call	*608(%rdi)
icall_3: movq	$0, 608(%rdi)		/* no address in the buffer */
	RET
SYM_FUNC_END(kit_icall)

/* Prefixes: 66 with REX.W (REX.W wins), 66 on a byte op, CS, LOCK 66 */
SYM_FUNC_START(kit_prefix)
	mov	$0x0102030405060708, %rax
	lea	600(%rdi), %r11
pfx_1:	.byte	0x66, 0x49, 0x89, 0x43, 0x10	/* mov %rax, 16(%r11): 8 bytes */
pfx_2:	.byte	0x66, 0x41, 0x88, 0x43, 0x18	/* mov %al, 24(%r11): 1 byte */
pfx_3:	.byte	0x2e, 0x41, 0x8b, 0x4b, 0x20	/* cs mov 32(%r11), %ecx */
pfx_4:	movzbw	40(%r11), %dx
pfx_5:	lock addw $1, 48(%r11)
	add	%rcx, %rax
	add	%rdx, %rax
	RET
SYM_FUNC_END(kit_prefix)

/* For tests/21-smp.t: one locked update, one read, one write per call */
SYM_FUNC_START(kit_smp)
	mov	$1, %eax
smp_1:	lock xaddl %eax, 700(%rdi)
smp_2:	movl	704(%rdi), %ecx
smp_3:	movl	%ecx, 712(%rdi)
	RET
SYM_FUNC_END(kit_smp)

/*
 * ModRM and SIB forms the decoder must get right: %r12 as a base needs a
 * SIB byte, %r13 and %rbp a displacement even when it is 0; an index
 * without a base takes a 32-bit displacement; REX.X extends the index.
 */
SYM_FUNC_START(kit_modrm)
	push	%r12
	push	%r13
	push	%rbp
	lea	720(%rdi), %r12
	lea	736(%rdi), %r13
	lea	752(%rdi), %rbp
	mov	$2, %ecx
	mov	$3, %r9d
	mov	$5, %r10d
mrm_1:	movl	(%r12), %eax
mrm_2:	addl	(%r13), %eax
mrm_3:	addl	(%rbp), %eax
mrm_4:	movw	4(%r12, %rcx, 2), %dx		/* 720 + 4 + 4 */
mrm_5:	addq	-8(%r13, %r9, 8), %rax		/* 736 - 8 + 24 */
mrm_6:	movl	%ecx, 760(%rdi, %r9, 4)		/* 772 */
mrm_7:	movb	768(%rbp), %dl			/* disp32: 1520 */
mrm_8:	movw	-16(%r13), %si			/* disp8 < 0: 720 */
mrm_9:	addq	784(, %rdi, 1), %rax		/* no base */
mrm_10:	addl	800(%rdi, %r10, 8), %eax	/* 840 */
	pop	%rbp
	pop	%r13
	pop	%r12
	add	%rdx, %rax
	add	%rsi, %rax
	RET
SYM_FUNC_END(kit_modrm)

/* JMP through memory (RIP-relative): the pointer is read, then an exit */
SYM_FUNC_START(kit_jmp_ind)
	lea	kit_leaf(%rip), %rax
jind_1:	movq	%rax, kit_ptr(%rip)
	ANNOTATE_RETPOLINE_SAFE
jind_2:	jmp	*kit_ptr(%rip)
SYM_FUNC_END(kit_jmp_ind)

/*
 * BT/BTS with a register bit offset and a memory operand address a bit
 * string: the access is at the operand + (offset >> 6) * 8 for 64 bits,
 * + (offset >> 5) * 4 for 32 bits, offset signed (Intel SDM vol. 2, BT).
 */
SYM_FUNC_START(kit_btreg)
	mov	$100, %rcx
btr_1:	btq	%rcx, 800(%rdi)		/* qword at 800 + 8 */
	mov	$-9, %ecx
btr_2:	btsl	%ecx, 800(%rdi)		/* dword at 800 - 4 */
	setc	%al
	movzbl	%al, %eax
	RET
SYM_FUNC_END(kit_btreg)

/*
 * Accesses where the arithmetic flags are live: set before the access,
 * read after it. kedr_sample may count inline (CMP and INC, changing the
 * flags) only where they are dead (kedr_sample.c, flags_dead()); here it
 * must take the call, which keeps them. Each case adds to %eax what the
 * flags say, so a wrong "dead" changes the result, whether the store is
 * full (CMP finds 1) or not (0): CF and ZF come out wrong either way.
 * The last access is one where they are dead (ADD sets them all).
 */
SYM_FUNC_START(kit_flags)
	xor	%eax, %eax
	mov	$1, %ecx
	cmp	$2, %ecx		/* CF = 1 */
flg_1:	mov	920(%rdi), %rdx		/* ... read by JB */
	jb	1f
	or	$0x100, %eax
1:	stc
flg_2:	mov	%rdx, 928(%rdi)		/* CF read by ADC */
	adc	$1, %eax		/* + 2 */
	cmp	%ecx, %ecx		/* ZF = 1 */
flg_3:	mov	928(%rdi), %rdx		/* ... read after a jump */
	jmp	2f
	nop
2:	setz	%dl
	movzbl	%dl, %edx
	shl	$2, %edx
	add	%edx, %eax		/* + 4 */
	cmp	$5, %ecx		/* CF = 1 */
flg_4:	mov	932(%rdi), %rdx		/* ... read after a call */
	call	kit_flags_keep		/* which keeps the flags */
	jae	3f
	add	$8, %eax		/* + 8 */
3:	cmp	$3, %ecx		/* CF = 1 */
flg_5:	mov	936(%rdi), %rdx
	inc	%edx			/* INC keeps CF */
	sbb	$-16, %eax		/* + 16 + 1 */
	call	kit_flags_ret		/* returns CF = 1 */
	adc	$32, %eax		/* + 32 + 1 */
flg_6:	add	940(%rdi), %edx		/* the flags are dead here */
	RET
SYM_FUNC_END(kit_flags)

/* kit_flags' helpers: one keeps the flags, one returns with CF = 1 */
SYM_FUNC_START(kit_flags_keep)
flgk_1:	mov	924(%rdi), %r8
	RET
SYM_FUNC_END(kit_flags_keep)

SYM_FUNC_START(kit_flags_ret)
	mov	$1, %r8d
	cmp	$2, %r8d		/* CF = 1 ... */
flgr_1:	mov	924(%rdi), %r8		/* ... for the caller */
	RET
SYM_FUNC_END(kit_flags_ret)

/*
 * Computed jumps that stay in their function, as crc32c-intel's crc_pcl
 * does (it jumps through __x86_indirect_thunk_rdi to one of its own
 * labels): through a retpoline thunk (JMP_NOSPEC, which the kernel may
 * turn into "jmp *%rax" at load time), through a register, through
 * memory. Instrumented, each lands in the int3 fill of the original and
 * is sent on to the instance; none of them leaves kit_jtab, so none is an
 * exit: one entry, one exit (kedr_sample.c, jump_leaves()).
 */
SYM_FUNC_START(kit_jtab)
	xor	%edx, %edx		/* never taken: objtool, which cannot */
	test	%edx, %edx		/* follow a computed jump, must see */
	jnz	jt_1			/* that the labels are reached */
	jnz	jt_2
	jnz	jt_5
	lea	jt_1(%rip), %rax
	JMP_NOSPEC rax
	int3
jt_1:	movb	$1, 960(%rdi)
	lea	jt_2(%rip), %rcx
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rcx
	int3
jt_2:	movb	$2, 961(%rdi)
	lea	jt_5(%rip), %rax
jt_3:	movq	%rax, kit_jptr(%rip)
	ANNOTATE_RETPOLINE_SAFE
jt_4:	jmp	*kit_jptr(%rip)
	int3
jt_5:	movb	$3, 962(%rdi)
	mov	$0x6a, %eax
	RET
SYM_FUNC_END(kit_jtab)

/*
 * The test table: "echo N > run" calls kit_tests[N]. tests/insn-classes.events
 * numbers the tests in this order.
 */
	.section .rodata
	.balign 8
SYM_DATA_START_LOCAL(kit_tests)
	.quad	kit_mov			/* 0 */
	.quad	kit_ext			/* 1 */
	.quad	kit_xchg		/* 2 */
	.quad	kit_setcc_cmov		/* 3 */
	.quad	kit_alu			/* 4 */
	.quad	kit_bits		/* 5 */
	.quad	kit_cmpxchg		/* 6 */
	.quad	kit_cmpxchg8b16b	/* 7 */
	.quad	kit_lock		/* 8 */
	.quad	kit_str			/* 9 */
	.quad	kit_str_rep		/* 10 */
	.quad	kit_io			/* 11 */
	.quad	kit_percpu		/* 12 */
	.quad	kit_rip			/* 13 */
	.quad	kit_stack		/* 14 */
	.quad	kit_tail		/* 15 */
	.quad	kit_loop		/* 16 */
	.quad	kit_recurse		/* 17 */
	.quad	kit_icall		/* 18 */
	.quad	kit_c_icall		/* 19: in C */
	.quad	kit_prefix		/* 20 */
	.quad	kit_smp			/* 21 */
	.quad	kit_modrm		/* 22 */
	.quad	kit_jmp_ind		/* 23 */
	.quad	kit_btreg		/* 24 */
	.quad	kit_flags		/* 25 */
	.quad	kit_jtab		/* 26 */
SYM_DATA_END(kit_tests)
	.if	(. - kit_tests) != KIT_NR_TESTS * 8
	.error	"KIT_NR_TESTS does not match kit_tests"
	.endif

/* RIP-relative test data; kit_sp: %rsp as kit_stack saw it */
	.data
	.balign 8
SYM_DATA_START(kit_static)
	.quad	0x1122334455667788, 0x99aabbcc, 0x10
SYM_DATA_END(kit_static)
SYM_DATA(kit_sp, .quad 0)
SYM_DATA_LOCAL(kit_ptr, .quad 0)	/* for kit_jmp_ind */
SYM_DATA_LOCAL(kit_jptr, .quad 0)	/* for kit_jtab */
