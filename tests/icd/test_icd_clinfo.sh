#!/bin/sh
# test_icd_clinfo.sh: clinfo through the loader must list the platform under test (name prefix
# $CLSVM_TEST_PLATFORM, default "clsvm") with at least one device, and a full clinfo run, which
# exercises every platform/device query, must exit 0. Usage: test_icd_clinfo.sh /path/to/clinfo
set -u
clinfo=${1:-clinfo}
prefix=${CLSVM_TEST_PLATFORM:-clsvm}
fail() { echo "test_icd_clinfo: $*" >&2; exit 1; }
# Sanitizer builds: clinfo itself is not instrumented, so it (and only it, not this shell)
# preloads the runtime libclsvm.so was built against.
run_clinfo() {
    if [ -n "${CLSVM_CLINFO_PRELOAD:-}" ]; then
        LD_PRELOAD=$CLSVM_CLINFO_PRELOAD "$clinfo" "$@"
    else
        "$clinfo" "$@"
    fi
}

list=$(run_clinfo -l 2>&1) || fail "clinfo -l exited $? (OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-}):
$list"
echo "$list"
# clinfo -l prints "Platform #N: <name>" and then " \`-- Device #M: <name>" lines under it.
echo "$list" | awk -v p="$prefix" '
    /^Platform #/ { sub(/^Platform #[0-9]+: /, ""); mine = (index($0, p) == 1); found += mine; next }
    /Device #/ && mine { devices++ }
    END { exit !(found >= 1 && devices >= 1) }' ||
    fail "no platform named '$prefix...' with a device in clinfo -l"

out=$(run_clinfo 2>&1) || fail "full clinfo exited $?:
$(echo "$out" | tail -20)"
echo "$out" | grep -q "Platform Name *$prefix" || fail "full clinfo does not show platform '$prefix...'"
# clinfo keeps going when a query fails and prints the error in place of the value; pocl
# alone produces none of those, so any such line is clsvm's doing.
bad=$(echo "$out" | grep -E 'CL_INVALID_|CL_OUT_OF_|<error|error:|[Ff]ailed')
[ -z "$bad" ] || fail "queries failed in full clinfo:
$bad"
echo "ok"
