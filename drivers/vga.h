/* The VGA text screen, 80x25, as a console: scrolling and a hardware cursor. */
#pragma once

#include <kernel/types.h>

namespace vga {

constexpr int columns = 80;
constexpr int rows = 25;

void init();                    /* clears the screen and registers the console */
void write(const char* s, size_t n);
u16 cell(int row, int column);  /* character (low byte) and attribute, for tests */

} // namespace vga
