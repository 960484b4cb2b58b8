/*
 * forward.h: macros that generate the trivial entry points from (type, name) pairs, so that a
 * forwarder is one line in entrypoints.def. forward.c expands them for the .def; svm.c uses them
 * directly for its (temporary) forwarders. Every generated function returns the spec's error
 * instead of calling a NULL backend slot.
 */
#ifndef CLSVM_FORWARD_H
#define CLSVM_FORWARD_H

#include "icd.h"
#include "queue_tail.h"

/* Count the (type, name) arguments (2..24) and expand pairwise. */
#define CLSVM_NARG(...)                                                                            \
    CLSVM_NARG_(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,  \
                6, 5, 4, 3, 2, 1, 0)
#define CLSVM_NARG_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17,    \
                    _18, _19, _20, _21, _22, _23, _24, N, ...)                                     \
    N
#define CLSVM_CAT(a, b) CLSVM_CAT_(a, b)
#define CLSVM_CAT_(a, b) a##b

/* "type name, ..." for a parameter list */
#define CLSVM_PARAMS(...) CLSVM_CAT(CLSVM_P, CLSVM_NARG(__VA_ARGS__))(__VA_ARGS__)
#define CLSVM_P2(t, n) t n
#define CLSVM_P4(t, n, ...) t n, CLSVM_P2(__VA_ARGS__)
#define CLSVM_P6(t, n, ...) t n, CLSVM_P4(__VA_ARGS__)
#define CLSVM_P8(t, n, ...) t n, CLSVM_P6(__VA_ARGS__)
#define CLSVM_P10(t, n, ...) t n, CLSVM_P8(__VA_ARGS__)
#define CLSVM_P12(t, n, ...) t n, CLSVM_P10(__VA_ARGS__)
#define CLSVM_P14(t, n, ...) t n, CLSVM_P12(__VA_ARGS__)
#define CLSVM_P16(t, n, ...) t n, CLSVM_P14(__VA_ARGS__)
#define CLSVM_P18(t, n, ...) t n, CLSVM_P16(__VA_ARGS__)
#define CLSVM_P20(t, n, ...) t n, CLSVM_P18(__VA_ARGS__)
#define CLSVM_P22(t, n, ...) t n, CLSVM_P20(__VA_ARGS__)
#define CLSVM_P24(t, n, ...) t n, CLSVM_P22(__VA_ARGS__)

/* "CLSVM_U(name), ..." for the backend call */
#define CLSVM_ARGS(...) CLSVM_CAT(CLSVM_A, CLSVM_NARG(__VA_ARGS__))(__VA_ARGS__)
#define CLSVM_A2(t, n) CLSVM_U(n)
#define CLSVM_A4(t, n, ...) CLSVM_U(n), CLSVM_A2(__VA_ARGS__)
#define CLSVM_A6(t, n, ...) CLSVM_U(n), CLSVM_A4(__VA_ARGS__)
#define CLSVM_A8(t, n, ...) CLSVM_U(n), CLSVM_A6(__VA_ARGS__)
#define CLSVM_A10(t, n, ...) CLSVM_U(n), CLSVM_A8(__VA_ARGS__)
#define CLSVM_A12(t, n, ...) CLSVM_U(n), CLSVM_A10(__VA_ARGS__)
#define CLSVM_A14(t, n, ...) CLSVM_U(n), CLSVM_A12(__VA_ARGS__)
#define CLSVM_A16(t, n, ...) CLSVM_U(n), CLSVM_A14(__VA_ARGS__)
#define CLSVM_A18(t, n, ...) CLSVM_U(n), CLSVM_A16(__VA_ARGS__)
#define CLSVM_A20(t, n, ...) CLSVM_U(n), CLSVM_A18(__VA_ARGS__)
#define CLSVM_A22(t, n, ...) CLSVM_U(n), CLSVM_A20(__VA_ARGS__)
#define CLSVM_A24(t, n, ...) CLSVM_U(n), CLSVM_A22(__VA_ARGS__)

