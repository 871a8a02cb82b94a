; minikernel.s -- a small multiprogramming kernel for PG32.
;
; Four user processes share one PG32 machine.  The kernel boots in system
; mode, gives each process its own window of physical memory (R = the
; window's base and size), and runs them round robin: the interval timer
; ends each time slice.  Processes ask for service with `svc N`.
;
;   pid 1, 4  count to COUNT_LINES, one line each, then exit (the same code)
;   pid 2     asks the kernel to print memory outside its window (refused),
;             yields, then loads from beyond its bound: a memory fault, and
;             the kernel kills it
;   pid 3     reads disk sector 0 into its window and prints it ("no disk"
;             when the machine has none), then counts like pid 1
;
; When every process has ended the kernel prints a summary and powers off
; with code 0.  Time is instructions, so every run is the same run, on the
; bare machine and under the monitor.
;
; Physical memory (the kernel runs with R = (0, BOUND_ALL): physical addresses):
;
;   0x00000 +------------------------------+
;           | trap area: old PSW, cause,   |  written by the hardware on a trap
;           | detail, new PSW              |  new PSW = (system, trap_entry, 0, BOUND_ALL)
;   0x00030 | the return PSW (TRAMP)       |  written before every entry to a process
;   0x00100 | kernel code and data,        |
;           | process table, user image    |  (the image each process gets a copy of)
;           |   ...    kernel stack  ^     |
;   0x10000 | window of process 1          |  REGION_SIZE bytes each
;   0x14000 | window of process 2          |
;   0x18000 | window of process 3          |
;   0x1c000 | window of process 4          |
;   0x20000 | (unused up to 1 MiB)         |
;           +------------------------------+
;
; A process's window, as the process sees it (virtual 0 = its region base):
;
;   0x0000  (unused)
;   0x0030  the return trampoline: 3 words the kernel writes (see "resume")
;   0x0040  the user image: the programs, the user library, their strings
;   0x1000  line buffer (U_LINE)          0x1100  sector buffer (U_SECTOR)
;   ...     the stack, growing down from
;   0x4000  = the bound: the first address the process may not touch
;
; System calls: svc SYS_*, arguments in r1 and r2, the result in r0
; (negative: an E_* error).  Every other register is kept, all sixteen of
; them, across a system call or a preemption.

; The machine's names (PORT_*, TRAP_*, PSW_*, PG32_*, DISK_*) are built
; into the assembler; pg32.inc adds WORD, the macros print, poweroff and
; set_new_psw, and the console library (puts, puthex, putdec) that the
; kernel uses.  The kernel's own names:
	.include "pg32.inc"

	.equ WORD_SHIFT, 2              ; log2(WORD)
	.equ OPCODE_BITS, 8             ; the top byte of an instruction word
	.equ NPROC, 4                   ; processes
	.equ REGION_BASE, 0x10000       ; physical base of process 1's window
	.equ REGION_SIZE, 0x4000        ; bytes per window (= each process's bound)
	.equ KSTACK_TOP, REGION_BASE    ; kernel stack, just below the windows
	; (so the machine needs REGION_BASE + NPROC * REGION_SIZE = 128 KiB)
	.equ QUANTUM, 500               ; instructions per time slice (timer period)
	; QUANTUM must stay well above the kernel's own path from a trap to
	; the next process (about 100 instructions): an expiry that falls due
	; while the kernel works stays pending, and is taken the moment a
	; process starts, so a shorter slice would let no process run at all.

	.equ TRAMP, PG32_TRAP_AREA_END  ; return trampoline (see "resume")
	.equ TRAMP_B, WORD              ; offset of its branch
	.equ TRAMP_SLOT, 2 * WORD       ; offset of the saved r12 it loads
	.equ USER_ENTRY, 0x40           ; where the user image sits in each window
	.equ U_LINE, 0x1000             ; user line buffer
	.equ U_SECTOR, 0x1100           ; user sector buffer

	; system calls (the svc number) and errors (negative results)
	.equ SYS_EXIT, 0                ; r1 = exit code; never returns
	.equ SYS_WRITE, 1               ; r1 = address, r2 = length -> bytes written
	.equ SYS_GETPID, 2              ; -> pid
	.equ SYS_YIELD, 3               ; give up the rest of the time slice -> 0
	.equ SYS_READ, 4                ; r1 = sector, r2 = buffer (512 bytes) -> 0
	.equ NSYSCALLS, 5
	.equ E_FAULT, -1                ; the memory named is not inside the caller's window
	.equ E_NODISK, -2               ; the machine has no disk
	.equ E_IO, -3                   ; the disk refused the transfer
	.equ E_NOSYS, -4                ; no such system call
	.equ EXIT_OK, 0
	.equ EXIT_PANIC, 1

	; Process table: NPROC entries of P_SIZE bytes.
	;
	;   offset  field
	;   0       PSW: status, pc, base, bound   (the layout lpsw and traps use)
	;   16      r0 .. r15                      (64 bytes)
	;   80      state: PS_READY or PS_DONE (0 before boot fills it)
	;   84      pid
	.equ P_PSW, 0
	.equ P_REGS, P_PSW + PSW_BYTES
	.equ P_R0, P_REGS
	.equ P_R1, P_REGS + 1 * WORD
	.equ P_R2, P_REGS + 2 * WORD
	.equ P_R12, P_REGS + 12 * WORD
	.equ P_SP, P_REGS + 14 * WORD
	.equ P_STATE, P_REGS + 16 * WORD
	.equ P_PID, P_STATE + WORD
	.equ P_SIZE, P_PID + WORD
	.equ PS_READY, 1                ; runnable (the running one is READY too)
	.equ PS_DONE, 2                 ; exited or killed

	; user programs
	.equ COUNT_LINES, 3             ; lines a counter prints
	.equ DELAY, 300                 ; u_delay loops (3 instructions each)
	.equ BAD_WRITE_LEN, 64          ; pid 2 asks to print this much from its last word,
	.equ WRAP_ADDR, 4 * WORD        ; and this much from here: WRAP_ADDR + WRAP_LEN
	.equ WRAP_LEN, -(2 * WORD)      ; = 2 * WORD modulo 2^32, "inside" the window
	.equ DEMO_SECTOR, 0             ; the sector pid 3 reads
	.equ SHOW_BYTES, 48             ; at most this much of it is printed

; The address a user label has inside every window (the user image is
; copied to USER_ENTRY; only branches are position-independent).
	.macro ula rd, sym
	li \rd, \sym - user_image + USER_ENTRY
	.endm
	.macro uappend str              ; user: append a string to the line
	ula r2, \str
	call u_str
	.endm
	.macro usay str                 ; user: print "process <pid>: <str>"
	ula r2, \str
	call u_say
	.endm

	.org PG32_LOAD_ADDR
	.entry boot

; ======================================================================
; Boot: install the trap handler, build the process table, start the timer
; and enter process 1.
; ======================================================================
boot:
	; The new PSW: system mode, interrupts off, pc = trap_entry, and the
	; kernel's R = (0, BOUND_ALL): a bound past any memory, which the
	; hardware cuts to the memory size (1 MiB by default, or whatever it
	; is), so that kernel addresses are physical addresses.
	set_new_psw trap_entry
	li sp, KSTACK_TOP

	print s_boot
	; r7 = pid, r8 = physical base of its window, r9 = its boot_table
	; row, r10 = its process table entry.
	movi r7, 1
	li r8, REGION_BASE
	la r9, boot_table
	la r10, proc_table
1:	; Load: copy the user image into the window at USER_ENTRY.
	la r1, user_image
	la r2, user_image_end
	addi r3, r8, USER_ENTRY
2:	lw r4, 0(r1)
	sw r4, 0(r3)
	addi r1, r1, WORD
	addi r3, r3, WORD
	cmp r1, r2
	bltu 2b
	; The first PSW: user mode (S = 0), interrupts on, pc = the
	; program's entry as the process sees it, R = its window.
	movi r4, PSW_IE
	sw r4, P_PSW + PSW_OFF_STATUS(r10)
	lw r4, 0(r9)
	sw r4, P_PSW + PSW_OFF_PC(r10)
	sw r8, P_PSW + PSW_OFF_BASE(r10)
	li r4, REGION_SIZE
	sw r4, P_PSW + PSW_OFF_BOUND(r10)
	sw r4, P_SP(r10)                ; the stack starts at the top of the window
	movi r4, PS_READY
	sw r4, P_STATE(r10)
	sw r7, P_PID(r10)
	call putpid                    ; "kernel: process N: R = (base, bound)"
	print s_r_is
	mov r1, r8
	call puthex
	print s_comma
	li r1, REGION_SIZE
	call puthex
	print s_close_nl
	; next process
	addi r7, r7, 1
	li r4, REGION_SIZE
	add r8, r8, r4
	addi r9, r9, WORD
	addi r10, r10, P_SIZE
	cmpi r7, NPROC
	ble 1b

	la r1, current                  ; as if the last process had run:
	la r2, proc_table_end - P_SIZE  ; the scheduler picks process 1
	sw r2, 0(r1)
	b schedule

; ======================================================================
; Trap entry.  The hardware has stored the old PSW, cause and detail at
; physical 0x00..0x17 and jumped here in system mode with interrupts off;
; all sixteen registers still hold the process's values.
;
; Saving them is a puzzle: every store needs a base register, PG32 has no
; zero register and no absolute addressing, and every register is the
; process's.  So the first register goes into a device register instead:
; the disk's sector register holds any value and does nothing until a
; command is written, and no transfer is ever under way while a process
; runs (the kernel waits for each one).  Like RISC-V's sscratch.
; ======================================================================
	.equ PORT_SCRATCH, PORT_DISK_SECTOR
trap_entry:
	out r0, PORT_SCRATCH            ; park r0; now r0 is ours
	movi r0, 0
	lw r0, PG32_OLD_PSW + PSW_OFF_PC(r0)
	cmpi r0, TRAMP                  ; interrupted before its first instruction
	beq dispatch                    ; (see resume): its entry is still exact
	la r0, current
	lw r0, 0(r0)                    ; r0 = the process table entry
	sw r1, P_REGS + 1 * WORD(r0)
	sw r2, P_REGS + 2 * WORD(r0)
	sw r3, P_REGS + 3 * WORD(r0)
	sw r4, P_REGS + 4 * WORD(r0)
	sw r5, P_REGS + 5 * WORD(r0)
	sw r6, P_REGS + 6 * WORD(r0)
	sw r7, P_REGS + 7 * WORD(r0)
	sw r8, P_REGS + 8 * WORD(r0)
	sw r9, P_REGS + 9 * WORD(r0)
	sw r10, P_REGS + 10 * WORD(r0)
	sw r11, P_REGS + 11 * WORD(r0)
	sw r12, P_REGS + 12 * WORD(r0)
	sw r13, P_REGS + 13 * WORD(r0)
	sw r14, P_REGS + 14 * WORD(r0)
	sw r15, P_REGS + 15 * WORD(r0)
	in r1, PORT_SCRATCH             ; and r0 itself
	sw r1, P_R0(r0)
	; The old PSW (the process's status with its flags, pc and R).  The
	; next trap overwrites it, so it goes into the entry now.
	movi r1, 0
	lw r2, PG32_OLD_PSW + PSW_OFF_STATUS(r1)
	sw r2, P_PSW + PSW_OFF_STATUS(r0)
	lw r2, PG32_OLD_PSW + PSW_OFF_BASE(r1)
	sw r2, P_PSW + PSW_OFF_BASE(r0)
	lw r2, PG32_OLD_PSW + PSW_OFF_BOUND(r1)
	sw r2, P_PSW + PSW_OFF_BOUND(r0)
	lw r2, PG32_OLD_PSW + PSW_OFF_PC(r1)
	cmpi r2, TRAMP + TRAMP_B        ; stopped on the trampoline's branch:
	beq dispatch                    ; the real pc is the one in the entry
	sw r2, P_PSW + PSW_OFF_PC(r0)

; The process is saved: from here on the registers are the kernel's.
;   r8 = cause, r9 = detail, r10 = the current entry, sp = kernel stack;
;   the helpers (puts, putdec, user_to_phys...) change only r1..r6 and lr.
dispatch:
	li sp, KSTACK_TOP
	la r10, current
	lw r10, 0(r10)
	movi r1, 0
	lw r8, PG32_CAUSE(r1)
	lw r9, PG32_DETAIL(r1)
	lw r2, PG32_OLD_PSW + PSW_OFF_STATUS(r1)
	andi r2, r2, PSW_S
	cmpi r2, 0
	bne panic                       ; the kernel itself trapped: a bug
	cmpi r8, TRAP_SVC
	beq syscall
	cmpi r8, TRAP_TIMER
	beq schedule                    ; preemption: the time slice is over
	cmpi r8, TRAP_DISK
	beq resume                      ; the kernel already waited for the disk
	b kill                          ; a fault, brk or hcall: the process dies

; ======================================================================
; System calls.  The arguments are in the saved registers of the entry;
; the result goes to the saved r0.
; ======================================================================
syscall:
	cmpi r9, NSYSCALLS              ; r9 = the svc number, 0..65535
	bgeu 1f
	la r1, syscall_table
	shli r2, r9, WORD_SHIFT
	add r1, r1, r2
	lw r1, 0(r1)
	jr r1
1:	movi r1, E_NOSYS
sys_return:                             ; r1 = the result
	sw r1, P_R0(r10)
	b resume

sys_getpid:
	lw r1, P_PID(r10)
	b sys_return

sys_yield:
	movi r1, 0
	sw r1, P_R0(r10)
	b schedule

sys_exit:                               ; "kernel: process N exited with code C"
	call putpid
	print s_exited
	lw r1, P_R1(r10)
	call putdec
	print s_nl
	la r1, nexited
	b finish

; write(address, length): print length bytes of the caller's memory.
sys_write:
	lw r1, P_R1(r10)
	lw r2, P_R2(r10)
	call user_to_phys
	cmpi r1, 0
	beq sys_fault
	lw r2, P_R2(r10)
	add r2, r1, r2                  ; physical end
1:	cmp r1, r2
	bgeu 2f
	lbu r3, 0(r1)
	out r3, PORT_CONSOLE_OUT
	addi r1, r1, 1
	b 1b
2:	lw r1, P_R2(r10)
	b sys_return
sys_fault:
	movi r1, E_FAULT
	b sys_return

; read(sector, buffer): one sector into the caller's memory by DMA.  The
; disk writes physical memory and knows nothing of R, so the kernel checks
; the buffer against the window and hands the disk base + address.  It then
; waits for the transfer by polling (the disk interrupt that follows finds
; nothing to do; see dispatch).
sys_read:
	in r1, PORT_DISK_SECTORS
	cmpi r1, 0
	beq 3f
	lw r1, P_R2(r10)
	li r2, DISK_SECTOR_BYTES
	call user_to_phys
	cmpi r1, 0
	beq sys_fault
	out r1, PORT_DISK_ADDR
	lw r1, P_R1(r10)
	out r1, PORT_DISK_SECTOR
	movi r1, 1
	out r1, PORT_DISK_COUNT
	movi r1, DISK_CMD_READ
	out r1, PORT_DISK_CMD
1:	in r1, PORT_DISK_STATUS         ; busy for DISK_LATENCY_* instructions
	cmpi r1, DISK_STATUS_BUSY
	beq 1b
	movi r2, DISK_STATUS_IDLE       ; acknowledge
	out r2, PORT_DISK_STATUS
	cmpi r1, DISK_STATUS_DONE
	bne 2f
	movi r1, 0
	b sys_return
2:	movi r1, E_IO                   ; a sector beyond the end of the disk
	b sys_return
3:	movi r1, E_NODISK
	b sys_return

; user_to_phys: translate the caller's buffer [r1, r1 + r2) to physical.
; Returns r1 = base + r1, or 0 if any byte of it lies outside the window
; [0, bound).  Written as r2 <= bound and r1 <= bound - r2, so that no sum
; can wrap around 2^32 (r1 + r2 could).  base + bound <= memory size holds
; for every window (the kernel placed them), so inside R means in memory.
user_to_phys:
	lw r3, P_PSW + PSW_OFF_BOUND(r10)
	cmp r2, r3
	bgtu 1f
	sub r3, r3, r2
	cmp r1, r3
	bgtu 1f
	lw r3, P_PSW + PSW_OFF_BASE(r10)
	add r1, r1, r3
	ret
1:	movi r1, 0
	ret

; ======================================================================
; Faults kill the process:
;   "kernel: process N killed: memory fault at 0xDETAIL (pc 0xPC)"
; ======================================================================
kill:
	call putpid
	print s_killed
	la r1, cause_names              ; cause_names[cause]
	shli r2, r8, WORD_SHIFT
	add r1, r1, r2
	lw r1, 0(r1)
	call puts
	mov r1, r9
	call puthex
	print s_pc
	lw r1, P_PSW + PSW_OFF_PC(r10)
	call puthex
	print s_close_nl
	la r1, nkilled
finish:                                 ; r1 = the counter to bump; the process is gone
	lw r2, 0(r1)
	addi r2, r2, 1
	sw r2, 0(r1)
	movi r1, PS_DONE
	sw r1, P_STATE(r10)
	; fall through

; ======================================================================
; Schedule: the next READY entry after the current one, round robin (the
; current one last).  None left: the summary, and power off.
; ======================================================================
schedule:
	la r1, current
	lw r10, 0(r1)
	la r2, proc_table_end
	movi r3, NPROC
1:	addi r10, r10, P_SIZE
	cmp r10, r2
	bltu 2f
	la r10, proc_table              ; wrap around
2:	lw r4, P_STATE(r10)
	cmpi r4, PS_READY
	beq 3f
	addi r3, r3, -1
	cmpi r3, 0
	bgt 1b
	b all_done
3:	sw r10, 0(r1)                   ; current = r10
	li r1, QUANTUM                  ; a fresh time slice: the timer counts
	out r1, PORT_TIMER_PERIOD       ; QUANTUM instructions from now
	; fall through

; ======================================================================
; Resume: enter the current process with exactly its saved registers and
; PSW.  The last instruction, lpsw rX, needs the PSW's address in a
; register rX, and rX would reach the process holding that address instead
; of its own value.  So the kernel enters through a trampoline that it
; writes into the process's own window at virtual TRAMP:
;
;   TRAMP + 0           lw  r12, TRAMP_SLOT(r12)   r12 := the saved r12
;   TRAMP + TRAMP_B     b   <the saved pc>
;   TRAMP + TRAMP_SLOT  .word <the saved r12>
;
; and puts the PSW to load at physical TRAMP, the same number, so that
; "lpsw r12" with r12 = TRAMP works for both: the kernel reads the PSW at
; physical TRAMP, and the process starts at virtual TRAMP with r12 = TRAMP,
; which is what its first instruction needs.  The trampoline runs in user
; mode in the process's own memory: spoiling it spoils only the process.
; An interrupt may come on the trampoline (one pending at lpsw is taken
; before its first instruction); trap_entry knows these two pcs.
; ======================================================================
resume:
	la r10, current
	lw r10, 0(r10)
	lw r1, P_PSW + PSW_OFF_BASE(r10) ; r1 = physical address of the window
	la r2, tramp_template
	lw r3, 0(r2)
	sw r3, TRAMP(r1)
	lw r4, P_PSW + PSW_OFF_PC(r10)   ; branch offset, in words, from TRAMP_B + WORD
	addi r4, r4, -(TRAMP + TRAMP_B + WORD)
	sari r4, r4, WORD_SHIFT
	shli r4, r4, OPCODE_BITS         ; keep the low 24 bits (off24)
	shri r4, r4, OPCODE_BITS
	lw r3, TRAMP_B(r2)               ; "b" with offset 0, plus the offset
	or r3, r3, r4
	sw r3, TRAMP + TRAMP_B(r1)
	lw r3, P_R12(r10)
	sw r3, TRAMP + TRAMP_SLOT(r1)
	movi r1, 0                       ; the PSW for lpsw, at physical TRAMP
	lw r3, P_PSW + PSW_OFF_STATUS(r10)
	sw r3, TRAMP + PSW_OFF_STATUS(r1)
	movi r3, TRAMP
	sw r3, TRAMP + PSW_OFF_PC(r1)
	lw r3, P_PSW + PSW_OFF_BASE(r10)
	sw r3, TRAMP + PSW_OFF_BASE(r1)
	lw r3, P_PSW + PSW_OFF_BOUND(r10)
	sw r3, TRAMP + PSW_OFF_BOUND(r1)
	lw r0, P_REGS + 0 * WORD(r10)
	lw r1, P_REGS + 1 * WORD(r10)
	lw r2, P_REGS + 2 * WORD(r10)
	lw r3, P_REGS + 3 * WORD(r10)
	lw r4, P_REGS + 4 * WORD(r10)
	lw r5, P_REGS + 5 * WORD(r10)
	lw r6, P_REGS + 6 * WORD(r10)
	lw r7, P_REGS + 7 * WORD(r10)
	lw r8, P_REGS + 8 * WORD(r10)
	lw r9, P_REGS + 9 * WORD(r10)
	lw r11, P_REGS + 11 * WORD(r10)
	lw r13, P_REGS + 13 * WORD(r10)
	lw r14, P_REGS + 14 * WORD(r10)
	lw r15, P_REGS + 15 * WORD(r10)
	movi r12, TRAMP
	lw r10, P_REGS + 10 * WORD(r10)  ; the address register goes last
	lpsw r12                         ; user mode, IE = 1, R = the window

tramp_template:                          ; never run here: copied by resume
	lw r12, TRAMP_SLOT(r12)
	b 1f
1:

all_done:                               ; "kernel: all done: E exited, K killed"
	movi r1, 0
	out r1, PORT_TIMER_PERIOD
	print s_all_done
	la r1, nexited
	lw r1, 0(r1)
	call putdec
	print s_exited_comma
	la r1, nkilled
	lw r1, 0(r1)
	call putdec
	print s_killed_end
	poweroff EXIT_OK

panic:                                  ; a trap in the kernel: stop the machine
	print s_panic
	poweroff EXIT_PANIC

; ---- console: the library of pg32.inc (puts, puthex, putdec change
; ---- r1..r4), and one helper of the kernel's own --------------------

putpid:                                 ; print "kernel: process <pid of r10>"
	push lr
	print s_kernel_process
	lw r1, P_PID(r10)
	call putdec
	pop lr
	ret

	guest_lib

; ---- kernel data -------------------------------------------------------

current:	.word 0                 ; the process table entry running now
nexited:	.word 0
nkilled:	.word 0

syscall_table:                          ; indexed by the svc number
	.word sys_exit                  ; SYS_EXIT
	.word sys_write                 ; SYS_WRITE
	.word sys_getpid                ; SYS_GETPID
	.word sys_yield                 ; SYS_YIELD
	.word sys_read                  ; SYS_READ

cause_names:                            ; by the cause (kill sees TRAP_HCALL at most)
	.word s_trap                    ; 0: none
	.word s_priv                    ; TRAP_PRIV
	.word s_memory                  ; TRAP_MEMORY
	.word s_align                   ; TRAP_ALIGN
	.word s_illegal                 ; TRAP_ILLEGAL
	.word s_divide                  ; TRAP_DIVIDE
	.word s_trap                    ; TRAP_SVC (handled, not a kill)
	.word s_brk                     ; TRAP_BRK
	.word s_hcall                   ; TRAP_HCALL

boot_table:                             ; each process's entry pc, by pid
	.word main_counter - user_image + USER_ENTRY    ; 1
	.word main_wild - user_image + USER_ENTRY       ; 2
	.word main_disk - user_image + USER_ENTRY       ; 3
	.word main_counter - user_image + USER_ENTRY    ; 4: the same code as 1

proc_table:
	.space NPROC * P_SIZE
proc_table_end:

s_boot:		.asciz "kernel: minikernel starting\n"
s_kernel_process: .asciz "kernel: process "
s_r_is:		.asciz ": R = ("
s_comma:	.asciz ", "
s_close_nl:	.asciz ")\n"
s_nl:		.asciz "\n"
s_exited:	.asciz " exited with code "
s_killed:	.asciz " killed: "
s_pc:		.asciz " (pc "
s_all_done:	.asciz "kernel: all done: "
s_exited_comma:	.asciz " exited, "
s_killed_end:	.asciz " killed; power off\n"
s_panic:	.asciz "kernel: panic: a trap in the kernel\n"
s_trap:		.asciz "trap "
s_priv:		.asciz "privileged instruction "
s_memory:	.asciz "memory fault at "
s_align:	.asciz "alignment fault at "
s_illegal:	.asciz "illegal instruction "
s_divide:	.asciz "division by zero in "
s_brk:		.asciz "breakpoint "
s_hcall:	.asciz "hypercall "

; ======================================================================
; The user image: copied to USER_ENTRY in every window, run in user mode.
; Data addresses come from ula (they are window addresses); calls and
; branches are relative and need nothing.
; ======================================================================
	.align WORD
user_image:

; A counter: "process N: count K" for K = 1..COUNT_LINES, then exit.
; The count lives in r12, the register the return trampoline restores.
main_counter:
	movi r12, 1
1:	call u_begin
	uappend us_count
	mov r2, r12
	call u_num
	call u_end
	call u_delay                    ; long enough to be preempted
	addi r12, r12, 1
	cmpi r12, COUNT_LINES
	ble 1b
	usay us_done
	movi r1, EXIT_OK
	svc SYS_EXIT

; The wild one: tries the kernel's checks, then breaks its bound.
main_wild:
	usay us_wild
	li r1, REGION_SIZE - WORD       ; 1: our last word, and BAD_WRITE_LEN bytes
	li r2, BAD_WRITE_LEN            ;    from there: mostly outside the window
	svc SYS_WRITE
	mov r3, r0
	li r1, WRAP_ADDR                ; 2: a length so large that address + length
	li r2, WRAP_LEN                 ;    wraps around 2^32 back into the window
	svc SYS_WRITE
	and r3, r3, r0                  ; E_FAULT (all ones) only if both were refused
	cmpi r3, E_FAULT
	bne 1f
	usay us_refused
1:	svc SYS_YIELD
	usay us_load
	li r1, REGION_SIZE              ; the first address past our bound
	lw r2, 0(r1)                    ; memory fault: the kernel kills us here
	svc SYS_EXIT                    ; (a kernel that let the load through
	                                ; would see us exit with code 0x4000)

; The disk reader: sector DEMO_SECTOR into U_SECTOR, print its start as
; text, then count like main_counter.
main_disk:
	movi r1, DEMO_SECTOR
	li r2, U_SECTOR
	svc SYS_READ
	cmpi r0, E_NODISK
	beq 2f
	cmpi r0, 0
	bne 3f
	li r1, U_SECTOR + SHOW_BYTES    ; cut the text after SHOW_BYTES bytes
	movi r2, 0
	sb r2, 0(r1)
	call u_begin
	uappend us_sector
	li r2, U_SECTOR
	call u_str
	call u_end
	b main_counter
2:	usay us_no_disk
	b main_counter
3:	usay us_disk_error
	b main_counter

; ---- the user library -----------------------------------------------
; A line is built in U_LINE and written with one svc, so that lines of
; different processes never mix, however the timer cuts.

u_begin:                                ; start "process <pid>: "; r1 = the cursor
	push lr
	li r1, U_LINE
	uappend us_process
	svc SYS_GETPID
	mov r2, r0
	call u_num
	uappend us_colon
	pop lr
	ret

u_str:                                  ; append the string at r2 at r1
1:	lbu r3, 0(r2)
	cmpi r3, 0
	beq 2f
	sb r3, 0(r1)
	addi r1, r1, 1
	addi r2, r2, 1
	b 1b
2:	ret

u_num:                                  ; append r2 in decimal at r1
	push lr
	push r2
	movi r3, DECIMAL
	divu r2, r2, r3
	cmpi r2, 0
	beq 1f
	call u_num
1:	pop r2
	movi r3, DECIMAL
	remu r2, r2, r3
	addi r2, r2, '0'
	sb r2, 0(r1)
	addi r1, r1, 1
	pop lr
	ret

u_end:                                  ; end the line at r1 and write it
	movi r3, '\n'
	sb r3, 0(r1)
	addi r1, r1, 1
	li r2, U_LINE
	sub r2, r1, r2                  ; length
	li r1, U_LINE
	svc SYS_WRITE
	ret

u_say:                                  ; the line "process <pid>: <string r2>"
	push lr
	push r2
	call u_begin
	pop r2
	call u_str
	call u_end
	pop lr
	ret

u_delay:                                ; spin DELAY loops
	li r3, DELAY
1:	addi r3, r3, -1
	cmpi r3, 0
	bgt 1b
	ret

us_process:	.asciz "process "
us_colon:	.asciz ": "
us_count:	.asciz "count "
us_done:	.asciz "done"
us_wild:	.asciz "I will try to leave my window"
us_refused:	.asciz "the kernel refused to print memory outside my window"
us_load:	.asciz "now loading from beyond my bound"
us_sector:	.asciz "sector 0 says: "
us_no_disk:	.asciz "no disk"
us_disk_error:	.asciz "disk error"
	.align WORD
user_image_end:
