/* What the per-process files of /proc share between kernel/proc_pid.cpp and kernel/proc_smaps.cpp. */
#pragma once

#include <fs/proc.h>
#include <mm/vm.h>

/* A region's line of /proc/PID/maps, which heads its entry in smaps too. */
void print_maps_line(fs::TextBuffer& out, const mm::AddressSpace& as, const mm::Region& r);

/* Registers /proc/PID/smaps and /proc/PID/smaps_rollup. */
void proc_smaps_init();
