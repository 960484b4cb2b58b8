# check_tests.cmake: CLSVM_CHECK, the SVM misuse checker (docs/checker.md). Each test provokes
# one misuse in a child process with the check on and asserts the report, and runs the same
# program without the bug (and with the check off) to assert there is none. Label `check`.
foreach(t test_check_redzone test_check_leaks test_check_stale test_check_hostaccess
          test_check_inuse)
  clsvm_test(${t} SOURCES check/${t}.c LIBS OpenCL::OpenCL LABELS check
             ENV ${_svm_env} TIMEOUT 180)
  target_compile_definitions(${t} PRIVATE CL_TARGET_OPENCL_VERSION=300)
  # backtrace_symbols() names the test's own functions in the allocation sites.
  set_target_properties(${t} PROPERTIES ENABLE_EXPORTS ON)
  add_dependencies(${t} clsvm)
  clsvm_device_reruns(${t} check ${t})
endforeach()
