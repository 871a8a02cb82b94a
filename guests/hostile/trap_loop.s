; trap_loop.s -- hostile: a trap storm with no way out.
;
; Its new PSW points at a misaligned address, so the first trap it takes
; (an svc) loads a PSW whose first fetch faults, which loads the same PSW,
; and so on: traps without a retired instruction between them.  The
; monitor ends it after BARE_MAX_TRAPS_WITHOUT_PROGRESS such traps, as the
; bare machine does (exit status 5, "trap loop"); the others go on.
	.include "pg32.inc"
	.entry _start

	.equ MISALIGN, 2

_start:
	print s_msg
	movi r1, 0
	movi r2, PSW_S
	sw r2, PG32_NEW_PSW + PSW_OFF_STATUS(r1)
	la r2, _start + MISALIGN
	sw r2, PG32_NEW_PSW + PSW_OFF_PC(r1)
	sw r1, PG32_NEW_PSW + PSW_OFF_BASE(r1)
	li r2, BOUND_ALL
	sw r2, PG32_NEW_PSW + PSW_OFF_BOUND(r1)
	svc 0

s_msg:	.asciz "trap loop next\n"
	guest_lib
