; Part of include_cycle.s: includes cycle_a.s again.
	.include "cycle_a.s"
