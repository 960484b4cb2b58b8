/*
 * module_check.h: what a linked SPIR module still needs and what its kernels declare
 * (docs/opencl-c-2.0.md). clang disassembles the module; every function it declares but does
 * not define must be one the backend's kernel library resolves (kernel_lib.h), or the build
 * fails with a log naming it, instead of the process aborting when the kernel is first loaded.
 * The kernels' reqd_work_group_size, work_group_size_hint and vec_type_hint metadata become the
 * CL_KERNEL_ATTRIBUTES strings pocl 3.1 gives for its own builds (it gives none for SPIR).
 * A module for non-uniform work-groups can also be rewritten without its kernels'
 * reqd_work_group_size, which pocl would enforce on remainder groups too (clsvm enforces it,
 * icd/ndrange.c, from the attributes recorded here).
 */
#ifndef CLSVM_ICD_OCLC20_MODULE_CHECK_H
#define CLSVM_ICD_OCLC20_MODULE_CHECK_H

typedef struct oclc20_module {
    char *missing; /* "  name\n" per function nothing resolves (malloc'd, "" when none) */
    char *attrs;   /* "kernel\tattributes\n" per kernel that has any (malloc'd, "" when none) */
    /* With strip_reqd: the module's text without its kernels' reqd_work_group_size (malloc'd),
     * NULL when no kernel has one. */
    char *stripped;
} oclc20_module;

/* Inspect the bitcode file bc, disassembled into the private directory work. 0: m is filled;
 * -1: the module could not be read (clang failed, out of memory), m is empty and nothing is
 * checked. */
int oclc20_module_inspect(const char *bc, const char *work, int strip_reqd, oclc20_module *m);
void oclc20_module_free(oclc20_module *m);

/* Assemble the module text ll (oclc20_module.stripped) into the bitcode file bc, through the
 * private directory work. 0 on success; -1 with *log (malloc'd, may be NULL) saying why. */
int oclc20_module_assemble(const char *ll, const char *work, const char *bc, char **log);

/* The CL_KERNEL_ATTRIBUTES of kernel in attrs (oclc20_module.attrs), malloc'd ("" when it has
 * none); NULL when out of memory. */
char *oclc20_kernel_attributes_of(const char *attrs, const char *kernel);

#endif
