# Samples: small programs that show one thing each and double as smoke tests.
add_executable(clsvm-window-demo window_demo.c)
target_link_libraries(clsvm-window-demo PRIVATE clsvm-runtime-static)
install(TARGETS clsvm-window-demo RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# OpenCL 2.0 SVM samples: plain OpenCL host programs (linked to the ICD loader only, like any
# application) with their kernels from kernels/ embedded at build time. ctest runs them through
# the loader against the build's clsvm.icd (label `samples`). To check a sample itself against
# another platform:
#   cmake -DCLSVM_SAMPLES_VENDORS=/etc/OpenCL/vendors/pocl.icd -DCLSVM_SAMPLES_PLATFORM=Portable
find_package(OpenCL REQUIRED)
set(CLSVM_SAMPLES_VENDORS "" CACHE STRING "OCL_ICD_VENDORS for the sample tests (default: the build's clsvm.icd)")
set(CLSVM_SAMPLES_PLATFORM "" CACHE STRING "Platform name prefix for the sample tests (default: clsvm)")
set(_sample_vendors ${CMAKE_BINARY_DIR}/clsvm.icd)
if(CLSVM_SAMPLES_VENDORS)
  set(_sample_vendors ${CLSVM_SAMPLES_VENDORS})
endif()
# pocl keeps its compiler state for the process lifetime: reuse the icd tests' LSan list
# (backend libraries only) and their use_tls=0 (GCC 12's LSan dies reading a bogus dynamic-TLS
# range after pocl compiled a kernel; see tests/icd/icd_tests.cmake). A private pocl kernel
# cache keeps test runs out of $HOME.
set(_sample_env OCL_ICD_VENDORS=${_sample_vendors}
    LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/icd/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12:use_tls=0
    TSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/icd/tsan.supp
    POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache)
if(CLSVM_SAMPLES_PLATFORM)
  list(APPEND _sample_env CLSVM_SAMPLE_PLATFORM=${CLSVM_SAMPLES_PLATFORM})
endif()

# clsvm_sample(<binary> SOURCE <file.c> [KERNEL <name>]): kernels/<name>.cl becomes the array
# <name>_cl in the generated header <name>_cl.h.
function(clsvm_sample name)
  cmake_parse_arguments(S "" "SOURCE;KERNEL" "" ${ARGN})
  add_executable(${name} ${S_SOURCE})
  if(S_KERNEL)
    set(_cl ${CMAKE_SOURCE_DIR}/kernels/${S_KERNEL}.cl)
    set(_h ${CMAKE_CURRENT_BINARY_DIR}/kernels/${S_KERNEL}_cl.h)
    if(NOT TARGET kernel-${S_KERNEL})
      add_custom_command(OUTPUT ${_h}
        COMMAND ${CMAKE_COMMAND} -DIN=${_cl} -DOUT=${_h} -DNAME=${S_KERNEL}_cl
                -P ${CMAKE_CURRENT_SOURCE_DIR}/cl2h.cmake
        DEPENDS ${_cl} ${CMAKE_CURRENT_SOURCE_DIR}/cl2h.cmake
        COMMENT "Embedding kernels/${S_KERNEL}.cl")
      add_custom_target(kernel-${S_KERNEL} DEPENDS ${_h})
    endif()
    add_dependencies(${name} kernel-${S_KERNEL})
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/kernels)
  endif()
  target_compile_definitions(${name} PRIVATE CL_TARGET_OPENCL_VERSION=300)
  target_link_libraries(${name} PRIVATE OpenCL::OpenCL Threads::Threads)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# clsvm_sample_test(<test> <binary> [ARGS ...] [ENV ...]): one ctest entry through the loader.
function(clsvm_sample_test test bin)
  cmake_parse_arguments(T "" "" "ARGS;ENV" ${ARGN})
  add_test(NAME ${test} COMMAND ${bin} ${T_ARGS})
  set_tests_properties(${test} PROPERTIES LABELS samples TIMEOUT 120 SKIP_RETURN_CODE 77
                       ENVIRONMENT "${_sample_env};${T_ENV}")
  if(TARGET clsvm)
    # Running a sample needs the library its clsvm.icd names.
    add_dependencies(${bin} clsvm)
  endif()
endfunction()

clsvm_sample(clsvm-info SOURCE clsvm_info.c KERNEL svm_info)
clsvm_sample(svm-list-coarse SOURCE svm_list_coarse.c KERNEL svm_list)
clsvm_sample(svm-list-fine SOURCE svm_list_fine.c KERNEL svm_list)
clsvm_sample(svm-bst SOURCE svm_bst.c KERNEL svm_bst)
clsvm_sample(svm-producer-consumer SOURCE svm_producer_consumer.c KERNEL svm_producer_consumer)
clsvm_sample(svm-lockfree SOURCE svm_lockfree.c KERNEL svm_lockfree)

# Modest sizes keep `ctest -L samples` to seconds; the *_100k runs show that the lists scale.
clsvm_sample_test(sample_clsvm_info clsvm-info)
# The sample reads CLSVM_VA_BITS by clsvm's number rule: "+44" is not a number, so clsvm keeps
# 40 and so must the sample. (A pass regex replaces the exit status check: FAIL lines and the
# last line of the kernel check are matched too.)
if(NOT CLSVM_SAMPLES_VENDORS)
  clsvm_sample_test(sample_clsvm_info_va_bits clsvm-info ENV CLSVM_VA_BITS=+44)
  set_tests_properties(sample_clsvm_info_va_bits PROPERTIES
    PASS_REGULAR_EXPRESSION "window: below 2\\^40, CLSVM_VA_BITS.*kernel sees .* same address"
    FAIL_REGULAR_EXPRESSION "FAIL: ")
endif()
clsvm_sample_test(sample_svm_list_coarse svm-list-coarse ARGS 1000)
clsvm_sample_test(sample_svm_list_coarse_100k svm-list-coarse ARGS 100000)
clsvm_sample_test(sample_svm_list_fine svm-list-fine ARGS 1000)
clsvm_sample_test(sample_svm_list_fine_100k svm-list-fine ARGS 100000)
clsvm_sample_test(sample_svm_bst svm-bst ARGS 10000)
clsvm_sample_test(sample_svm_producer_consumer svm-producer-consumer ARGS 10000)
clsvm_sample_test(sample_svm_lockfree svm-lockfree ARGS 20000)
# The whole user address space as window (fine-grain system SVM advertised): the samples must
# work the same.
clsvm_sample_test(sample_clsvm_info_va47 clsvm-info ENV CLSVM_VA_BITS=47)
clsvm_sample_test(sample_svm_list_fine_va47 svm-list-fine ARGS 100000 ENV CLSVM_VA_BITS=47)
clsvm_sample_test(sample_svm_lockfree_va47 svm-lockfree ARGS 20000 ENV CLSVM_VA_BITS=47)

# OpenCL C 2.0 samples: kernels from kernels/cl20/, built with -cl-std=CL2.0, which
# pocl 3.1 cannot compile and clsvm compiles through clang-15 (docs/opencl-c-2.0.md). A private
# clsvm clang-output cache keeps test runs out of $HOME.
function(clsvm_sample_cl20 name)
  cmake_parse_arguments(S "" "SOURCE;KERNEL" "" ${ARGN})
  clsvm_sample(${name} SOURCE ${S_SOURCE})
  set(_cl ${CMAKE_SOURCE_DIR}/kernels/cl20/${S_KERNEL}.cl)
  set(_h ${CMAKE_CURRENT_BINARY_DIR}/kernels/${S_KERNEL}_cl.h)
  add_custom_command(OUTPUT ${_h}
    COMMAND ${CMAKE_COMMAND} -DIN=${_cl} -DOUT=${_h} -DNAME=${S_KERNEL}_cl
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cl2h.cmake
    DEPENDS ${_cl} ${CMAKE_CURRENT_SOURCE_DIR}/cl2h.cmake
    COMMENT "Embedding kernels/cl20/${S_KERNEL}.cl")
  add_custom_target(sample-kernel-cl20-${S_KERNEL} DEPENDS ${_h})
  add_dependencies(${name} sample-kernel-cl20-${S_KERNEL})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/kernels)
endfunction()
clsvm_sample_cl20(svm-cl20-pingpong SOURCE svm_cl20_pingpong.c KERNEL svm_flag20)
clsvm_sample_test(sample_svm_cl20_pingpong svm-cl20-pingpong ARGS 10
                  ENV CLSVM_OCLC20_CACHE_DIR=${CMAKE_BINARY_DIR}/oclc20-cache)
