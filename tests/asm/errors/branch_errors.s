; Branch targets: misaligned, out of reach.
	b 0x102
	beq 0x4000000
	call 1f
