; detect.s -- can a guest kernel tell that it runs under a monitor?
;
; Built for the ill-behaved variant (.isa ill), where the four critical
; instructions srr, rdpsw, wrfl and rtu run in user mode without trapping.
; A monitor runs a guest kernel in REAL user mode (only its VIRTUAL mode is
; system), so with plain trap-and-emulate these instructions never reach
; the monitor: they act on the real machine state instead of the virtual
; one.  This kernel tries each in turn, in (virtual) system mode, and
; prints one line per method:
;
;   srr    reads R.  The kernel sets R = (0, BOUND_ALL) with lrr (privileged:
;          a monitor emulates it), then reads it back.  Under a monitor srr
;          reads the REAL R: the guest's R composed with its region, whose
;          bound is cut to the region's size.              (x86 SGDT/SIDT)
;   rdpsw  reads the status word.  In system mode S = 1; under a monitor
;          the real mode is user, S = 0.                  (x86 SMSW, PUSHF)
;   wrfl   turns interrupts on, with the interval timer running.  On the
;          bare machine timer interrupts arrive; under a monitor IE stays
;          off, silently, and none ever does.             (x86 POPF)
;   rtu    "returns to user mode" at the next instruction, a privileged
;          one: in user mode it traps.  Under a monitor rtu is only a jump,
;          the kernel is still in (virtual) system mode and the privileged
;          instruction is emulated without a trap.        (PDP-10 JRST 1)
;
; On the bare machine every line says "bare machine".  Under tzvmm with
; plain trap-and-emulate (--rewrite none) every line says "virtualized";
; with binary rewriting or the hybrid monitor the guest cannot tell.
; The exit code is the number of methods that found a monitor (0 on the
; bare machine).
; test-exit: 0
	.isa ill
	.critical                       ; its critical instructions are the point
	.include "pg32.inc"
	.entry _start

	.equ NMETHODS, 4                ; srr, rdpsw, wrfl, rtu
	.equ TICK_PERIOD, 20            ; timer period during the wrfl test
	.equ WAIT_LOOPS, 40             ; 3 instructions each: several periods
	.equ EXIT_UNEXPECTED, 0xff      ; an unexpected trap

; Registers: r7 counts the methods that found a monitor; the handler may
; change r1..r6, so the code keeps what it needs in r7..r12.
_start:
	set_new_psw trap_entry
	movi r7, 0
	print s_intro

; ---- 1. srr: is R the one I set? ----------------------------------------
	movi r1, 0
	li r2, BOUND_ALL
	lrr r1, r2                      ; R := (0, BOUND_ALL)
	srr r8, r9                      ; r8 := R.base, r9 := R.bound
	print s_srr
	cmpi r8, 0
	bne 1f
	li r1, BOUND_ALL
	cmp r9, r1
	bne 1f
	print s_bare
	b 2f
1:	print s_virt
	addi r7, r7, 1
2:	print s_srr_r                   ; show what srr read either way
	mov r1, r8
	call puthex
	print s_comma
	mov r1, r9
	call puthex
	print s_srr_set                 ; and what it should be
	movi r1, 0
	call puthex
	print s_comma
	li r1, BOUND_ALL
	call puthex
	putc_imm ')'
	putc_imm '\n'

; ---- 2. rdpsw: which mode am I in? --------------------------------------
	rdpsw r8                        ; r8 := the status word
	print s_rdpsw
	andi r1, r8, PSW_S
	cmpi r1, 0
	beq 1f
	print s_bare
	b 2f
1:	print s_virt
	addi r7, r7, 1
2:	print s_status
	mov r1, r8
	call puthex
	print s_rdpsw_end
	andi r1, r8, PSW_S
	call putdec
	putc_imm ')'
	putc_imm '\n'

; ---- 3. wrfl: do interrupts come when I turn them on? -------------------
	la r1, ticks
	movi r2, 0
	sw r2, 0(r1)
	movi r1, TICK_PERIOD
	out r1, PORT_TIMER_PERIOD       ; privileged: a monitor emulates it
	movi r1, PSW_IE
	wrfl r1                         ; IE := 1 (and the flags := 0)
	movi r8, WAIT_LOOPS             ; wait; the handler counts the ticks
