# Reliability tests of the runtime (issue 8): fault injection (CLSVM_FAULT and the test-only
# clsvm_fault_arm() of runtime/src/fault.h), checked against a shadow model (rel_model.h).
# Labels: reliability, plus fault.
clsvm_test(test_fault_runtime SOURCES reliability/test_fault_runtime.c LIBS clsvm-runtime-static
           LABELS reliability fault runtime)
set_tests_properties(test_fault_runtime PROPERTIES ENVIRONMENT "CLSVM_LOG=error")

# The devsvm provider's ioctl faults, on the /dev/svm emulation of tools/devsvm-shim
# (variables from tests/runtime/devsvm_tests.cmake, included before this file).
clsvm_test(test_fault_devsvm SOURCES reliability/test_fault_devsvm.c LIBS clsvm-runtime-static
           LABELS reliability fault runtime devsvm)
if(TARGET clsvm-devsvm-shim AND NOT _devsvm_skip)
  set_tests_properties(test_fault_devsvm PROPERTIES SKIP_RETURN_CODE 77 ENVIRONMENT
    "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD};CLSVM_LOG=error;${CLSVM_DEVSVM_ENV}")
else()
  set_tests_properties(test_fault_devsvm PROPERTIES SKIP_RETURN_CODE 77) # no device: skips
endif()

# CLSVM_FAULT read from the environment: syntax, effect, one warning for a bad value.
clsvm_test(test_fault_env SOURCES reliability/test_fault_env.c LIBS clsvm-runtime-static
           LABELS reliability fault runtime)
