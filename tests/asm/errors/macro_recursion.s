; A macro that calls itself: expansion depth is capped.
	.macro forever n
	addi r1, r1, \n
	forever \n
	.endm
	forever 1
