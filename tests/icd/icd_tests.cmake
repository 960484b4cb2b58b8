# icd_tests.cmake: end-to-end tests of libclsvm.so through the real ocl-icd loader.
# Included by tests/CMakeLists.txt only when target `clsvm` exists.
#
# By default every test sees only clsvm (OCL_ICD_VENDORS=<build>/clsvm.icd) and picks the
# platform named "clsvm...". To check the tests themselves against plain pocl:
#   cmake -DCLSVM_ICD_TEST_VENDORS=/etc/OpenCL/vendors/pocl.icd -DCLSVM_ICD_TEST_PLATFORM=Portable
# (test_icd_backend_missing and test_icd_forwarding are about clsvm itself and fail that way;
# test_icd_coexist then only checks pocl).
find_package(OpenCL REQUIRED)

set(CLSVM_ICD_TEST_VENDORS "" CACHE STRING "OCL_ICD_VENDORS for the icd tests (default: the build's clsvm.icd)")
set(CLSVM_ICD_TEST_PLATFORM "" CACHE STRING "Platform name prefix for the icd tests (default: clsvm)")
set(_icd_vendors ${CMAKE_BINARY_DIR}/clsvm.icd)
if(CLSVM_ICD_TEST_VENDORS)
  set(_icd_vendors ${CLSVM_ICD_TEST_VENDORS})
endif()
set(_icd_env "")
if(CLSVM_ICD_TEST_PLATFORM)
  # Pointed at plain pocl, skip the rows of test_icd_errors that crash pocl itself.
  list(APPEND _icd_env CLSVM_TEST_PLATFORM=${CLSVM_ICD_TEST_PLATFORM} CLSVM_TEST_SKIP_POCL_CRASHES=1)
endif()
# Sanitizer suppressions cover the backend (pocl, LLVM) only, never clsvm (see lsan.supp).
# use_tls=0: with clsvm loaded, GCC 12's LeakSanitizer reads a bogus dynamic-TLS range at exit
# ("DTLS ... Tracer caught signal 11") and dies whenever pocl has just compiled a kernel;
# skipping TLS roots can only add false leak reports, not hide real ones.
# The pocl kernel cache lives in the build dir so runs after the first are fast.
set(_icd_lsan ${CMAKE_CURRENT_LIST_DIR}/lsan.supp)
list(APPEND _icd_env LSAN_OPTIONS=suppressions=${_icd_lsan}:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12:use_tls=0
     TSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/tsan.supp
     POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache)

# clsvm_icd_test(NAME [VENDORS path] [ENV ...] [TIMEOUT s]): tests/icd/NAME.c, run through the
# loader with OCL_ICD_VENDORS=VENDORS (default: clsvm.icd, or CLSVM_ICD_TEST_VENDORS).
function(clsvm_icd_test name)
  cmake_parse_arguments(I "" "TIMEOUT;VENDORS" "ENV" ${ARGN})
  if(NOT I_TIMEOUT)
    set(I_TIMEOUT 120)
  endif()
  if(NOT I_VENDORS)
    set(I_VENDORS ${_icd_vendors})
  endif()
  clsvm_test(${name} SOURCES icd/${name}.c LIBS OpenCL::OpenCL LABELS icd
             ENV OCL_ICD_VENDORS=${I_VENDORS} ${_icd_env} ${I_ENV} TIMEOUT ${I_TIMEOUT})
  target_compile_definitions(${name} PRIVATE CL_TARGET_OPENCL_VERSION=300)
  add_dependencies(${name} clsvm)
endfunction()

clsvm_icd_test(test_icd_platform)
clsvm_icd_test(test_icd_vecadd)
clsvm_icd_test(test_icd_handles)
clsvm_icd_test(test_icd_identity)
clsvm_icd_test(test_icd_callbacks)
clsvm_icd_test(test_icd_refcount)
clsvm_icd_test(test_icd_events)
clsvm_icd_test(test_icd_subbuffer)
clsvm_icd_test(test_icd_errors)
clsvm_icd_test(test_icd_info_common)
clsvm_icd_test(test_icd_threads)
clsvm_icd_test(test_icd_program)
clsvm_icd_test(test_icd_backend_missing ENV CLSVM_BACKEND=/nonexistent/libnope.so)

