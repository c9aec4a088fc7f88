/* The system-wide files of /proc (kernel/proc_system.cpp, kernel/cpuinfo.cpp). */
#pragma once

#include <kernel/error.h>

namespace fs { class TextBuffer; }

/* Keeps the boot loader's command line, as given, for /proc/cmdline. */
void proc_save_command_line(const char* text);
void proc_system_init();
ErrorOr<void> generate_cpuinfo(int pid, fs::TextBuffer& out);
