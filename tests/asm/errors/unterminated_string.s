; Unterminated string and character literals, and a bad escape.
msg:	.asciz "hello
	.byte 'x
	.asciz "tab\q"
	.byte 'ab'
