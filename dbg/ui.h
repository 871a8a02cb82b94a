/*
 * ui.h -- the full-screen view of tzdbg (dbg/ui_*.c, linked into tzdbg
 * only).  Private to the tool: the library does not know it exists.
 */
#ifndef DBG_UI_H
#define DBG_UI_H

#include <stddef.h>

#include "dbg.h"

/* Run the ncurses screen over session d until the user quits.  Returns 0,
 * or non-zero with a message (no terminal, say). */
int ui_main(struct dbg *d, char *msg, size_t msglen);

#endif
