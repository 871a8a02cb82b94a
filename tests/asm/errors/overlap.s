; Two .org regions whose bytes overlap: the image cannot hold both.
	.org 0x200
first:	.space 16
	.org 0x208
second:	.word 1