# The forwarding layer against a fake backend that logs every call (no pocl involved).
add_library(clsvm_fake_backend MODULE
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend_log.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend_objects.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend_knobs.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend_info.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend_create.c
  ${CMAKE_CURRENT_LIST_DIR}/fake_backend_commands.c)
target_link_libraries(clsvm_fake_backend PRIVATE Threads::Threads)
# Only what EXPORT marks (clGetExtensionFunctionAddress, fake_backend_*) leaves the module: the
# helpers the files share (own, make, lock, ...) stay inside it.
set_target_properties(clsvm_fake_backend PROPERTIES C_VISIBILITY_PRESET hidden)
clsvm_icd_test(test_icd_forwarding)
target_compile_definitions(test_icd_forwarding
                           PRIVATE FAKE_BACKEND_PATH="$<TARGET_FILE:clsvm_fake_backend>")
target_link_libraries(test_icd_forwarding PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(test_icd_forwarding clsvm_fake_backend)
# clEnqueueSVM* host commands on the fake backend: native kernels, refused enqueues.
clsvm_icd_test(test_icd_host_command)
target_compile_definitions(test_icd_host_command
                           PRIVATE FAKE_BACKEND_PATH="$<TARGET_FILE:clsvm_fake_backend>")
target_link_libraries(test_icd_host_command PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(test_icd_host_command clsvm_fake_backend)

# SVM capabilities from the backend's device: the fake as a CPU, a GPU and a 32-bit CPU device.
clsvm_icd_test(test_icd_svm_caps_backend ENV FAKE_BACKEND_DEVICE=cpu)
target_compile_definitions(test_icd_svm_caps_backend
                           PRIVATE FAKE_BACKEND_PATH="$<TARGET_FILE:clsvm_fake_backend>")
add_dependencies(test_icd_svm_caps_backend clsvm_fake_backend)
foreach(_mode gpu cpu32)
  add_test(NAME test_icd_svm_caps_backend.${_mode} COMMAND test_icd_svm_caps_backend)
  set_tests_properties(test_icd_svm_caps_backend.${_mode} PROPERTIES LABELS "icd;svm" TIMEOUT 60
                       ENVIRONMENT "OCL_ICD_VENDORS=${_icd_vendors};${_icd_env};FAKE_BACKEND_DEVICE=${_mode}")
endforeach()

# clinfo is the loader's own smoke test: it walks every platform/device query.
# Not under TSan: an uninstrumented clinfo with libtsan preloaded segfaults even with plain
# pocl and no clsvm at all, so the result would say nothing about clsvm.
find_program(CLSVM_CLINFO clinfo)
if(CLSVM_SANITIZER STREQUAL "thread")
  message(STATUS "test_icd_clinfo not registered in TSan builds")
elseif(CLSVM_CLINFO)
  add_test(NAME test_icd_clinfo
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_icd_clinfo.sh ${CLSVM_CLINFO})
  set(_clinfo_env OCL_ICD_VENDORS=${_icd_vendors} ${_icd_env})
  # clinfo is not instrumented: in sanitizer builds it must preload the runtime that
  # libclsvm.so needs. Leak checking is left to the C tests (clinfo's own exit is not ours).
  set(_san_rt "")
  if(CLSVM_SANITIZER STREQUAL "address")
    set(_san_rt libasan.so)
    list(APPEND _clinfo_env ASAN_OPTIONS=detect_leaks=0)
  elseif(CLSVM_SANITIZER STREQUAL "undefined")
    set(_san_rt libubsan.so)
  endif()
  if(_san_rt)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=${_san_rt}
                    OUTPUT_VARIABLE _san_path OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND _clinfo_env CLSVM_CLINFO_PRELOAD=${_san_path})
  endif()
  set_tests_properties(test_icd_clinfo PROPERTIES TIMEOUT 120 LABELS icd
                       ENVIRONMENT "${_clinfo_env}")
else()
  message(WARNING "clinfo not found: test_icd_clinfo not registered")
endif()

# Coexistence: a vendors directory holding clsvm.icd and pocl.icd, so the loader loads pocl
# both as its own platform and (privately) as clsvm's backend in the same process.
set(_icd_pocl_icd /etc/OpenCL/vendors/pocl.icd)
if(EXISTS ${_icd_pocl_icd})
  set(_coexist_dir ${CMAKE_BINARY_DIR}/icd-coexist-vendors)
  file(MAKE_DIRECTORY ${_coexist_dir})
  file(COPY ${_icd_pocl_icd} DESTINATION ${_coexist_dir})
  get_target_property(_clsvm_type clsvm TYPE)
  if(_clsvm_type STREQUAL "UTILITY")
    # Only in throwaway development projects where `clsvm` is a placeholder.
    file(WRITE ${_coexist_dir}/clsvm.icd "${CMAKE_BINARY_DIR}/icd/libclsvm.so\n")
  else()
    file(GENERATE OUTPUT ${_coexist_dir}/clsvm.icd CONTENT "$<TARGET_FILE:clsvm>\n")
  endif()
  clsvm_icd_test(test_icd_coexist VENDORS ${_coexist_dir})
else()
  message(WARNING "${_icd_pocl_icd} not found: test_icd_coexist not registered")
endif()

# pocl's own leaks, reproduced with pocl alone (no clsvm): the evidence for lsan-pocl.supp.
# ASan tree only; each scenario passes when LeakSanitizer reports a direct leak allocated
# inside libpocl after the program released every object it made.
if(CLSVM_SANITIZER STREQUAL "address" AND EXISTS ${_icd_pocl_icd})
  add_executable(test_pocl_leaks ${CMAKE_CURRENT_LIST_DIR}/test_pocl_leaks.c)
  target_link_libraries(test_pocl_leaks PRIVATE OpenCL::OpenCL)
  foreach(_scenario image1d_buffer native_failed builtin_unknown)
    add_test(NAME test_pocl_leaks.${_scenario} COMMAND test_pocl_leaks ${_scenario})
    set_tests_properties(test_pocl_leaks.${_scenario} PROPERTIES
      LABELS icd TIMEOUT 120 SKIP_RETURN_CODE 77
      ENVIRONMENT "OCL_ICD_VENDORS=${_icd_pocl_icd};LSAN_OPTIONS=fast_unwind_on_malloc=0:malloc_context_size=12;POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache"
      PASS_REGULAR_EXPRESSION "${_scenario}: done, every object released.*Direct leak of [0-9]+ byte.s. in 1 object.s. allocated from:[^#]*#0 [^#]*#1 0x[0-9a-f]+ +.[^)]*libpocl")
  endforeach()
endif()
# pocl's own lock-order inversion, reproduced with pocl alone: the evidence for tsan.supp.
if(CLSVM_SANITIZER STREQUAL "thread" AND EXISTS ${_icd_pocl_icd})
  add_executable(test_pocl_lock_order ${CMAKE_CURRENT_LIST_DIR}/test_pocl_lock_order.c)
  target_link_libraries(test_pocl_lock_order PRIVATE OpenCL::OpenCL)
  add_test(NAME test_pocl_lock_order COMMAND test_pocl_lock_order)
  set_tests_properties(test_pocl_lock_order PROPERTIES
    LABELS icd TIMEOUT 120 SKIP_RETURN_CODE 77
    ENVIRONMENT "OCL_ICD_VENDORS=${_icd_pocl_icd};TSAN_OPTIONS=second_deadlock_stack=1"
    PASS_REGULAR_EXPRESSION "SUMMARY: ThreadSanitizer: lock-order-inversion [^\n]*libpocl[^\n]*\n.*failed chain: done, every object released")
endif()
