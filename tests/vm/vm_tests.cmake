# vm_tests.cmake: the /dev/svm reference driver (driver/) in a real kernel. One ctest,
# vm.devsvm_driver (label vm): run_vm_test.sh builds the module against the installed Debian
# kernel headers, boots that kernel under QEMU (TCG) with the host root shared read-only, and
# runs inside it the driver checks (svm_driver_check, built here and only run in the guest), the
# /dev/svm contract test and the same runtime and ICD SVM tests that run on the LD_PRELOAD shim
# (tests/runtime/devsvm_tests.cmake, tests/svm/svm_tests.cmake), with CLSVM_WINDOW=devsvm and no
# preload. Skipped (77, with the reason) without qemu-system-x86, linux-image-amd64,
# linux-headers-amd64 or busybox-static. The test executables must be built first; ctest does
# not build them.
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux" OR NOT CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  return()
endif()

add_executable(svm_driver_check vm/svm_driver_check.c)
target_include_directories(svm_driver_check PRIVATE ${CMAKE_SOURCE_DIR}/tests
                                                   ${CMAKE_SOURCE_DIR}/runtime/include)

if(CLSVM_SANITIZER)
  # The sanitizer runtimes' shadow memory covers the driver's default range, and the guest
  # would need the sanitizer's preload rules too: the VM test runs in plain builds only.
  add_test(NAME vm.devsvm_driver COMMAND ${CMAKE_COMMAND} -E echo
           "SKIPPED: the VM driver test runs in builds without CLSVM_SANITIZER")
  set_tests_properties(vm.devsvm_driver PROPERTIES LABELS vm DISABLED TRUE)
  return()
endif()

# The same sets as the shim reruns (devsvm.<test>); the ICD's only when the ICD is built.
set(_vm_runtime_tests test_window_placement test_window_decommit test_window_exhaustion
    test_window_threads)
set(_vm_svm_tests "")
set(_vm_svm_env "")
if(TARGET clsvm)
  set(_vm_svm_tests test_svm_alloc test_svm_free_unknown test_svm_caps test_svm_coarse
      test_svm_fine test_svm_linked test_svm_enqueue test_svm_buffer test_svm_threads
      test_svm_enqueue_ptrs test_svm_atomics_c11)
  set(_vm_svm_env OCL_ICD_VENDORS=${CMAKE_BINARY_DIR}/clsvm.icd)
endif()
string(REPLACE ";" " " _vm_runtime_tests "${_vm_runtime_tests}")
string(REPLACE ";" " " _vm_svm_tests "${_vm_svm_tests}")

add_test(NAME vm.devsvm_driver
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/run_vm_test.sh
                 --source ${CMAKE_SOURCE_DIR}
                 --tests $<TARGET_FILE_DIR:svm_driver_check>
                 --work ${CMAKE_CURRENT_BINARY_DIR}/vm-work
                 --runtime-tests "${_vm_runtime_tests}"
                 --svm-tests "${_vm_svm_tests}"
                 --svm-env "${_vm_svm_env}"
                 --timeout 840)
set_tests_properties(vm.devsvm_driver PROPERTIES LABELS vm TIMEOUT 900 SKIP_RETURN_CODE 77)
