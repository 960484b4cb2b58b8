#!/usr/bin/env bash
# cts-compare.sh: run Khronos OpenCL-CTS suites, built outside this project, once against the
# backend alone and once against clsvm (same machine, same environment), one subtest per process
# with a time limit, and print every subtest whose result differs, then counts per suite.
# clsvm's promise is "never worse than its backend": a subtest that passes (or is skipped) on the
# backend and fails, hangs or crashes under clsvm is WORSE and makes the exit status 1.
#
# usage: cts-compare.sh [options] <cts-build-dir> <suite>[:subtest,...] ...
#   --icd FILE          clsvm's vendor file (default: $CLSVM_ICD, else
#                       /etc/OpenCL/vendors/clsvm.icd; a build tree has <build>/clsvm.icd)
#   --backend-icd FILE  the backend's vendor file (default /etc/OpenCL/vendors/pocl.icd)
#   --timeout SEC       per-subtest limit (default: $CLSVM_CTS_TIMEOUT, else 600)
#   --logs DIR          keep each run's output as DIR/{backend,clsvm}/<suite>.<subtest>.log
#   --same              print the subtests with equal results too
#   <suite>             a CTS binary name (test_api, test_basic, ...); ":a,b" runs only those
#                       subtests, ":~REGEX" those whose name matches REGEX
# Environment passes through to both runs: POCL_DEVICES="pthread basic" compares two devices in
# one context, POCL_DEVICES=basic the device that runs commands on the caller's thread;
# CL_WIMPY_MODE=1 shortens some suites; CLSVM_* apply to the clsvm run only.
# Output lines: "WORSE|BETTER|DIFF|SAME <suite> <subtest>: backend <verdict>, clsvm <verdict>"
# with verdicts PASS, SKIP, FAIL, HANG, CRASH; then "<suite>: backend P/F/S ..., clsvm ...".
# Exit status: 0 nothing worse, 1 a subtest is worse under clsvm, 2 usage error.
set -u

usage() {
    sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

icd=${CLSVM_ICD:-/etc/OpenCL/vendors/clsvm.icd}
backend_icd=/etc/OpenCL/vendors/pocl.icd
timeout_s=${CLSVM_CTS_TIMEOUT:-600}
logs=
show_same=0
dir=
suites=()
while [ $# -gt 0 ]; do
    case $1 in
    --icd) [ $# -ge 2 ] || usage; icd=$2; shift 2 ;;
    --backend-icd) [ $# -ge 2 ] || usage; backend_icd=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    --logs) [ $# -ge 2 ] || usage; logs=$2; shift 2 ;;
    --same) show_same=1; shift ;;
    -h | --help) usage ;;
    -*) echo "cts-compare: unknown option $1" >&2; usage ;;
    *) if [ -z "$dir" ]; then dir=$1; else suites+=("$1"); fi; shift ;;
    esac
done
[ -n "$dir" ] && [ ${#suites[@]} -gt 0 ] || usage
case $timeout_s in '' | *[!0-9]*) echo "cts-compare: --timeout wants seconds" >&2; exit 2 ;; esac
for f in "$icd" "$backend_icd"; do
    [ -r "$f" ] || { echo "cts-compare: no vendor file $f (see --icd, --backend-icd)" >&2; exit 2; }
done
command -v timeout >/dev/null || { echo "cts-compare: needs timeout(1) (coreutils)" >&2; exit 2; }
. "$(dirname "$0")/cts-lib.sh"

[ -n "$logs" ] || logs=$(mktemp -d "${TMPDIR:-/tmp}/clsvm-cts-compare.XXXXXX")
mkdir -p "$logs/backend" "$logs/clsvm" || exit 2
echo "cts-compare: backend $backend_icd, clsvm $icd, timeout ${timeout_s}s, logs $logs"
env | grep -E '^(POCL_DEVICES|CL_WIMPY_MODE|CLSVM_[A-Z_]*)=' | grep -v '^CLSVM_ICD=\|^CLSVM_CTS_TIMEOUT=' |
    sed 's/^/  /'

rank() {
    case $1 in PASS) echo 3 ;; SKIP) echo 2 ;; FAIL) echo 1 ;; *) echo 0 ;; esac
}

worse_total=0
for spec in "${suites[@]}"; do
    suite=${spec%%:*}
    filter=
    [ "$spec" != "$suite" ] && filter=${spec#*:}
    bin=$(cts_find_bin "$dir" "$suite")
    if [ -z "$bin" ]; then
        echo "cts-compare: no executable $suite in $dir" >&2
        exit 2
    fi
    names=$(cts_list_subtests "$bin")
    declare -A count=()
    worse=0 better=0 n=0
    for name in $names; do
        case $filter in
        '') ;;
        '~'*) [[ $name =~ ${filter#\~} ]] || continue ;;
        *) [[ ",$filter," == *",$name,"* ]] || continue ;;
        esac
        # The backend alone (unset CLSVM_* do not matter to it), then clsvm.
        OCL_ICD_VENDORS=$backend_icd cts_run "$bin" "$name" "$logs/backend/$suite.$name.log" "$timeout_s"
        bv=$cts_verdict bd=$cts_detail bs=$cts_secs
        OCL_ICD_VENDORS=$icd cts_run "$bin" "$name" "$logs/clsvm/$suite.$name.log" "$timeout_s"
        cv=$cts_verdict cd=$cts_detail cs=$cts_secs
        n=$((n + 1))
        count[b$bv]=$((${count[b$bv]:-0} + 1))
        count[c$cv]=$((${count[c$cv]:-0} + 1))
        if [ "$bv" = "$cv" ]; then
            kind=SAME
        elif [ "$(rank "$cv")" -lt "$(rank "$bv")" ]; then
            kind=WORSE worse=$((worse + 1))
        elif [ "$(rank "$cv")" -gt "$(rank "$bv")" ]; then
            kind=BETTER better=$((better + 1))
        else
            kind=DIFF
        fi
        if [ $kind != SAME ] || [ $show_same -eq 1 ]; then
            printf '%-6s %s %s: backend %s (%ss), clsvm %s (%ss)\n' "$kind" "$suite" "$name" \
                "$bv" "$bs" "$cv" "$cs"
            [ $kind = SAME ] || {
                [ -n "$bd" ] && echo "         backend: $bd"
                [ -n "$cd" ] && echo "         clsvm:   $cd"
            }
        fi
    done
    summary() {
        local p=$1
        printf '%d pass, %d fail, %d skip, %d hang, %d crash' "${count[${p}PASS]:-0}" \
            "${count[${p}FAIL]:-0}" "${count[${p}SKIP]:-0}" "${count[${p}HANG]:-0}" "${count[${p}CRASH]:-0}"
    }
    echo "$suite: $n subtests; backend $(summary b); clsvm $(summary c); worse $worse, better $better"
    unset count
    worse_total=$((worse_total + worse))
done
echo "logs: $logs"
[ $worse_total -eq 0 ] || exit 1
exit 0
