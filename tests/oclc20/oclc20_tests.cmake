# oclc20_tests.cmake: OpenCL C 2.0 programs through clsvm's SPIR path
# (docs/opencl-c-2.0.md), run through the real ocl-icd loader like the SVM tests. Label oclc20.
# Kernels come from kernels/cl20/*.cl, embedded with samples/cl2h.cmake.
find_package(OpenCL REQUIRED)

set(_oclc20_vendors ${CMAKE_BINARY_DIR}/clsvm.icd)
if(CLSVM_ICD_TEST_VENDORS)
  set(_oclc20_vendors ${CLSVM_ICD_TEST_VENDORS})
endif()
# A private clang-output cache and pocl kernel cache per build tree keep runs out of $HOME.
set(_oclc20_env OCL_ICD_VENDORS=${_oclc20_vendors}
    LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/../icd/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12:use_tls=0
    TSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/../icd/tsan.supp
    POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache
    CLSVM_OCLC20_CACHE_DIR=${CMAKE_BINARY_DIR}/oclc20-cache)
if(CLSVM_ICD_TEST_PLATFORM)
  list(APPEND _oclc20_env CLSVM_TEST_PLATFORM=${CLSVM_ICD_TEST_PLATFORM})
endif()

# kernels/cl20/<name>.cl -> <build>/tests/oclc20/kernels/<name>_cl.h (array <name>_cl).
function(clsvm_oclc20_kernel name)
  set(_cl ${CMAKE_SOURCE_DIR}/kernels/cl20/${name}.cl)
  set(_h ${CMAKE_BINARY_DIR}/tests/oclc20/kernels/${name}_cl.h)
  if(NOT TARGET oclc20-kernel-${name})
    add_custom_command(OUTPUT ${_h}
      COMMAND ${CMAKE_COMMAND} -DIN=${_cl} -DOUT=${_h} -DNAME=${name}_cl
              -P ${CMAKE_SOURCE_DIR}/samples/cl2h.cmake
      DEPENDS ${_cl} ${CMAKE_SOURCE_DIR}/samples/cl2h.cmake
      COMMENT "Embedding kernels/cl20/${name}.cl")
    add_custom_target(oclc20-kernel-${name} DEPENDS ${_h})
  endif()
endfunction()

# clsvm_oclc20_test(<name> [KERNELS k...] [ENV ...]): tests/oclc20/<name>.c.
function(clsvm_oclc20_test name)
  cmake_parse_arguments(T "" "SOURCE" "KERNELS;ENV" ${ARGN})
  if(NOT T_SOURCE)
    set(T_SOURCE ${name})
  endif()
  clsvm_test(${name} SOURCES oclc20/${T_SOURCE}.c LIBS OpenCL::OpenCL LABELS oclc20
             ENV ${_oclc20_env} ${T_ENV} TIMEOUT 300)
  target_compile_definitions(${name} PRIVATE CL_TARGET_OPENCL_VERSION=300)
  target_include_directories(${name} PRIVATE ${CMAKE_BINARY_DIR}/tests/oclc20/kernels)
  foreach(k ${T_KERNELS})
    clsvm_oclc20_kernel(${k})
    add_dependencies(${name} oclc20-kernel-${k})
  endforeach()
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
  add_dependencies(${name} clsvm)
endfunction()

clsvm_oclc20_test(test_oclc20_atomics KERNELS atomics_generic)
clsvm_oclc20_test(test_oclc20_builtins KERNELS builtins_generic)
clsvm_oclc20_test(test_oclc20_build KERNELS build_checks)
clsvm_oclc20_test(test_oclc20_versions)
# clang missing at run time: a path that does not exist.
clsvm_oclc20_test(test_oclc20_noclang KERNELS build_checks atomics_generic
                  ENV CLSVM_OCLC20_CLANG=${CMAKE_BINARY_DIR}/no-such-dir/clang-15)
clsvm_oclc20_test(test_oclc20_link KERNELS link_counter link_main link_helper)
# Compiled objects as binaries (reloaded, built, linked) and links that fail with a program.
clsvm_oclc20_test(test_oclc20_objects KERNELS link_counter link_main link_helper)
# OpenCL C 3.0 with the generic address space (listed when the path works) takes the path too.
clsvm_oclc20_test(test_oclc20_cl30 KERNELS generic30)
# OpenCL 2.0 SVM sample-style programs: host and device at the same time on fine-grain SVM.
clsvm_oclc20_test(test_oclc20_list KERNELS svm_list20)
clsvm_oclc20_test(test_oclc20_flag KERNELS svm_flag20)
clsvm_oclc20_test(test_oclc20_tree KERNELS svm_tree20)
clsvm_oclc20_test(test_oclc20_fences KERNELS svm_fences20)
# A clang that crashes, and one that writes garbage: one failed build each, nothing more. The
# script is run through sh, so it needs no execute bit in the source tree.
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/tests/oclc20/fake-clang
     CONTENT "#!/bin/sh\nexec /bin/sh ${CMAKE_CURRENT_LIST_DIR}/fake_clang.sh \"$@\"\n"
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ
                      WORLD_EXECUTE)
