; psw.s -- lab interp: rdpsw reads the virtual status, wrfl writes its
; flags and IE and keeps the mode.
	.include "pg32.inc"
	.entry _start

_start:
	set_new_psw handler
	rdpsw r7                        ; system mode, IE off, flags clear
	call show
	movi r1, PSW_Z | PSW_C
	wrfl r1
	rdpsw r7                        ; the mode stays; Z and C now set
	call show
	movi r1, PSW_Z
	wrfl r1
	beq 1f                          ; the branch sees the Z that wrfl wrote
	print s_bad
1:	movi r1, PSW_N | PSW_V
	wrfl r1
	blt 2f                          ; N = V: not less
	print s_ge
2:	li r1, PSW_IE | PSW_S | 0xff00  ; S and reserved bits are not wrfl's
	wrfl r1
	rdpsw r7
	call show
	movi r1, 0
	wrfl r1                         ; interrupts off again
	rdpsw r7
	call show
	poweroff 0

show:
	mov r11, lr
	print s_status
	mov r1, r7
	call puthex
	putc_imm '\n'
	jr r11

handler:
	call report_trap
	poweroff 1

s_status: .asciz "status "
s_bad:	.asciz "wrfl did not set Z\n"
s_ge:	.asciz "N = V: greater or equal\n"

	guest_lib
