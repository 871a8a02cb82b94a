; A value out of range for its field: the range is in the message.
	movi r1, 40000
	ori r1, r1, -1
	shli r2, r2, 32
	lw r3, -40000(sp)
	li r4, 1 << 33
	subi r5, r5, -32768
	.byte 300
