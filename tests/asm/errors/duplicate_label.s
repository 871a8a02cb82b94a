; A label defined twice: a note shows the first definition.
start:	nop
	b start
start:	halt
	.equ SIZE, 4
	.equ SIZE, 8