1:	addi r8, r8, -1
	cmpi r8, 0
	bgt 1b
	movi r1, 0
	wrfl r1                         ; IE := 0
	out r1, PORT_TIMER_PERIOD       ; timer off
	print s_wrfl
	la r1, ticks
	lw r8, 0(r1)
	cmpi r8, 0
	beq 1f
	print s_bare
	print s_ticks
	mov r1, r8
	call putdec
	print s_ticks_end
	b 2f
1:	print s_virt
	print s_no_ticks
	addi r7, r7, 1
2:

; ---- 4. rtu: does a privileged instruction trap after rtu? --------------
	la r1, rtu_probe
	rtu r1                          ; to user mode, at rtu_probe
rtu_probe:
	in r1, PORT_CONSOLE_STATUS      ; privileged: traps in user mode
	; Still here: the in ran, so rtu did not leave system mode.
	print s_rtu
	print s_virt
	print s_rtu_still
	addi r7, r7, 1
	b rtu_done
rtu_trapped:                            ; trap_entry comes here from rtu_probe
	print s_rtu
	print s_bare
	print s_rtu_trapped
rtu_done:

; ---- the verdict ----------------------------------------------------------
	cmpi r7, 0
	bne 1f
	print s_verdict_bare
	b 2f
1:	print s_verdict_virt
	mov r1, r7
	call putdec
	print s_verdict_of
	movi r1, NMETHODS
	call putdec
	print s_verdict_end
2:	mov r1, r7
	out r1, PORT_POWER_OFF          ; exit code: methods that found a monitor

; ---- the trap handler (system mode, R = (0, BOUND_ALL)) -------------------
; A timer interrupt is counted (the wrfl test); the privileged-instruction
; fault of rtu_probe means rtu did reach user mode.  Anything else is a bug.
trap_entry:
	movi r6, 0
	lw r5, PG32_CAUSE(r6)
	cmpi r5, TRAP_TIMER
	bne 1f
	la r1, ticks
	lw r2, 0(r1)
	addi r2, r2, 1
	sw r2, 0(r1)
	return_from_trap
1:	cmpi r5, TRAP_PRIV
	bne 2f
	lw r5, PG32_OLD_PSW + PSW_OFF_PC(r6)
	la r1, rtu_probe
	cmp r5, r1
	beq rtu_trapped                 ; back in system mode, by the trap
2:	print s_unexpected
	call report_trap
	poweroff EXIT_UNEXPECTED

s_intro:	.asciz "detect: is this a bare machine? one test per critical instruction\n"
s_bare:		.asciz "bare machine"
s_virt:		.asciz "virtualized"
s_comma:	.asciz ", "
s_srr:		.asciz "srr: "
s_srr_r:	.asciz " (R = "
s_srr_set:	.asciz "; I set "
s_rdpsw:	.asciz "rdpsw: "
s_status:	.asciz " (status "
s_rdpsw_end:	.asciz " in system mode: S = "
s_wrfl:		.asciz "wrfl: "
s_ticks:	.asciz " (IE turned on: "
s_ticks_end:	.asciz " timer interrupts)\n"
s_no_ticks:	.asciz " (IE stayed off: no timer interrupt)\n"
s_rtu:		.asciz "rtu: "
s_rtu_trapped:	.asciz " (after rtu a privileged instruction trapped: user mode)\n"
s_rtu_still:	.asciz " (after rtu a privileged instruction ran: still system mode)\n"
s_verdict_bare:	.asciz "detect: a bare machine, by every test\n"
s_verdict_virt:	.asciz "detect: a monitor, found by "
s_verdict_of:	.asciz " of "
s_verdict_end:	.asciz " tests\n"
s_unexpected:	.asciz "detect: unexpected trap\n"
	.align WORD
ticks:		.word 0                 ; timer interrupts seen (the handler counts)

	guest_lib
