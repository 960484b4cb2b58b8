# tools_tests.cmake (label `tools`): clsvm-stat on real dumps (tests/tools/test_clsvm_stat.sh).
if(TARGET clsvm-stat)
  add_executable(stat_pattern ${CMAKE_CURRENT_LIST_DIR}/stat_pattern.c)
  target_include_directories(stat_pattern PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  target_link_libraries(stat_pattern PRIVATE clsvm-runtime-static Threads::Threads)
  set(_stat_sample "")
  set(_stat_env "")
  if(TARGET clsvm AND TARGET svm-list-coarse)
    set(_stat_sample $<TARGET_FILE:svm-list-coarse>)
    set(_stat_env OCL_ICD_VENDORS=${CMAKE_BINARY_DIR}/clsvm.icd
        LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/icd/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0:malloc_context_size=12:use_tls=0
        TSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/icd/tsan.supp
        POCL_CACHE_DIR=${CMAKE_BINARY_DIR}/pocl-cache)
  endif()
  add_test(NAME test_clsvm_stat
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/test_clsvm_stat.sh $<TARGET_FILE:clsvm-stat>
            $<TARGET_FILE:stat_pattern> ${CMAKE_BINARY_DIR}/tests/clsvm-stat-work ${_stat_sample})
  set_tests_properties(test_clsvm_stat PROPERTIES LABELS tools TIMEOUT 180
                       ENVIRONMENT "${_stat_env}")

  # The map section of the stats JSON, read back with clsvm-stat's reader (exact, bounded,
  # concurrent with allocation).
  set(_stat_dir ${CMAKE_SOURCE_DIR}/tools/clsvm-stat)
  clsvm_test(test_stats_map SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_stats_map.c
             ${_stat_dir}/json.c ${_stat_dir}/stat_dump.c
             LIBS clsvm-runtime-static LABELS tools runtime TIMEOUT 120)
  target_include_directories(test_stats_map PRIVATE ${_stat_dir})
endif()
