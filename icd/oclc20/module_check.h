/*
 * module_check.h: what a linked SPIR module still needs and what its kernels declare
 * (docs/opencl-c-2.0.md). clang disassembles the module; every function it declares but does
 * not define must be one the backend's kernel library resolves (kernel_lib.h), or the build
 * fails with a log naming it, instead of the process aborting when the kernel is first loaded.
 * The kernels' reqd_work_group_size, work_group_size_hint and vec_type_hint metadata become the
 * CL_KERNEL_ATTRIBUTES strings pocl 3.1 gives for its own builds (it gives none for SPIR).
 */
#ifndef CLSVM_ICD_OCLC20_MODULE_CHECK_H
#define CLSVM_ICD_OCLC20_MODULE_CHECK_H

typedef struct oclc20_module {
    char *missing; /* "  name\n" per function nothing resolves (malloc'd, "" when none) */
    char *attrs;   /* "kernel\tattributes\n" per kernel that has any (malloc'd, "" when none) */
} oclc20_module;

/* Inspect the bitcode file bc, disassembled into the private directory work. 0: m is filled;
 * -1: the module could not be read (clang failed, out of memory), m is empty and nothing is
 * checked. */
int oclc20_module_inspect(const char *bc, const char *work, oclc20_module *m);
void oclc20_module_free(oclc20_module *m);

/* The CL_KERNEL_ATTRIBUTES of kernel in attrs (oclc20_module.attrs), malloc'd ("" when it has
 * none); NULL when out of memory. */
char *oclc20_kernel_attributes_of(const char *attrs, const char *kernel);

#endif
