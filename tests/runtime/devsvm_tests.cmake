# devsvm tests: the devsvm window provider on the /dev/svm emulation of
# tools/devsvm-shim (LD_PRELOAD), the CLSVM_WINDOW=auto|devsvm fallback rules, and the /dev/svm
# contract itself (docs/dev-svm.md). Labels: devsvm, plus runtime.
if(NOT TARGET clsvm-devsvm-shim)
  function(clsvm_devsvm_rerun target) # no shim, no reruns; callers need not check
  endfunction()
  return()
endif()

# What to preload. A sanitizer runtime must come first in the initial library list (ASan
# refuses to start otherwise), so sanitizer builds preload it ahead of the shim. If the
# compiler cannot name it, the devsvm runs are skipped (exit 77) rather than failing.
set(CLSVM_DEVSVM_PRELOAD "$<TARGET_FILE:clsvm-devsvm-shim>")
set(_devsvm_skip "")
if(CLSVM_SANITIZER STREQUAL "address" OR CLSVM_SANITIZER STREQUAL "thread")
  if(CLSVM_SANITIZER STREQUAL "address")
    set(_san_rt libasan.so)
  else()
    set(_san_rt libtsan.so)
  endif()
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=${_san_rt}
                  OUTPUT_VARIABLE _san_path OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(IS_ABSOLUTE "${_san_path}" AND EXISTS "${_san_path}")
    set(CLSVM_DEVSVM_PRELOAD "${_san_path}:$<TARGET_FILE:clsvm-devsvm-shim>")
  else()
    message(STATUS "devsvm tests: no ${_san_rt} to preload before the shim; they will skip")
    set(_devsvm_skip 1)
  endif()
endif()

# The emulated device range. ASan's shadow covers [2 GiB, 16 TiB) on x86-64, so its builds
# put the range above it (and the windows' va_bits up to 47); elsewhere the shim's default.
if(CLSVM_SANITIZER STREQUAL "address")
  set(CLSVM_DEVSVM_ENV CLSVM_SHIM_RANGE=0x200000000000:0x400000000000 CLSVM_VA_BITS=47)
else()
  set(CLSVM_DEVSVM_ENV CLSVM_SHIM_RANGE=0x4000000000:0x8000000000)
endif()

# clsvm_devsvm_rerun(<test target> [LABELS ...]): run an existing test executable a second
# time, as devsvm.<target>, on the emulated device with CLSVM_WINDOW=devsvm forced. Later
# suites (the ICD's SVM tests) join with one call each, e.g.
#   clsvm_devsvm_rerun(test_svm_alloc LABELS svm devsvm)
function(clsvm_devsvm_rerun target)
  cmake_parse_arguments(R "" "" "LABELS;ENV" ${ARGN})
  if(NOT R_LABELS)
    set(R_LABELS runtime devsvm)
  endif()
  set(name devsvm.${target})
  if(_devsvm_skip)
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} -E echo "skipped: no sanitizer runtime")
    set_tests_properties(${name} PROPERTIES LABELS "${R_LABELS}" DISABLED TRUE)
    return()
  endif()
  add_test(NAME ${name} COMMAND ${target})
  set_tests_properties(${name} PROPERTIES
    ENVIRONMENT "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD};CLSVM_WINDOW=devsvm;${CLSVM_DEVSVM_ENV};${R_ENV}"
    LABELS "${R_LABELS}" TIMEOUT 120 SKIP_RETURN_CODE 77)
endfunction()

# (a) The window tests that allocate, place, decommit, run threads and exhaust the window,
# again on the devsvm provider (test_window_placement also checks the driver range).
foreach(t test_window_placement test_window_decommit test_window_exhaustion test_window_threads
          test_window_purge)
  clsvm_devsvm_rerun(${t})
endforeach()

# A driver range reaching above 2^40 (the default va_bits): the provider must steer the
# driver below with hints, also for a second window and concurrent opens. Not under ASan,
# whose shadow occupies that part of the address space.
if(NOT CLSVM_SANITIZER STREQUAL "address" AND NOT _devsvm_skip)
  foreach(t test_window_placement test_window_threads)
    add_test(NAME devsvm.wide.${t} COMMAND ${t})
    set_tests_properties(devsvm.wide.${t} PROPERTIES
      ENVIRONMENT "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD};CLSVM_WINDOW=devsvm;CLSVM_SHIM_RANGE=0x4000000000:0x20000000000"
      LABELS "runtime;devsvm" TIMEOUT 120)
  endforeach()
endif()

# (b) Fallback rules: the test preloads the shim into its own children (CLSVM_TEST_PRELOAD).
clsvm_test(test_devsvm_fallback SOURCES runtime/test_devsvm_fallback.c LIBS clsvm-runtime-static
           LABELS runtime devsvm
           ENV "CLSVM_TEST_PRELOAD=${CLSVM_DEVSVM_PRELOAD}" ${CLSVM_DEVSVM_ENV})

# (c) The contract, run on the emulated device; skips (77) where no device exists.
clsvm_test(test_devsvm_contract SOURCES runtime/test_devsvm_contract.c LIBS clsvm-runtime-static
           LABELS runtime devsvm
           ENV "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD}" ${CLSVM_DEVSVM_ENV})
set_tests_properties(test_devsvm_contract PROPERTIES SKIP_RETURN_CODE 77)
if(_devsvm_skip)
  set_tests_properties(test_devsvm_fallback test_devsvm_contract PROPERTIES DISABLED TRUE)
endif()
