# The user programs of the initrd: static i386 executables linked against the cross
# toolchain's glibc. Each lands in $(USER_ROOT) at its path inside the initrd; the
# initrd rule copies $(USER_ROOT) over user/rootfs.

UCC      := $(CROSS)gcc
UCFLAGS  := -static -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iuser/lib -MMD -MP
USER_OBJ := $(B)/user/obj
USER_ROOT := $(B)/user/root

# path in the initrd: its sources
USER_PROG_tests/run     := user/tests/run.c user/tests/lib.c user/tests/t_proc.c \
                           user/tests/t_fault.c user/tests/t_efault.c user/tests/t_cmov.c user/tests/t_mem.c \
                           user/tests/t_files.c user/tests/t_shell.c user/tests/t_vm.c \
                           user/tests/t_swap.c user/tests/t_return.c user/tests/t_fork.c \
                           user/tests/t_disk.c user/tests/t_time.c user/tests/t_robust.c \
                           user/tests/t_tmpfs.c user/tests/t_tmpfs_mounts.c user/tests/t_tmpfs_lib.c \
                           user/tests/t_tty.c \
                           user/tests/t_calls.c \
                           user/tests/t_vfork.c user/tests/t_dynamic.c \
                           user/tests/t_shm.c \
                           user/tests/t_watch.c \
                           user/tests/t_system.c \
                           user/tests/t_exec_fail.c \
                           user/tests/t_regions.c \
                           user/tests/t_exec_script.c \
                           user/lib/common.c
USER_PROG_tests/hello   := user/tests/hello.c
USER_PROG_tests/args    := user/tests/args.c
USER_PROG_tests/fdcheck := user/tests/fdcheck.c
USER_PROG_tests/rawkey  := user/tests/rawkey.c
USER_PROG_tests/watchee := user/tests/watchee.c
# The system's own programs, one executable (user/system/ferrite.c) under their names.
USER_PROG_bin/ferrite   := user/system/ferrite.c user/init/init.c user/mkswap.c \
                           user/demo/cowdemo.c user/demo/sharedemo.c user/demo/swapdemo.c \
                           user/lib/common.c
USER_PROG_tests/bench   := user/bench/bench.c
USER_PROG_bench/linux-init := user/bench/linux-init.c
USER_PROG_tests/fuzz    := user/fuzz/fuzz.c user/fuzz/calls.c user/lib/common.c

# The system (build/initrd.cpio, on the ISO) and the test programs, which only the test
# boots carry (build/initrd-tests.cpio): the ISO's initrd must fit an 8 MB machine.
USER_SYSTEM := bin/ferrite
# Its names: links to /bin/ferrite, as busybox's applets are to /bin/busybox.
FERRITE_LINKS := sbin/init sbin/mkswap bin/cowdemo bin/sharedemo bin/swapdemo
USER_TESTS := tests/run tests/hello tests/args tests/fdcheck tests/bench tests/fuzz tests/rawkey
USER_TESTS += tests/watchee
# The init of the initrd that boots Linux for `make bench` (in neither of the above).
USER_BENCH := bench/linux-init
USER_PROG_NAMES := $(USER_SYSTEM) $(USER_TESTS) $(USER_BENCH)
USER_PROGS := $(addprefix $(USER_ROOT)/,$(USER_PROG_NAMES))

# mkswap.c is the host's mkswap too, with its own main; in /bin/ferrite it is mkswap_main.
$(USER_OBJ)/mkswap.o: UCFLAGS += -Dmain=mkswap_main

$(USER_OBJ)/%.o: user/%.c user/user.mk
	@mkdir -p $(dir $@)
	$(UCC) $(UCFLAGS) -c $< -o $@

define user_prog
$(USER_ROOT)/$(1): $(patsubst user/%.c,$(USER_OBJ)/%.o,$(USER_PROG_$(1)))
	@mkdir -p $$(dir $$@)
	$(UCC) $(UCFLAGS) -o $$@ $$^
endef
$(foreach p,$(USER_PROG_NAMES),$(eval $(call user_prog,$(p))))

.PHONY: user
user: $(USER_PROGS)

# The test suite on this machine's own kernel (Linux runs static i386 programs), from the
# initrd's tree, as a reference for the suite itself. Ferrite-only checks skip there.
.PHONY: user-tests-host
user-tests-host: $(B)/initrd-tests.cpio
	$(B)/rootfs-tests/tests/run
