/*
 * Bochs's port 0xE9 hack (QEMU's -debugcon too): a byte written there appears on the
 * emulator's console. Present when the port reads back 0xE9.
 */
#pragma once

namespace debugcon {
bool init();                    /* registers the console if the port is there */
}
