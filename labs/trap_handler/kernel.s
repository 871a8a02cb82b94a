; kernel.s -- lab trap_handler: the kernel around your trap handler.
; Do not change this file: the grader assembles the original.
;
; A test is three files assembled in this order:
;
;   kernel.s    this frame: the names below, boot, the console library
;   handler.s   YOUR trap handler: the label trap_entry and its data
;   a user program from tests/ (it starts at USER_BASE, label user_main)
;
; Boot installs trap_entry as the new PSW (system mode, interrupts off,
; R = (0, everything): kernel addresses are physical), starts the interval
; timer, and enters the user program in USER mode with interrupts on and
; R = (USER_BASE, USER_SIZE): the user program sees its window of physical
; memory as addresses 0 .. USER_SIZE-1, and nothing else.  From then on the
; kernel runs only when a trap brings it back.
;
; Physical memory (16 KiB):
;
;   0x0000  trap words: old PSW, cause, detail, new PSW
;   0x0100  this kernel, your handler, the console library
;     ...   the kernel stack, growing down from KSTACK_TOP
;   0x2000  the user window (USER_BASE), USER_SIZE bytes
;   0x3000  (unused)
;
; The system calls (svc N; the argument in r1, the result in r1):
;
;   SYS_EXIT   r1 = exit code: power the machine off with it
;   SYS_PUTC   print the low byte of r1                        -> 0
;   SYS_PUTS   print the NUL-terminated string at USER address r1
;              -> its length; E_FAULT, printing nothing, if any byte of
;                 it (the NUL included) lies outside the window
;   SYS_TICKS  -> the number of timer interrupts since boot
;   other N    -> E_NOSYS
;
; Registers: a system call changes r1 (its result) and nothing else; a
; timer interrupt changes nothing.  r12 belongs to the kernel, as k0 and k1
; do on MIPS: user programs never use it, so the handler may use it from
; its first instruction (PG32 has no other way to address memory).
; Flags survive both (they are in the saved PSW).
;
; Any other trap from the user program (a fault, a privileged instruction,
; brk, ...) kills it: print "killed: trap N\n" (N the cause, in decimal)
; and power off with EXIT_KILLED.
	.include "pg32.inc"
	.entry boot

	.equ USER_BASE, 0x2000
	.equ USER_SIZE, 0x1000
	.equ KSTACK_TOP, USER_BASE
	.equ TICK, 300                  ; instructions between timer interrupts

	.equ SYS_EXIT, 0
	.equ SYS_PUTC, 1
	.equ SYS_PUTS, 2
	.equ SYS_TICKS, 3
	.equ E_FAULT, -1
	.equ E_NOSYS, -2
	.equ EXIT_KILLED, 100

; ula RD, LABEL: the address of a user label as the user program sees it.
	.macro ula rd, sym
	la \rd, \sym - USER_BASE
	.endm

	.org PG32_LOAD_ADDR
boot:
	set_new_psw trap_entry
	li sp, KSTACK_TOP
	li r1, TICK
	out r1, PORT_TIMER_PERIOD
	la r7, boot_user_psw
	lpsw r7                         ; to the user program

	.align WORD
boot_user_psw:
	.word PSW_IE, user_main - USER_BASE, USER_BASE, USER_SIZE

	guest_lib
