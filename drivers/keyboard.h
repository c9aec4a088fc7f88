/* The PS/2 keyboard (IRQ 1), scan code set 1, US layout, feeding the console input. */
#pragma once

#include <kernel/types.h>

namespace keyboard {
void init();
/* The character a make code gives, or 0: exposed for tests. */
char translate(u8 scancode, bool shift, bool ctrl, bool caps);
/* What Linux's console sends for a cursor, editing or function key (ESC [ A ...), or nullptr. */
const char* escape_sequence(u8 scancode, bool extended);
}
