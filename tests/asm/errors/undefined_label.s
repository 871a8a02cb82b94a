; Undefined symbols, with a suggestion when one is close.
loop:	addi r1, r1, -1
	bne lopo
	b finish
	la r2, table
