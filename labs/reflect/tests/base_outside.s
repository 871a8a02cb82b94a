; base_outside.s -- lab reflect: an R whose base lies past the end of the
; guest's memory leaves nothing to reach: the first fetch faults.  A
; composition that subtracts without care wraps around and reaches host
; memory beyond the guest's region.
	.include "pg32.inc"
	.entry _start

	.equ FAR_BASE, 0x14000          ; past this lab's 64 KiB of memory
	.equ FAR_BOUND, 0x1000

_start:
	set_new_psw handler
	la r7, psw_far
	lpsw r7

handler:
	call report_trap
	poweroff 0

	.align WORD
psw_far: .word PSW_S, 0, FAR_BASE, FAR_BOUND

	guest_lib
