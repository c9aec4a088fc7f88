/* The 16550 UART on COM1: console output by polling, input by interrupt (IRQ 4). */
#pragma once

#include <kernel/types.h>

namespace serial {

void init();                    /* 115200 8N1, FIFOs on; registers the console */
void enable_input_interrupts(); /* once the IDT and PIC are set up */
void write(const char* s, size_t n);

/* Sends each byte through the UART's internal loopback; true if all came back intact. */
bool loopback_test(const u8* bytes, size_t n);

} // namespace serial
