# mailsec_exporter -- see README.md.  `make`, `make run`, `make test`.
VERSION  := 0.1.0
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
BUILD    ?= build
SAN      ?=
PKGS     := libevent libcares libmicrohttpd inih libssl libcrypto libpsl libcrypt \
            libunbound libcurl yaml-0.1 zlib gnutls

# Computed when a recipe uses them, not when the Makefile is read: on a fresh
# machine `make run` installs the -dev packages first (`make deps`) and only
# then compiles, in a sub-make.  A missing package is one clear error, not
# hundreds of undefined references.
# libcurl is built against but not linked: collectors/curl_lib.c loads it
# when the first MTA-STS fetch needs it (an exporter that fetches nothing
# does not map it and the ~15 libraries it pulls in).
PKGS_DLOPEN := libcurl
pkg_config = $(or $(shell pkg-config $(1) $(2) 2>/dev/null),$(error \
    pkg-config does not know all of: $(PKGS); run `make deps` (as root) first))
PKG_CFLAGS = $(call pkg_config,--cflags,$(PKGS))
PKG_LIBS   = $(call pkg_config,--libs,$(filter-out $(PKGS_DLOPEN),$(PKGS)))

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -fno-strict-aliasing
CPPFLAGS += -D_GNU_SOURCE -DMAILSEC_VERSION='"$(VERSION)"' -I. $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm
ifneq ($(SAN),)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif

LIB_SRC  := $(sort $(wildcard base/*.c daemon/*.c collectors/*.c web/*.c))
LIB_SRC  := $(filter-out daemon/main.c,$(LIB_SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard fuzz/*_fuzzer.c))

BIN      := mailsec_exporter

.PHONY: all run test unit deps clean install fuzz check-san bench demo
all: $(BIN)

$(BIN): $(BUILD)/$(BIN)
	cp $< $@

$(BUILD)/$(BIN): $(BUILD)/daemon/main.o $(BUILD)/libmailsec.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libmailsec.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libmailsec.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libmailsec.a $(LDLIBS)

unit: $(UNIT_BIN)

# Installs the Debian packages that building and running need, only when
# missing; `make test` installs the test suite's packages too.
deps:
	@sh .ci/deps.sh build

# The first build uses every core unless a -j was given.
run: deps
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc)) $(BIN)
	./$(BIN) --config exporter.ini.example

# The exporter on real servers (Postfix, Dovecot, NSD with good and broken
# domains) on loopback until Ctrl-C: deploy/demo/demo.sh, README "Try it".
demo:
	@sh .ci/deps.sh demo
	@$(MAKE) --no-print-directory $(BIN)
	@sh deploy/demo/demo.sh

# The whole suite: unit tests, then integration tests against real servers, then
# the same again built with ASan+UBSan.  Ends with "N passed, N failed".
test:
	@sh .ci/deps.sh
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 unit build/san/$(BIN)
	@sh tests/run.sh

# libFuzzer targets (clang).  Each is linked with the library built with clang.
# UBSan findings abort (-fno-sanitize-recover) so that libFuzzer sees them
# as crashes.  tests/fuzz_smoke.sh runs them (doc/hostile.md).
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" build/fuzz/libmailsec.a
	@mkdir -p build/fuzz/bin
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	    echo "clang $$f"; \
	    clang $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o build/fuzz/bin/$$n $$f \
	        build/fuzz/libmailsec.a $(LDLIBS) || exit 1; done

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/mailsec_exporter
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/$(BIN)
	install -m 0644 exporter.ini.example README.md $(DESTDIR)$(PREFIX)/share/doc/mailsec_exporter/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 doc/mailsec_exporter.8 $(DESTDIR)$(PREFIX)/share/man/man8/mailsec_exporter.8

# Side by side with blackbox_exporter and a minimal C client (bench/README.md):
# `make bench`, `make bench N=10000`.  Not part of `make test`.
# `make bench SCALE=domains` (bench/domains.py): 10,000 generated domains
# with every check on, share = on and off; SCALE_N and ROUNDS shrink it.
N ?= 1000
C ?= 256
SCALE ?=
SCALE_N ?= 10000
ROUNDS ?= 10
bench:
	@sh bench/deps.sh
	@$(MAKE) --no-print-directory all $(BUILD)/bench/floor $(BUILD)/bench/httpload $(BUILD)/bench/measure \
	    $(BUILD)/bench/libbase-exporter $(BUILD)/bench/libbase-floor
ifeq ($(SCALE),domains)
	python3 bench/domains.py --n $(SCALE_N) --c $(C) --rounds $(ROUNDS) --tools $(BUILD)/bench
else
	python3 bench/bench.py --n $(N) --c $(C) --tools $(BUILD)/bench
endif

$(BUILD)/bench/floor: BENCH_LIBS = $(shell pkg-config --libs libssl libcrypto 2>/dev/null)
# An empty main() with the exporter's libraries, and with the floor's.
$(BUILD)/bench/libbase-exporter: bench/libbase.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $< -Wl,--no-as-needed $(LDLIBS)
$(BUILD)/bench/libbase-floor: bench/libbase.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -o $@ $< -Wl,--no-as-needed $(shell pkg-config --libs libssl libcrypto 2>/dev/null)
$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ $< $(BENCH_LIBS)

clean:
	rm -rf build $(BIN)
