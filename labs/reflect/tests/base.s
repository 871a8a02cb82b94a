; base.s -- lab reflect: a program running under its own R = (WIN_BASE,
; WIN_SIZE) reaches guest-physical WIN_BASE + a.  Under the monitor that is
; region base + WIN_BASE + a of the host: a composition that forgets the
; region's base reaches another guest's memory instead.
	.include "pg32.inc"
	.entry _start

	.equ WIN_BASE, 0x2000
	.equ WIN_SIZE, 0x1000
	.equ DATA_OFF, 0x800            ; the window's data, as the window sees it

_start:
	set_new_psw handler
	la r7, psw_win
	lpsw r7                         ; system mode, R = the window

handler:
	call report_trap
	print s_saw
	li r2, WIN_BASE + DATA_OFF + WORD
	lw r1, 0(r2)                    ; what the window program stored
	call puthex
	putc_imm '\n'
	poweroff 0

	.align WORD
psw_win: .word PSW_S, win_code - WIN_BASE, WIN_BASE, WIN_SIZE
s_saw:	.asciz "the window stored "

	guest_lib

	.org WIN_BASE
win_code:
	movi r1, DATA_OFF
	lw r2, 0(r1)                    ; the magic word below
	addi r2, r2, 1
	sw r2, WORD(r1)
	srr r3, r4                      ; the window's own R, virtual
	svc 7

	.org WIN_BASE + DATA_OFF
	.word 0x1234abcd
