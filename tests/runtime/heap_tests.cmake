# Heap (TLSF allocator + lookup index) tests. Included from tests/CMakeLists.txt; paths are
# relative to tests/. The heap never touches memory, so the tests use fake address ranges.
foreach(t alignment lookup coalesce exhaustion errors model validate)
  clsvm_test(test_heap_${t} SOURCES runtime/test_heap_${t}.c LIBS clsvm-runtime-static
             LABELS runtime heap)
  clsvm_runtime_internals(test_heap_${t})
endforeach()
