; The wrong kind of operand: which operand, and what was expected.
	add r1, 5, r2
	addi r1, r2, r3
	lw r1, r2
	b r4
	.word "text"
	.ascii 65
