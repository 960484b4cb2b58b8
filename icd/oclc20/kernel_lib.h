/*
 * kernel_lib.h: which functions the backend's kernel library resolves (docs/opencl-c-2.0.md,
 * "Unresolved functions"). pocl links a SPIR program against its kernel library at build time
 * and reports a function it does not find, but not one it finds whose body calls a function
 * the library only declares: that one stays undefined until the kernel is loaded, where it
 * aborts the process. clsvm reads the library once (clang disassembles it), computes the
 * functions whose whole call graph is defined, and fails a build that needs any other.
 */
#ifndef CLSVM_ICD_OCLC20_KERNEL_LIB_H
#define CLSVM_ICD_OCLC20_KERNEL_LIB_H

/* 1 when the backend's kernel library defines name and everything it calls, 0 when it does not,
 * -1 when unknown (no library found, or it cannot be read: nothing is checked). Thread-safe; the
 * first call reads the library (seconds), or its cached list (milliseconds). */
int oclc20_kernel_lib_has(const char *name);

/* The library's identity for cache keys (path, size, modification time); "" when none. */
const char *oclc20_kernel_lib_id(void);

#endif
