; user.s -- lab rewrite: critical instructions in a user program that runs
; under a relocation register.
;
; The kernel enters user mode with lpsw, R = (USER_BASE, USER_SIZE).  The
; user program reads its R with srr and its status with rdpsw (in user
; mode on the bare ill machine these do not trap: srr gives the R the
; kernel set, rdpsw user mode), then comes back with svc.  Under the
; monitor the real R is composed with the guest's region, so both must be
; patched; the patch word's table entry is found by the instruction's
; guest PHYSICAL address, USER_BASE + its pc.
	.isa ill
	.critical
	.include "pg32.inc"
	.entry _start

	.equ USER_BASE, 0x4000          ; the user window: physical base ...
	.equ USER_SIZE, 0x1000          ; ... and size (= the bound)

_start:
	set_new_psw trap_entry
	la r7, psw_user
	lpsw r7                         ; to user mode

; The user program's svc arrives here, with its findings in r7..r9.
trap_entry:
	movi r6, 0
	lw r1, PG32_CAUSE(r6)
	call puthex
	putc_imm ' '
	mov r1, r7                      ; srr: base
	call puthex
	putc_imm ' '
	mov r1, r8                      ; srr: bound
	call puthex
	putc_imm ' '
	mov r1, r9                      ; rdpsw: user mode
	call puthex
	putc_imm '\n'
	poweroff 0

	.align WORD
psw_user:	.word 0, u_main - USER_BASE, USER_BASE, USER_SIZE

	guest_lib

	.org USER_BASE
u_main:
	movi r9, 1
	srr r7, r8
	rdpsw r9
	svc 0
