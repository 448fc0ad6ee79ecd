# Front door: `make run` and `make test` install what is missing, build, and run.
BUILD ?= build
ASAN_BUILD ?= build-asan
# build-fuzz is fixed: it is the binaryDir of the `fuzz` preset in CMakePresets.json.
FUZZ_BUILD := build-fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/%_fuzz.cpp,fuzz_%,$(wildcard tests/fuzz/*_fuzz.cpp))
CONF ?= conf/ringcast.conf
JOBS ?= $(shell nproc)

.PHONY: deps build run test unit integration test-asan fuzz-smoke bench clean

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/ringcast -c $(CONF)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L integration --timeout 300

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRINGCAST_SANITIZE=ON -DRINGCAST_BUILD_BENCH=OFF

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# libFuzzer targets (clang 14, ASan + UBSan), each run briefly; see scripts/fuzz-smoke.sh.
$(FUZZ_BUILD)/build.ninja:
	cmake --preset fuzz

fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	scripts/fuzz-smoke.sh $(FUZZ_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# Side-by-side RTMP density comparison, ringcast vs nginx-rtmp (perf/README.md); about 5 minutes.
# Extra arguments: make perf-compare PERF_ARGS='--quick' (or --players 500,1000, --profile both ...)
PERF_BUILD ?= build-perf
PERF_ARGS ?=
.PHONY: perf-compare
perf-compare: deps
	@test -f $(PERF_BUILD)/build.ninja || cmake -S . -B $(PERF_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(PERF_BUILD) -j $(JOBS) --target ringcast ringcast-load
	python3 perf/compare.py --ringcast $(PERF_BUILD)/ringcast --load $(PERF_BUILD)/ringcast-load $(PERF_ARGS)
