# mkswap, one source built twice: for the host (`make` builds it; `make run` and the tests
# format disk images with it) and as a static i386 program for the initrd's /sbin/mkswap.
# MKSWAP_TARGET is the initrd's copy.

MKSWAP_SRC    := user/mkswap.c
MKSWAP_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra
MKSWAP_HOST   := $(B)/host/mkswap
MKSWAP_TARGET := $(B)/user/mkswap

$(MKSWAP_HOST): $(MKSWAP_SRC) user/mkswap.mk
	@mkdir -p $(dir $@)
	gcc $(MKSWAP_CFLAGS) -o $@ $<

$(MKSWAP_TARGET): $(MKSWAP_SRC) user/mkswap.mk
	@mkdir -p $(dir $@)
	$(CROSS)gcc -static $(MKSWAP_CFLAGS) -o $@ $<

all: $(MKSWAP_HOST) $(MKSWAP_TARGET)
# The host tests run build/host/mkswap.
host-tests: $(MKSWAP_HOST)
