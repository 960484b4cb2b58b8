#!/usr/bin/env bash
# .ci/sanitizers.sh: the test suite again under the sanitizers, after .ci/run's default
# build. Two builds, each printing ctest's summary line:
#   build-asan  -DCLSVM_SANITIZER=address (ASan + UBSan, leak checking on): the whole suite but
#               the labels that cannot run there (see ASAN_EXCLUDE below);
#   build-tsan  -DCLSVM_SANITIZER=thread: the tests that run threads (see TSAN_TESTS below).
# Exits non-zero when a configure, build or test fails.
# Environment: SAN_BUILD_ROOT (where build-asan/ and build-tsan/ go, default: the repo root),
# JOBS (build parallelism, default nproc), SAN_ONLY=asan|tsan (run one of the two).
set -uo pipefail
cd "$(dirname "$0")/.."

root=${SAN_BUILD_ROOT:-.}
jobs=${JOBS:-$(nproc)}
only=${SAN_ONLY:-}

# Labels left out of the ASan run, and why:
#  bench    timing runs of clsvm vs pocl vs malloc: minutes under ASan and meaningless figures;
#  fuzz     libFuzzer targets are built by clang with their own ASan runtime (fuzz/), and already
#           run under ASan+UBSan in the default build;
#  vm       boots a virtual machine (not instrumented code, needs KVM);
#  install  installs and packages the tree (cmake --install, dpkg): it tests packaging, not
#           memory, and the installed programs would need the ASan runtime preloaded.
ASAN_EXCLUDE='^(bench|fuzz|vm|install)$'

# The tests that run threads of their own or make the backend run them concurrently with
# clsvm: window/heap threads, ICD/SVM threads, callbacks and events (callback threads),
# enqueue ordering and SVM commands on each device kind (host commands run by backend threads),
# the reliability stress test
# the conformance subset's multi-threaded cases, and the OpenCL C 2.0 programs that host
# threads and a running kernel share (oclc20_list/flag/tree/fences), and two threads building
# one program (oclc20_objects), and pocl's own lock-order inversion without clsvm (pocl_lock_order,
# the evidence for tsan.supp). Labels are per area, not
# per threading, hence a name pattern.
TSAN_TESTS='threads|callbacks|events|enqueue_order|fast_path|fast_copy|inline_device|svm_devices|atomics|stress|coexist|refcount|oclc20_(list|flag|tree|fences|objects)|pocl_lock_order'

# UBSan: stop at the first report (the build already uses -fno-sanitize-recover=undefined);
# ASan: leaks on (the default on x86-64, made explicit). Tests add their own LSAN_OPTIONS and
# TSAN_OPTIONS (suppressions of the backend's allocations, tests/icd/*.supp).
# intercept_tls_get_addr=0: GCC 12's libsanitizer guesses where a dlopen'ed library's dynamic
# TLS block starts from the 16 bytes before it when the block sits 16 bytes into a page. With
# glibc 2.36 the block is an ordinary malloc chunk, so the guess reads garbage: libclang-cpp's
# 16-byte block (pocl compiling a kernel) landed there in about one run of two of
# test_svm_host_ptrs, and LeakSanitizer's tracer died on the bogus range ("Tracer caught
# signal 11", "DTLS 8 at 0x1995-0x800002a97" with LSAN_OPTIONS=verbosity=1). Those blocks are
# heap chunks reachable from the thread's dtv, so leak checking loses nothing without it.
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=0:intercept_tls_get_addr=0

status=0
summary=()

# run_one <name> <sanitizer> <ctest selection args...>
run_one() {
    local name=$1 san=$2
    shift 2
    local dir="$root/build-$name" log="$root/build-$name.log"
    echo "== $name: configure and build ($dir, -j$jobs; output in $log)"
    if ! { cmake -S . -B "$dir" -DCLSVM_SANITIZER="$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
           cmake --build "$dir" -j"$jobs"; } >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "$name: configure or build FAILED (see $log)"
        summary+=("$name: build failed")
        status=1
        return
    fi
    echo "== $name: ctest $*"
    local out="$root/build-$name.ctest.log"
    ctest --test-dir "$dir" --output-on-failure -j2 "$@" 2>&1 | tee "$out"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^[0-9]+% tests passed' "$out" | tail -n 1)
    summary+=("$name: ${line:-no ctest summary (exit $rc)}")
    [ "$rc" -eq 0 ] || status=1
}

if [ -z "$only" ] || [ "$only" = asan ]; then
    run_one asan address -LE "$ASAN_EXCLUDE"
fi
if [ -z "$only" ] || [ "$only" = tsan ]; then
    run_one tsan thread -R "$TSAN_TESTS"
fi

echo "== sanitizer summary"
printf '%s\n' "${summary[@]}"
exit $status
