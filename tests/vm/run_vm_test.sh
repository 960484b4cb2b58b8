#!/bin/sh
# run_vm_test.sh: the /dev/svm reference driver tested in a real kernel.
#
# Builds driver/ against the installed Debian kernel headers, makes a busybox initramfs, boots
# that kernel under QEMU (TCG, 1 vCPU) with the host's root shared read-only over 9p, and runs
# tests/vm/guest_tests.sh inside (chrooted into the shared root): load the module, the driver
# checks, the /dev/svm contract test, clsvm's runtime and ICD SVM tests with CLSVM_WINDOW=devsvm
# against the real device, then the leak counters, unload and the kernel log. The guest reports
# on the serial console, one "VMTEST PASS|FAIL|SKIP <name>" line per check and a final
# "VMTEST DONE"; this script exits 0 only when that line came and no check failed, 1 when the
# guest failed, hung or the module did not build, and 77 (skipped, with the reason) when a
# package is missing.
#
# Usage: run_vm_test.sh --source DIR --tests DIR --work DIR [--runtime-tests "a b"]
#                       [--svm-tests "c d"] [--svm-env "VAR=value ..."] [--timeout SECONDS]
# Environment: CLSVM_VM_MEMORY (MiB, default 2048: test_window_decommit touches 1 GiB), CLSVM_VM_KERNEL (a version such as
# 6.1.0-56-amd64, default: the newest with both headers and /boot/vmlinuz).
set -u

src='' tests='' work='' runtime_tests='' svm_tests='' svm_env='' timeout=840
while [ $# -gt 0 ]; do
    case $1 in
    --source) src=$2 ;;
    --tests) tests=$2 ;;
    --work) work=$2 ;;
    --runtime-tests) runtime_tests=$2 ;;
    --svm-tests) svm_tests=$2 ;;
    --svm-env) svm_env=$2 ;;
    --timeout) timeout=$2 ;;
    *) echo "run_vm_test.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$src" ] && [ -n "$tests" ] && [ -n "$work" ] || { echo "run_vm_test.sh: --source, --tests and --work are needed" >&2; exit 2; }

skip() {
    echo "SKIPPED: $*"
    exit 77
}

# --- What the test needs (apt: qemu-system-x86 linux-image-amd64 linux-headers-amd64
# busybox-static make gcc) -------------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
busybox=/bin/busybox
[ -x $busybox ] && ! ldd $busybox >/dev/null 2>&1 || skip "no static $busybox (apt-get install busybox-static)"
command -v make >/dev/null && command -v gcc >/dev/null || skip "no make/gcc to build the module"
kver=${CLSVM_VM_KERNEL:-}
if [ -z "$kver" ]; then
    for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V); do
        v=${d#/usr/src/linux-headers-}
        [ -r "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/kernel/fs/9p" ] && kver=$v
    done
fi
[ -n "$kver" ] || skip "no kernel with headers, /boot/vmlinuz and modules (apt-get install linux-image-amd64 linux-headers-amd64)"
kdir=/usr/src/linux-headers-$kver
[ -d "$kdir" ] && [ -r /boot/vmlinuz-$kver ] || skip "kernel $kver: no headers or no readable /boot/vmlinuz-$kver"
echo "vm: kernel $kver"

# --- 1. The module, built out of the source tree (kbuild writes next to the sources) --------
rm -rf "$work" && mkdir -p "$work/driver" "$work/initramfs" || exit 1
cp "$src"/driver/Kbuild "$src"/driver/*.c "$src"/driver/*.h "$work/driver/" || exit 1
if ! make -C "$kdir" M="$work/driver" CLSVM_INCLUDE="$src/runtime/include" modules \
    >"$work/build.log" 2>&1; then
    cat "$work/build.log"
    echo "FAIL: the module did not build against $kdir"
    exit 1
fi
if grep -q 'warning:' "$work/build.log"; then
    cat "$work/build.log"
    echo "FAIL: the module builds with warnings"
    exit 1
fi
echo "vm: built $work/driver/svm.ko"

# --- 2. The initramfs: busybox, the 9p/virtio modules, /init ---------------------------------
ird=$work/initramfs
mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/root" "$ird/mods" || exit 1
cp $busybox "$ird/bin/busybox" || exit 1
mods="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/9p/9pnet
net/9p/9pnet_virtio fs/netfs/netfs fs/fscache/fscache fs/9p/9p"
order=
for m in $mods; do
    f=/lib/modules/$kver/kernel/$m.ko
    [ -r "$f" ] || skip "kernel $kver has no $m.ko (needed for the 9p root)"
    cp "$f" "$ird/mods/" || exit 1
    order="$order ${m##*/}"
done
# The guest's settings, read by guest_tests.sh through the shared root.
cat >"$work/guest.env" <<ENV
MODULE='$work/driver/svm.ko'
TESTS='$tests'
RUNTIME_TESTS='$runtime_tests'
SVM_TESTS='$svm_tests'
SVM_ENV='$svm_env'
ENV
cat >"$ird/init" <<INIT
#!/bin/busybox sh
b=/bin/busybox
echo # the firmware leaves escape sequences on the console's current line
\$b mount -t proc proc /proc
\$b mount -t sysfs sys /sys
\$b mount -t devtmpfs dev /dev
for m in $order; do \$b insmod /mods/\$m.ko || echo "VMTEST FAIL insmod-\$m"; done
if \$b mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 root /root; then
    \$b mkdir -p /dev/shm
    \$b mount --bind /proc /root/proc && \$b mount --bind /sys /root/sys &&
        \$b mount --bind /dev /root/dev && \$b mount -t tmpfs run /root/run &&
        \$b mount -t tmpfs shm /root/dev/shm &&
        \$b chroot /root /bin/busybox sh '$src/tests/vm/guest_tests.sh' '$work/guest.env' ||
        echo "VMTEST FAIL guest-setup"
else
    echo "VMTEST FAIL mount-9p-root"
fi
\$b sync
\$b poweroff -f
INIT
chmod +x "$ird/init" || exit 1
(cd "$ird" && find . | $busybox cpio -o -H newc >"$work/initramfs.cpio" 2>/dev/null) ||
    { echo "FAIL: could not pack the initramfs"; exit 1; }

# --- 3. Boot (TCG: /dev/kvm may be missing or emulated; TCG works everywhere) ---------------
echo "vm: booting (TCG, 1 vCPU, ${CLSVM_VM_MEMORY:-2048} MiB, timeout ${timeout}s)"
timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -smp 1 \
    -m "${CLSVM_VM_MEMORY:-2048}" -nographic -no-reboot -nic none \
    -kernel /boot/vmlinuz-$kver -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 quiet" \
    -virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
    </dev/null 2>&1 | tr -d '\r' | tee "$work/console.log"
rc=$(grep -c 'VMTEST FAIL' "$work/console.log")
if ! grep -q 'VMTEST DONE' "$work/console.log"; then
    echo "FAIL: the guest did not finish (hang, panic or timeout after ${timeout}s); console: $work/console.log"
    exit 1
fi
echo "vm: $(grep -c 'VMTEST PASS' "$work/console.log") passed, $rc failed, $(grep -c 'VMTEST SKIP' "$work/console.log") skipped"
[ "$rc" -eq 0 ] || exit 1
exit 0
