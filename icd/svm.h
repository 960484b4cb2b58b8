/*
 * svm.h: clsvm's SVM state, shared by the SVM entry points (svm.c: allocation, kernel
 * arguments, capabilities; enqueue_svm.c: the clEnqueueSVM* commands; mem.c: buffers over SVM).
 *
 * All SVM memory comes from one process-wide window (runtime/), opened on first use. Every
 * allocation's tag is the clsvm context wrapper that made it (counted on it so that it stays
 * valid while the allocation lives, svm_count.h), and its flags are the cl_svm_mem_flags it was
 * made with.
 */
#ifndef CLSVM_ICD_SVM_H
#define CLSVM_ICD_SVM_H

#include "icd.h"

#include <clsvm/runtime.h>

/* The process's SVM window, opened on first call; NULL (logged once) when none can be had. */
clsvm_window *clsvm_svm_window(void);

/* CL_DEVICE_SVM_CAPABILITIES clsvm reports for backend device be_dev: 0 without a window or
 * when the device cannot address the host's memory (neither a CPU device nor host-unified
 * memory, or too few address bits for the window); else coarse | fine-grain buffer | atomics,
 * plus fine-grain system when the window spans all of user space. */
cl_device_svm_capabilities clsvm_svm_device_caps(void *be_dev);
/* What every device of context ctx supports (cached in its device list). */
cl_device_svm_capabilities clsvm_svm_context_caps(const clsvm_obj *ctx);
/* What every root device of the backend supports. */
cl_device_svm_capabilities clsvm_svm_caps(void);

/* Find the live SVM allocation containing p (any byte of it): CL_TRUE and *info, else CL_FALSE. */
cl_bool clsvm_svm_lookup(const void *p, clsvm_alloc_info *info);

/* clsvm's pointer rule for host memory an entry point reads or writes: [p, p + size) (size 0:
 * the byte at p) is refused with err when it touches the SVM window outside one live
 * allocation (freed or never-allocated SVM, or running past the end of an allocation), where
 * pages may be unmapped; memory outside the window is the application's business. NULL p:
 * CL_SUCCESS (the caller's own check decides). */
cl_int clsvm_svm_host_range(const void *p, size_t size, cl_int err);
/* Has the window been opened (can any SVM allocation exist)? */
int clsvm_svm_window_open(void);

/* Free the allocation whose base is p, made in context ctx (NULL: any context). Uncounts it on
 * its context (which may destroy a context the application released). CL_FALSE (logged once,
 * nothing changes) when p is not such a live allocation. Used by clSVMFree and by
 * clEnqueueSVMFree when its command executes. */
cl_bool clsvm_svm_free_ptr(clsvm_obj *ctx, void *p);

/* ---- svm.c ---- */

/* CL_DEVICE_MAX_MEM_ALLOC_SIZE clsvm reports for backend device be_dev: the backend's answer,
 * capped at the window's size (one allocation can never be larger than the window). */
cl_int clsvm_svm_max_alloc(cl_device_id be_dev, cl_ulong *out);

/* The live allocation containing p, made in context ctx (NULL: any context): CL_TRUE and *info
 * (info may be NULL), else CL_FALSE. Validation of SVM pointers handed to the backend. */
cl_bool clsvm_svm_lookup_in(clsvm_obj *ctx, const void *p, clsvm_alloc_info *info);

#endif
