/*
 * cpu_ops.h -- what every PG32 instruction does: one case per row of the
 * table isa/isa.def, each written once, in terms of macros that each
 * instance of the CPU's loop (isa/cpu_loop.h) defines its own way:
 *
 *   operands      RD RS RT (registers, as lvalues; REG(i) register i),
 *                 SIMM UIMM SHAMT
 *                 (immediates), PC (this instruction's address), W (its
 *                 word, for trap reports)
 *   control       NEXT()            retire, go on with the next word
 *                 JUMP(t)           retire, go on at virtual address t
 *                 JUMP_DIRECT()     retire, go on at the J-format target
 *                 BRANCH(cond)      JUMP_DIRECT() if cond holds, else NEXT()
 *                 RETIRE_RECHECK(t) retire, then leave the inner loop (R,
 *                                   the mode or IE may have changed)
 *                 TRAP_AFTER(cause) retire, then report a trap (svc ...)
 *                 FAULT(cause, d)   report a fault: nothing retires
 *   status word   SET_COMPARE(a, b) flags := the comparison of a with b
 *                 PSW_NOW()         the status word (st, with its flags)
 *                 SET_STATUS(x)     st := x, before leaving the inner loop
 *   memory        CHECK_ACCESS, WATCH (the monitor's watch map), STORED(a)
 *                 (after every store: the fast loop's check for stores
 *                 into code it has decoded)
 *   privilege     PRIVILEGED(op), USER_MODE
 *   time          CLOCK_AFTER() the clock once this instruction retires
 *
 * The compares and the conditional branches come from the lists of
 * cpu_branch.h, where each branch's condition is written once as a
 * function of the four flags N, Z, C and V.
 *
 * Not a header to include anywhere else.
 */

/* ---- ALU ---- */
CASE(ADD): RD = RS + RT; NEXT();
CASE(SUB): RD = RS - RT; NEXT();
CASE(AND): RD = RS & RT; NEXT();
CASE(OR): RD = RS | RT; NEXT();
CASE(XOR): RD = RS ^ RT; NEXT();
CASE(SHL): RD = RS << (RT & ISA_SHIFT_MAX); NEXT();
CASE(SHR): RD = RS >> (RT & ISA_SHIFT_MAX); NEXT();
CASE(SAR): RD = (uint32_t)((int32_t)RS >> (RT & ISA_SHIFT_MAX)); NEXT();
CASE(MUL): RD = RS * RT; NEXT();
CASE(DIV):
	if (RT == 0)
		FAULT(TRAP_DIVIDE, W);
	/* INT_MIN / -1 overflows in C: PG32 defines it as INT_MIN. */
	RD = (RS == 0x80000000u && RT == 0xFFFFFFFFu) ? RS
	                                             : (uint32_t)((int32_t)RS / (int32_t)RT);
	NEXT();
CASE(DIVU):
	if (RT == 0)
		FAULT(TRAP_DIVIDE, W);
	RD = RS / RT;
	NEXT();
CASE(REM):
	if (RT == 0)
		FAULT(TRAP_DIVIDE, W);
	/* ... and INT_MIN % -1 as 0. */
	RD = (RS == 0x80000000u && RT == 0xFFFFFFFFu) ? 0
	                                             : (uint32_t)((int32_t)RS % (int32_t)RT);
	NEXT();
CASE(REMU):
	if (RT == 0)
		FAULT(TRAP_DIVIDE, W);
	RD = RS % RT;
	NEXT();
CASE(ADDI): RD = RS + SIMM; NEXT();
CASE(ANDI): RD = RS & UIMM; NEXT();
CASE(ORI): RD = RS | UIMM; NEXT();
CASE(XORI): RD = RS ^ UIMM; NEXT();
CASE(SHLI): RD = RS << SHAMT; NEXT();
CASE(SHRI): RD = RS >> SHAMT; NEXT();
CASE(SARI): RD = (uint32_t)((int32_t)RS >> SHAMT); NEXT();
CASE(LUI): RD = UIMM << 16; NEXT();
CASE(MOVI): RD = SIMM; NEXT();

/* ---- compare and branch (the lists of cpu_branch.h) ---- */
#define COMPARE_CASE(op, a, b, unused) CASE(op): SET_COMPARE(a, b); NEXT();
#define BRANCH_CASE(op, cond, unused) CASE(op): BRANCH(cond);
CPU_COMPARES(COMPARE_CASE, 0)
CPU_BRANCHES(BRANCH_CASE, 0)
#undef COMPARE_CASE
#undef BRANCH_CASE
CASE(B): JUMP_DIRECT();
CASE(CALL):
	REG(ISA_REG_LR) = PC + ISA_WORD_BYTES;
	JUMP_DIRECT();
