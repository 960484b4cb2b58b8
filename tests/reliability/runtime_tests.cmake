# Reliability tests of the runtime: fault injection (CLSVM_FAULT and the test-only
# clsvm_fault_arm() of runtime/src/fault.h), checked against a shadow model (rel_model.h).
# Labels: reliability, plus fault.
clsvm_test(test_fault_runtime SOURCES reliability/test_fault_runtime.c LIBS clsvm-runtime-static
           LABELS reliability fault runtime)
clsvm_runtime_internals(test_fault_runtime)
set_tests_properties(test_fault_runtime PROPERTIES ENVIRONMENT "CLSVM_LOG=error")

# The devsvm provider's ioctl faults, on the /dev/svm emulation of tools/devsvm-shim
# (variables from tests/runtime/devsvm_tests.cmake, included before this file).
clsvm_test(test_fault_devsvm SOURCES reliability/test_fault_devsvm.c LIBS clsvm-runtime-static
           LABELS reliability fault runtime devsvm)
clsvm_runtime_internals(test_fault_devsvm)
if(TARGET clsvm-devsvm-shim AND NOT _devsvm_skip)
  set_tests_properties(test_fault_devsvm PROPERTIES SKIP_RETURN_CODE 77 ENVIRONMENT
    "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD};CLSVM_LOG=error;${CLSVM_DEVSVM_ENV}")
else()
  set_tests_properties(test_fault_devsvm PROPERTIES SKIP_RETURN_CODE 77) # no device: skips
endif()

# CLSVM_FAULT read from the environment: syntax, effect, one warning for a bad value.
clsvm_test(test_fault_env SOURCES reliability/test_fault_env.c LIBS clsvm-runtime-static
           LABELS reliability fault runtime)

# CLSVM_STATS across processes (dumps read back with clsvm-stat's JSON reader): 8 processes
# writing one path at once, a fork() child leaving its parent's dump alone, %p in the path.
add_executable(test_stats_process reliability/test_stats_process.c
               ${CMAKE_SOURCE_DIR}/tools/clsvm-stat/json.c)
target_include_directories(test_stats_process PRIVATE ${CMAKE_SOURCE_DIR}/tests
                           ${CMAKE_SOURCE_DIR}/tools/clsvm-stat)
target_link_libraries(test_stats_process PRIVATE clsvm-runtime-static Threads::Threads)
foreach(_mode race fork pid)
  add_test(NAME test_stats_process.${_mode}
           COMMAND test_stats_process ${_mode} ${CMAKE_CURRENT_BINARY_DIR}/stats-${_mode})
  set_tests_properties(test_stats_process.${_mode} PROPERTIES TIMEOUT 120
                       LABELS "reliability;runtime;tools" ENVIRONMENT "CLSVM_LOG=error")
endforeach()

# The CLSVM_* options from the environment: one number rule, empty means unset, failures name
# their real cause (each case in a fresh process, output captured).
clsvm_test(test_option_env SOURCES reliability/test_option_env.c LIBS clsvm-runtime-static
           LABELS reliability runtime)
clsvm_runtime_internals(test_option_env) # numa.h: the NUMA decision it checks

# A /dev/svm window in a fork() child (no mapping there): refused with one line, the range
# untouched, the parent unaffected (on the emulation; skips without it).
clsvm_test(test_fork_devsvm SOURCES reliability/test_fork_devsvm.c LIBS clsvm-runtime-static
           LABELS reliability runtime devsvm fork)
if(TARGET clsvm-devsvm-shim AND NOT _devsvm_skip)
  set_tests_properties(test_fork_devsvm PROPERTIES SKIP_RETURN_CODE 77 ENVIRONMENT
    "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD};CLSVM_LOG=error;${CLSVM_DEVSVM_ENV}")
else()
  set_tests_properties(test_fork_devsvm PROPERTIES SKIP_RETURN_CODE 77)
endif()