/* "(void)name; ..." for stubs */
#define CLSVM_UNUSED(...) CLSVM_CAT(CLSVM_V, CLSVM_NARG(__VA_ARGS__))(__VA_ARGS__)
#define CLSVM_V2(t, n) (void)n
#define CLSVM_V4(t, n, ...) (void)n, CLSVM_V2(__VA_ARGS__)
#define CLSVM_V6(t, n, ...) (void)n, CLSVM_V4(__VA_ARGS__)
#define CLSVM_V8(t, n, ...) (void)n, CLSVM_V6(__VA_ARGS__)
#define CLSVM_V10(t, n, ...) (void)n, CLSVM_V8(__VA_ARGS__)
#define CLSVM_V12(t, n, ...) (void)n, CLSVM_V10(__VA_ARGS__)
#define CLSVM_V14(t, n, ...) (void)n, CLSVM_V12(__VA_ARGS__)
#define CLSVM_V16(t, n, ...) (void)n, CLSVM_V14(__VA_ARGS__)

/* "if (!err_) err_ = CLSVM_CHECK(name); ..." validating every handle parameter in order */
#define CLSVM_CHECKS(...) CLSVM_CAT(CLSVM_K, CLSVM_NARG(__VA_ARGS__))(__VA_ARGS__)
#define CLSVM_K1_(n)                                                                               \
    if (err_ == CL_SUCCESS)                                                                        \
        err_ = CLSVM_CHECK(n);
#define CLSVM_K2(t, n) CLSVM_K1_(n)
#define CLSVM_K4(t, n, ...) CLSVM_K1_(n) CLSVM_K2(__VA_ARGS__)
#define CLSVM_K6(t, n, ...) CLSVM_K1_(n) CLSVM_K4(__VA_ARGS__)
#define CLSVM_K8(t, n, ...) CLSVM_K1_(n) CLSVM_K6(__VA_ARGS__)
#define CLSVM_K10(t, n, ...) CLSVM_K1_(n) CLSVM_K8(__VA_ARGS__)
#define CLSVM_K12(t, n, ...) CLSVM_K1_(n) CLSVM_K10(__VA_ARGS__)
#define CLSVM_K14(t, n, ...) CLSVM_K1_(n) CLSVM_K12(__VA_ARGS__)
#define CLSVM_K16(t, n, ...) CLSVM_K1_(n) CLSVM_K14(__VA_ARGS__)
#define CLSVM_K18(t, n, ...) CLSVM_K1_(n) CLSVM_K16(__VA_ARGS__)
#define CLSVM_K20(t, n, ...) CLSVM_K1_(n) CLSVM_K18(__VA_ARGS__)
#define CLSVM_K22(t, n, ...) CLSVM_K1_(n) CLSVM_K20(__VA_ARGS__)
#define CLSVM_K24(t, n, ...) CLSVM_K1_(n) CLSVM_K22(__VA_ARGS__)

/* "name, ..." for calling a check with the entry point's own parameters */
#define CLSVM_NAMES(...) CLSVM_CAT(CLSVM_N, CLSVM_NARG(__VA_ARGS__))(__VA_ARGS__)
#define CLSVM_N2(t, n) n
#define CLSVM_N4(t, n, ...) n, CLSVM_N2(__VA_ARGS__)
#define CLSVM_N6(t, n, ...) n, CLSVM_N4(__VA_ARGS__)
#define CLSVM_N8(t, n, ...) n, CLSVM_N6(__VA_ARGS__)
#define CLSVM_N10(t, n, ...) n, CLSVM_N8(__VA_ARGS__)
#define CLSVM_N12(t, n, ...) n, CLSVM_N10(__VA_ARGS__)
#define CLSVM_N14(t, n, ...) n, CLSVM_N12(__VA_ARGS__)
#define CLSVM_N16(t, n, ...) n, CLSVM_N14(__VA_ARGS__)
#define CLSVM_N18(t, n, ...) n, CLSVM_N16(__VA_ARGS__)
#define CLSVM_N20(t, n, ...) n, CLSVM_N18(__VA_ARGS__)
#define CLSVM_N22(t, n, ...) n, CLSVM_N20(__VA_ARGS__)
#define CLSVM_N24(t, n, ...) n, CLSVM_N22(__VA_ARGS__)

