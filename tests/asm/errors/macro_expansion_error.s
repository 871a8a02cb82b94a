; An error inside a macro expansion names the line in the macro and the
; call site, through nested calls.
	.macro load_pair d, s
	lw \d, 0(\s)
	lw \d, 4(\s)
	.endm
	.macro twice r
	load_pair \r, 99
	.endm
	twice r1
