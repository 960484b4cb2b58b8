/*
 * svm.h: clsvm's SVM state, shared by the SVM entry points (svm.c: allocation, kernel
 * arguments, capabilities; enqueue_svm.c: the clEnqueueSVM* commands; mem.c: buffers over SVM).
 *
 * All SVM memory comes from one process-wide window (runtime/), opened on first use. Every
 * allocation's tag is the clsvm context wrapper that made it (holding a reference on it), and
 * its flags are the cl_svm_mem_flags it was made with.
 */
#ifndef CLSVM_ICD_SVM_H
#define CLSVM_ICD_SVM_H

#include "icd.h"

#include <clsvm/runtime.h>

/* The process's SVM window, opened on first call; NULL (logged once) when none can be had. */
clsvm_window *clsvm_svm_window(void);

/* CL_DEVICE_SVM_CAPABILITIES clsvm reports: 0 without a window; coarse | fine-grain buffer |
 * atomics with one; plus fine-grain system when the window spans all of user space. */
cl_device_svm_capabilities clsvm_svm_caps(void);

/* Find the live SVM allocation containing p (any byte of it): CL_TRUE and *info, else CL_FALSE. */
cl_bool clsvm_svm_lookup(const void *p, clsvm_alloc_info *info);

/* Free the allocation whose base is p, made in context ctx (NULL: any context). Drops the
 * allocation's context reference. CL_FALSE (logged once, nothing changes) when p is not such a
 * live allocation. Used by clSVMFree and by clEnqueueSVMFree when its command executes. */
cl_bool clsvm_svm_free_ptr(clsvm_obj *ctx, void *p);

#endif
