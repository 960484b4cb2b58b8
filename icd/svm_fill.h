/* svm_fill.h: the host side of clEnqueueSVMMemFill (svm_fill.c). */
#ifndef CLSVM_ICD_SVM_FILL_H
#define CLSVM_ICD_SVM_FILL_H

#include <stddef.h>

/* Fill [dst, dst + size) with copies of pattern (psize a power of two in 1..128, dst aligned to
 * psize, size a multiple of psize: clEnqueueSVMMemFill's rules, checked by the caller). */
void clsvm_fill_pattern(void *dst, size_t size, const void *pattern, size_t psize);

#endif
