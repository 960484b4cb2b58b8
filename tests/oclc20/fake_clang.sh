#!/bin/sh
# fake_clang.sh: a "clang" for test_oclc20_crash. It answers --version like clang, then crashes
# (SIGSEGV) or, with FAKE_CLANG_MODE=garbage, "succeeds" writing bitcode that is not bitcode.
if [ "$1" = "--version" ]; then
    echo "fake clang version 15.0.0 (clsvm test)"
    exit 0
fi
if [ "$FAKE_CLANG_MODE" = "garbage" ]; then
    out=
    while [ $# -gt 0 ]; do
        [ "$1" = "-o" ] && out=$2
        shift
    done
    echo "this is not LLVM bitcode" > "$out"
    exit 0
fi
kill -SEGV $$
