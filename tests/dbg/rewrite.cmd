# tzdbg: detect.img
# An ill-behaved guest under dynamic rewriting: the patched critical
# instructions are marked W, listed by info patches, and their traps are
# "rewritten"; reverse-step goes back over one (the patch table too).
catch action rewritten
continue
x/3i $pc-4
info patches
info traps 2
reverse-step
where
reverse-step
continue
continue
info patches
delete
continue
console
