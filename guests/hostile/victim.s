; victim.s -- the guest the hostile guests run beside (tests/test_hostile.c).
;
; It uses everything a neighbour could disturb: its memory, its minidisk,
; its timer and its console.  With interrupts off it writes its first code
; sector to sector 0 of its disk and reads sectors 0 and 1 back; then, with
; the timer interrupting every PERIOD instructions, it sums its memory
; ROUNDS times; it prints what it found and powers off.  Its final state
; (registers, PSW, clock, memory, console, minidisk) must be the same
; whoever runs beside it.
; test-disk: 2
	.include "pg32.inc"
	.entry _start

	.equ PERIOD, 53                 ; instructions between timer ticks
	.equ ROUNDS, 6                  ; passes of the memory sum
	.equ MIX, 31                    ; sum := sum * MIX + word

_start:
	set_new_psw handler
	movi r10, 0                     ; timer ticks (the handler counts)
	movi r7, DISK_CMD_WRITE         ; our code to our sector 0
	movi r8, 0
	la r9, _start
	call transfer
	mov r11, r5                     ; its status
	movi r7, DISK_CMD_READ          ; sector 0 back
	movi r8, 0
	la r9, buf0
	call transfer
	movi r7, DISK_CMD_READ          ; and sector 1, as the disk had it
	movi r8, 1
	la r9, buf1
	call transfer
	mov r12, r5

	li r1, PERIOD                   ; now the timer, interrupts on
	out r1, PORT_TIMER_PERIOD
	movi r1, PSW_IE
	wrfl r1
	movi r8, 0                      ; the sum
	movi r9, ROUNDS
	movi r3, MIX
1:	movi r7, 0                      ; every word from 0 to the end
	la r5, the_end
2:	lw r4, 0(r7)
	mul r8, r8, r3
	add r8, r8, r4
	addi r7, r7, WORD
	cmp r7, r5
	bltu 2b
	addi r9, r9, -1
	cmpi r9, 0
	bgt 1b
	movi r1, 0                      ; interrupts off, timer off
	wrfl r1
	out r1, PORT_TIMER_PERIOD

	print s_sum
	mov r1, r8
	call puthex
	print s_ticks
	mov r1, r10
	call putdec
	print s_disk
	mov r1, r11
	call putdec
	putc_imm ' '
	mov r1, r12
	call putdec
	putc_imm '\n'
	poweroff 0

; transfer: one sector, command r7, sector r8, physical address r9; polls
; until it ends.  Returns the final status in r5, leaves the disk idle.
; Changes r1, r5.
transfer:
	movi r1, 1
	disk_run r7, r8, r9, r1, r5
	ret

; handler: count a tick and return.  Changes only r10 and r6, which the
; code above never keeps anything in.
handler:
	addi r10, r10, 1
	return_from_trap

s_sum:		.asciz "victim: sum="
s_ticks:	.asciz " ticks="
s_disk:		.asciz " disk="
	guest_lib
	.align DISK_SECTOR_BYTES
buf0:	.space DISK_SECTOR_BYTES
buf1:	.space DISK_SECTOR_BYTES
the_end:
