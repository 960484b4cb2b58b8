# Reliability tests through the OpenCL API, included only when target `clsvm` exists.
# Same environment as tests/svm/svm_tests.cmake: only clsvm visible to the loader, pocl's and
# LLVM's process-lifetime allocations suppressed under the sanitizers, a private kernel cache.
find_package(OpenCL REQUIRED)
set(_rel_env
    OCL_ICD_VENDORS=${CMAKE_BINARY_DIR}/clsvm.icd
    LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/../icd/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12
    TSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/../icd/tsan.supp
    POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache)

# clsvm_rel_icd_exe(<name> SOURCE <file.c>...): an ICD-level test program, linked against the
# loader, registered by the caller (several runs with different arguments or environments).
function(clsvm_rel_icd_exe name)
  cmake_parse_arguments(R "" "" "SOURCE" ${ARGN})
  list(TRANSFORM R_SOURCE PREPEND reliability/)
  add_executable(${name} ${R_SOURCE})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE OpenCL::OpenCL Threads::Threads ${CMAKE_DL_LIBS})
  target_compile_definitions(${name} PRIVATE CL_TARGET_OPENCL_VERSION=300)
  add_dependencies(${name} clsvm)
endfunction()

# clsvm_rel_icd_run(<test name> <exe> [ARGS ...] [LABELS ...] [ENV ...] [TIMEOUT s])
function(clsvm_rel_icd_run name exe)
  cmake_parse_arguments(R "" "TIMEOUT" "ARGS;LABELS;ENV" ${ARGN})
  if(NOT R_TIMEOUT)
    set(R_TIMEOUT 120)
  endif()
  add_test(NAME ${name} COMMAND ${exe} ${R_ARGS})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_rel_env};${R_ENV}"
    LABELS "reliability;icd;${R_LABELS}" TIMEOUT ${R_TIMEOUT} SKIP_RETURN_CODE 77)
endfunction()

# Fault injection via CLSVM_FAULT (read once per process: one run per mode).
clsvm_rel_icd_exe(test_fault_icd SOURCE test_fault_icd.c)
foreach(_m "commit=commit:3" "commit+=commit:1+" "decommit=decommit:1+" "reserve=reserve:1")
  string(REPLACE "=" ";" _mv ${_m})
  list(GET _mv 0 _mode)
  list(GET _mv 1 _spec)
  string(REPLACE "+" "_all" _tname ${_mode})
  clsvm_rel_icd_run(test_fault_icd.${_tname} test_fault_icd ARGS ${_mode} LABELS fault
                    ENV CLSVM_FAULT=${_spec} CLSVM_LOG=error)
endforeach()

# Hostile input: a table of bad calls into every hand-written entry point (and handle checks of
# the generated ones); the live SVM allocation is checked after each.
clsvm_rel_icd_exe(test_hostile_icd SOURCE test_hostile_icd.c hostile_objects.c hostile_programs.c
                  hostile_svm.c)
clsvm_rel_icd_run(test_hostile_icd test_hostile_icd LABELS hostile ENV CLSVM_LOG=error)

# Stress: threads allocating, running kernels, copying, filling and freeing SVM at once for 10 s
# (tests/reliability/test_stress_icd.c; run it by hand with --minutes N to soak).
clsvm_rel_icd_exe(test_stress_icd SOURCE test_stress_icd.c)
clsvm_rel_icd_run(test_stress_icd test_stress_icd ARGS --seconds 10 LABELS stress TIMEOUT 300)

# Process life: fork after allocations, dlclose/re-dlopen of the loader, exit with live
# allocations. The program dlopen()s libOpenCL.so.1 itself (it must not link it).
add_executable(test_process_icd reliability/test_process_icd.c)
target_include_directories(test_process_icd PRIVATE ${CMAKE_SOURCE_DIR}/tests)
target_include_directories(test_process_icd PRIVATE ${OpenCL_INCLUDE_DIRS})
target_link_libraries(test_process_icd PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(test_process_icd clsvm)
foreach(_mode fork dlclose exit-live)
  clsvm_rel_icd_run(test_process_icd.${_mode} test_process_icd ARGS ${_mode} LABELS fork)
endforeach()

# The devsvm provider's ioctls failing under the ICD, on the /dev/svm emulation
# (tools/devsvm-shim, variables from tests/runtime/devsvm_tests.cmake): every SVM_IOC_RELEASE
# after the first ioctl fails, frees and clEnqueueSVMFree still succeed and memory is reused.
if(TARGET clsvm-devsvm-shim AND DEFINED CLSVM_DEVSVM_PRELOAD AND NOT _devsvm_skip)
  clsvm_rel_icd_run(test_fault_icd.ioctl test_fault_icd ARGS decommit LABELS fault devsvm
                    ENV "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD}" CLSVM_WINDOW=devsvm
                        ${CLSVM_DEVSVM_ENV} CLSVM_FAULT=ioctl:2+ CLSVM_LOG=error)
endif()

# fork() with a /dev/svm window (emulated): the child inherits no mapping (docs/dev-svm.md, 5).
if(TARGET clsvm-devsvm-shim AND DEFINED CLSVM_DEVSVM_PRELOAD AND NOT _devsvm_skip)
  clsvm_rel_icd_run(test_process_icd.fork_devsvm test_process_icd ARGS fork LABELS fork devsvm
                    ENV "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD}" CLSVM_WINDOW=devsvm
                        ${CLSVM_DEVSVM_ENV})
endif()

# fork() while another thread allocates and frees SVM: every child must allocate, free and exit
# (stats dump and leak report included) within 2 s; on the emulated /dev/svm the child has no
# window and says so.
clsvm_rel_icd_exe(test_fork_threads_icd SOURCE test_fork_threads_icd.c)
clsvm_rel_icd_run(test_fork_threads_icd test_fork_threads_icd
                  ARGS reserve ${CMAKE_CURRENT_BINARY_DIR}/fork-threads LABELS fork TIMEOUT 300)
# The same with every CLSVM_CHECK check on: the checker's lock must be free in each child too.
clsvm_rel_icd_run(test_fork_threads_icd.check test_fork_threads_icd
                  ARGS reserve ${CMAKE_CURRENT_BINARY_DIR}/fork-threads-check LABELS fork check
                  TIMEOUT 300 ENV CLSVM_CHECK=all)
if(TARGET clsvm-devsvm-shim AND DEFINED CLSVM_DEVSVM_PRELOAD AND NOT _devsvm_skip)
  clsvm_rel_icd_run(test_fork_threads_icd.devsvm test_fork_threads_icd
                    ARGS devsvm ${CMAKE_CURRENT_BINARY_DIR}/fork-threads-devsvm
                    LABELS fork devsvm TIMEOUT 300
                    ENV "LD_PRELOAD=${CLSVM_DEVSVM_PRELOAD}" CLSVM_WINDOW=devsvm
                        ${CLSVM_DEVSVM_ENV})
endif()

# The ICD's option messages: CLSVM_BACKEND="" is unset; a window that cannot open says why.
clsvm_rel_icd_exe(test_option_env_icd SOURCE test_option_env_icd.c)
clsvm_rel_icd_run(test_option_env_icd test_option_env_icd)
