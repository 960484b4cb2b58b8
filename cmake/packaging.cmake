# packaging.cmake: what `cmake --install` adds beyond the per-folder rules (docs, the devsvm shim),
# an `uninstall` target driven by install_manifest.txt, and the CPack setup for `cpack -G DEB`.
# Included last by the top-level CMakeLists.txt, so every target exists here.

# Docs: the README and docs/ under <datadir>/doc/clsvm.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "*.svg")

# The /dev/svm emulation shim is a test aid, not a library to link: keep it out of the linker's
# directories, in <libdir>/clsvm/ (LD_PRELOAD=<libdir>/clsvm/libclsvm-devsvm-shim.so).
if(TARGET clsvm-devsvm-shim)
  install(TARGETS clsvm-devsvm-shim LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/clsvm)
endif()

# `cmake --build build --target uninstall` removes every file the last install listed in
# build/install_manifest.txt (directories stay: they may be shared, e.g. /etc/OpenCL/vendors).
if(NOT TARGET uninstall)
  add_custom_target(uninstall
    COMMAND ${CMAKE_COMMAND} -DMANIFEST=${CMAKE_BINARY_DIR}/install_manifest.txt
            -P ${CMAKE_CURRENT_LIST_DIR}/uninstall.cmake
    COMMENT "Removing the files listed in install_manifest.txt")
endif()

# Debian package: `cpack -G DEB` in the build directory (.ci/package-test.sh checks it installs,
# registers the ICD and removes cleanly). The package installs under /usr; clsvm.icd goes to
# /etc/OpenCL/vendors (see cmake/install_generated.cmake). It is not a conffile: its one line is
# generated (the library's path), so `dpkg -r` removes it with the library and nothing is left.
set(CPACK_PACKAGE_NAME clsvm)
set(CPACK_PACKAGE_VENDOR "clsvm")
set(CPACK_PACKAGE_CONTACT "clsvm maintainers <clsvm@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "OpenCL ICD with shared virtual memory inside a device-addressable window")
set(CPACK_PACKAGE_DESCRIPTION
    "clsvm is an OpenCL installable client driver that sub-allocates SVM buffers from a window \
below 2^va_bits, so devices with fewer address bits than the CPU can share pointers. Kernels \
run on a privately loaded backend (pocl's CPU device). Includes libclsvm-runtime with its \
headers and pkg-config file, the clsvm-stat tool and the samples.")
# Absolute destinations (/etc/OpenCL/vendors) must be staged, not written to the build machine:
# CPACK_SET_DESTDIR installs with DESTDIR=<staging> and CMAKE_INSTALL_PREFIX=CPACK_INSTALL_PREFIX.
# The package is for /usr whatever prefix the build was configured with.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
# libpocl2: the backend clsvm dlopens (so dpkg-shlibdeps cannot see it); ocl-icd-libopencl1: the
# loader that reads /etc/OpenCL/vendors. dpkg-shlibdeps adds libc6, libhwloc15, ... itself.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ocl-icd-libopencl1, libpocl2")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "clinfo")
# CPack's DEB generator needs `file` (package `file`) and dpkg-shlibdeps (dpkg-dev, part of
# build-essential) to compute library dependencies, the shlibs file and the ldconfig calls.
# Without them the package is still built, with those written by hand for Debian 12.
find_program(CLSVM_FILE_TOOL file)
find_program(CLSVM_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CLSVM_FILE_TOOL AND CLSVM_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
else()
  message(STATUS "cpack -G DEB: 'file' or dpkg-shlibdeps not found (apt-get install file "
                 "dpkg-dev): library dependencies are listed by hand")
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libc6 (>= 2.34)")
  get_target_property(_pkg_defs clsvm-runtime-static INTERFACE_COMPILE_DEFINITIONS)
  if(_pkg_defs MATCHES "CLSVM_HAVE_HWLOC")
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libhwloc15 (>= 2.9.0)")
  endif()
  set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/deb/triggers)
endif()
set(CPACK_GENERATOR DEB)
include(CPack)
