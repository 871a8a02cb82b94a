; Syntax errors: what was expected, and before what.
	add r1 r2, r3
	add r1, r2,
	movi r1, (3 + 4
	lw r1, 4(r2
	.word 1 2
	r3
	add r1, r2, r3 extra
