# uninstall.cmake: cmake -DMANIFEST=<build>/install_manifest.txt -P uninstall.cmake
# Removes every file the manifest lists (honouring DESTDIR like the install did); leaves
# directories, which may be shared with other software. Missing files are reported, not fatal.
if(NOT MANIFEST OR NOT EXISTS "${MANIFEST}")
  message(FATAL_ERROR "uninstall: no install manifest '${MANIFEST}': run 'cmake --install' first")
endif()
file(STRINGS "${MANIFEST}" _files)
set(_removed 0)
foreach(_f IN LISTS _files)
  set(_path "$ENV{DESTDIR}${_f}")
  if(EXISTS "${_path}" OR IS_SYMLINK "${_path}")
    file(REMOVE "${_path}")
    math(EXPR _removed "${_removed} + 1")
  else()
    message(STATUS "uninstall: already gone: ${_path}")
  endif()
endforeach()
message(STATUS "uninstall: removed ${_removed} files listed in ${MANIFEST}")
