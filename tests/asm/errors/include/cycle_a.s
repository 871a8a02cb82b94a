; Part of include_cycle.s: includes cycle_b.s.
	.include "cycle_b.s"
