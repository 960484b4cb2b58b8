#!/usr/bin/env bash
# run-khronos-svm.sh: run an externally built Khronos OpenCL-CTS `test_svm` (and the SVM
# subtests of `test_c11_atomics`, if it is there) against clsvm through the ICD loader, one
# subtest per process with a timeout, and print one line per subtest and a summary.
# It never downloads or builds the CTS: see conformance/README.md for how to build it.
#
# usage: run-khronos-svm.sh [options] <dir-with-test_svm> [subtest...]
#   --icd FILE        clsvm's vendor file for OCL_ICD_VENDORS (default: $CLSVM_ICD, else
#                     /etc/OpenCL/vendors/clsvm.icd; a build tree has <build>/clsvm.icd)
#   --timeout SEC     per-subtest limit (default: $CLSVM_CTS_TIMEOUT, else 600)
#   --logs DIR        keep each subtest's output as DIR/<binary>.<subtest>.log
#                     (default: a temporary directory, kept only if something failed)
#   --all-atomics     run every test_c11_atomics subtest, not only the svm_* ones
#   subtest...        run only these subtests (names as `test_svm --help` lists them)
# The CTS's own variables (CL_WIMPY_MODE, CL_DEVICE_TYPE, ...) pass through unchanged; clsvm's
# too (e.g. CLSVM_VA_BITS=47 to run with fine-grain system SVM advertised).
# Exit status: 0 all ran subtests passed or were skipped, 1 a subtest failed, 2 usage error.
set -u

usage() {
    sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

icd=${CLSVM_ICD:-/etc/OpenCL/vendors/clsvm.icd}
timeout_s=${CLSVM_CTS_TIMEOUT:-600}
logs=
all_atomics=0
dir=
only=()
while [ $# -gt 0 ]; do
    case $1 in
    --icd) [ $# -ge 2 ] || usage; icd=$2; shift 2 ;;
    --icd=*) icd=${1#*=}; shift ;;
    --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    --timeout=*) timeout_s=${1#*=}; shift ;;
    --logs) [ $# -ge 2 ] || usage; logs=$2; shift 2 ;;
    --logs=*) logs=${1#*=}; shift ;;
    --all-atomics) all_atomics=1; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "run-khronos-svm: unknown option $1" >&2; usage ;;
    *) if [ -z "$dir" ]; then dir=$1; else only+=("$1"); fi; shift ;;
    esac
done
for a in "$@"; do
    if [ -z "$dir" ]; then dir=$a; else only+=("$a"); fi
done
[ -n "$dir" ] || usage
case $timeout_s in '' | *[!0-9]*) echo "run-khronos-svm: --timeout wants seconds" >&2; exit 2 ;; esac
if [ ! -r "$icd" ]; then
    echo "run-khronos-svm: no vendor file $icd (install clsvm, or pass --icd <build>/clsvm.icd)" >&2
    exit 2
fi
command -v timeout >/dev/null || { echo "run-khronos-svm: needs timeout(1) (coreutils)" >&2; exit 2; }

. "$(dirname "$0")/cts-lib.sh"
svm_bin=$(cts_find_bin "$dir" test_svm)
atomics_bin=$(cts_find_bin "$dir" test_c11_atomics)
if [ -z "$svm_bin" ]; then
    echo "run-khronos-svm: no executable test_svm in $dir" >&2
    exit 2
fi

if [ -z "$logs" ]; then
    logs=$(mktemp -d "${TMPDIR:-/tmp}/clsvm-cts.XXXXXX")
    keep_logs=0
else
    mkdir -p "$logs" || exit 2
    keep_logs=1
fi

# Only clsvm is visible to the CTS: it then uses platform 0, device 0.
export OCL_ICD_VENDORS=$icd
echo "clsvm Khronos SVM run: OCL_ICD_VENDORS=$icd ($(head -n 1 "$icd")), timeout ${timeout_s}s"
env | grep '^CLSVM_' | grep -v '^CLSVM_ICD=\|^CLSVM_CTS_TIMEOUT=' | sed 's/^/  /'

passed=0 failed=0 skipped=0
failed_names=()

# run_one <binary> <subtest>: one process, one line of result.
run_one() {
    local bin=$1 name=$2 base
    base=$(basename "$bin")
    cts_run "$bin" "$name" "$logs/$base.$name.log" "$timeout_s"
    case $cts_verdict in
    PASS) passed=$((passed + 1)) ;;
    SKIP) skipped=$((skipped + 1)) ;;
    *) cts_verdict=FAIL failed=$((failed + 1)) failed_names+=("$base $name") ;;
    esac
    printf '%-4s %s %s (%ss)%s\n' "$cts_verdict" "$base" "$name" "$cts_secs" "${cts_detail:+  -- $cts_detail}"
}

selected() {
    [ ${#only[@]} -eq 0 ] && return 0
    local o
    for o in "${only[@]}"; do [ "$o" = "$1" ] && return 0; done
    return 1
}

run_suite() {
    local bin=$1 filter=$2 names n
    names=$(cts_list_subtests "$bin")
    if [ -z "$names" ]; then
        echo "FAIL $(basename "$bin"): --help listed no subtests" >&2
        failed=$((failed + 1))
        return
    fi
    for n in $names; do
        [[ $n =~ $filter ]] || continue
        selected "$n" || continue
        run_one "$bin" "$n"
    done
}

run_suite "$svm_bin" '.'
if [ -n "$atomics_bin" ]; then
    # The SVM parts of the C11 atomics tests are the svm_* subtests.
    if [ $all_atomics -eq 1 ]; then run_suite "$atomics_bin" '.'; else run_suite "$atomics_bin" '^svm_'; fi
else
    echo "(no test_c11_atomics in $dir: its SVM subtests were not run)"
fi

echo "$passed passed, $failed failed, $skipped skipped"
if [ $failed -gt 0 ]; then
    echo "logs: $logs"
    exit 1
fi
[ $keep_logs -eq 1 ] || rm -rf "$logs"
exit 0