CASE(JR): {
	uint32_t t = RD;
	if (UNLIKELY(t & (ISA_WORD_BYTES - 1)))
		RETIRE_RECHECK(t); /* the outer loop reports the align fault */
	JUMP(t);
}
CASE(CALLR): {
	uint32_t t = RD;
	REG(ISA_REG_LR) = PC + ISA_WORD_BYTES;
	if (UNLIKELY(t & (ISA_WORD_BYTES - 1)))
		RETIRE_RECHECK(t);
	JUMP(t);
}

/* ---- memory: relocated and bounds-checked in both modes ---- */
CASE(LW): {
	uint32_t a = RS + SIMM;
	CHECK_ACCESS(a, 4u, 3u);
	WATCH(a, 4u, CPU_WATCH_R);
	RD = ld32(m + a);
	NEXT();
}
CASE(LB): {
	uint32_t a = RS + SIMM;
	CHECK_ACCESS(a, 1u, 0u);
	WATCH(a, 1u, CPU_WATCH_R);
	RD = (uint32_t)(int32_t)(int8_t)m[a];
	NEXT();
}
CASE(LBU): {
	uint32_t a = RS + SIMM;
	CHECK_ACCESS(a, 1u, 0u);
	WATCH(a, 1u, CPU_WATCH_R);
	RD = m[a];
	NEXT();
}
CASE(SW): {
	uint32_t a = RS + SIMM;
	CHECK_ACCESS(a, 4u, 3u);
	WATCH(a, 4u, CPU_WATCH_W);
	st32(m + a, RD);
	STORED(a);
	NEXT();
}
CASE(SB): {
	uint32_t a = RS + SIMM;
	CHECK_ACCESS(a, 1u, 0u);
	WATCH(a, 1u, CPU_WATCH_W);
	m[a] = (uint8_t)RD;
	STORED(a);
	NEXT();
}

/* ---- traps on purpose ---- */
CASE(SVC): TRAP_AFTER(TRAP_SVC);
CASE(BRK): TRAP_AFTER(TRAP_BRK);
CASE(HCALL): TRAP_AFTER(TRAP_HCALL);
CASE(NOP): NEXT();

/* ---- sensitive instructions: those that change R, the mode or IE
 * leave through RETIRE_RECHECK ---- */
CASE(LPSW): {
	PRIVILEGED(ISA_OP_LPSW);
	uint32_t a = RD;
	CHECK_ACCESS(a, PSW_BYTES, 3u);
	WATCH(a, PSW_BYTES, CPU_WATCH_R);
	SET_STATUS(ld32(m + a + PSW_OFF_STATUS) & PSW_VALID);
	c->base = ld32(m + a + PSW_OFF_BASE);
	c->bound = ld32(m + a + PSW_OFF_BOUND);
	RETIRE_RECHECK(ld32(m + a + PSW_OFF_PC));
}
CASE(LRR):
	PRIVILEGED(ISA_OP_LRR);
	c->base = RD;
	c->bound = RS;
	RETIRE_RECHECK(PC + ISA_WORD_BYTES);
CASE(SRR):
	/* ill: reads the real R in user mode (x86 SGDT). */
	PRIVILEGED(ISA_OP_SRR);
	RD = c->base;
	RS = c->bound;
	NEXT();
CASE(RDPSW):
	/* ill: reveals the real mode in user mode (x86 SMSW). */
	PRIVILEGED(ISA_OP_RDPSW);
	RD = PSW_NOW();
	NEXT();
CASE(WRFL):
	PRIVILEGED(ISA_OP_WRFL);
	if (USER_MODE) /* ill: IE silently unchanged (x86 POPF) */
		SET_STATUS((st & ~PSW_FLAGS) | (RD & PSW_FLAGS));
	else
		SET_STATUS((st & PSW_S) | (RD & (PSW_IE | PSW_FLAGS)));
	RETIRE_RECHECK(PC + ISA_WORD_BYTES);
CASE(RTU):
	PRIVILEGED(ISA_OP_RTU);
	SET_STATUS(PSW_NOW() & ~PSW_S); /* ill, user mode: only a jump (PDP-10 JRST 1) */
	RETIRE_RECHECK(RD);
CASE(IN):
	PRIVILEGED(ISA_OP_IN);
	RD = c->bus ? dev_port_in(c->bus, UIMM, CLOCK_AFTER()) : PORT_NONE_VALUE;
	RETIRE_RECHECK(PC + ISA_WORD_BYTES);
CASE(OUT):
	PRIVILEGED(ISA_OP_OUT);
	if (c->bus)
		dev_port_out(c->bus, UIMM, RD, CLOCK_AFTER());
	RETIRE_RECHECK(PC + ISA_WORD_BYTES);
CASE(HALT):
	PRIVILEGED(ISA_OP_HALT);
	c->waiting = true;
	RETIRE_RECHECK(PC + ISA_WORD_BYTES);
CASE(UNDEFINED):
	DEFAULT_CASE
	FAULT(TRAP_ILLEGAL, W);
