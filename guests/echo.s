; echo.s -- the console: echo the input line by line, then count it.
;
; Polls PORT_CONSOLE_STATUS: while a byte is ready, reads it from
; PORT_CONSOLE_IN and echoes it, each line after "echo: ".  At the end of
; the input it prints how many bytes and lines it saw, and shows that
; reading past the end gives CONSOLE_IN_NONE.
;
; Needs console input; the test supplies:
; test-input: hello\nPG32 console\n\tand a last line with no newline
	.include "pg32.inc"
	.entry _start

_start:
	movi r7, 0                      ; bytes read
	movi r8, 0                      ; lines
	movi r9, 1                      ; 1: at the start of a line
next:
	in r1, PORT_CONSOLE_STATUS
	andi r1, r1, CONSOLE_STATUS_READY
	cmpi r1, 0
	beq at_end                      ; nothing ready: the input is over
	in r10, PORT_CONSOLE_IN
	addi r7, r7, 1
	cmpi r9, 0
	beq 1f
	print s_echo                    ; a new line starts
	movi r9, 0
1:	mov r1, r10
	call putc
	cmpi r10, '\n'
	bne next
	addi r8, r8, 1
	movi r9, 1
	b next

at_end:
	cmpi r9, 0                      ; a last line with no newline
	bne 1f
	putc_imm '\n'
	addi r8, r8, 1
1:	mov r1, r7
	call putdec
	print s_bytes
	mov r1, r8
	call putdec
	print s_lines
	in r1, PORT_CONSOLE_STATUS
	call putdec
	print s_then_in
	in r1, PORT_CONSOLE_IN
	call puthex
	putc_imm '\n'
	poweroff 0

s_echo:		.asciz "echo: "
s_bytes:	.asciz " bytes, "
s_lines:	.asciz " lines; now the status is "
s_then_in:	.asciz " (CONSOLE_STATUS_EOF) and in reads "

	guest_lib
