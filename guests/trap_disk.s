; trap_disk.s -- catch a disk interrupt.
;
; The guest starts a one-sector read, enables interrupts and waits in halt.
; When the transfer completes the disk interrupts: TRAP_DISK, with the disk
; status as detail (DISK_STATUS_DONE) and the pc after the halt saved.  The
; handler acknowledges the disk and returns; the guest prints the sector.
;
; Needs a disk; the test supplies one, sector k starting "disk sector k\n":
; test-disk: 2
	.include "pg32.inc"
	.entry _start

	.equ SECTOR, 1

_start:
	set_new_psw handler
	print s_before
	movi r1, SECTOR
	out r1, PORT_DISK_SECTOR
	la r1, buf
	out r1, PORT_DISK_ADDR
	movi r1, 1
	out r1, PORT_DISK_COUNT
	movi r1, DISK_CMD_READ
	out r1, PORT_DISK_CMD
	movi r1, PSW_IE
	wrfl r1                         ; interrupts on
	halt                            ; wait for the disk
	print s_after
	print buf
	poweroff 0

handler:
	call report_trap
	movi r1, DISK_STATUS_IDLE       ; acknowledge the transfer
	out r1, PORT_DISK_STATUS
	return_from_trap

s_before:	.asciz "reading sector 1, then waiting in halt\n"
s_after:	.asciz "back after the halt; the sector says: "
	.align WORD
buf:		.space DISK_SECTOR_BYTES

	guest_lib
