; indirect.s -- critical instructions reached only through computed jumps.
;
; A monitor that looks for critical instructions (srr, rdpsw, wrfl, rtu) by
; following the guest's code from its entry point, branch by branch, finds
; only the targets it can compute before the code runs.  The four blocks
; below are reached in none of those ways: only through a jump table in
; memory, a jr to an address computed from data, an lpsw of a PSW whose pc
; is computed, and an rtu to a computed address.  A monitor must find them
; when control gets there (or scan every word, and then it patches data).
; The kernel enters each block in system mode (rtu then leaves it) and
; prints what the block saw; on the bare machine:
;
;   1. jump table  -> blk_srr:   R = (0, BOUND_ALL), the R the kernel set
;   2. computed jr -> blk_rdpsw: status with S = 1 (system mode)
;   3. lpsw        -> blk_wrfl:  wrfl turns IE and Z on, rdpsw reads them
;   4. rtu         -> blk_user:  its svc arrives from user mode (S = 0 in
;                                the old PSW).  Before it, blk_user runs
;                                rdpsw in user mode: the ill machine lets
;                                it read the status (S = 0) where the well
;                                machine would trap.
; test-exit: 0
	.isa ill
	.critical                       ; its critical instructions are the point
	.include "pg32.inc"
	.entry _start

	.equ EXIT_UNEXPECTED, 0xff      ; an unexpected trap
	.equ SVC_BACK, 1                ; blk_user's system call: "back to the kernel"

_start:
	set_new_psw trap_entry
	movi r1, 0
	li r2, BOUND_ALL
	lrr r1, r2                      ; R := (0, BOUND_ALL)
	print s_intro

; ---- 1. a jump table in memory ---------------------------------------------
	la r8, jump_table
	lw r1, 0(r8)                    ; the target is data
	callr r1                        ; -> blk_srr
	mov r8, r3
	mov r9, r4
	print s_table
	mov r1, r8
	call puthex
	print s_comma
	mov r1, r9
	call puthex
	putc_imm '\n'

; ---- 2. jr to an address computed at run time -----------------------------
	la r8, blocks
	la r1, rdpsw_offset
	lw r1, 0(r1)                    ; the offset is data too
	add r8, r8, r1                  ; r8 = blocks + offset = blk_rdpsw
	la lr, 1f                       ; where blk_rdpsw returns
	jr r8
1:	mov r8, r3
	print s_jr
	mov r1, r8
	call puthex
	putc_imm '\n'

; ---- 3. lpsw of a PSW with a computed pc ----------------------------------
	la r8, blocks
	la r1, wrfl_offset
	lw r1, 0(r1)
	add r8, r8, r1                  ; r8 = blk_wrfl
	la r9, psw_wrfl
	sw r8, PSW_OFF_PC(r9)           ; (status, base, bound are in the image)
	movi r4, PSW_IE | PSW_Z         ; blk_wrfl: wrfl r4 turns them on,
	movi r5, 0                      ; wrfl r5 turns everything off
	la lr, 1f
	lpsw r9                         ; system mode, pc = blk_wrfl
1:	mov r8, r3
	print s_lpsw
	mov r1, r8
	call puthex
	putc_imm '\n'

; ---- 4. rtu to a computed address -------------------------------------------
	la r8, blocks
	la r1, user_offset
	lw r1, 0(r1)
	add r8, r8, r1                  ; r8 = blk_user
	rtu r8                          ; user mode, at blk_user
	; not reached: blk_user comes back by svc, to trap_entry
after_rtu:
	print s_rtu
	mov r1, r9                      ; the old status (see trap_entry)
	call puthex
	print s_rtu_mode
	mov r1, r8
	call putdec
	print s_rtu_user
	mov r1, r10                     ; what blk_user's rdpsw read
	call puthex
	putc_imm '\n'
	print s_done
	poweroff 0

; ---- the trap handler (system mode, R = (0, BOUND_ALL)) -------------------
; blk_user's svc SVC_BACK is expected: go on at after_rtu with r9 = the
; status of the old PSW and r8 = its mode bit.  Anything else is a bug.
trap_entry:
	movi r6, 0
	lw r5, PG32_CAUSE(r6)
	cmpi r5, TRAP_SVC
	bne 1f
	lw r5, PG32_DETAIL(r6)
	cmpi r5, SVC_BACK
	bne 1f
	lw r9, PG32_OLD_PSW + PSW_OFF_STATUS(r6)
	andi r8, r9, PSW_S
	b after_rtu
1:	print s_unexpected
	call report_trap
	poweroff EXIT_UNEXPECTED

s_intro:	.asciz "indirect: critical instructions reached only by computed jumps\n"
s_table:	.asciz "indirect: 1. jump table -> srr: R = "
s_comma:	.asciz ", "
s_jr:		.asciz "indirect: 2. computed jr -> rdpsw: status = "
s_lpsw:		.asciz "indirect: 3. lpsw -> wrfl IE+Z; rdpsw: status = "
s_rtu:		.asciz "indirect: 4. rtu -> svc from status "
s_rtu_mode:	.asciz " (S = "
s_rtu_user:	.asciz "); user rdpsw read "
s_done:		.asciz "indirect: done\n"
s_unexpected:	.asciz "indirect: unexpected trap\n"
	.align WORD
jump_table:	.word blk_srr
rdpsw_offset:	.word blk_rdpsw - blocks
wrfl_offset:	.word blk_wrfl - blocks
user_offset:	.word blk_user - blocks
; The PSW that section 3 loads: system mode, interrupts off, R = (0,
; BOUND_ALL); its pc is filled in at run time.
psw_wrfl:	.word PSW_S, 0, 0, BOUND_ALL

; ---- the blocks: nothing branches here ------------------------------------
blocks:
blk_srr:
	srr r3, r4                      ; r3 := R.base, r4 := R.bound
	jr lr
blk_rdpsw:
	rdpsw r3                        ; r3 := the status word
	jr lr
blk_wrfl:
	wrfl r4                         ; IE, Z := 1 (a missed wrfl leaves IE 0)
	rdpsw r3
	wrfl r5                         ; IE and the flags := 0
	jr lr
blk_user:                               ; user mode on the bare machine
	rdpsw r10                       ; ill: runs in user mode (well: traps)
	svc SVC_BACK

	guest_lib
