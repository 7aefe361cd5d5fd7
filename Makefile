# Makefile — the two front doors (see README.md). Everything real is in CMake and scripts/.
#   make run    bootstrap, build (Release), run the pipeline on the bundled sample, then
#               serve the dashboard on http://127.0.0.1:8000
#   make test   bootstrap (with test tools), build with ASan+UBSan, run every CTest test
JOBS ?= 2

.PHONY: run test build release clean

run: release
	scripts/run-sample

test:
	scripts/bootstrap --test
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Asan -DMATERIA_WERROR=ON
	cmake --build build/asan -j$(JOBS)
	cd build/asan && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

release:
	scripts/bootstrap
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release
	cmake --build build/release -j$(JOBS)

build:
	scripts/bootstrap
	cmake -S . -B build/debug -DCMAKE_BUILD_TYPE=Debug -DMATERIA_WERROR=ON
	cmake --build build/debug -j$(JOBS)

clean:
	rm -rf build
