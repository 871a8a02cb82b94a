; disk.s -- the disk: read a sector, write one, read it back.
;
; A transfer is set up with out to PORT_DISK_SECTOR, PORT_DISK_ADDR (a
; physical address: the disk's DMA knows nothing of R) and
; PORT_DISK_COUNT, and started with out to PORT_DISK_CMD.  The disk is
; busy for DISK_LATENCY_* instructions; this guest polls PORT_DISK_STATUS
; until the transfer is done (trap_disk.s waits for the interrupt
; instead), then acknowledges it by writing DISK_STATUS_IDLE.  A transfer
; past the last sector ends in DISK_STATUS_ERROR.
;
; Needs a disk; the test supplies one of 4 sectors, sector k starting with
; the text "disk sector k\n":
; test-disk: 4
	.include "pg32.inc"
	.entry _start

	.equ SECTOR_IN, 2               ; the sector read first
	.equ SECTOR_OUT, 3              ; the sector written and read back

_start:
	print s_disk
	in r1, PORT_DISK_SECTORS
	mov r11, r1                     ; the sector count
	call putdec
	print s_sectors
	cmpi r11, SECTOR_OUT + 1
	bgeu 1f
	print s_too_small               ; no disk, or too small: say so
	poweroff 1
1:

	movi r7, DISK_CMD_READ          ; read SECTOR_IN into buf_in
	movi r8, SECTOR_IN
	la r9, buf_in
	call transfer
	print s_read
	movi r1, SECTOR_IN
	la r2, buf_in
	call show

	movi r7, DISK_CMD_WRITE         ; write msg_out to SECTOR_OUT
	movi r8, SECTOR_OUT
	la r9, msg_out
	call transfer
	print s_wrote
	movi r1, SECTOR_OUT
	call putdec
	print s_status
	mov r1, r10
	call putdec
	putc_imm '\n'

	movi r7, DISK_CMD_READ          ; and read it back into buf_back
	movi r8, SECTOR_OUT
	la r9, buf_back
	call transfer
	print s_read
	movi r1, SECTOR_OUT
	la r2, buf_back
	call show

	movi r7, DISK_CMD_READ          ; one sector past the end: an error
	mov r8, r11
	la r9, buf_back
	call transfer
	print s_read
	mov r1, r11
	call putdec
	print s_status
	mov r1, r10
	call putdec
	print s_past_end
	poweroff 0

; transfer: one sector, command r7, sector r8, physical address r9; waits
; for the end by polling.  Returns the final status in r10 and leaves the
; disk idle.  Changes r1, r10.
transfer:
	movi r1, 1
	disk_run r7, r8, r9, r1, r10
	ret

; show: print "read sector N: status S: TEXT" for sector r1 read into
; buffer r2 (the text ends at the first NUL).  Changes r1..r5, r12, lr.
show:
	mov r12, lr
	mov r5, r2
	call putdec
	print s_status
	mov r1, r10
	call putdec
	print s_colon
	mov r1, r5
	call puts
	jr r12

s_disk:		.asciz "disk: "
s_sectors:	.asciz " sectors\n"
s_too_small:	.asciz "this guest needs a disk of 4 sectors (tzrun --disk FILE)\n"
s_read:		.asciz "read sector "
s_wrote:	.asciz "wrote sector "
s_status:	.asciz ": status "
s_colon:	.asciz ": "
s_past_end:	.asciz " (DISK_STATUS_ERROR: past the end)\n"

	.align DISK_SECTOR_BYTES        ; whole sectors, for neatness
msg_out:	.asciz "written by disk.s, read back\n"
	.space DISK_SECTOR_BYTES - (. - msg_out)
buf_in:		.space DISK_SECTOR_BYTES
buf_back:	.space DISK_SECTOR_BYTES

	guest_lib
