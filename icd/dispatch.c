/* dispatch.c: clsvm's dispatch table, the first field of every handle clsvm hands out. Built
 * from entrypoints.def; the static assertion below proves every slot is filled exactly once
 * (designated initialisers make a duplicate an error under -Wextra -Werror). */
#include "icd.h"

/* Slots typed void * on this platform (Direct3D, DX9 media sharing): never reached through
 * ocl-icd on Linux, but a slot is never NULL. */
static cl_int CL_API_CALL clsvm_not_supported(void)
{
    return CL_INVALID_OPERATION;
}

#define CLSVM_SLOT_(name) .name = clsvm_##name,
#define CLSVM_HAND(name) CLSVM_SLOT_(name)
#define CLSVM_FWD(name, ...) CLSVM_SLOT_(name)
#define CLSVM_FWD_HOST(name, ...) CLSVM_SLOT_(name)
#define CLSVM_ENQ(name, ...) CLSVM_SLOT_(name)
#define CLSVM_ENQ_HOST(name, ...) CLSVM_SLOT_(name)
#define CLSVM_ENQ_MAP(name, ...) CLSVM_SLOT_(name)
#define CLSVM_CREATE_IN(name, ...) CLSVM_SLOT_(name)
#define CLSVM_CREATE_CHILD(name, ...) CLSVM_SLOT_(name)
#define CLSVM_RETAIN(name, ...) CLSVM_SLOT_(name)
#define CLSVM_RELEASE(name, ...) CLSVM_SLOT_(name)
#define CLSVM_NOSUP_INT(name, ...) CLSVM_SLOT_(name)
#define CLSVM_NOSUP_OBJ(name, ...) CLSVM_SLOT_(name)
#define CLSVM_VOIDP_SLOT_(name) .name = (void *)clsvm_not_supported,
#define CLSVM_NOSUP_VOIDP(name) CLSVM_VOIDP_SLOT_(name)
const struct _cl_icd_dispatch clsvm_dispatch = {
#include "entrypoints.def"
};
#undef CLSVM_SLOT_
#undef CLSVM_VOIDP_SLOT_

#define CLSVM_SLOT_(name) +1
#define CLSVM_VOIDP_SLOT_(name) +1
enum {
    clsvm_entry_count = 0
#include "entrypoints.def"
};
_Static_assert(clsvm_entry_count * sizeof(void *) == sizeof(struct _cl_icd_dispatch),
               "entrypoints.def must list every slot of struct _cl_icd_dispatch");
