; Wrong number of operands: the message gives the syntax.
	add r1, r2
	nop r1
	lw r1, 4(r2), r3
	ret lr
