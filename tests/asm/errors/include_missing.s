; An .include of a file that is nowhere on the search path.
	.include "no_such_file.s"
	.include ""
	nop
