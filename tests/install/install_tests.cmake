# install_tests.cmake (label `install`): `cmake --install` into a temporary prefix, run a sample
# through the installed clsvm.icd, build a program with the installed clsvm-runtime.pc, uninstall.
if(TARGET clsvm AND TARGET clsvm-stat)
  # Sanitizer builds: the pkg-config program links the instrumented library, so it needs the
  # same sanitizer flags; LSan sees pocl's compiler state (see tests/icd/icd_tests.cmake).
  string(REPLACE ";" " " _inst_san "${_san}")
  add_test(NAME test_install
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_install.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
            ${CMAKE_BINARY_DIR}/tests/install-work ${CMAKE_C_COMPILER} ${_inst_san})
  set_tests_properties(test_install PROPERTIES LABELS install TIMEOUT 300
    ENVIRONMENT "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/icd/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12:use_tls=0;TSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/icd/tsan.supp;POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache")
  # An explicit absolute CLSVM_ICD_DIR would make the test write outside its prefix.
  if(IS_ABSOLUTE "${CLSVM_ICD_DIR}")
    set_tests_properties(test_install PROPERTIES DISABLED TRUE)
  endif()
endif()

# -Werror on by default, off with -DCLSVM_WERROR=OFF (two configures of the source tree).
add_test(NAME test_werror_option
  COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_werror_option.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/tests/werror-work)
set_tests_properties(test_werror_option PROPERTIES LABELS install TIMEOUT 300)
