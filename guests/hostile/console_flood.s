; console_flood.s -- hostile: floods the console, forever.
;
; Lines of LINE 'A's (longer than the monitor holds back for a prefixed
; line), then a newline, with interrupts off, until the monitor stops it
; at its instruction limit.  The monitor keeps only --console-cap bytes of
; it and says so; the guest runs on, and nobody else's output is lost.
	.include "pg32.inc"
	.entry _start

	.equ LINE, 300

_start:
	movi r2, 'A'
	movi r3, '\n'
1:	li r1, LINE
2:	out r2, PORT_CONSOLE_OUT
	addi r1, r1, -1
	cmpi r1, 0
	bgt 2b
	out r3, PORT_CONSOLE_OUT
	b 1b
