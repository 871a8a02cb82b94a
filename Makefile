# trapeze -- one non-recursive Makefile for the whole tree.
#
#   make            build every tool into build/bin/ and every guest image
#   make run        the main job: the shipped guests under the monitor
#   make test       every test (cmocka), ending with "N passed, N failed"
#   make test-san   the same suite built with AddressSanitizer + UBSan
#   make bench      speed figures, one "name: value unit" line each
#   make debug      the hello guest, traced instruction by instruction
#   make docs       regenerate the ISA table's sections of docs/isa.md
#   make install    tools into $(DESTDIR)$(PREFIX)/bin
#   make clean
#
# Sources are found by rule, so a new file needs no Makefile edit:
#   DIR/tzNAME.c      the main() of tool build/bin/tzNAME
#   DIR/*.c           library code (isa, asm, vmm, dbg core) -> libtrapeze.a
#   dbg/ui_*.c        the debugger's screen, linked only into tzdbg
#   tests/test_*.c    one cmocka program each
#   guests/*.s        guest images, build/guests/NAME.img

# ---- user settings ----------------------------------------------------
CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
PREFIX  ?= /usr/local
DESTDIR ?=
SAN     ?= 0

# ---- derived settings ---------------------------------------------------
ifeq ($(SAN),1)
BUILD    ?= build-san
SANFLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD    ?= build
SANFLAGS :=
endif

LIB_DIRS := isa asm vmm dbg labs
INCLUDES := $(addprefix -I,$(LIB_DIRS)) -I$(BUILD)/gen
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(INCLUDES) -MMD -MP
WARN     := -Wall -Wextra -Werror
ALL_CFLAGS := $(BASE_CFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS)
GEN_CFLAGS := $(BASE_CFLAGS) -Wall -Wno-unused-function -Wno-sign-compare $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

DEPS_STAMP := $(BUILD)/.deps-ok

TOOL_SRC := $(wildcard $(addsuffix /tz*.c,$(LIB_DIRS)))
UI_SRC   := $(wildcard dbg/ui_*.c)
LIB_SRC  := $(filter-out $(TOOL_SRC) $(UI_SRC),$(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
TOOLS    := $(basename $(notdir $(TOOL_SRC)))
BINS     := $(addprefix $(BUILD)/bin/,$(TOOLS))

# Generated scanner and parser of the assembler.
PARSER_Y := $(wildcard asm/parser.y)
LEXER_L  := $(wildcard asm/lexer.l)
GEN_SRC  := $(if $(PARSER_Y),$(BUILD)/gen/parser.c) $(if $(LEXER_L),$(BUILD)/gen/lexer.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_SRC:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
LIB     := $(BUILD)/libtrapeze.a

TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard tests/bench*.c)
TEST_SUPPORT := $(filter-out $(TEST_SRC) $(BENCH_SRC),$(wildcard tests/*.c))
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH    := $(BUILD)/bin/tzbench

GUEST_SRC := $(wildcard guests/*.s)
GUESTS    := $(GUEST_SRC:guests/%.s=$(BUILD)/guests/%.img)

# Libraries some binaries need, expanded only when they link.
CMOCKA_LIBS  = $(shell pkg-config --libs cmocka)
CURSES_LIBS  = $(shell pkg-config --libs ncurses 2>/dev/null || echo -lncurses)
LIBS_tzdbg   = $(CURSES_LIBS) -lreadline

.PHONY: all run test test-san bench debug install clean check-docs docs deps
all: $(BINS) $(GUESTS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): mk/deps.sh
	@sh mk/deps.sh
	@mkdir -p $(@D) && touch $@

# ---- compiling ----------------------------------------------------------
$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The CPU's threaded dispatch wants one indirect jump per instruction: keep
# GCC from merging them back into one (as CPython's ceval does).
CPU_CFLAGS := $(shell $(CC) -fno-crossjumping -fno-gcse -E -x c /dev/null >/dev/null 2>&1 && \
                echo -fno-crossjumping -fno-gcse)
$(BUILD)/obj/isa/cpu.o: ALL_CFLAGS += $(CPU_CFLAGS)

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(GEN_CFLAGS) -Iasm -c -o $@ $<

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h &: asm/parser.y | $(DEPS_STAMP)
	@mkdir -p $(@D)
	bison -Wall -Werror --defines=$(BUILD)/gen/parser.h -o $(BUILD)/gen/parser.c $<

$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h &: asm/lexer.l $(BUILD)/gen/parser.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	flex --header-file=$(BUILD)/gen/lexer.h -o $(BUILD)/gen/lexer.c $<

# Every object of the assembler may include the generated headers.
$(filter $(BUILD)/obj/asm/%,$(LIB_OBJ) $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)): \
	$(if $(GEN_SRC),$(BUILD)/gen/parser.h $(BUILD)/gen/lexer.h)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# ---- tools --------------------------------------------------------------
define TOOL_RULE
$(BUILD)/bin/$(1): $(BUILD)/obj/$(2)$(1).o $(if $(filter tzdbg,$(1)),$(UI_SRC:%.c=$(BUILD)/obj/%.o)) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS_$(1)) -lm
endef
$(foreach s,$(TOOL_SRC),$(eval $(call TOOL_RULE,$(basename $(notdir $(s))),$(dir $(s)))))

$(BENCH): $(BENCH_SRC:%.c=$(BUILD)/obj/%.o) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

# ---- guests -------------------------------------------------------------
$(BUILD)/guests/%.img: guests/%.s $(BUILD)/bin/tzas
	@mkdir -p $(@D)
	$(BUILD)/bin/tzas -I guests -o $@ $<
# minikernel_ill.s is minikernel.s (.include) built for the ill variant.
$(BUILD)/guests/minikernel_ill.img: guests/minikernel.s

# ---- tests --------------------------------------------------------------
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) -lm

test: all $(TESTS)
	@sh mk/check-docs.sh $(BUILD)
	@sh tests/run.sh $(BUILD)

test-san:
	$(MAKE) SAN=1 test

check-docs: all
	@sh mk/check-docs.sh $(BUILD)

# Rewrite the generated sections of docs/isa.md from the ISA table.
docs: all
	@sh mk/update-docs.sh $(BUILD)

# ---- the main job -------------------------------------------------------
# Five guests side by side under one monitor, then its stats table.
RUN_GUESTS := hello minikernel minikernel usermode detect
run: all
	$(BUILD)/bin/tzvmm --stats $(RUN_GUESTS:%=$(BUILD)/guests/%.img)

debug: all
	$(BUILD)/bin/tzrun --trace $(BUILD)/guests/hello.img

bench: all $(BENCH)
	$(BENCH) $(BUILD)

# ---- install, clean -----------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/trapeze
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 README.md $(wildcard docs/*.md) $(DESTDIR)$(PREFIX)/share/doc/trapeze/

clean:
	rm -rf build build-san

# ---- hostile guests and fuzzing (issue 8) -------------------------------
# guests/hostile/NAME.s -> BUILD/guests/hostile/NAME.img, by the guests'
# rule above (tzas -I guests): guests that try to escape their virtual
# machine, run beside a victim by tests/test_hostile.c.
HOSTILE_SRC    := $(wildcard guests/hostile/*.s)
HOSTILE_GUESTS := $(HOSTILE_SRC:guests/%.s=$(BUILD)/guests/%.img)
all: $(HOSTILE_GUESTS)

# Fuzz targets (tests/fuzz/, see its README.md), built with clang and
# libFuzzer into FUZZ_BUILD, the library compiled there with
# -fsanitize=fuzzer-no-link,address,undefined:
#   make fuzz        each target for FUZZ_SECONDS seconds (default 300)
#   make fuzz-ci     each target for FUZZ_CI_SECONDS seconds (CI: 60)
# Each prints its executions ("stat::number_of_executed_units"); a crash
# is saved as FUZZ_BUILD/crash/TARGET-crash-HASH and fails the run (turn
# it into a regression test: tests/fuzz/regress/, see the README).
FUZZ_SECONDS    ?= 300
FUZZ_CI_SECONDS ?= 60
FUZZ_BUILD      ?= build-fuzz
FUZZ_CC         ?= clang
FUZZ_ALL_TARGETS := fuzz_asm fuzz_image fuzz_vmm fuzz_dbg fuzz_grade
# make fuzz FUZZ_TARGETS=fuzz_dbg runs only that one.
FUZZ_TARGETS    := $(FUZZ_ALL_TARGETS)
FUZZ_SANFLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OPTIONS    := -detect_leaks=1 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1
FUZZ_MAX_LEN_fuzz_asm   := 8192
FUZZ_MAX_LEN_fuzz_image := 65536
FUZZ_MAX_LEN_fuzz_vmm   := 65536
FUZZ_MAX_LEN_fuzz_dbg   := 4096
FUZZ_MAX_LEN_fuzz_grade := 16384
# .include in the assembler target may read only its sandbox (fuzz_asm.c).
FUZZ_LIBS_fuzz_asm := -Wl,--wrap=pg32_read_file

ifeq ($(FUZZ),1)
ALL_CFLAGS  += -O1 -fsanitize=fuzzer-no-link $(FUZZ_SANFLAGS)
GEN_CFLAGS  += -O1 -fsanitize=fuzzer-no-link $(FUZZ_SANFLAGS)
ALL_LDFLAGS += $(FUZZ_SANFLAGS)
endif

.PHONY: fuzz fuzz-ci fuzz-build fuzz-run fuzz-clean
# The seed images come from the ordinary build (BUILD), whose tzas needs no
# sanitizer runtime.
fuzz: $(GUESTS) $(HOSTILE_GUESTS)
	$(MAKE) FUZZ=1 BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) SAN=0 FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FUZZ_SEED_IMAGES="$(GUESTS) $(HOSTILE_GUESTS)" fuzz-run
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)
fuzz-clean:
	rm -rf $(FUZZ_BUILD)

FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/fuzz_util.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS_fuzz_$*) -lm

# Seed corpora, from the shipped guests and the assembler's test inputs:
# sources for fuzz_asm, images for fuzz_image, and for fuzz_vmm each image
# behind a two-byte header (tests/fuzz/README.md): image mode, quantum 97,
# 32 KiB of memory; plain, with a minidisk, and ill-behaved with dynamic
# rewriting.  fuzz_dbg: the debugger's batch scripts (tests/dbg/*.cmd)
# behind a header byte, each under the monitor ('\n') and on the bare
# machine ('!').  Every target also starts from its saved regression inputs
# (tests/fuzz/regress/TARGET-*, TARGET without "fuzz_").
FUZZ_ASM_SEEDS := $(wildcard guests/*.s guests/hostile/*.s tests/asm/*.s tests/asm/*/*.s)
FUZZ_DBG_SEEDS := $(wildcard tests/dbg/*.cmd)
fuzz-build: $(FUZZ_BINS)
	@rm -rf $(BUILD)/corpus/seed && mkdir -p $(addprefix $(BUILD)/corpus/seed/,$(FUZZ_ALL_TARGETS))
	@for f in $(FUZZ_ASM_SEEDS); do cp $$f $(BUILD)/corpus/seed/fuzz_asm/$$(echo $$f | tr / _); done
	@for f in $(FUZZ_SEED_IMAGES); do n=$$(basename $$f .img); \
		cp $$f $(BUILD)/corpus/seed/fuzz_image/$$n; \
		{ printf '\221\003'; cat $$f; } >$(BUILD)/corpus/seed/fuzz_vmm/$$n; \
		{ printf '\225\003'; cat $$f; } >$(BUILD)/corpus/seed/fuzz_vmm/$$n-disk; \
		{ printf '\233\003'; cat $$f; } >$(BUILD)/corpus/seed/fuzz_vmm/$$n-ill-rewrite; done
	@for f in $(FUZZ_DBG_SEEDS); do n=$$(basename $$f .cmd); \
		{ printf '\n'; cat $$f; } >$(BUILD)/corpus/seed/fuzz_dbg/$$n; \
		{ printf '!'; cat $$f; } >$(BUILD)/corpus/seed/fuzz_dbg/$$n-bare; done
	@for t in $(FUZZ_TARGETS); do for f in tests/fuzz/regress/$${t#fuzz_}-*; do \
		[ -f $$f ] && cp $$f $(BUILD)/corpus/seed/$$t/; done; done; true

fuzz-run: fuzz-build
	@mkdir -p $(BUILD)/crash
	@for t in $(FUZZ_TARGETS); do mkdir -p $(BUILD)/corpus/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s (log: $(BUILD)/fuzz-$$t.log)"; \
		case $$t in fuzz_asm) m=$(FUZZ_MAX_LEN_fuzz_asm);; fuzz_image) m=$(FUZZ_MAX_LEN_fuzz_image);; \
		fuzz_dbg) m=$(FUZZ_MAX_LEN_fuzz_dbg);; fuzz_grade) m=$(FUZZ_MAX_LEN_fuzz_grade);; \
		*) m=$(FUZZ_MAX_LEN_fuzz_vmm);; esac; \
		$(BUILD)/fuzz/$$t $(FUZZ_OPTIONS) -max_len=$$m -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(BUILD)/crash/$$t- $(BUILD)/corpus/$$t $(BUILD)/corpus/seed/$$t \
			>$(BUILD)/fuzz-$$t.log 2>&1; rc=$$?; \
		grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|ERROR|SUMMARY|^fuzz: ' $(BUILD)/fuzz-$$t.log; \
		if [ $$rc != 0 ]; then echo "fuzz: $$t FAILED (status $$rc); see $(BUILD)/fuzz-$$t.log"; exit 1; fi; \
	done

# ---- labs and tzgrade (issue 7) -----------------------------------------
# Each lab is a folder labs/NAME/ with a lab.conf (docs/instructors.md).
# Its student handout -- README, visible tests, and the starting code made
# from the project's own sources with the marked regions replaced by TODOs
# -- is generated into BUILD/labs/NAME/ by tzgrade --handout.  tzgrade
# compiles submissions with the compiler and sanitizer flags of this build,
# so that they link with this build's libtrapeze.a.
LABS     := $(patsubst labs/%/lab.conf,%,$(wildcard labs/*/lab.conf))
HANDOUTS := $(LABS:%=$(BUILD)/labs/%/lab.conf)
$(BUILD)/obj/labs/tzgrade.o: ALL_CFLAGS += -DGRADE_CC='"$(CC)"' -DGRADE_CFLAGS='"$(SANFLAGS)"'
$(BUILD)/labs/%/lab.conf: labs/%/lab.conf $(wildcard labs/*/* labs/*/tests/*) \
		vmm/interp.c vmm/reflect.c vmm/alloc.c $(BUILD)/bin/tzgrade
	@rm -rf $(@D)
	@mkdir -p $(dir $(@D))
	$(BUILD)/bin/tzgrade --handout $* $(@D)
all: $(HANDOUTS)

# Keep intermediate objects between runs.
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
