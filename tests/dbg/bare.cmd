# tzdbg: --bare trap_priv.img
# The same guest on the bare machine: no monitor, so the kernel's own
# privileged instructions run directly and only the user-mode out traps,
# delivered by the CPU itself.  Compare with tour.cmd.
break user
continue
info regs
info traps
step 2
info traps
explain 1
reverse-step
info traps
x/4 h:0
continue
console
info guests
