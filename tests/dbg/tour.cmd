# tzdbg: trap_priv.img
# The guided tour of docs/debugger.md: watch a privileged instruction trap
# and get emulated (in virtual system mode) or reflected (in virtual user mode).
break user
continue
info regs
step
info traps 3
explain 31
step
info traps 2
explain 32
info regs
reverse-step
where
reverse-step 2
info regs
continue
console
info guests
info patches
