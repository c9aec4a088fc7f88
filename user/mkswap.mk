# mkswap, one source built twice: for the host (`make` builds it; `make run` and the tests
# format disk images with it) and, through user/user.mk, as the initrd's /sbin/mkswap.

MKSWAP_SRC    := user/mkswap.c
MKSWAP_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra
MKSWAP_HOST   := $(B)/host/mkswap

$(MKSWAP_HOST): $(MKSWAP_SRC) user/mkswap.mk
	@mkdir -p $(dir $@)
	gcc $(MKSWAP_CFLAGS) -o $@ $<

all: $(MKSWAP_HOST)
# The host tests run build/host/mkswap.
host-tests: $(MKSWAP_HOST)
