# Thin wrapper over CMake presets. `make demo` and `make test` do all the
# setup on a fresh Debian 12 machine (scripts/install-deps.sh).
PRESET ?= dev
BUILD := build/$(PRESET)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test demo asan fuzz-replay format format-check bench clean

all: build

deps:
	@scripts/install-deps.sh --npm

$(BUILD)/CMakeCache.txt:
	cmake --preset $(PRESET)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# A test without its own TIMEOUT gets 300 s: a hang fails that test, not CI.
test: build
	ctest --test-dir $(BUILD) --output-on-failure --timeout 300 $(CTEST_EXTRA) -j $(JOBS)

demo: build
	BULWARK_BIN=$(CURDIR)/$(BUILD)/bin scripts/demo.sh

asan:
	$(MAKE) test PRESET=asan

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

bench: build
	BULWARK_BIN=$(CURDIR)/$(BUILD)/bin bench/run-all.sh

clean:
	rm -rf build
