; irq_off_loop.s -- hostile: loops forever with interrupts off.
;
; It starts its timer, turns interrupts off and spins.  On a bare machine
; nothing would ever take the CPU from it; under the monitor the time
; slice is a budget of the real CPU, which no guest can touch, so the
; other guests run on, and it ends at its instruction limit.
	.include "pg32.inc"
	.entry _start

	.equ PERIOD, 10

_start:
	movi r1, PERIOD
	out r1, PORT_TIMER_PERIOD       ; a tick that will never be taken
	movi r1, 0
	wrfl r1                         ; interrupts off
1:	addi r2, r2, 1
	b 1b
