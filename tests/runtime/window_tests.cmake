# Window tests: reservation and placement, commit/decommit, exhaustion, threads,
# configuration from the environment, docs in sync with the options table, stats JSON.
foreach(t test_window_placement test_window_decommit test_window_exhaustion test_window_threads
          test_window_commit test_stats_json test_window_free_checked test_window_retain
          test_window_lookup test_window_lookup_nolock test_window_lookup_threads
          test_window_lookup_trim test_window_lookup_reuse_threads test_window_purge
          test_window_map_rss test_window_small test_window_small_race)
  clsvm_test(${t} SOURCES runtime/${t}.c LIBS clsvm-runtime-static LABELS runtime window)
endforeach()
set_tests_properties(test_window_lookup_trim test_window_map_rss PROPERTIES SKIP_RETURN_CODE 77)
clsvm_runtime_internals(test_window_commit test_window_lookup_nolock test_window_retain
                        test_window_small)
# Touches a few hundred MiB and runs two threads: slow under TSan on a loaded machine.
set_tests_properties(test_window_purge PROPERTIES TIMEOUT 300)

# The environment is the input under test here; children get their own values.
clsvm_test(test_window_env SOURCES runtime/test_window_env.c LIBS clsvm-runtime-static
           LABELS runtime window ENV CLSVM_VA_BITS=44 CLSVM_WINDOW_SIZE=1G)

clsvm_test(test_config_doc SOURCES runtime/test_config_doc.c LIBS clsvm-runtime-static
           LABELS runtime window)
target_compile_definitions(test_config_doc
  PRIVATE CLSVM_CONFIG_DOC="${CMAKE_SOURCE_DIR}/docs/configuration.md")

clsvm_test(test_config_check SOURCES runtime/test_config_check.c LIBS clsvm-runtime-static
           LABELS runtime check)
clsvm_runtime_internals(test_config_check)

# The small-allocation directory: no mmap under the lock, a read-only fallback, lookups racing
# with frees and slot reuse.
clsvm_test(test_window_small_dir SOURCES runtime/test_window_small_dir.c
           LIBS clsvm-runtime-static LABELS runtime window)
clsvm_runtime_internals(test_window_small_dir)
set_tests_properties(test_window_small_dir PROPERTIES SKIP_RETURN_CODE 77)

# A provider whose syscalls block on command: other threads' allocations must not wait.
clsvm_test(test_window_syscall_threads SOURCES runtime/test_window_syscall_threads.c
           LIBS clsvm-runtime-static LABELS runtime window)
clsvm_runtime_internals(test_window_syscall_threads)
