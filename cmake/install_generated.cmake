# install_generated.cmake: files whose content depends on where they are installed
# (clsvm.icd names the installed library by absolute path; clsvm-runtime.pc names the prefix).
#
# They are produced at *install* time, not configure time, so `cmake --install build --prefix X`
# and cpack (which installs with its own prefix) get the right paths. They are then installed
# with file(INSTALL), the command install(FILES) uses, so they land in install_manifest.txt and
# in packages like every other file (DESTDIR is honoured by file(INSTALL) itself).
#
# Install-time directory rules (CLSVM_DIR_* values below):
#   bindir, libdir, includedir: the GNUInstallDirs value, below the install prefix unless absolute.
#   icddir: CLSVM_ICD_DIR if set; otherwise /etc/OpenCL/vendors for the prefixes /usr and
#     /usr/local (ocl-icd reads only /etc/OpenCL/vendors, and `cmake --install build` with the
#     default /usr/local prefix must make clinfo see clsvm), and <prefix>/<sysconfdir>/OpenCL/vendors
#     for any other prefix (use it with OCL_ICD_VENDORS=<that dir>/clsvm.icd).
include_guard(GLOBAL)

set(CLSVM_ICD_DIR "" CACHE PATH
    "Directory for clsvm.icd; empty: /etc/OpenCL/vendors for prefix /usr or /usr/local, else <prefix>/etc/OpenCL/vendors")

# clsvm_install_generated(TEMPLATE <file.in> NAME <installed name> DIR lib|include|bin|icd|pkgconfig
#                         [VARS NAME=value ...])
# Template variables (@VAR@): CLSVM_PREFIX, CLSVM_FULL_LIBDIR, CLSVM_FULL_INCLUDEDIR,
# CLSVM_FULL_BINDIR, CLSVM_FULL_ICDDIR, CLSVM_VERSION, and each VARS entry.
function(clsvm_install_generated)
  cmake_parse_arguments(G "" "TEMPLATE;NAME;DIR" "VARS" ${ARGN})
  set(_staged "${CMAKE_CURRENT_BINARY_DIR}/install-generated/${G_NAME}")
  set(_vars "")
  foreach(_kv IN LISTS G_VARS)
    string(REGEX REPLACE "=.*" "" _k "${_kv}")
    string(REGEX REPLACE "^[^=]*=" "" _v "${_kv}")
    string(APPEND _vars "set(${_k} \"${_v}\")\n")
  endforeach()
  install(CODE "
    set(CLSVM_DIR_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
    set(CLSVM_DIR_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
    set(CLSVM_DIR_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
    set(CLSVM_DIR_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(CLSVM_DIR_ICD \"${CLSVM_ICD_DIR}\")
    set(CLSVM_VERSION \"${PROJECT_VERSION}\")
    ${_vars}
    set(_prefix \"\${CMAKE_INSTALL_PREFIX}\")
    foreach(_d LIBDIR INCLUDEDIR BINDIR SYSCONFDIR)
      set(_v \"\${CLSVM_DIR_\${_d}}\")
      if(NOT IS_ABSOLUTE \"\${_v}\")
        set(_v \"\${_prefix}/\${_v}\")
      endif()
      set(CLSVM_FULL_\${_d} \"\${_v}\")
    endforeach()
    if(CLSVM_DIR_ICD)
      set(_icd \"\${CLSVM_DIR_ICD}\")
      if(NOT IS_ABSOLUTE \"\${_icd}\")
        set(_icd \"\${_prefix}/\${_icd}\")
      endif()
    elseif(_prefix STREQUAL \"/usr\" OR _prefix STREQUAL \"/usr/local\")
      set(_icd /etc/OpenCL/vendors)
    else()
      set(_icd \"\${CLSVM_FULL_SYSCONFDIR}/OpenCL/vendors\")
    endif()
    set(CLSVM_FULL_ICDDIR \"\${_icd}\")
    set(CLSVM_FULL_PKGCONFIGDIR \"\${CLSVM_FULL_LIBDIR}/pkgconfig\")
    set(CLSVM_PREFIX \"\${_prefix}\")
    string(TOUPPER \"${G_DIR}\" _which)
    file(READ \"${G_TEMPLATE}\" _text)
    string(CONFIGURE \"\${_text}\" _text @ONLY)
    file(WRITE \"${_staged}\" \"\${_text}\")
    file(INSTALL DESTINATION \"\${CLSVM_FULL_\${_which}DIR}\" TYPE FILE FILES \"${_staged}\")
  ")
endfunction()

