# svm_tests.cmake: end-to-end tests of clsvm's SVM through the real ocl-icd loader.
# Included by tests/CMakeLists.txt only when target `clsvm` exists.
#
# By default every test sees only clsvm (OCL_ICD_VENDORS=<build>/clsvm.icd). The same cache
# variables as the icd tests point them at plain pocl, to check the tests themselves:
#   cmake -DCLSVM_ICD_TEST_VENDORS=/etc/OpenCL/vendors/pocl.icd -DCLSVM_ICD_TEST_PLATFORM=Portable
# Checks only clsvm can pass (window bound, its own validation) are skipped on other platforms;
# tests/svm/README.md lists what pocl 3.1 is known to fail.
find_package(OpenCL REQUIRED)

set(CLSVM_ICD_TEST_VENDORS "" CACHE STRING "OCL_ICD_VENDORS for the icd tests (default: the build's clsvm.icd)")
set(CLSVM_ICD_TEST_PLATFORM "" CACHE STRING "Platform name prefix for the icd tests (default: clsvm)")
set(_svm_vendors ${CMAKE_BINARY_DIR}/clsvm.icd)
if(CLSVM_ICD_TEST_VENDORS)
  set(_svm_vendors ${CLSVM_ICD_TEST_VENDORS})
endif()
set(_svm_env OCL_ICD_VENDORS=${_svm_vendors})
if(CLSVM_ICD_TEST_PLATFORM)
  list(APPEND _svm_env CLSVM_TEST_PLATFORM=${CLSVM_ICD_TEST_PLATFORM})
endif()
# pocl and LLVM keep process-lifetime allocations; reuse the icd tests' suppressions (pocl's and
# LLVM's only). A private pocl kernel cache keeps runs from touching $HOME.
list(APPEND _svm_env
     LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/../icd/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12
     TSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/../icd/tsan.supp
     POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache
     CLSVM_OCLC20_CACHE_DIR=${CMAKE_BINARY_DIR}/oclc20-cache)

function(clsvm_svm_test name)
  cmake_parse_arguments(S "" "TIMEOUT;SOURCE" "ENV" ${ARGN})
  if(NOT S_TIMEOUT)
    set(S_TIMEOUT 120)
  endif()
  if(NOT S_SOURCE)
    set(S_SOURCE ${name})
  endif()
  clsvm_test(${name} SOURCES svm/${S_SOURCE}.c LIBS OpenCL::OpenCL LABELS svm
             ENV ${_svm_env} ${S_ENV} TIMEOUT ${S_TIMEOUT})
  target_compile_definitions(${name} PRIVATE CL_TARGET_OPENCL_VERSION=300)
  # Exit code 77 = a check that does not apply to this platform (see svm_test.h).
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
  add_dependencies(${name} clsvm)
endfunction()

clsvm_svm_test(test_svm_alloc)
clsvm_svm_test(test_svm_free_unknown)
clsvm_svm_test(test_svm_caps)
clsvm_svm_test(test_svm_coarse)
clsvm_svm_test(test_svm_fine)
clsvm_svm_test(test_svm_linked)
clsvm_svm_test(test_svm_enqueue)
clsvm_svm_test(test_svm_buffer)
clsvm_svm_test(test_svm_host_ptrs)
clsvm_svm_test(test_svm_info_ptrs)
clsvm_svm_test(test_svm_threads)
# A released context kept by SVM that several threads allocate and free while it is released.
clsvm_svm_test(test_svm_context_threads)
clsvm_svm_test(test_svm_fill)
# The whole user address space as window: fine-grain system SVM must then be reported and work.
clsvm_svm_test(test_svm_caps_va47 SOURCE test_svm_caps ENV CLSVM_VA_BITS=47)
clsvm_svm_test(test_svm_linked_va47 SOURCE test_svm_linked ENV CLSVM_VA_BITS=47)
# clEnqueueSVM* as queue commands (ordering, out-of-order queues, failed waits, released queues)
# and OpenCL C C11 atomics with memory_scope_all_svm_devices.
clsvm_svm_test(test_svm_enqueue_order)
clsvm_svm_test(test_svm_atomics_c11)
clsvm_svm_test(test_svm_enqueue_ptrs)
clsvm_svm_test(test_svm_enqueue_ptrs_va47 SOURCE test_svm_enqueue_ptrs ENV CLSVM_VA_BITS=47)

