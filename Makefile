# The README's commands. Each one installs what is missing (scripts/install-deps),
# configures and builds through the CMake presets, then does its job.
#   make demo       build in Release and run the demo on local ranks
#   make test       build in Release and run the whole test suite
#   make test-asan  the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-slurm the Slurm tests against a throwaway one-node Slurm (scripts/slurm-local)
#   make bench      side-by-side benchmarks against peers (docs/benchmarks.md)
#   make install    install into PREFIX (default /usr/local)
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
WERROR ?= OFF
CTEST_ARGS ?=

.PHONY: all deps build demo test test-slurm test-asan bench install format clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake --preset release -DWEFT_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset release -j $(JOBS)

demo: build
	@scripts/demo build/release/bin/weft

test: build
	@scripts/install-deps --report
	@ctest --preset release -j $(JOBS) $(CTEST_ARGS)

# Starts a one-node Slurm, runs the tests labelled slurm (which fail rather than skip
# here), and stops it again whatever happened.
test-slurm: build
	@scripts/install-deps --slurm
	@slurm_env=$$(scripts/slurm-local start) && eval "$$slurm_env" && status=0 && \
	  { WEFT_REQUIRE_SLURM=1 ctest --preset release -L slurm $(CTEST_ARGS) || status=$$?; } && \
	  scripts/slurm-local stop && exit $$status

test-asan: deps
	@cmake --preset asan -DWEFT_WERROR=$(WERROR) >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ctest --preset asan -j $(JOBS) $(CTEST_ARGS)

bench: build
	@bench/run build/release

install: build
	@cmake --install build/release --prefix $(PREFIX)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build
