; An error in an included file names the include site.
	.include "include/broken.s"
	nop
