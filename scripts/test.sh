#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test; then the same
# tests again in a clang build under AddressSanitizer and UndefinedBehaviorSanitizer, with the
# libFuzzer targets (DESIGN §12, tests/fuzz/README.md). Arguments go to both ctest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
./installer/linux/install-deps.sh --test
build=${ACD_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"

# The sanitizer build has no Windows test and no benchmark (tests/CMakeLists.txt, bench/).
sanitize=${ACD_SANITIZE_BUILD_DIR:-build-sanitize}
CC=clang CXX=clang++ cmake -S . -B "$sanitize" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DACD_SANITIZE=ON -DACD_FUZZ=ON >/dev/null
cmake --build "$sanitize" -j"$(nproc)"
# Not the crash tests: 20 SIGKILLs per provider take 5 1/2 minutes under the sanitizers
# (3 in the plain build, which runs them), too much of CI's 30 minutes.
# The fuzz targets keep both cores busy: after the other tests, whose time budgets they would eat.
ctest --test-dir "$sanitize" --output-on-failure -j"$(nproc)" -LE 'fuzz|crash' "$@"
ctest --test-dir "$sanitize" --output-on-failure -j"$(nproc)" -L fuzz "$@"
