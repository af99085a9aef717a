# product-search: `make` builds build/product-search; see README.md.

PROG      := build/product-search
VERSION   ?= 0.1.0
REVISION  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wformat=2 -Wvla
HARDEN    := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
PKGS      := libmicrohttpd libcjson libdivsufsort libxxhash
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lmicrohttpd -lcjson -ldivsufsort -lxxhash)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

# make SANITIZER=address,undefined test; make SANITIZER=thread test SUITE=reload
# One build directory per sanitizer setting (build/san-address_undefined,
# build/san-thread, ...), so switching settings never links stale objects.
# The sanitizer flags are a variable of their own, added to every compile and
# link: `make SANITIZER=thread CFLAGS=...` (as CI runs it) overrides CFLAGS
# on the command line, which used to drop them from the compiles, so only the
# runtime was linked in and nothing was instrumented (ThreadSanitizer then
# reports races it cannot see the synchronisation of).
comma := ,
ifneq ($(SANITIZER),)
  SAN_FLAGS := -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
  BUILD     := build/san-$(subst $(comma),_,$(strip $(SANITIZER)))
else
  SAN_FLAGS :=
  BUILD     := build/obj
endif

ALL_CFLAGS = $(WARN) $(HARDEN) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude \
             -DPRODUCT_SEARCH_VERSION='"$(VERSION)"' -DPRODUCT_SEARCH_REVISION='"$(REVISION)"' \
             $(PKG_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -MMD -MP
LIBS       = $(PKG_LIBS) -lroaring -lpthread -lm # CRoaring ships no .pc on Debian 12

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/*.c)
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.o)
TEST_BIN := $(BUILD)/check_all
ifneq ($(SANITIZER),)
  PROG_BUILT := $(BUILD)/product-search
else
  PROG_BUILT := $(PROG)
endif

.PHONY: all run test check deps clean bench bench-smoke soak rollout-test image loadtest compare tf-check \
        deploy-aws destroy-aws localstack-up localstack-down fuzz valgrind

# The targets that install what they need (scripts/install-deps.sh GROUP...,
# quiet, nothing when all is there) build through a second make, after the
# install: command-line variables (CFLAGS, SANITIZER) pass on to it.
SUBMAKE = $(MAKE) --no-print-directory $(if $(Q),-s)
DEPS    = scripts/install-deps.sh

all: $(PROG_BUILT)

$(PROG_BUILT): $(BUILD)/main.o $(LIB_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $(HARDEN_LD) -o $@ $^ $(LIBS)

$(BUILD)/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The OpenAPI document and the search page are embedded in the binary
# (src/openapi.c, src/ui.c).
$(BUILD)/openapi.o: docs/openapi.json
$(BUILD)/ui.o: ui/index.html

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) -c -o $@ $<

$(TEST_BIN): $(TEST_OBJ) $(LIB_OBJ)
	@echo "  LINK    $@"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) $(HARDEN_LD) -o $@ $^ $(LIBS) $(CHECK_LIBS)

# Installs what is missing (Debian/Ubuntu), builds, serves 100,000 products on :8080;
# make run CATALOG=docs/examples/catalog.jsonl serves a catalog file instead
# (PRODUCTS_FILE). Ctrl-C reaches make too: the server drains and exits 0, and
# make, interrupted itself, then exits 130 (GNU make dies of the SIGINT it got);
# after a kill -TERM of the server, make exits 0. Giving the server the terminal
# alone (set -m) would make Ctrl-C exit 0, but would stop a `make run &` of an
# interactive shell and leave Ctrl-Z's stopped server behind a finished make.
run:
	$(Q)$(DEPS) build
	$(Q)$(SUBMAKE) all
	$(if $(CATALOG),PRODUCTS_FILE='$(CATALOG)' )exec $(PROG)

# The packages of `make run` and `make test` only.
deps:
	$(Q)$(DEPS) build test

# make test: installs what is missing (Check), then `make check`: the suites.
test:
	$(Q)$(DEPS) build test
	$(Q)$(SUBMAKE) check

# The integration suites start build/product-search itself, so it is built first.
# make test SUITE=index (or make check SUITE=index) runs one suite (the names
# are in tests/check_main.c).
check: $(PROG_BUILT) $(TEST_BIN)
	$(Q)PRODUCT_SEARCH_BIN=$(PROG_BUILT) $(if $(SUITE),CK_RUN_SUITE="$(SUITE)") $(TEST_BIN)

clean:
	rm -rf build

# The benchmark, side by side: product-search, the libmicrohttpd ceiling, nginx,
# SQLite FTS5 (bench/; docs/performance-method.md). BENCH_10M=1: 10M products only.
bench:
	$(Q)$(DEPS) build bench
	$(Q)$(SUBMAKE) all
	bench/run.sh

bench-smoke:
	$(Q)$(DEPS) build bench
	$(Q)$(SUBMAKE) all
	BENCH_SMOKE=1 bench/run.sh

# 60 s at 500 connections, resident memory sampled every second; then the
# rolling deploy's long form: 20 restarts under load behind HAProxy.
soak:
	$(Q)$(DEPS) build bench rollout
	$(Q)$(SUBMAKE) all
	bench/soak.sh
	ROLLOUT_ROUNDS=10 ROLLOUT_REPORT=bench/results/rollout-long.md bench/rollout.sh

# Two instances behind HAProxy, each restarted in turn (3 rounds) under wrk at
# 50 connections: not one request may be lost (bench/rollout.sh).
rollout-test:
	$(Q)$(DEPS) build rollout
	$(Q)$(SUBMAKE) all
	bench/rollout.sh

# The container image: docker when a daemon answers, podman otherwise.
image:
	scripts/build-image.sh

# make loadtest HOST=http://127.0.0.1:8080 [WORKERS=2] OUT=reports/local
# (locust/README.md); empty variables take the scenario's defaults.
loadtest:
	$(Q)HOST="$(HOST)" SCENARIO="$(SCENARIO)" SHAPE="$(SHAPE)" USERS="$(USERS)" \
	  SPAWN_RATE="$(SPAWN_RATE)" RUN_TIME="$(RUN_TIME)" WAIT_TIME="$(WAIT_TIME)" \
	  WORKERS="$(WORKERS)" OUT="$(OUT)" LABEL="$(LABEL)" locust/loadtest.sh

# make compare RUNS="reports/local reports/aws" OUT=reports/compare
compare:
	$(Q)RUNS="$(RUNS)" OUT="$(OUT)" locust/compare.sh

# Terraform checked against the AWS provider schema, without terraform. Needs
# Node.js 20 or newer: the node on PATH, or the one scripts/tf-check/install-node.sh
# puts into scripts/tf-check/.node (Debian 12's nodejs is 18), as CI does; and the
# npm registry for its first npm ci. run.sh picks the node and names what is missing.
tf-check:
	scripts/tf-check/run.sh

deploy-aws:
	scripts/deploy-aws.sh

destroy-aws:
	scripts/destroy-aws.sh

# LOCALSTACK_ARGS="--lambda" adds the Lambda proxy route.
localstack-up:
	scripts/localstack-up.sh $(LOCALSTACK_ARGS)

localstack-down:
	scripts/localstack-down.sh

# libFuzzer targets (clang, ASan+UBSan) for every parser of outside input;
# FUZZ_SECONDS per target; fails on any crash.
FUZZ_SECONDS ?= 60
fuzz:
	$(Q)$(DEPS) build fuzz
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# The server under valgrind memcheck, driven through every route.
valgrind:
	$(Q)$(DEPS) build test valgrind
	$(Q)$(SUBMAKE) all
	scripts/valgrind.sh

-include $(LIB_OBJ:.o=.d) $(BUILD)/main.d $(TEST_OBJ:.o=.d)
