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

$(BUILD)/gen/parser.c $(BUILD)/gen/parser.h: asm/parser.y | $(DEPS_STAMP)
	@mkdir -p $(@D)
	bison -Wall -Werror --defines=$(BUILD)/gen/parser.h -o $(BUILD)/gen/parser.c $<

$(BUILD)/gen/lexer.c $(BUILD)/gen/lexer.h: asm/lexer.l $(BUILD)/gen/parser.h | $(DEPS_STAMP)
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
# Four guests side by side under one monitor, then its stats table.
RUN_GUESTS := hello minikernel minikernel usermode
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

# Keep intermediate objects between runs.
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
