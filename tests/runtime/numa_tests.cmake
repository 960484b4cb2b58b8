# numa_tests.cmake (label `numa`): NUMA placement (runtime/src/numa.c). The decision logic runs
# over synthetic hwloc topologies kept in tests/data/hwloc/ (1, 2 and 4 nodes); the real path
# runs on this machine. Without hwloc (libhwloc-dev) numa.c is a no-op and only that is tested.
if(TARGET clsvm-runtime-static)
  get_target_property(_numa_defs clsvm-runtime-static INTERFACE_COMPILE_DEFINITIONS)
  if(_numa_defs MATCHES "CLSVM_HAVE_HWLOC")
    add_executable(test_numa_decide ${CMAKE_CURRENT_LIST_DIR}/test_numa_decide.c)
    target_include_directories(test_numa_decide PRIVATE ${CMAKE_SOURCE_DIR}/tests)
    target_link_libraries(test_numa_decide PRIVATE clsvm-runtime-static Threads::Threads)
    add_test(NAME test_numa_decide
             COMMAND test_numa_decide ${CMAKE_SOURCE_DIR}/tests/data/hwloc)
    set_tests_properties(test_numa_decide PROPERTIES LABELS "numa;runtime" TIMEOUT 60)
    clsvm_test(test_numa_machine SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_numa_machine.c
               LIBS clsvm-runtime-static LABELS numa runtime TIMEOUT 60)
    clsvm_runtime_internals(test_numa_decide test_numa_machine)
  else()
    clsvm_test(test_numa_nohwloc SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_numa_nohwloc.c
               LIBS clsvm-runtime-static LABELS numa runtime ENV CLSVM_LOG=info TIMEOUT 60)
  endif()
endif()