clsvm_oclc20_test(test_oclc20_crash KERNELS atomics_generic build_checks
                  ENV CLSVM_OCLC20_CLANG=${CMAKE_BINARY_DIR}/tests/oclc20/fake-clang
                      CLSVM_OCLC20_CACHE_DIR=off)
clsvm_oclc20_test(test_oclc20_crash_garbage SOURCE test_oclc20_crash
                  KERNELS atomics_generic build_checks
                  ENV CLSVM_OCLC20_CLANG=${CMAKE_BINARY_DIR}/tests/oclc20/fake-clang
                      CLSVM_OCLC20_CACHE_DIR=off FAKE_CLANG_MODE=garbage)
# The same OpenCL C 2.0 program with the cache off: every build runs clang.
clsvm_oclc20_test(test_oclc20_atomics_nocache SOURCE test_oclc20_atomics KERNELS atomics_generic
                  ENV CLSVM_OCLC20_CACHE_DIR=off)
clsvm_oclc20_test(test_oclc20_threads KERNELS atomics_generic)
# A program rebuilt (its backend handle replaced) while other threads use it.
clsvm_oclc20_test(test_oclc20_swap_threads)
# work_group_barrier with a scope, get_enqueued_local_size, printf (captured in a child).
clsvm_oclc20_test(test_oclc20_workgroup KERNELS workgroup20)
# Non-uniform work-groups: every work-item function in 1D/2D/3D NDRanges with remainder groups
# and offsets, a barrier in remainder groups, one event, and the programs that stay uniform.
clsvm_oclc20_test(test_oclc20_nonuniform KERNELS nonuniform20)
# ... and on the device that runs commands on the calling thread, and with two devices.
clsvm_device_reruns(test_oclc20_nonuniform oclc20 test_oclc20_nonuniform)
# SIGCHLD set to SIG_IGN by the application: clang's status still reaches clsvm.
clsvm_oclc20_test(test_oclc20_sigchld KERNELS atomics_generic ENV CLSVM_OCLC20_CACHE_DIR=off)
# A SIGCHLD handler that reaps every child (waitpid(-1)): builds still learn clang's status.
clsvm_oclc20_test(test_oclc20_reaper ENV CLSVM_OCLC20_CACHE_DIR=off)
# read_write images (2D float and int, 1D image buffer, 3D) with an image fence, pixel by pixel.
clsvm_oclc20_test(test_oclc20_images KERNELS images20)
# Pipes, device-side enqueue, collectives, sub-groups: failed builds with a log, nothing
# advertised; non-uniform work-groups refused with -cl-uniform-work-group-size; the context still
# builds and runs 2.0 afterwards.
clsvm_oclc20_test(test_oclc20_unsupported KERNELS unsupported20)
# The clang cache and headers read from disk (-I, the working directory): edited -> rebuilt.
clsvm_oclc20_test(test_oclc20_cache)
# CL_PROGRAM_BUILD_OPTIONS is the application's options, without clsvm's additions.
clsvm_oclc20_test(test_oclc20_build_options)
# Predefined macros (__OPENCL_VERSION__ & co.) through the path as through the backend.
clsvm_oclc20_test(test_oclc20_macros)
# CL_KERNEL_ATTRIBUTES of path-built kernels as the backend reports them for its own builds.
clsvm_oclc20_test(test_oclc20_kernel_attributes)
# No function left unresolved for run time: async copies work, a dangling built-in fails the build.
clsvm_oclc20_test(test_oclc20_unresolved)
# atom_* on 32-bit integers (cl_khr_{global,local}_int32_*_atomics) through the path.
clsvm_oclc20_test(test_oclc20_atom32)
# Every built-in opencl-c.h declares for the device compiles and links under CL1.2/2.0/3.0.
clsvm_oclc20_test(test_oclc20_builtin_surface)
target_compile_definitions(test_oclc20_builtin_surface PRIVATE
                           CLSVM_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
# write_imagei on 3D and 2D-array images (the support library's) stores what the backend's does.
clsvm_oclc20_test(test_oclc20_write_imagei)
# half_* math on float and mem_fence & co. (the support library's) as the backend computes them.
clsvm_oclc20_test(test_oclc20_half_math)
target_link_libraries(test_oclc20_half_math PRIVATE m)
