; timer_halt.s -- lab interp: in and out reach the virtual devices at the
; right time (the clock an in reads counts the in itself), and halt with
; interrupts on waits for the timer.
	.include "pg32.inc"
	.entry _start

	.equ PERIOD, 50

_start:
	set_new_psw handler
	in r7, PORT_TIMER_CLOCK
	in r8, PORT_TIMER_CLOCK
	print s_clock
	mov r1, r7
	call putdec
	putc_imm ' '
	mov r1, r8
	call putdec
	putc_imm '\n'
	movi r10, 0                     ; ticks (the handler counts)
	li r1, PERIOD
	out r1, PORT_TIMER_PERIOD
	movi r1, PSW_IE
	wrfl r1
	halt                            ; sleeps until the tick
	in r7, PORT_TIMER_CLOCK
	print s_woke
	mov r1, r7
	call putdec
	putc_imm '\n'
	in r1, PORT_CONSOLE_STATUS      ; no input: at its end
	call puthex
	putc_imm '\n'
	poweroff 0

handler:
	movi r1, 0
	out r1, PORT_TIMER_PERIOD       ; one tick is enough
	call report_trap
	addi r10, r10, 1
	return_from_trap

s_clock: .asciz "clock "
s_woke:	.asciz "woke at "

	guest_lib
