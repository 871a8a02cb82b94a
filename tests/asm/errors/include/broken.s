; Part of include_error_inside.s: a bad line.
	add r1, r2
