; .isa: an unknown variant, a missing one, a conflict.
	.isa sorta
	.isa
	.isa well
	.isa ill
	nop
