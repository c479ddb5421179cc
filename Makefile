# hycoc -- build, test, bench.
#   make demo       install Debian deps if missing, build, run the default example
#   make            build ./hycoc and build/libhyrt.a
#   make check      build and run every test; last line "N passed, N failed"
#   make asan       the same tests under ASan/UBSan (separate build dir)
#   make bench      side-by-side benchmarks against the PyTorch peers
# Flags: never -ffast-math globally; runtime/act.c is the one isolated kernel file
# that gets its own flags (ACT_CFLAGS).

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?=
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow
BASE    := $(WARN) $(OPT) -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iruntime -Icompiler -I$(BUILD) \
           -I/usr/include/x86_64-linux-gnu/openblas-pthread $(CFLAGS)
# act.c: vectorised activations (libmvec through OpenMP SIMD); see the file's header.
ACT_CFLAGS := -O3 -fopenmp-simd -fno-math-errno -fno-trapping-math
LDLIBS  := -lopenblas -lmvec -lm -lpthread -ldl -lz
TCCLIB  := -ltcc
# cairo draws --plot figures: linked into the hycoc binary (and test_plot) only,
# never needed by programs built against libhyrt.
PLOTLIB := -lcairo -lfontconfig

RT_SRC  := $(filter-out runtime/act.c,$(wildcard runtime/*.c))
RT_OBJ  := $(RT_SRC:runtime/%.c=$(BUILD)/rt/%.o) $(BUILD)/rt/act.o
CC_SRC  := $(filter-out compiler/main.c,$(wildcard compiler/*.c))
CC_OBJ  := $(CC_SRC:compiler/%.c=$(BUILD)/cc/%.o) $(BUILD)/cc/lexer.o $(BUILD)/cc/parser.o $(BUILD)/cc/prelude.o
TESTS_C := $(wildcard tests/test_*.c)
TEST_BIN:= $(TESTS_C:tests/%.c=$(BUILD)/%)

# $(BUILD)/hycoc is named too: with .SECONDARY, an up-to-date ./hycoc would
# otherwise keep make from building a fresh BUILD directory.
all: $(BUILD)/hycoc hycoc

hycoc: $(BUILD)/hycoc
	cp $< $@

$(BUILD)/hycoc: $(BUILD)/cc/main.o $(BUILD)/libhycoc.a $(BUILD)/libhyrt.a
	$(CC) $(OPT) -g $(CFLAGS) -o $@ $^ $(TCCLIB) $(PLOTLIB) $(LDLIBS)

$(BUILD)/libhyrt.a: $(RT_OBJ)
	rm -f $@; ar rcs $@ $^

$(BUILD)/libhycoc.a: $(CC_OBJ)
	rm -f $@; ar rcs $@ $^

$(BUILD)/rt/act.o: runtime/act.c runtime/hyrt.h runtime/hyrt_api.h runtime/rt_internal.h | $(BUILD)/rt
	$(CC) $(BASE) $(ACT_CFLAGS) -c -o $@ $<

$(BUILD)/rt/%.o: runtime/%.c runtime/hyrt.h runtime/hyrt_api.h runtime/rt_internal.h $(wildcard runtime/*_impl.h) | $(BUILD)/rt
	$(CC) $(BASE) -c -o $@ $<

$(BUILD)/cc/%.o: compiler/%.c $(wildcard compiler/*.h) runtime/hyrt_api.h $(BUILD)/parser.h | $(BUILD)/cc
	$(CC) $(BASE) -c -o $@ $<

# Generated front end.  Generated code is compiled without -Wpedantic noise it cannot avoid.
$(BUILD)/parser.c $(BUILD)/parser.h: compiler/parser.y | $(BUILD)
	bison -Wall -Werror -o $(BUILD)/parser.c --defines=$(BUILD)/parser.h $<
$(BUILD)/lexer.c $(BUILD)/lexer.h: compiler/lexer.l | $(BUILD)
	flex -o $(BUILD)/lexer.c --header-file=$(BUILD)/lexer.h $<
$(BUILD)/cc/parser.o: $(BUILD)/parser.c $(BUILD)/lexer.h compiler/hycoc.h compiler/ast.h | $(BUILD)/cc
	$(CC) $(BASE) -Wno-unused-function -c -o $@ $<
$(BUILD)/cc/lexer.o: $(BUILD)/lexer.c $(BUILD)/parser.h compiler/hycoc.h | $(BUILD)/cc
	$(CC) $(BASE) -Wno-unused-function -Wno-sign-compare -c -o $@ $<

# The runtime API header, embedded as the prelude of emitted programs, and the
# list of its functions for tcc_add_symbol: both generated from hyrt_api.h.
$(BUILD)/prelude.c: runtime/hyrt_api.h tools/embed.sh | $(BUILD)
	sh tools/embed.sh $< > $@
$(BUILD)/cc/prelude.o: $(BUILD)/prelude.c | $(BUILD)/cc
	$(CC) $(BASE) -c -o $@ $<

$(BUILD) $(BUILD)/rt $(BUILD)/cc:
	mkdir -p $@

# ---- tests ----
$(BUILD)/test_%: tests/test_%.c tests/tap.h tests/built.h $(BUILD)/libhycoc.a $(BUILD)/libhyrt.a
	$(CC) $(BASE) -Itests -o $@ $< $(BUILD)/libhycoc.a $(BUILD)/libhyrt.a $(TCCLIB) $(LDLIBS)

$(BUILD)/test_plot: tests/test_plot.c tests/tap.h $(BUILD)/libhycoc.a $(BUILD)/libhyrt.a
	$(CC) $(BASE) -Itests -o $@ $< $(BUILD)/libhycoc.a $(BUILD)/libhyrt.a $(TCCLIB) $(PLOTLIB) $(LDLIBS)

test-programs: $(BUILD)/hycoc $(TEST_BIN)

check: $(BUILD)/hycoc $(TEST_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" check

# The part of the suite that CI also runs under ASan + UBSan (.ci/run): every C
# test program (the front-end fuzz run bounded at 5000 mutants) and the shell
# tests of the front end, the file handling and the training faults.  Any
# sanitizer report fails the run (halt_on_error; UBSan does not recover).
ASAN_CI_TESTS := t_errors t_injection t_limits t_faults t_cli t_checkpoint t_hybrid
asan-ci:
	$(MAKE) BUILD=build-asan OPT="-O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	    test-programs
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 HY_FUZZ_FRONT_INPUTS=5000 \
	    HY_SHELL_TESTS="$(ASAN_CI_TESTS)" BUILD=build-asan sh tests/run.sh

# libFuzzer run of the data readers (tests/fuzz_data.c; needs clang):
#   make fuzz-data [FUZZ_SECONDS=600]
# Seeds from tests/data/, new corpus in build-fuzz/corpus; a crash leaves
# build-fuzz/crash-* -- fix it and keep the input as a tests/data/ fixture.
# (make check runs the same harness in a bounded, deterministic mode.)
FUZZ_SECONDS ?= 60
fuzz-data:
	mkdir -p build-fuzz/corpus
	clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -DHY_LIBFUZZER -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iruntime -Itests \
	    -o build-fuzz/fuzz_data tests/fuzz_data.c runtime/dataio.c runtime/alloc.c runtime/rng.c -lz -lm
	build-fuzz/fuzz_data -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=build-fuzz/ build-fuzz/corpus tests/data

.PHONY: fuzz-data asan asan-ci test-programs

# libFuzzer run of the front end: lexer, parser, sema and the emitted C
# (tests/fuzz_front.c; needs clang):  make fuzz-front [FUZZ_SECONDS=600]
# Seeds: every spec of the repository; new corpus in build-fuzz-front/corpus;
# a crash leaves build-fuzz-front/crash-* -- fix it and keep the input in
# tests/fuzz_corpus/ (make check replays that directory first).
FZF := build-fuzz-front
FZF_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz-front:
	$(MAKE) BUILD=$(FZF) $(FZF)/rt/act.o    # gcc: clang rejects act.c's vector ABI; never run here
	$(MAKE) BUILD=$(FZF) CC=clang OPT="-O1 $(FZF_SAN) -fsanitize=fuzzer-no-link" $(FZF)/libhycoc.a $(FZF)/libhyrt.a
	clang -std=c11 -g -O1 $(FZF_SAN) -fsanitize=fuzzer -DHY_LIBFUZZER -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    -Iruntime -Icompiler -I$(FZF) -o $(FZF)/fuzz_front tests/fuzz_front.c $(FZF)/libhycoc.a $(FZF)/libhyrt.a \
	    $(TCCLIB) $(PLOTLIB) $(LDLIBS)
	mkdir -p $(FZF)/corpus
	$(FZF)/fuzz_front -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 -max_len=16384 \
	    -dict=tests/fuzz_front.dict -artifact_prefix=$(FZF)/ $(FZF)/corpus tests/fuzz_corpus examples examples/full \
	    specs tests/errors

$(BUILD)/test_fuzz_front: tests/fuzz_front.c

# Both coverage-guided runs, FUZZ_SECONDS each:  make fuzz [FUZZ_SECONDS=600]
fuzz: fuzz-front fuzz-data

.PHONY: fuzz-front fuzz

bench: hycoc
	sh bench/run

# Installs hycoc, libhyrt.a, the runtime headers and the pkg-config file hyrt.pc
# under $(DESTDIR)$(PREFIX); standalone programs (hycoc --emit-c) build against it.
PREFIX  ?= /usr/local
RT_HDRS := runtime/hyrt.h runtime/hyrt_api.h $(wildcard runtime/dataio.h)
install: $(BUILD)/hycoc $(BUILD)/libhyrt.a tools/hyrt.pc.in
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/hycoc $(DESTDIR)$(PREFIX)/bin/hycoc
	install -m 644 $(BUILD)/libhyrt.a $(DESTDIR)$(PREFIX)/lib/libhyrt.a
	install -m 644 $(RT_HDRS) $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|g' \
	    -e "s|@VERSION@|$$(sed -n 's/^#define HY_VERSION "\(.*\)"/\1/p' runtime/hyrt.h)|g" \
	    tools/hyrt.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hyrt.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/hycoc $(DESTDIR)$(PREFIX)/lib/libhyrt.a \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/hyrt.pc \
	    $(addprefix $(DESTDIR)$(PREFIX)/include/,hyrt.h hyrt_api.h dataio.h)

.PHONY: install uninstall

# README command 1: install the Debian packages if missing, build, run the default example.
demo:
	sh tools/install-deps.sh
	$(MAKE) hycoc
	./hycoc examples/hyco_poisson_1d.hyco --run

clean:
	rm -rf build build-asan hycoc

.PHONY: all check asan bench clean demo
.SECONDARY:
