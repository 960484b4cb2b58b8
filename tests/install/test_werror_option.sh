#!/bin/sh
# test_werror_option.sh SRC WORK: -Werror is on by default (the tree, CI, developers) and off
# with -DCLSVM_WERROR=OFF (a distribution's package build), -Wall -Wextra staying on. Configures
# SRC twice into WORK and reads the compile flags of the runtime library.
set -u
src=$1
work=$2
fail() { echo "test_werror_option: FAIL: $*" >&2; exit 1; }
flags() { cat "$1"/runtime/CMakeFiles/clsvm_runtime_objs.dir/flags.make 2>/dev/null; }
rm -rf "$work"
mkdir -p "$work"
cmake -S "$src" -B "$work/on" > "$work/on.log" 2>&1 || fail "configure (default) failed: $(tail -5 "$work/on.log")"
cmake -S "$src" -B "$work/off" -DCLSVM_WERROR=OFF > "$work/off.log" 2>&1 ||
    fail "configure (CLSVM_WERROR=OFF) failed: $(tail -5 "$work/off.log")"
flags "$work/on" | grep -q -- '-Wall -Wextra -Werror' || fail "default build lacks -Werror: $(flags "$work/on" | grep C_FLAGS)"
flags "$work/off" | grep -q -- '-Wall -Wextra' || fail "CLSVM_WERROR=OFF lost -Wall -Wextra"
if flags "$work/off" | grep -q -- '-Werror'; then
    fail "CLSVM_WERROR=OFF still has -Werror: $(flags "$work/off" | grep C_FLAGS)"
fi
rm -rf "$work"
echo "test_werror_option: ok"
