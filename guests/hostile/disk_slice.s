; disk_slice.s -- hostile: reads and writes disk sectors outside its slice.
;
; Its minidisk has N sectors (PORT_DISK_SECTORS).  ROUNDS times it asks
; for: a read of sector N, a write of sector N, a write of two sectors from
; N - 1, a write of sector 2^32 - 1, a write of two sectors from 2^32 - 1
; (the count wraps the sector number to 0), and a read of two sectors
; from N - 1.  Every one must end in DISK_STATUS_ERROR, reading and writing
; nothing; then a legal write of its own sector 0 must work.  The data it
; writes is its code, so a write that landed in a neighbour's minidisk
; would show there.
; test-disk: 4
	.include "pg32.inc"
	.entry _start

	.equ ROUNDS, 20
	.equ TRIES, 6                   ; transfers per round

_start:
	movi r12, 0                     ; refused
	movi r11, 0                     ; rounds
	in r10, PORT_DISK_SECTORS       ; N
	la r9, _start                   ; every transfer: our code
1:	movi r7, DISK_CMD_READ          ; sector N
	mov r8, r10
	movi r2, 1
	call transfer
	movi r7, DISK_CMD_WRITE         ; sector N
	call transfer
	movi r7, DISK_CMD_WRITE         ; N - 1 and N
	addi r8, r10, -1
	movi r2, 2
	call transfer
	movi r7, DISK_CMD_WRITE         ; sector 2^32 - 1
	li r8, BOUND_ALL
	movi r2, 1
	call transfer
	movi r2, 2                      ; 2^32 - 1 and "2^32" = 0
	call transfer
	movi r7, DISK_CMD_READ          ; N - 1 and N
	addi r8, r10, -1
	movi r2, 2
	call transfer
	addi r11, r11, 1
	cmpi r11, ROUNDS
	blt 1b
	print s_refused
	mov r1, r12
	call putdec
	print s_of
	li r1, ROUNDS * TRIES
	call putdec
	movi r7, DISK_CMD_WRITE         ; a legal one: sector 0
	movi r8, 0
	movi r2, 1
	call transfer
	print s_legal
	mov r1, r5
	call putdec
	putc_imm '\n'
	poweroff 0

; transfer: command r7, sector r8, physical address r9, r2 sectors; polls
; until it ends.  Status in r5; r12 + 1 if it is DISK_STATUS_ERROR.
; Changes r1, r5.
transfer:
	disk_run r7, r8, r9, r2, r5
	cmpi r5, DISK_STATUS_ERROR
	bne 2f
	addi r12, r12, 1
2:	ret

s_refused:	.asciz "out-of-slice transfers refused: "
s_of:		.asciz " of "
s_legal:	.asciz ", legal transfer status "
	guest_lib
