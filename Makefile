# Ferrite: build the kernel, the initrd and the boot ISO; run it; test it.
# `make help` lists the targets.

CROSS       ?= i686-linux-gnu-
KCXX        := $(CROSS)g++
KLD         := $(CROSS)ld
KNM         := $(CROSS)nm
KOBJDUMP    := $(CROSS)objdump
HOSTCXX     ?= g++
PYTHON      ?= python3
QEMU        ?= qemu-system-i386

B := build
# Rules for single objects come before `all`; the default is still `all`.
.DEFAULT_GOAL := all

KFLAGS := -m32 -march=i486 -fno-pie -ffreestanding -nostdlib -fno-stack-protector \
          -fno-omit-frame-pointer -fno-optimize-sibling-calls -mno-omit-leaf-frame-pointer -mgeneral-regs-only -fno-asynchronous-unwind-tables \
          -fno-strict-aliasing -O2 -g -Wall -Wextra -I. -MMD -MP
KCXXFLAGS := $(KFLAGS) -std=c++20 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
             -fno-use-cxa-atexit
KLDFLAGS := -m elf_i386 -nostdlib --build-id=none -z max-page-size=0x1000 -z noexecstack -T linker.ld

KDIRS := boot arch/i386 kernel mm drivers fs
KSRCS := $(foreach d,$(KDIRS),$(wildcard $(d)/*.S $(d)/*.cpp))
KOBJS := $(patsubst %,$(B)/k/%.o,$(basename $(KSRCS)))
$(KOBJS): Makefile

HOST_TEST_SRCS := $(wildcard tests/*.cpp)
HOST_KERNEL_SRCS := kernel/format.cpp kernel/cmdline.cpp kernel/elf.cpp mm/bootmem.cpp mm/page_alloc.cpp \
                    mm/fault_inject.cpp \
                    mm/slab.cpp mm/swap_header.cpp mm/swap_map.cpp mm/region.cpp fs/cpio.cpp fs/device.cpp fs/file.cpp fs/initrd.cpp \
                    fs/namei.cpp fs/text_buffer.cpp drivers/block.cpp drivers/partition.cpp drivers/ata_prd.cpp \
                    drivers/rtc_time.cpp \
                    arch/i386/insn_emulate.cpp
HOST_CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -I. -MMD -MP -DFERRITE_HOST

.PHONY: all run test debug bochs bench bench-swap fuzz clean setup help host-tests memmap
all: $(B)/kernel.elf $(B)/initrd.cpio $(B)/initrd-tests.cpio $(B)/initrd-small.cpio $(B)/os.iso

help:
	@echo "make             build build/kernel.elf, build/initrd.cpio, build/os.iso (and the tests' initrd)"
	@echo "make all         the same"
	@echo "make run         boot build/os.iso in QEMU, serial console on this terminal (Ctrl-A X quits)"
	@echo "make test        every test; the last line is 'N passed, N failed, N skipped'"
	@echo "                 STAGES=\"swap disks\" runs those stages only (scripts/run-tests.py --list"
	@echo "                 names them); JOBS=N runs N stages at once (default 2, 1: one at a time)"
	@echo "make host-tests  build the host unit tests (build/host/unit-tests; make test runs them)"
	@echo "make debug       QEMU stopped at the first instruction, gdb attached"
	@echo "make bochs       boot build/os.iso in Bochs"
	@echo "make bench       fault, fork, exec, region and swap costs: Ferrite against Debian's Linux"
	@echo "make bench-swap  swap costs alone: 3 times the RAM of a 16 MB machine through build/swap.img"
	@echo "make fuzz        random system calls: SEED=N CALLS=M [FAIL_PAGE_ALLOC=...] [FUZZFLAGS=-v]"
	@echo "make setup       install the Debian packages the build and the tests need (or print the apt-get line)"
	@echo "make clean       remove build/"
	@echo "make help        this list"

setup:
	@scripts/setup.sh

$(B)/k/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(KCXX) $(KCXXFLAGS) -c $< -o $@

$(B)/k/%.o: %.S
	@mkdir -p $(dir $@)
	$(KCXX) $(KFLAGS) -D__ASSEMBLY__ -c $< -o $@

# Two links: the first without symbol names, the second with the table made from the
# first. The table sits after .data, so no function moves: the check below proves it.
$(B)/ksyms-empty.S: scripts/ksyms.py
	@mkdir -p $(B)
	$(PYTHON) scripts/ksyms.py > $@

$(B)/ksyms.S: $(B)/kernel.stage1.elf scripts/ksyms.py
	$(KNM) -n -C $< > $(B)/kernel.stage1.nm
	$(PYTHON) scripts/ksyms.py $(B)/kernel.stage1.nm > $@

$(B)/%.o: $(B)/%.S
	$(KCXX) $(KFLAGS) -c $< -o $@

$(B)/kernel.stage1.elf: $(KOBJS) $(B)/ksyms-empty.o linker.ld
	$(KLD) $(KLDFLAGS) -o $@ $(KOBJS) $(B)/ksyms-empty.o

$(B)/kernel.elf: $(KOBJS) $(B)/ksyms.o linker.ld
	$(KLD) $(KLDFLAGS) -o $@ $(KOBJS) $(B)/ksyms.o
	@$(KNM) -n $(B)/kernel.stage1.elf | grep -i ' [tw] ' > $(B)/text1.nm
	@$(KNM) -n $@ | grep -i ' [tw] ' > $(B)/text2.nm
	@cmp -s $(B)/text1.nm $(B)/text2.nm || { echo "kernel.elf: code moved between links"; exit 1; }

include user/user.mk

# Debian's i386 busybox-static, dash and libc6, unpacked (scripts/fetch-debs.sh).
DEBS := $(B)/debs/versions
$(DEBS): scripts/fetch-debs.sh
	scripts/fetch-debs.sh $(B)/debs

ROOTFS_FILES := $(shell find user/rootfs -type f 2>/dev/null)
# Programs go in stripped.
define stage_programs
	for p in $(2); do install -D -m 755 $(USER_ROOT)/$$p $(1)/$$p && $(CROSS)strip $(1)/$$p; done
endef

# Debian's busybox, unmodified, at /bin/busybox with a symbolic link for each applet at the
# path `busybox --list-full` gives (the host runs the static i386 program), relative so
# that the tree works where it lies too (make user-tests-host). Where the project has a
# program of its own at that path (FERRITE_LINKS: init, mkswap), the project's stays.
BUSYBOX := $(B)/debs/busybox-static/bin/busybox
define stage_busybox
	install -D -m 755 $(BUSYBOX) $(1)/bin/busybox
	$(BUSYBOX) --list-full | while read -r p; do \
		[ -e $(1)/$$p ] || { mkdir -p $(1)/$$(dirname $$p) && \
		ln -s $$(echo $$p | sed 's|[^/]*/|../|g; s|[^/]*$$|bin/busybox|') $(1)/$$p; }; \
	done
endef

# /sbin/init, /sbin/mkswap and the demos: relative links to /bin/ferrite.
define stage_ferrite_links
	for p in $(FERRITE_LINKS); do \
		mkdir -p $(1)/$$(dirname $$p) && \
		ln -sfn $$(echo $$p | sed 's|[^/]*/|../|g; s|[^/]*$$|bin/ferrite|') $(1)/$$p; \
	done
endef

$(B)/initrd.cpio: $(ROOTFS_FILES) $(addprefix $(USER_ROOT)/,$(USER_SYSTEM)) $(DEBS)
	@rm -rf $(B)/rootfs && mkdir -p $(B)/rootfs
	cp -a user/rootfs/. $(B)/rootfs/
	$(call stage_programs,$(B)/rootfs,$(USER_SYSTEM))
	$(call stage_ferrite_links,$(B)/rootfs)
	$(call stage_busybox,$(B)/rootfs)
	cd $(B)/rootfs && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > ../initrd.cpio

# The same system with the test programs under /tests, for the test boots; Debian's
# dash with the part of libc6 it needs, where Debian has them (the dynamic linking tests);
# and the shell scripts busybox's sh runs (/tests/scripts/run, the busybox stage).
DEBIAN_LIB := $(B)/debs/libc6/lib/i386-linux-gnu
TEST_SCRIPTS := $(wildcard user/tests/scripts/*)
# "#!" scripts for exec's tests (t_exec_script.c); not-executable stays 644.
EXEC_SCRIPTS := $(wildcard user/tests/exec/*)
# /tests/hello-huge-bss (t_exec_fail.c) is made from the unstripped hello: scan-i686.py
# names its functions by the symbols, as it has no twin in $(USER_ROOT).
$(B)/initrd-tests.cpio: $(B)/initrd.cpio $(addprefix $(USER_ROOT)/,$(USER_TESTS)) $(DEBS) scripts/set-interp.py \
		$(TEST_SCRIPTS) $(EXEC_SCRIPTS) scripts/stretch-bss.py
	@rm -rf $(B)/rootfs-tests && cp -a $(B)/rootfs $(B)/rootfs-tests
	$(call stage_programs,$(B)/rootfs-tests,$(USER_TESTS))
	install -D -m 755 $(DEBIAN_LIB)/ld-linux.so.2 $(B)/rootfs-tests/lib/i386-linux-gnu/ld-linux.so.2
	install -D -m 755 $(DEBIAN_LIB)/libc.so.6 $(B)/rootfs-tests/lib/i386-linux-gnu/libc.so.6
	ln -sf i386-linux-gnu/ld-linux.so.2 $(B)/rootfs-tests/lib/ld-linux.so.2
	install -D -m 755 $(B)/debs/dash/bin/dash $(B)/rootfs-tests/usr/bin/dash
	printf 'not an ELF file\n' > $(B)/rootfs-tests/tests/not-elf && chmod 755 $(B)/rootfs-tests/tests/not-elf
	scripts/set-interp.py $(B)/debs/dash/bin/dash $(B)/rootfs-tests/tests/dash-no-interp /lib/ld-nowhere.so
	scripts/set-interp.py $(B)/debs/dash/bin/dash $(B)/rootfs-tests/tests/dash-text-interp /tests/not-elf
	scripts/set-interp.py --unterminated $(B)/debs/dash/bin/dash $(B)/rootfs-tests/tests/dash-unterminated-interp /lib
	chmod 755 $(B)/rootfs-tests/tests/dash-*
	scripts/stretch-bss.py $(USER_ROOT)/tests/hello $(B)/rootfs-tests/tests/hello-huge-bss bff00000
	chmod 755 $(B)/rootfs-tests/tests/hello-huge-bss
	install -D -m 755 -t $(B)/rootfs-tests/tests/exec $(EXEC_SCRIPTS)
	chmod 644 $(B)/rootfs-tests/tests/exec/not-executable
	install -D -m 644 -t $(B)/rootfs-tests/tests/scripts $(TEST_SCRIPTS)
	chmod 755 $(B)/rootfs-tests/tests/scripts/run
	cd $(B)/rootfs-tests && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > ../initrd-tests.cpio

# os.iso boots the normal entry; selftest.iso (for Bochs, which cannot type at GRUB's
# menu) is the same image with the self-test entry as the default and no countdown.
$(B)/os.iso: $(B)/kernel.elf $(B)/initrd.cpio iso/boot/grub/grub.cfg
	@rm -rf $(B)/iso && mkdir -p $(B)/iso/boot/grub
	cp iso/boot/grub/grub.cfg $(B)/iso/boot/grub/
	@# GRUB's Multiboot loader copies every section that is not loaded (the debug
	@# information: 1 MB; the ELF symbol table: 100 KB) into memory too: on an 8 MB
	@# machine the 4.4 MB initrd then finds no room. The kernel carries its own symbol
	@# table (.ksyms, loaded) for backtraces.
	$(CROSS)strip --strip-all -o $(B)/iso/boot/kernel.elf $(B)/kernel.elf
	cp $(B)/initrd.cpio $(B)/iso/boot/
	grub-mkrescue -o $@ $(B)/iso 2> $(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }
	@# Whole 1 MB "cylinders" of the hybrid partition table: BIOSes that size a USB disk
	@# by its geometry cannot read a last, partial one.
	truncate --size=%1M $@

$(B)/selftest.iso: $(B)/os.iso
	@rm -rf $(B)/iso-selftest && cp -a $(B)/iso $(B)/iso-selftest
	sed -i -e 's/^set default=0/set default=1/' -e 's/^set timeout=.*/set timeout=0/' \
		$(B)/iso-selftest/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(B)/iso-selftest 2> $(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }
	truncate --size=%1M $@

# For the 16 MB boots (the swap stages, make bench-swap): the test runner and the programs
# the swap tests run, with user/rootfs's few files, and nothing else. The initrd stays in memory, and the full tests'
# initrd (static programs of 0.7 MB each, Debian's libc) would leave a 16 MB machine little.
SMALL_INITRD_PROGRAMS := tests/run tests/hello tests/bench bin/ferrite
$(B)/initrd-small.cpio: $(ROOTFS_FILES) $(addprefix $(USER_ROOT)/,$(SMALL_INITRD_PROGRAMS))
	@rm -rf $(B)/rootfs-small && mkdir -p $(B)/rootfs-small
	cp -a user/rootfs/. $(B)/rootfs-small/
	$(call stage_programs,$(B)/rootfs-small,$(SMALL_INITRD_PROGRAMS))
	$(call stage_ferrite_links,$(B)/rootfs-small)
	cd $(B)/rootfs-small && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > ../initrd-small.cpio

# ISOs for Bochs, which cannot be given a command line: the tests' initrd and one entry
# with the command line $(2). bochs-tests.iso runs /tests/run with BOCHS_TESTS (globs) as
# pid 1; bochs-init-fails.iso an init that exits with status 1 (cat of a missing file).
define bochs_iso
$(B)/$(1).iso: $(B)/kernel.elf $(B)/initrd-tests.cpio Makefile
	@rm -rf $(B)/iso-$(1) && mkdir -p $(B)/iso-$(1)/boot/grub
	cp $(B)/kernel.elf $(B)/iso-$(1)/boot/
	cp $(B)/initrd-tests.cpio $(B)/iso-$(1)/boot/initrd.cpio
	printf '%s\n' 'serial --unit=0 --speed=115200' 'terminal_input serial console' \
		'terminal_output serial console' 'set timeout=0' 'menuentry "Ferrite" {' \
		"    multiboot /boot/kernel.elf $(2)" \
		'    module /boot/initrd.cpio initrd' '    boot' '}' > $(B)/iso-$(1)/boot/grub/grub.cfg
	grub-mkrescue -o $$@ $(B)/iso-$(1) 2> $(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }
endef
BOCHS_TESTS ?= *
$(eval $(call bochs_iso,bochs-tests,init=/tests/run console=ttyS0 -- $(BOCHS_TESTS)))
$(eval $(call bochs_iso,bochs-init-fails,init=/bin/cat console=ttyS0 -- /no/such/file))
# bochs-swap.iso: 8 MB of the machine's memory, twice that through swap on hda and back.
$(eval $(call bochs_iso,bochs-swap,init=/tests/bench console=ttyS0 mem=8M -- swap /dev/hda 2))

# Host unit tests of the pure parts, with GoogleTest.
$(B)/host/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(HOSTCXX) $(HOST_CXXFLAGS) -c $< -o $@

HOST_OBJS := $(patsubst %.cpp,$(B)/host/%.o,$(HOST_TEST_SRCS) $(HOST_KERNEL_SRCS))
$(HOST_OBJS): Makefile
$(B)/host/unit-tests: $(HOST_OBJS)
	$(HOSTCXX) -o $@ $^ -lgtest_main -lgtest -pthread

host-tests: $(B)/host/unit-tests

# 64 MB of swap for make run, in the original (version 0) format: /dev/hda.
$(B)/swap.img: $(B)/host/mkswap
	rm -f $@
	$(MKSWAP_HOST) $@ 16384

run:
	@scripts/setup.sh --quiet
	@$(MAKE) --no-print-directory all $(B)/swap.img
	$(if $(MEM),QEMU_MEM=$(MEM) )scripts/qemu-run.sh

# Stages run JOBS at a time, each printed whole when it ends; STAGES: some of them only.
JOBS ?= 2
STAGES ?=
test:
	@scripts/setup.sh --quiet
	@$(MAKE) --no-print-directory all $(B)/selftest.iso $(B)/bochs-tests.iso \
		$(B)/bochs-init-fails.iso $(B)/bochs-swap.iso host-tests
	@$(PYTHON) scripts/run-tests.py --jobs $(JOBS) $(STAGES)

debug:
	@scripts/setup.sh --quiet
	@$(MAKE) --no-print-directory all $(B)/initrd-tests.cpio $(B)/swap.img
	$(if $(MEM),QEMU_MEM=$(MEM) )scripts/debug.sh

# A picture of physical memory on a 32 MB machine that swaps (scripts/memmap.py):
# build/memmap.png. Debian's python3, for python3-pil.
memmap:
	@scripts/setup.sh --quiet
	@$(MAKE) --no-print-directory all $(B)/initrd-tests.cpio
	/usr/bin/python3 scripts/memmap.py --boot $(B)/memmap.png

# Ferrite against Debian's Linux on the same machine, the same /tests/bench, the same disk:
# guest cycles under -icount, then wall time (scripts/bench.py, docs/performance.md).
bench:
	@scripts/setup.sh --quiet
	@scripts/fetch-linux.sh $(B)/linux
	@$(MAKE) --no-print-directory all $(B)/initrd-linux.cpio
	$(PYTHON) scripts/bench.py

# Swap costs alone, on this kernel: 3 times the RAM of a 16 MB machine written and read
# back through build/swap.img.
bench-swap: all $(B)/swap.img
	$(QEMU) -m 16 -icount shift=0,sleep=off -kernel $(B)/kernel.elf -initrd $(B)/initrd-small.cpio \
		-append "init=/tests/bench console=ttyS0 quiet -- swap /dev/hda 3" -serial stdio \
		-drive file=$(B)/swap.img,format=raw,if=ide,index=0 -display none \
		-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 || [ $$? -eq 1 ]

$(B)/linux/modules.list:
	scripts/fetch-linux.sh $(B)/linux

# Linux's initrd for make bench: the init that loads the disk's modules, and the very
# /tests/bench of initrd-tests.cpio. scripts/fetch-linux.sh makes $(B)/linux.
$(B)/initrd-linux.cpio: $(B)/initrd-tests.cpio $(USER_ROOT)/bench/linux-init $(B)/linux/modules.list
	@rm -rf $(B)/rootfs-linux && mkdir -p $(B)/rootfs-linux/tests $(B)/rootfs-linux/lib/modules
	install -m 755 $(USER_ROOT)/bench/linux-init $(B)/rootfs-linux/init
	$(CROSS)strip $(B)/rootfs-linux/init
	cp $(B)/rootfs-tests/tests/bench $(B)/rootfs-linux/tests/bench
	cp $(B)/linux/modules/*.ko $(B)/rootfs-linux/lib/modules/
	cp $(B)/linux/modules.list $(B)/rootfs-linux/modules.list
	cd $(B)/rootfs-linux && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 > ../initrd-linux.cpio

# The system-call fuzzer as init, with build/swap.img as its swap; the seed comes first
# in the output. Succeeds when the fuzzer powers off with status 0 (QEMU exit 1).
SEED ?= 1
CALLS ?= 20000
FUZZ_TIMEOUT ?= 3600
fuzz:
	@scripts/setup.sh --quiet
	@$(MAKE) --no-print-directory all $(B)/swap.img
	timeout --foreground $(FUZZ_TIMEOUT) $(QEMU) -m 64 -kernel $(B)/kernel.elf \
		-initrd $(B)/initrd-tests.cpio -drive file=$(B)/swap.img,format=raw,if=ide,index=0 \
		-append "init=/tests/fuzz console=ttyS0 quiet $(if $(FAIL_PAGE_ALLOC),fail_page_alloc=$(FAIL_PAGE_ALLOC)) -- -s /dev/hda $(FUZZFLAGS) $(SEED) $(CALLS)" \
		-serial stdio -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04; \
		status=$$?; [ $$status -eq 1 ] || { echo "make fuzz: QEMU exit status $$status (1 is a pass)"; exit 1; }

bochs:
	@scripts/setup.sh --quiet
	@$(MAKE) --no-print-directory all
	scripts/bochs-run.sh $(B)/os.iso

# mkswap for the host (part of all) and for the initrd (MKSWAP_TARGET).
include user/mkswap.mk

clean:
	rm -rf $(B)

-include $(shell find $(B) -path $(B)/debs -prune -o -name '*.d' -print 2>/dev/null)
