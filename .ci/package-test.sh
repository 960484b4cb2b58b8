#!/usr/bin/env bash
# package-test.sh [BUILD_DIR]: build the Debian package with `cpack -G DEB` from a configured and
# built tree (default: build), install it with dpkg, check the ICD is registered (clinfo lists
# the clsvm platform with no OCL_ICD_VENDORS), run a sample and a program built with
# pkg-config, then remove and purge it and check that no file of the package is left.
# Needs root (dpkg -i). The machine is left as found: the package is removed on every exit path,
# and a clsvm.icd from a `cmake --install` (not owned by any package) is put back.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
pkg=clsvm
work=$(mktemp -d /tmp/clsvm-package-test.XXXXXX)
icd=/etc/OpenCL/vendors/clsvm.icd

say() { echo "package-test: $*"; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i); run it in CI or a throw-away machine"
# (`file` and dpkg-shlibdeps are wanted too, for computed dependencies, but cmake/packaging.cmake
# falls back to listing them by hand without.)
for tool in cpack dpkg-deb clinfo pkg-config cc; do
    command -v "$tool" >/dev/null ||
        fail "'$tool' is missing; apt-get install cmake dpkg-dev clinfo pkg-config build-essential"
done
if dpkg -s "$pkg" >/dev/null 2>&1; then
    fail "package $pkg is already installed; remove it first (dpkg -r $pkg)"
fi

# A clsvm.icd left by `cmake --install` belongs to no package: dpkg would overwrite it and then
# remove it. Keep it aside and restore it afterwards.
if [ -e "$icd" ]; then
    cp -p "$icd" "$work/clsvm.icd.saved"
    say "keeping the existing $icd (from cmake --install) aside"
fi
# cpack installs into its staging directory through the build's cmake_install.cmake, which
# rewrites <build>/install_manifest.txt with the package's paths: keep the user's own manifest
# (from `cmake --install`) so `--target uninstall` still removes what was really installed.
manifest=$build/install_manifest.txt
[ -f "$manifest" ] && cp -p "$manifest" "$work/manifest.saved"
cleanup() {
    rc=$?
    if [ -f "$work/manifest.saved" ]; then cp -p "$work/manifest.saved" "$manifest"; else rm -f "$manifest"; fi
    if dpkg -s "$pkg" >/dev/null 2>&1; then
        dpkg --purge "$pkg" >/dev/null 2>&1 || true
    fi
    if [ -e "$work/clsvm.icd.saved" ]; then
        cp -p "$work/clsvm.icd.saved" "$icd"
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

# 1. Build the package.
(cd "$build" && cpack -G DEB -B "$work/out") > "$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$(ls "$work"/out/${pkg}_*.deb 2>/dev/null | head -1) || true
[ -n "$deb" ] || fail "cpack made no ${pkg}_*.deb"
say "built $(basename "$deb")"
dpkg-deb -f "$deb" Depends | tee "$work/depends"
for dep in ocl-icd-libopencl1 libpocl2; do
    grep -qw "$dep" "$work/depends" || fail "the package does not depend on $dep"
done
dpkg-deb -c "$deb" > "$work/contents"
grep -q " \./etc/OpenCL/vendors/clsvm\.icd$" "$work/contents" || fail "clsvm.icd is not in the package"

# 2. Install: dependencies must already be satisfied (the README's apt command installs them).
dpkg -i "$deb" > "$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log" >&2; fail "dpkg -i failed"; }
dpkg -L "$pkg" > "$work/files"
say "installed $(wc -l < "$work/files") paths"
[ -e "$(cat "$icd")" ] || fail "$icd names a missing library '$(cat "$icd")'"

# 3. The loader finds clsvm through /etc/OpenCL/vendors alone.
export POCL_CACHE_DIR=$work/pocl-cache
list=$(env -u OCL_ICD_VENDORS clinfo -l 2>&1) || fail "clinfo -l failed: $list"
echo "$list"
grep -q "^Platform #[0-9]*: clsvm" <<< "$list" || fail "clinfo does not list the clsvm platform"
out=$(env -u OCL_ICD_VENDORS svm-list-coarse 1000 2>&1) || fail "svm-list-coarse failed: $out"
echo "$out" | tail -3
out=$(env -u OCL_ICD_VENDORS CLSVM_STATS="$work/stats.json" clsvm-info 16 2>&1) ||
    fail "clsvm-info failed: $out"
grep -q "^clsvm-info: platform clsvm" <<< "$out" || fail "clsvm-info did not use clsvm: $out"
clsvm-stat "$work/stats.json" > "$work/stat.txt" || fail "clsvm-stat cannot read the dump"
head -3 "$work/stat.txt"

# 4. A program built against the installed runtime with pkg-config.
flags=$(pkg-config --cflags --libs clsvm-runtime) || fail "pkg-config does not know clsvm-runtime"
# shellcheck disable=SC2086 # the flags are meant to be split
cc -o "$work/pkgconfig_demo" "$src/tests/install/pkgconfig_demo.c" $flags -ldl ||
    fail "cannot build against the installed clsvm-runtime"
"$work/pkgconfig_demo" /usr/lib/ || fail "pkgconfig_demo failed"

# 5. Remove, purge, and check that every file of the package is gone.
dpkg -r "$pkg" > /dev/null || fail "dpkg -r failed"
left=""
while read -r f; do
    if [ -e "$f" ] && [ ! -d "$f" ]; then left="$left $f"; fi
done < "$work/files"
[ -z "$left" ] || fail "dpkg -r left files:$left"
# Nothing is a conffile, so -r already removed everything; purge whatever state may remain.
if dpkg -s "$pkg" >/dev/null 2>&1; then dpkg --purge "$pkg" > /dev/null || fail "dpkg --purge failed"; fi
! dpkg -s "$pkg" >/dev/null 2>&1 || fail "dpkg still knows $pkg after --purge"
list=$(env -u OCL_ICD_VENDORS clinfo -l 2>&1) || true
! grep -q "^Platform #[0-9]*: clsvm" <<< "$list" || fail "clinfo still lists clsvm after removal"
say "ok: built, installed, registered, ran, removed; no file left"