# The SVM suite again with the window from /dev/svm, emulated by the LD_PRELOAD shim
# (tools/devsvm-shim): every allocation must then lie inside the driver's range.
foreach(t test_svm_alloc test_svm_free_unknown test_svm_caps test_svm_coarse test_svm_fine
          test_svm_linked test_svm_enqueue test_svm_buffer test_svm_threads test_svm_enqueue_ptrs
          test_svm_atomics_c11)
  clsvm_devsvm_rerun(${t} LABELS svm devsvm ENV ${_svm_env})
endforeach()

# SVM shared by two devices of one context (pocl's pthread and basic devices): cross-device
# atomics with memory_scope_all_svm_devices, lists built on one device and walked on the other.
clsvm_svm_test(test_svm_two_devices ENV "POCL_DEVICES=pthread basic")
# clEnqueueSVM* on a device that executes commands on the calling thread (pocl's basic device),
# where a host command that calls back into the backend from inside it deadlocks (the test has a
# 60 s watchdog). Run on every device set below.
clsvm_svm_test(test_svm_inline_device TIMEOUT 90)
# Several devices in one context: SVM shared by a kernel on each device's queue.
clsvm_svm_test(test_svm_devices ENV "POCL_DEVICES=pthread basic")
# Profiling times of SVM commands bracket the work (a 256 MiB memcpy's START..END).
clsvm_svm_test(test_svm_profiling)
# Map, unmap and migrate as markers or nothing: still ordered behind kernels, still failing.
clsvm_svm_test(test_svm_fast_path)
# Memcpy, fill and free done on the caller's thread when the queue has nothing before them:
# right data, complete events with truthful times, still ordered behind kernels and threads.
clsvm_svm_test(test_svm_fast_copy)
# Their events stand on one backend event of the queue: usable until released, queue gone or not.
clsvm_svm_test(test_svm_fast_events)
# SVM kernel arguments given to the backend at the launch after them: replaced, cancelled, read
# by tasks and clones; and launched by two threads at once right after being set.
clsvm_svm_test(test_svm_kernel_args)
clsvm_svm_test(test_svm_kernel_args_va47 SOURCE test_svm_kernel_args ENV CLSVM_VA_BITS=47)
clsvm_svm_test(test_svm_kernel_args_threads)

# The SVM tests again on pocl's other device sets (POCL_DEVICES):
#   <test>.basic        one device that executes commands on the calling thread
#   <test>.two_devices  "pthread basic": two devices in one context (the first one reported is
#                       the basic device)
# A check that cannot work on a device running commands on the caller's thread exits 77 or
# says which part it skipped (tests/svm/inline_device.h).
function(clsvm_device_reruns test label)
  get_test_property(${test} ENVIRONMENT _env)
  get_test_property(${test} TIMEOUT _timeout)
  add_test(NAME ${test}.basic COMMAND ${ARGN})
  add_test(NAME ${test}.two_devices COMMAND ${ARGN})
  set_tests_properties(${test}.basic PROPERTIES LABELS "${label};basic" TIMEOUT ${_timeout}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${_env};POCL_DEVICES=basic")
  set_tests_properties(${test}.two_devices PROPERTIES LABELS "${label};two_devices"
                       TIMEOUT ${_timeout} SKIP_RETURN_CODE 77
                       ENVIRONMENT "${_env};POCL_DEVICES=pthread basic")
endfunction()

foreach(t test_svm_alloc test_svm_free_unknown test_svm_caps test_svm_coarse test_svm_fine
          test_svm_linked test_svm_enqueue test_svm_buffer test_svm_threads test_svm_fill
          test_svm_enqueue_order test_svm_atomics_c11 test_svm_enqueue_ptrs test_svm_inline_device
          test_svm_profiling test_svm_fast_path test_svm_fast_copy test_svm_fast_events
          test_svm_kernel_args)
  clsvm_device_reruns(${t} svm ${t})
endforeach()
