#!/bin/busybox sh
# shellcheck shell=dash
# guest_tests.sh: runs inside the VM of run_vm_test.sh, chrooted into the host's root (shared
# read-only over 9p; /run and /dev/shm are tmpfs, /tmp is the host's, read-only: the build
# tree may live there). $1 is the settings file the host wrote.
# Prints one "VMTEST PASS|FAIL|SKIP <name>" line per check, the output of failed checks, and
# "VMTEST DONE" at the end.
#
# The test executables run directly from the read-only build tree, not through ctest: ctest
# wants to write Testing/ into the build directory. HOME, TMPDIR and pocl's kernel cache point
# at the tmpfs on /run instead (pocl writes its cache under $HOME otherwise).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/run TMPDIR=/run/tmp POCL_CACHE_DIR=/run/pocl
b=/bin/busybox
# shellcheck source=/dev/null # written by run_vm_test.sh
. "$1" || { echo "VMTEST FAIL guest-settings"; echo "VMTEST DONE"; exit 1; }
$b mkdir -p /run/tmp /run/pocl && cd /run || exit 1
params=/sys/module/svm/parameters

# check NAME [--need] COMMAND...: runs COMMAND with a time limit; exit 0 passes, 77 skips
# (fails with --need: those checks must run, and their output is always shown), anything
# else fails and shows the output.
check() {
    name=$1
    shift
    need=
    [ "$1" = --need ] && need=1 && shift
    t0=$(uptime_s)
    $b timeout 300 "$@" >/run/out.log 2>&1
    rc=$?
    took="$(($(uptime_s) - t0)) s"
    if [ $rc -eq 0 ]; then
        [ -n "$need" ] && $b cat /run/out.log
        echo "VMTEST PASS $name ($took)"
    elif [ $rc -eq 77 ] && [ -z "$need" ]; then
        echo "VMTEST SKIP $name ($took): $($b tail -n 1 /run/out.log)"
    else
        $b tail -n 40 /run/out.log
        echo "VMTEST FAIL $name (exit $rc, $took)"
    fi
}

# A test executable that is not built is a failure, not a skip.
exe() {
    [ -x "$TESTS/$1" ] && return 0
    echo "VMTEST FAIL $1 (not built: $TESTS/$1)"
    return 1
}

uptime_s() { $b cut -d. -f1 /proc/uptime; }
memfree() { $b awk '/^MemFree:/ { print $2 }' /proc/meminfo; }

free0=$(memfree)
# Module parameters: a bad range is refused at load; a small one is what the device reports
# and where it maps (the driver checks and the contract test again, on [2^32, 2^36)).
if $b insmod "$MODULE" window_min=0x8000000000 window_max=0x4000000000 2>/dev/null; then
    $b rmmod svm
    echo "VMTEST FAIL params-refused (window_min > window_max loaded)"
else
    echo "VMTEST PASS params-refused"
fi
if $b insmod "$MODULE" window_min=0x100000000 window_max=0x1000000000 va_bits=36; then
    exe svm_driver_check && check params.driver_check --need "$TESTS/svm_driver_check"
    exe test_devsvm_contract && check params.contract --need "$TESTS/test_devsvm_contract"
    $b rmmod svm || echo "VMTEST FAIL params-rmmod"
else
    echo "VMTEST FAIL params-insmod"
fi

if ! $b insmod "$MODULE"; then
    echo "VMTEST FAIL insmod-svm"
    echo "VMTEST DONE"
    exit 1
fi
echo "VMTEST PASS insmod-svm"
[ -c /dev/svm ] && echo "VMTEST PASS dev-node" || echo "VMTEST FAIL dev-node (no /dev/svm)"

# 1. The driver's own checks, then the portable contract test on the real device.
exe svm_driver_check && check driver_check --need "$TESTS/svm_driver_check"
exe test_devsvm_contract && check contract --need "$TESTS/test_devsvm_contract"

# 2. clsvm's runtime tests on the real device (the set tests/runtime/devsvm_tests.cmake runs
# on the shim), 3. the ICD's SVM tests through pocl, also with the window from /dev/svm.
for t in $RUNTIME_TESTS; do
    exe "$t" && check "devsvm.$t" env CLSVM_WINDOW=devsvm "$TESTS/$t"
done
for t in $SVM_TESTS; do
    # shellcheck disable=SC2086 # SVM_ENV is a list of VAR=value words
    exe "$t" && check "devsvm.$t" env CLSVM_WINDOW=devsvm $SVM_ENV "$TESTS/$t"
done

# 4. Nothing left behind: no open files, no VMAs, the module unloads, memory is back.
files=$($b cat $params/open_files) vmas=$($b cat $params/live_vmas)
echo "svm: open_files $files live_vmas $vmas pages_faulted $($b cat $params/pages_faulted)"
[ "$files" = 0 ] && [ "$vmas" = 0 ] && echo "VMTEST PASS counters-zero" ||
    echo "VMTEST FAIL counters-zero (open_files $files live_vmas $vmas)"
$b rmmod svm && echo "VMTEST PASS rmmod-svm" || echo "VMTEST FAIL rmmod-svm"
[ ! -e /dev/svm ] && echo "VMTEST PASS dev-node-gone" || echo "VMTEST FAIL dev-node-gone"
free1=$(memfree)
echo "svm: MemFree ${free0} KiB before insmod, ${free1} KiB after rmmod (page cache of the tests included)"

# 5. The kernel noticed nothing wrong (bad page state, BUG, WARN, lockdep, oops).
if $b dmesg | $b grep -E 'BUG|WARNING|Bad page|Oops|general protection|refcount_t|list_del corruption' >/run/klog; then
    $b cat /run/klog
    echo "VMTEST FAIL kernel-log"
else
    echo "VMTEST PASS kernel-log"
fi
echo "VMTEST DONE"
