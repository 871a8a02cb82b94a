; timer_storm.s -- hostile: a storm of timer interrupts.
;
; The timer expires every PERIOD instructions and interrupts are on; the
; handler is PERIOD - 1 instructions long, so the guest takes an interrupt
; after every single instruction of its loop, each reflected into its
; handler by the monitor.  After LOOPS passes it
; turns interrupts off and prints how many ticks it took.
	.include "pg32.inc"
	.entry _start

	.equ LOOPS, 20000
	.equ PERIOD, 4                  ; the handler's 3 instructions, then 1

_start:
	set_new_psw handler
	movi r7, 0                      ; ticks
	movi r8, 0                      ; passes
	li r9, LOOPS
	movi r1, PERIOD
	out r1, PORT_TIMER_PERIOD
	movi r1, PSW_IE
	wrfl r1
1:	addi r8, r8, 1
	cmp r8, r9
	blt 1b
	movi r1, 0
	wrfl r1
	out r1, PORT_TIMER_PERIOD
	print s_ticks
	mov r1, r7
	call putdec
	putc_imm '\n'
	poweroff 0

handler:
	addi r7, r7, 1
	return_from_trap

s_ticks:	.asciz "timer ticks: "
	guest_lib
