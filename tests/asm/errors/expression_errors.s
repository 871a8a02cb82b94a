; Expression errors: division by zero, shifts, huge or bad numbers, local
; labels with no target.
	.word 10 / (5 - 5)
	.word 1 << 70
	.word 99999999999
	.word 0x
	.word 12ab
	b 7b
	b 8f
