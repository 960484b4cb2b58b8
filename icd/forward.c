/* forward.c: the generated entry points of entrypoints.def (forwarders, retain/release,
 * unsupported extension stubs). Hand-written entry points live in the files named after them. */
#include "forward.h"
#include "host_ptr.h"

#define CLSVM_HAND(name)
#define CLSVM_FWD(name, ...) CLSVM_DEFINE_FWD(name, __VA_ARGS__)
#define CLSVM_FWD_HOST(name, check, ...) CLSVM_DEFINE_FWD_HOST(name, check, __VA_ARGS__)
#define CLSVM_ENQ(name, ...) CLSVM_DEFINE_ENQ(name, __VA_ARGS__)
#define CLSVM_ENQ_HOST(name, check, ...) CLSVM_DEFINE_ENQ_HOST(name, check, __VA_ARGS__)
#define CLSVM_ENQ_MAP(name, ...) CLSVM_DEFINE_ENQ_MAP(name, __VA_ARGS__)
#define CLSVM_CREATE_IN(name, T, kind, ...) CLSVM_DEFINE_CREATE_IN(name, T, kind, __VA_ARGS__)
#define CLSVM_CREATE_CHILD(name, T, kind, ...) CLSVM_DEFINE_CREATE_CHILD(name, T, kind, __VA_ARGS__)
#define CLSVM_RETAIN(name, T, kind, err)                                                           \
    cl_int CL_API_CALL clsvm_##name(T h)                                                           \
    {                                                                                              \
        return clsvm_retain_handle(h, kind, err);                                                  \
    }
#define CLSVM_RELEASE(name, T, kind, err)                                                          \
    cl_int CL_API_CALL clsvm_##name(T h)                                                           \
    {                                                                                              \
        return clsvm_release_handle(h, kind, err);                                                 \
    }
#define CLSVM_NOSUP_INT(name, err, ...)                                                            \
    cl_int CL_API_CALL clsvm_##name(CLSVM_PARAMS(__VA_ARGS__))                                     \
    {                                                                                              \
        CLSVM_UNUSED(__VA_ARGS__);                                                                 \
        return err;                                                                                \
    }
#define CLSVM_NOSUP_OBJ(name, T, ...)                                                              \
    T CL_API_CALL clsvm_##name(CLSVM_PARAMS(__VA_ARGS__), cl_int *errcode_ret)                     \
    {                                                                                              \
        CLSVM_UNUSED(__VA_ARGS__);                                                                 \
        if (errcode_ret)                                                                           \
            *errcode_ret = CL_INVALID_CONTEXT;                                                     \
        return NULL;                                                                               \
    }
#define CLSVM_NOSUP_VOIDP(name)
#include "entrypoints.def"
