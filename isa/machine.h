/*
 * machine.h -- private to isa/: how the CPU reaches the devices of the bare
 * machine.  Other folders use pg32.h only.
 */
#ifndef PG32_MACHINE_H
#define PG32_MACHINE_H

#include "pg32.h"

/* No device event pending: the clock value of "never". */
#define DEV_NEVER UINT64_MAX

/* Port I/O at clock value now (instructions retired, this one included).
 * dev_port_in returns PORT_NONE_VALUE for an unused port; dev_port_out
 * ignores writes to unused or read-only ports. */
uint32_t dev_port_in(struct dev_bus *bus, uint32_t port, uint64_t now);
void dev_port_out(struct dev_bus *bus, uint32_t port, uint32_t value, uint64_t now);
/* Clock value of the next device event (timer expiry, disk completion),
 * or DEV_NEVER. */
uint64_t dev_next_event(const struct dev_bus *bus);
/* Carry out every device event due at or before now (disk DMA into mem);
 * returns the IRQ_* bits they raise. */
uint32_t dev_tick(struct dev_bus *bus, uint64_t now, uint8_t *mem, uint32_t mem_size);

#endif /* PG32_MACHINE_H */
