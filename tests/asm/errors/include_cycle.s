; A file that includes itself through another: the cycle is an error.
	.include "include/cycle_a.s"
	nop
