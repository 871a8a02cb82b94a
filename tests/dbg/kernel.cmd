# tzdbg: minikernel.img hello.img --snap-interval 4000
# Two guests; next over a call; memory in the three address spaces (hello's
# region starts at host 0x100000); catchpoints on a cause and on an action;
# watchpoints on the trap area; reverse-continue.
info guests
guest 1
x/3i $pc
next
next
next
info regs
x/2 v:0x100
x/2 p:0x100
x/2 h:0x100100
guest 0
catch trap memory
continue
info traps 4
x/4 p:0x10
reverse-step
where
reverse-continue
delete
break action interrupt
continue
continue
info breakpoints
delete 2
watch p:0x10
continue
rwatch p:0x10
continue
delete
tbreak sys_exit
continue
info breakpoints
continue
info guests
console
guest 1
console
info snapshots