/* The first parameter's name. */
#define CLSVM_FIRST(t, n, ...) n

/* The checks every generated entry point makes before calling the backend, declaring err_:
 * each handle parameter in order, then check(params...) (clsvm's rule for the host memory the
 * call reads or writes, host_ptr.c), then CL_INVALID_OPERATION for a NULL backend slot. */
#define CLSVM_PRECHECK_(name, check, ...)                                                          \
    cl_int err_ = CL_SUCCESS;                                                                      \
    CLSVM_CHECKS(__VA_ARGS__)                                                                      \
    if (err_ == CL_SUCCESS)                                                                        \
        err_ = check(CLSVM_NAMES(__VA_ARGS__));                                                    \
    if (err_ == CL_SUCCESS && !clsvm_be->name)                                                     \
        err_ = CL_INVALID_OPERATION;

/* cl_int name(params): unwrap every handle, forward. */
#define CLSVM_DEFINE_FWD(name, ...) CLSVM_DEFINE_FWD_HOST(name, CLSVM_NO_HOST_CHECK, __VA_ARGS__)
#define CLSVM_NO_HOST_CHECK(...) CL_SUCCESS

/* The same with check(params...) run after the handle checks: clsvm's rule for the host memory
 * the call writes (a query's output buffers, host_ptr.c). */
#define CLSVM_DEFINE_FWD_HOST(name, check, ...)                                                    \
    cl_int CL_API_CALL clsvm_##name(CLSVM_PARAMS(__VA_ARGS__))                                     \
    {                                                                                              \
        CLSVM_PRECHECK_(name, check, __VA_ARGS__)                                                  \
        if (err_ != CL_SUCCESS)                                                                    \
            return err_;                                                                           \
        return clsvm_be->name(CLSVM_ARGS(__VA_ARGS__));                                            \
    }

/* cl_int name(command_queue, params..., wait list, event): also unwraps the wait list and
 * wraps the returned event. The first parameter must be the command queue. */
#define CLSVM_DEFINE_ENQ(name, ...) CLSVM_DEFINE_ENQ_HOST(name, CLSVM_NO_HOST_CHECK, __VA_ARGS__)

/* The same with check(params...) run after the handle checks: clsvm's rule for the host memory
 * the command reads or writes (host_ptr.c). */
#define CLSVM_DEFINE_ENQ_HOST(name, check, ...)                                                    \
    cl_int CL_API_CALL clsvm_##name(CLSVM_PARAMS(__VA_ARGS__), cl_uint num_events_in_wait_list,    \
                                    const cl_event *event_wait_list, cl_event *event)              \
    {                                                                                              \
        clsvm_evlist wl_;                                                                          \
        cl_event ev_ = NULL;                                                                       \
        CLSVM_PRECHECK_(name, check, __VA_ARGS__)                                                  \
        if (err_ != CL_SUCCESS)                                                                    \
            return err_;                                                                           \
        err_ = clsvm_evlist_unwrap(num_events_in_wait_list, event_wait_list, &wl_);                \
        if (err_ != CL_SUCCESS)                                                                    \
            return err_;                                                                           \
        clsvm_qtail_begin((clsvm_obj *)CLSVM_FIRST(__VA_ARGS__));                                  \
        err_ = clsvm_be->name(CLSVM_ARGS(__VA_ARGS__), num_events_in_wait_list, wl_.list, &ev_);   \
        clsvm_qtail_end((clsvm_obj *)CLSVM_FIRST(__VA_ARGS__), err_ == CL_SUCCESS, ev_);           \
        clsvm_evlist_done(&wl_);                                                                   \
        return clsvm_event_out(err_, CLSVM_FIRST(__VA_ARGS__), ev_, event);                        \
    }

