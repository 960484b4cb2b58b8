#!/bin/sh
# test_cts_scripts.sh: run-khronos-svm.sh and cts-compare.sh against fake CTS binaries whose
# result depends on the vendor file they are run with, so every verdict the scripts can give
# (pass, fail, skip, hang, crash; worse, better, same) is produced and checked.
# usage: test_cts_scripts.sh <conformance-dir> <work-dir>
set -u
src=$1 work=$2
rm -rf "$work" && mkdir -p "$work/cts" || exit 1
: >"$work/clsvm.icd"
: >"$work/pocl.icd"
fake() { # fake <name> <subtest:backend-action:clsvm-action>... (help header: $hdr)
    bin=$work/cts/$1
    shift
    {
        echo '#!/bin/sh'
        printf 'if [ "$1" = --help ]; then printf "usage\\n%s\\n' "${hdr:-Test names:}"
        for s in "$@"; do printf '\\t%s\\n' "${s%%:*}"; done
        printf '"; exit 0; fi\n'
        echo 'case $OCL_ICD_VENDORS in *clsvm*) side=2 ;; *) side=1 ;; esac'
        echo 'case $1 in'
        for s in "$@"; do
            name=${s%%:*} rest=${s#*:}
            echo "$name) if [ \$side = 1 ]; then act=${rest%%:*}; else act=${rest#*:}; fi ;;"
        done
        echo 'esac'
        echo 'case $act in pass) echo "$1 passed" ;; skip) echo "$1 test not supported" ;;'
        echo '  fail) echo "ERROR: wrong"; exit 1 ;; hang) sleep 30 ;; crash) kill -SEGV $$ ;; esac'
    } >"$bin"
    chmod +x "$bin"
}
hdr='Test names (Allocation Types):' fake test_allocations buffer:pass:pass image2d_read:pass:fail
fake test_svm same:pass:pass worse:pass:fail better:fail:pass hang:pass:hang crash:pass:crash \
    skip:skip:skip lost:pass:skip
fail=0
expect() { # expect <file> <line regex>
    grep -qE "$2" "$1" || { echo "FAIL: no line matching '$2' in:"; cat "$1"; fail=1; }
}

sh_ok() { "$@" >"$work/out" 2>&1; echo $? >"$work/rc"; }
sh_ok "$src/cts-compare.sh" --icd "$work/clsvm.icd" --backend-icd "$work/pocl.icd" --timeout 2 \
    --logs "$work/logs" "$work/cts" test_svm
out=$work/out
[ "$(cat "$work/rc")" = 1 ] || { echo "FAIL: cts-compare exit $(cat "$work/rc"), want 1"; fail=1; }
expect "$out" '^WORSE +test_svm worse: backend PASS .*clsvm FAIL'
expect "$out" '^WORSE +test_svm hang: backend PASS .*clsvm HANG'
expect "$out" '^WORSE +test_svm crash: backend PASS .*clsvm CRASH'
expect "$out" '^WORSE +test_svm lost: backend PASS .*clsvm SKIP'
expect "$out" '^BETTER +test_svm better: backend FAIL .*clsvm PASS'
expect "$out" '^test_svm: 7 subtests; backend 5 pass, 1 fail, 1 skip, 0 hang, 0 crash; clsvm 2 pass, 1 fail, 2 skip, 1 hang, 1 crash; worse 4, better 1$'
grep -q 'same' "$out" && { echo "FAIL: equal results printed without --same"; fail=1; }
[ -s "$work/logs/clsvm/test_svm.worse.log" ] || { echo "FAIL: no clsvm log kept"; fail=1; }

sh_ok "$src/cts-compare.sh" --icd "$work/clsvm.icd" --backend-icd "$work/pocl.icd" --timeout 2 \
    --same "$work/cts" test_svm:same,better test_svm:~^sk
[ "$(cat "$work/rc")" = 0 ] || { echo "FAIL: selected subtests exit $(cat "$work/rc"), want 0"; fail=1; }
expect "$out" '^SAME +test_svm same: backend PASS'
expect "$out" '^SAME +test_svm skip: backend SKIP'
expect "$out" '^test_svm: 2 subtests;.*worse 0, better 1$'
expect "$out" '^test_svm: 1 subtests;.*worse 0, better 0$'

# test_allocations heads its list of subtests differently.
sh_ok "$src/cts-compare.sh" --icd "$work/clsvm.icd" --backend-icd "$work/pocl.icd" --timeout 2 \
    "$work/cts" test_allocations
expect "$out" '^WORSE +test_allocations image2d_read: backend PASS .*clsvm FAIL'
expect "$out" '^test_allocations: 2 subtests;.*worse 1, better 0$'

# run-khronos-svm.sh uses the same runner: clsvm's side only.
sh_ok "$src/run-khronos-svm.sh" --icd "$work/clsvm.icd" --timeout 2 "$work/cts"
[ "$(cat "$work/rc")" = 1 ] || { echo "FAIL: run-khronos-svm exit $(cat "$work/rc"), want 1"; fail=1; }
expect "$out" '^PASS test_svm same'
expect "$out" '^FAIL test_svm hang .*timeout after 2s'
expect "$out" '^FAIL test_svm crash .*signal 11'
expect "$out" '^2 passed, 3 failed, 2 skipped$'

sh_ok "$src/cts-compare.sh" "$work/cts"
[ "$(cat "$work/rc")" = 2 ] || { echo "FAIL: usage error exit $(cat "$work/rc"), want 2"; fail=1; }
[ $fail = 0 ] && echo "cts scripts: all verdicts as expected"
exit $fail
