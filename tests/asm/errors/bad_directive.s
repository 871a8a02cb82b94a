; Unknown directives, with a suggestion when one is close.
	.wrod 1
	.asciiz "x"
	.section text
