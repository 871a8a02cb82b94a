; Critical instructions in code for the ill-behaved variant: a warning
; each, naming the real-world twin.  (Warnings alone do not fail.)
	.isa ill
	srr r1, r2
	rdpsw r3
	wrfl r3
	rtu r4
	lrr r1, r2
