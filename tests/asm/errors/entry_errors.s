; The entry point must be an instruction address inside the image.
	.entry data + 2
data:	.word 0
	.entry data
