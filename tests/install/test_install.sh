#!/bin/sh
# test_install.sh: `cmake --install` into a temporary prefix, then use what was installed the way
# a user would: clsvm-info through the loader with OCL_ICD_VENDORS=<prefix>/etc/OpenCL/vendors/
# clsvm.icd, a program built with `pkg-config --cflags --libs clsvm-runtime`, and finally the
# uninstall script, after which no file may remain under the prefix.
# usage: test_install.sh BUILD_DIR SOURCE_DIR WORK_DIR CC [EXTRA_CFLAGS...]
set -u
build=$1 src=$2 work=$3 cc=$4
shift 4
extra_cflags="$*"
fail() { echo "test_install: FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
# cmake --install always writes <build>/install_manifest.txt: keep the user's own (from a real
# install) and put it back, so `make uninstall` there still removes the right files.
manifest=$build/install_manifest.txt
[ -f "$manifest" ] && cp "$manifest" "$work/manifest.saved"
restore() { if [ -f "$work/manifest.saved" ]; then cp "$work/manifest.saved" "$manifest"; else rm -f "$manifest"; fi; }

trap restore EXIT

out=$(cmake --install "$build" --prefix "$prefix" 2>&1)
rc=$?
[ -f "$manifest" ] && cp "$manifest" "$work/install_manifest.txt"
[ $rc -eq 0 ] || fail "cmake --install exited $rc:
$out"
m=$work/install_manifest.txt
[ -s "$m" ] || fail "no install manifest"

# Every installed file is in the manifest and inside the prefix; the expected ones are there.
outside=$(grep -v "^$prefix/" "$m")
[ -z "$outside" ] || fail "files installed outside $prefix: $outside"
for f in lib/libclsvm.so etc/OpenCL/vendors/clsvm.icd lib/libclsvm-runtime.so \
         lib/libclsvm-runtime.so.0 include/clsvm/runtime.h include/clsvm/dev_svm.h \
         lib/pkgconfig/clsvm-runtime.pc bin/clsvm-info bin/clsvm-stat \
         share/doc/clsvm/README.md share/doc/clsvm/getting-started.md; do
    grep -qx "$prefix/$f" "$m" || fail "$f is not in install_manifest.txt"
    [ -e "$prefix/$f" ] || fail "$prefix/$f was not installed"
done
extra=$(cd "$prefix" && find . -type f -o -type l | sed "s|^\.|$prefix|" | sort | comm -23 - "$(sort "$m" > "$work/m.sorted"; echo "$work/m.sorted")")
[ -z "$extra" ] || fail "installed but not in the manifest: $extra"

# Only the public headers: clsvm/internal/ (option getters, log) is for the tree's own targets
# and declares functions libclsvm-runtime.so does not export.
hdrs=$(cd "$prefix/include" && find . -type f | sort | tr '\n' ' ')
[ "$hdrs" = "./clsvm/dev_svm.h ./clsvm/runtime.h " ] ||
    fail "installed headers are '$hdrs'; want clsvm/dev_svm.h and clsvm/runtime.h only"

# The vendor file names the installed library by absolute path.
icd=$prefix/etc/OpenCL/vendors/clsvm.icd
[ "$(cat "$icd")" = "$prefix/lib/libclsvm.so" ] || fail "clsvm.icd says '$(cat "$icd")', want $prefix/lib/libclsvm.so"

# A sample through the real loader, seeing only the installed ICD.
out=$(OCL_ICD_VENDORS=$icd CLSVM_LOG=warn "$prefix/bin/clsvm-info" 16 2>&1) ||
    fail "installed clsvm-info with OCL_ICD_VENDORS=$icd failed:
$out"
echo "$out" | grep -q "^clsvm-info: platform clsvm" || fail "clsvm-info did not find the clsvm platform:
$out"
echo "$out" | grep -q "below 2^40" || fail "clsvm-info did not place SVM below 2^40:
$out"
# CLSVM_LOG=info: the effective configuration once (from the ICD), the NUMA decision once.
out=$(OCL_ICD_VENDORS=$icd CLSVM_LOG=info "$prefix/bin/clsvm-info" 16 2>&1) || fail "clsvm-info at CLSVM_LOG=info failed"
[ "$(echo "$out" | grep -c '^clsvm: info: config CLSVM_NUMA=')" -eq 1 ] ||
    fail "CLSVM_LOG=info should print the configuration once:
$out"
[ "$(echo "$out" | grep -c '^clsvm: [a-z]*: numa: ')" -eq 1 ] ||
    fail "CLSVM_LOG=info should print the NUMA decision once:
$out"
echo "installed clsvm-info: ok"

# pkg-config from the installed prefix, and a program built and run with it.
pcdir=$prefix/lib/pkgconfig
flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs clsvm-runtime) ||
    fail "pkg-config --cflags --libs clsvm-runtime failed with PKG_CONFIG_PATH=$pcdir"
echo "pkg-config: $flags"
case "$flags" in *"-I$prefix/include"*"-L$prefix/lib"*) ;; *) fail "pkg-config flags do not point into $prefix: $flags" ;; esac
# shellcheck disable=SC2086 # word splitting of the flags is intended
$cc $extra_cflags -o "$work/pkgconfig_demo" "$src/tests/install/pkgconfig_demo.c" $flags -ldl ||
    fail "could not build a program with the pkg-config flags"
LD_LIBRARY_PATH=$prefix/lib "$work/pkgconfig_demo" "$prefix/lib/" || fail "pkgconfig_demo failed"

# Where the vendor file goes for the system prefixes (staged with DESTDIR, nothing runs):
# /etc/OpenCL/vendors for /usr and /usr/local (the only place ocl-icd reads), naming the
# library by its final path, not the staging one.
for sys in /usr /usr/local; do
    stage=$work/stage$(echo "$sys" | tr / _)
    DESTDIR=$stage cmake --install "$build" --prefix "$sys" > /dev/null 2>&1 ||
        fail "DESTDIR=$stage cmake --install --prefix $sys failed"
    f=$stage/etc/OpenCL/vendors/clsvm.icd
    [ -f "$f" ] || fail "prefix $sys: no clsvm.icd in /etc/OpenCL/vendors"
    lib=$(cat "$f")
    case "$lib" in "$sys"/lib*/libclsvm.so) ;; *) fail "prefix $sys: clsvm.icd says '$lib'" ;; esac
    [ -f "$stage$lib" ] || fail "prefix $sys: clsvm.icd names $lib, which was not installed"
    grep -qx "/etc/OpenCL/vendors/clsvm.icd" "$manifest" || fail "prefix $sys: clsvm.icd not in the manifest"
    grep -q "^prefix=$sys\$" "$stage$sys"/lib*/pkgconfig/clsvm-runtime.pc || fail "prefix $sys: clsvm-runtime.pc has the wrong prefix"
    rm -rf "$stage"
done
echo "system prefixes: ok"

# Uninstall from the manifest: nothing may be left (only empty directories).
cmake -DMANIFEST="$m" -P "$src/cmake/uninstall.cmake" >/dev/null || fail "uninstall.cmake failed"
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left files: $left"
restore
trap - EXIT
rm -rf "$work"
echo "test_install: ok"