/* void *name(command_queue, params..., wait list, event, errcode_ret): the map calls. */
#define CLSVM_DEFINE_ENQ_MAP(name, ...)                                                            \
    void *CL_API_CALL clsvm_##name(CLSVM_PARAMS(__VA_ARGS__), cl_uint num_events_in_wait_list,     \
                                   const cl_event *event_wait_list, cl_event *event,               \
                                   cl_int *errcode_ret)                                            \
    {                                                                                              \
        clsvm_evlist wl_;                                                                          \
        cl_event ev_ = NULL;                                                                       \
        void *ret_ = NULL;                                                                         \
        CLSVM_PRECHECK_(name, CLSVM_NO_HOST_CHECK, __VA_ARGS__)                                    \
        if (err_ == CL_SUCCESS)                                                                    \
            err_ = clsvm_evlist_unwrap(num_events_in_wait_list, event_wait_list, &wl_);            \
        if (err_ == CL_SUCCESS) {                                                                  \
            clsvm_qtail_begin((clsvm_obj *)CLSVM_FIRST(__VA_ARGS__));                              \
            ret_ = clsvm_be->name(CLSVM_ARGS(__VA_ARGS__), num_events_in_wait_list, wl_.list,      \
                                  &ev_, &err_);                                                    \
            clsvm_qtail_end((clsvm_obj *)CLSVM_FIRST(__VA_ARGS__), err_ == CL_SUCCESS, ev_);       \
            clsvm_evlist_done(&wl_);                                                               \
            err_ = clsvm_event_out(err_, CLSVM_FIRST(__VA_ARGS__), ev_, event);                    \
        }                                                                                          \
        if (errcode_ret)                                                                           \
            *errcode_ret = err_;                                                                   \
        return err_ == CL_SUCCESS ? ret_ : NULL;                                                   \
    }

/* rettype name(context, params..., errcode_ret): a new object owned by the context. */
#define CLSVM_DEFINE_CREATE_IN(name, rettype, kind, ...)                                           \
    CLSVM_DEFINE_CREATE_(name, rettype, kind, CLSVM_IN_CONTEXT_, __VA_ARGS__)
#define CLSVM_IN_CONTEXT_(p_) p_, NULL

/* rettype name(parent, params..., errcode_ret): a new object made from a parent object (kernel
 * from program, sub-buffer from buffer); it shares the parent's context. */
#define CLSVM_DEFINE_CREATE_CHILD(name, rettype, kind, ...)                                        \
    CLSVM_DEFINE_CREATE_(name, rettype, kind, CLSVM_CHILD_OF_, __VA_ARGS__)
#define CLSVM_CHILD_OF_(p_) be_ ? p_->owner : NULL, p_

/* Both: relation(p_) is the new wrapper's owner and parent, from the first parameter p_. */
#define CLSVM_DEFINE_CREATE_(name, rettype, kind, relation, ...)                                   \
    rettype CL_API_CALL clsvm_##name(CLSVM_PARAMS(__VA_ARGS__), cl_int *errcode_ret)               \
    {                                                                                              \
        void *be_ = NULL;                                                                          \
        CLSVM_PRECHECK_(name, CLSVM_NO_HOST_CHECK, __VA_ARGS__)                                    \
        if (err_ == CL_SUCCESS)                                                                    \
            be_ = clsvm_be->name(CLSVM_ARGS(__VA_ARGS__), &err_);                                  \
        clsvm_obj *p_ = (clsvm_obj *)CLSVM_FIRST(__VA_ARGS__);                                     \
        return (rettype)clsvm_wrap_result(kind, be_, err_, relation(p_), errcode_ret);             \
    }

#endif
