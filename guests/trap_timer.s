; trap_timer.s -- catch a timer interrupt.
;
; With the timer set and interrupts enabled, the guest spins in a loop
; that counts.  The interrupt comes between two instructions: the saved pc
; is that of the next instruction to run (a pc inside the loop), the detail
; is the clock, and the old status has IE = 1.  The handler stops the
; timer, tells the loop to end (r8), and returns.
	.include "pg32.inc"
	.entry _start

	.equ PERIOD, 100                ; instructions until the interrupt

_start:
	set_new_psw handler
	print s_before
	movi r7, 0                      ; loop count
	movi r8, 0                      ; set by the handler
	li r1, PERIOD
	out r1, PORT_TIMER_PERIOD
	movi r1, PSW_IE
	wrfl r1                         ; interrupts on
1:	addi r7, r7, 1
	cmpi r8, 0
	beq 1b
	print s_after
	mov r1, r7
	call putdec
	print s_times
	poweroff 0

handler:
	movi r1, 0                      ; no more ticks: stop the timer first,
	out r1, PORT_TIMER_PERIOD       ; before it expires again (a tick while
	call report_trap                ; interrupts are off stays pending)
	movi r8, 1
	return_from_trap

s_before:	.asciz "spinning with the timer set to 100 instructions\n"
s_after:	.asciz "the loop ran "
s_times:	.asciz " times\n"

	guest_lib
