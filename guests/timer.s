; timer.s -- the interval timer: count its interrupts.
;
; Sets the timer to interrupt every PERIOD instructions, enables
; interrupts and waits in halt; halt idles the machine until the next
; interrupt, so each tick lands exactly on the period's grid.  The handler
; counts the ticks and prints the clock each one carries in the detail
; word.  After TICKS ticks the timer is stopped (period 0) and the guest
; prints what it counted.
	.include "pg32.inc"
	.entry _start

	.equ PERIOD, 1000               ; instructions between ticks
	.equ TICKS, 5

_start:
	set_new_psw tick
	movi r7, 0                      ; ticks so far (the handler counts)
	li r1, PERIOD
	out r1, PORT_TIMER_PERIOD       ; the first tick comes PERIOD from now
	in r1, PORT_TIMER_CLOCK         ; the clock, this in included:
	addi r8, r1, -1                 ; the out above retired at r8
	movi r1, PSW_IE
	wrfl r1                         ; interrupts on
wait:
	halt                            ; sleep until the next interrupt
	cmpi r7, TICKS
	blt wait
	movi r1, 0
	out r1, PORT_TIMER_PERIOD       ; stop the timer
	print s_set
	mov r1, r8
	call putdec
	print s_counted
	mov r1, r7
	call putdec
	print s_period
	in r1, PORT_TIMER_PERIOD
	call putdec
	putc_imm '\n'
	poweroff 0

; The timer interrupt: interrupts are off here (the new PSW), and lpsw of
; the old PSW turns them back on.
tick:
	addi r7, r7, 1
	print s_tick
	mov r1, r7
	call putdec
	print s_at
	movi r1, 0
	lw r1, PG32_DETAIL(r1)          ; the clock at the interrupt
	call putdec
	putc_imm '\n'
	return_from_trap

s_tick:		.asciz "tick "
s_at:		.asciz " at clock "
s_set:		.asciz "timer set at clock "
s_counted:	.asciz "; counted "
s_period:	.asciz " ticks; the period now reads "

	guest_lib
