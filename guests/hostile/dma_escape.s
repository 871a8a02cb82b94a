; dma_escape.s -- hostile: moves disk data to and from memory it does not own.
;
; ROUNDS times, it asks its disk for transfers whose memory side leaves
; its memory: a read that straddles the end of its memory, a read to an
; address that wraps around 2^32, a write (memory to disk) from just past
; its memory, a write of two sectors whose second lies past it, and a read
; into just past its memory (the neighbour's first byte).  Every one must end in DISK_STATUS_ERROR with not a
; byte moved.  Then one legal transfer, which must work.  It prints how
; many were refused.
; test-disk: 4
	.include "pg32.inc"
	.entry _start

	.equ ROUNDS, 20
	.equ TRIES, 5                   ; transfers per round
	.equ HALF_SECTOR, DISK_SECTOR_BYTES / 2

_start:
	movi r12, 0                     ; refused
	movi r11, 0                     ; rounds
	srr r1, r10                     ; r10 := the memory size
1:	movi r7, DISK_CMD_READ          ; straddles the end of memory
	movi r8, 0
	li r1, HALF_SECTOR
	sub r9, r10, r1
	movi r2, 1
	call transfer
	movi r7, DISK_CMD_READ          ; wraps around 2^32
	li r9, -HALF_SECTOR
	call transfer
	movi r7, DISK_CMD_WRITE         ; from just past memory to the disk
	mov r9, r10
	call transfer
	movi r7, DISK_CMD_WRITE         ; two sectors, the second past memory
	li r1, DISK_SECTOR_BYTES
	sub r9, r10, r1
	movi r2, 2
	call transfer
	movi r7, DISK_CMD_READ          ; into just past memory
	mov r9, r10
	movi r2, 1
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
	movi r7, DISK_CMD_WRITE         ; a legal one: our code to sector 0
	movi r8, 0
	la r9, _start
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

s_refused:	.asciz "dma refused: "
s_of:		.asciz " of "
s_legal:	.asciz ", legal transfer status "
	guest_lib
