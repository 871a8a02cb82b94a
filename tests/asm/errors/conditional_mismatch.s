; .else and .endif without .if, a second .else, an .if left open.
	.endif
	.else
	.if 1
	nop
	.else
	.else
	.endif
	.if 0
	nop
