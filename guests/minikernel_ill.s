; minikernel_ill.s -- the minikernel (minikernel.s), built for the
; ill-behaved variant.
;
; The same source, assembled with .isa ill: the image says it needs the
; machine whose critical instructions (srr, rdpsw, wrfl, rtu) do not trap
; in user mode.  In system mode every instruction behaves as in the
; well-behaved variant, and the kernel's processes use none of the four,
; so on the bare ill machine its output is exactly that of minikernel
; (minikernel_ill.expected is a copy of minikernel.expected;
; tests/test_ill_guests.c checks that they stay equal).  Under a monitor it
; is the ill guest that runs processes in user mode: a rewriting monitor
; must keep its traps, interrupts and trampolines exactly as they are.
; See minikernel.md for the kernel itself.
; test-exit: 0
	.isa ill
	.include "minikernel.s"
