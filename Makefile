# kettle: one hand-written GNU Makefile (STYLE rule 24).
# Knobs (override here or in config.mak):
#   STATIC=1      static musl build of ./kettle (default)
#   SANITIZE=1    glibc build with ASan+UBSan under build/san (or a -fsanitize list)
#   FUZZ=1        libFuzzer targets (clang) under build/fuzz
#   OPT_CFLAGS=.. optimization flags (default -Os with function/data sections, GC'd at link)
-include config.mak

STATIC ?= 1
SANITIZE ?=
FUZZ ?=
FUZZ_SECONDS ?= 60
V ?=

ifeq ($(SANITIZE),1)
override SANITIZE := address,undefined
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
# -Os and section GC: 17% less text. The text every idle shim maps back in after its trim
# (shim_trim.c) shrinks with it (VmRSS 413 -> 336 KiB), at no measurable cost in startup
# latency or CPU (test/bench/README.md).
OPT_CFLAGS ?= -Os -ffunction-sections -fdata-sections
BASE_CFLAGS := -std=gnu11 $(OPT_CFLAGS) -g $(WARN) -D_GNU_SOURCE -fno-strict-aliasing

ifneq ($(SANITIZE),)
# Sanitizers need glibc's runtime: build a separate tree so the static binary is untouched.
CC := gcc
FLAVOR := glibc
BUILD := build/san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_EXTRA := $(SAN_FLAGS)
KETTLE_BIN := $(BUILD)/kettle
else
CC := musl-gcc
FLAVOR := musl
BUILD := build
SAN_FLAGS :=
ifeq ($(STATIC),1)
LDFLAGS_EXTRA := -static -Wl,--gc-sections
else
LDFLAGS_EXTRA := -Wl,--gc-sections
endif
KETTLE_BIN := kettle
endif

VENDOR_DIR := build/vendor/$(FLAVOR)
VENDOR_STAMP := $(VENDOR_DIR)/.stamp
VENDOR_LIBS := $(VENDOR_DIR)/lib/libseccomp.a $(VENDOR_DIR)/lib/libz.a

# musl-gcc does not see the kernel's uapi headers: <seccomp.h> needs <asm/unistd.h>, and src/net
# speaks linux/rtnetlink.h and linux/netfilter/…; vendor.sh copies them for the musl flavour,
# glibc's compilers have them.
KERNEL_HDRS := $(if $(filter musl,$(FLAVOR)),-isystem build/vendor/kernel-headers)
CPPFLAGS := -iquote src -isystem $(VENDOR_DIR)/include $(KERNEL_HDRS) \
	-DKETTLE_VERSION=\"$(shell cat VERSION)\"
CFLAGS := $(BASE_CFLAGS) $(SAN_FLAGS) $(CFLAGS_EXTRA)
LDFLAGS := $(LDFLAGS_EXTRA)

SRCS := $(sort $(wildcard src/*/*.c))
OBJS := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(sort $(wildcard test/unit/*_test.c))
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(BUILD)/test/%)
FUZZ_SRCS := $(sort $(wildcard test/fuzz/fuzz_*.c))
REPLAY_BINS := $(FUZZ_SRCS:test/fuzz/%.c=$(BUILD)/replay/%)
FUZZ_BINS := $(FUZZ_SRCS:test/fuzz/%.c=build/fuzz/%)

Q := $(if $(V),,@)

.PHONY: all size check test unit integration replay fuzz clean vendor install bench
all: $(KETTLE_BIN)

vendor: $(VENDOR_STAMP)
$(VENDOR_STAMP): scripts/vendor.sh $(wildcard vendor/*.pin)
	$(Q)scripts/vendor.sh $(FLAVOR)

$(BUILD)/obj/%.o: src/%.c $(VENDOR_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/kettle.o: kettle.c $(VENDOR_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(KETTLE_BIN): $(BUILD)/obj/kettle.o $(OBJS) $(VENDOR_STAMP)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BUILD)/obj/kettle.o $(OBJS) $(VENDOR_LIBS)

size: $(KETTLE_BIN)
	@strip -o $(BUILD)/kettle.stripped $(KETTLE_BIN)
	@printf 'kettle: %s bytes stripped (%s unstripped)\n' \
		"$$(stat -c %s $(BUILD)/kettle.stripped)" "$$(stat -c %s $(KETTLE_BIN))"

# Unit tests link every object except main's.
$(BUILD)/test/%: test/unit/%.c test/unit/harness.h $(OBJS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(CPPFLAGS) -iquote test/unit $(CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(VENDOR_LIBS)

# Corpus replay: each fuzz target with a plain main() that feeds it every corpus file.
$(BUILD)/replay/%: test/fuzz/%.c test/fuzz/replay_main.c $(OBJS)
	@mkdir -p $(dir $@)
	@echo "  REPLAY  $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< test/fuzz/replay_main.c $(OBJS) $(VENDOR_LIBS)

unit: $(UNIT_BINS)
replay: $(REPLAY_BINS)

# The layer check reads the call graph from every object, kettle.o included.
check: unit $(BUILD)/obj/kettle.o
	$(Q)scripts/run-tests.sh --build $(BUILD) --kettle $(KETTLE_BIN) check unit

test: $(KETTLE_BIN) $(UNIT_BINS) $(REPLAY_BINS)
	$(Q)scripts/run-tests.sh --build $(BUILD) --kettle $(KETTLE_BIN) check unit replay integration

integration: $(KETTLE_BIN)
	$(Q)scripts/run-tests.sh --build $(BUILD) --kettle $(KETTLE_BIN) integration

# libFuzzer: clang with the glibc flavour of the vendored libraries.
FUZZ_CFLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-iquote src -isystem build/vendor/glibc/include -DKETTLE_VERSION=\"fuzz\"
build/fuzz/%: test/fuzz/%.c $(SRCS) build/vendor/glibc/.stamp
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(filter-out src/base/log.c,$(SRCS)) src/base/log.c \
		build/vendor/glibc/lib/libseccomp.a build/vendor/glibc/lib/libz.a
# The sanitizer build's own vendor rule already makes this stamp (both are the glibc flavour).
ifneq ($(VENDOR_STAMP),build/vendor/glibc/.stamp)
build/vendor/glibc/.stamp: scripts/vendor.sh $(wildcard vendor/*.pin)
	$(Q)scripts/vendor.sh glibc
endif

fuzz: $(FUZZ_BINS)
	$(Q)scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

bench: $(KETTLE_BIN)
	$(Q)test/bench/run.sh $(KETTLE_BIN)

PREFIX ?= /usr/local
DESTDIR ?=
install: $(KETTLE_BIN)
	$(Q)scripts/install.sh "$(DESTDIR)" "$(PREFIX)" $(KETTLE_BIN)

clean:
	rm -rf build/obj build/test build/replay build/san build/fuzz kettle

-include $(OBJS:.o=.d) $(BUILD)/obj/kettle.d
