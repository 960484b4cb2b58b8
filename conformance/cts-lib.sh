# cts-lib.sh: shared by run-khronos-svm.sh and cts-compare.sh (sourced, not run). Runs one
# subtest of an externally built Khronos OpenCL-CTS binary in its own process with a time limit
# and classifies the result. Never downloads or builds the CTS.

# cts_find_bin <dir> <name>: the binary, directly in <dir> or where a CTS build tree puts it
# (test_conformance/<area>/<name>); empty when there is none.
cts_find_bin() {
    if [ -x "$1/$2" ] && [ -f "$1/$2" ]; then
        echo "$1/$2"
    else
        find "$1" -maxdepth 4 -type f -name "$2" -perm -u+x 2>/dev/null | sort | head -n 1
    fi
}

# cts_list_subtests <binary>: subtest names; `--help` ends with "Test names:" (test_allocations:
# "Test names (Allocation Types):") and one tab-indented name per line.
cts_list_subtests() {
    "$1" --help 2>&1 | sed -n '/^Test names.*:$/,$p' | sed -n 's/^\t\([A-Za-z0-9_]*\)[[:space:]]*$/\1/p'
}

cts_child=
trap '[ -n "$cts_child" ] && kill -TERM "$cts_child" 2>/dev/null; echo "cts: interrupted" >&2; exit 130' INT TERM

# cts_run <binary> <subtest> <log> <timeout-seconds>: runs it, sets cts_verdict (PASS, FAIL,
# SKIP, HANG or CRASH), cts_detail (one line) and cts_secs.
cts_run() {
    local bin=$1 name=$2 log=$3 limit=$4 start rc
    start=$(date +%s.%N)
    # timeout(1) puts the subtest in a process group of its own, so a signal to the script
    # would not reach it: run it in the background and pass INT/TERM on (trap above).
    timeout -k 10 "$limit" "$bin" "$name" >"$log" 2>&1 </dev/null &
    cts_child=$!
    wait $cts_child
    rc=$?
    cts_child=
    cts_secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    cts_detail=
    # The harness prints "<name> passed", "<name> test not supported" or "... skipped"; a
    # suite that cannot start on the device says "Test skipped while initialization";
    # test_svm says "... test not executed." before "passed" when the SVM level is missing.
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        cts_verdict=HANG cts_detail="timeout after ${limit}s"
    elif [ $rc -gt 128 ]; then
        cts_verdict=CRASH cts_detail="killed by signal $((rc - 128))"
    elif [ $rc -ne 0 ]; then
        cts_verdict=FAIL cts_detail="exit $rc: $(grep -m 1 -iE 'error|fail' "$log" | cut -c1-120)"
    elif grep -q "test not executed" "$log"; then
        # test_svm's own skip: it reports "passed" after finding no device with the SVM level
        # it needs (e.g. fine-grain system SVM), so this check comes first.
        cts_verdict=SKIP cts_detail=$(grep -m 1 "test not executed" "$log" | cut -c1-120)
    elif grep -qE "^$name passed" "$log"; then
        cts_verdict=PASS
    elif grep -qiE "not supported|skipped" "$log"; then
        cts_verdict=SKIP cts_detail=$(grep -m 1 -iE "not supported|skipped" "$log" | cut -c1-120)
    else
        cts_verdict=FAIL cts_detail="exit 0 but no \"$name passed\" line"
    fi
}
