/*
 * info_answer.h: the clGet<Object>Info skeleton all object kinds share. What every kind answers
 * the same way (the handle check, the output-buffer check of host_ptr.h, the owner and parent
 * handles its wrapper holds, the application's reference count) is one table in info_answer.c;
 * each kind adds rows for the parameters it answers itself (fixed strings, backend answers whose
 * handles must become clsvm's, per-kind functions), and every other parameter goes to the
 * backend. So no kind can answer one of the common parameters differently from the others.
 */
#ifndef CLSVM_ICD_INFO_ANSWER_H
#define CLSVM_ICD_INFO_ANSWER_H

#include "icd.h"

/* A kind's own answer for one parameter (o is a live object of that kind, the output buffers are
 * checked). */
typedef cl_int clsvm_info_fn(clsvm_obj *o, cl_uint param, size_t size, void *value,
                             size_t *size_ret);

typedef enum clsvm_info_src {
    CLSVM_INFO_TEXT = 1, /* a fixed string */
    CLSVM_INFO_MAPPED,   /* the backend's answer, its handles of kind `map` made clsvm's */
    CLSVM_INFO_FN,       /* what fn answers */
} clsvm_info_src;

typedef struct clsvm_info_row {
    cl_uint param; /* 0 ends a table */
    clsvm_info_src src;
    clsvm_kind map;    /* CLSVM_INFO_MAPPED */
    const char *text;  /* CLSVM_INFO_TEXT */
    clsvm_info_fn *fn; /* CLSVM_INFO_FN */
} clsvm_info_row;

#define CLSVM_INFO_TEXT_ROW(p, s)                                                                  \
    {                                                                                              \
        .param = (p), .src = CLSVM_INFO_TEXT, .text = (s)                                          \
    }
#define CLSVM_INFO_MAPPED_ROW(p, kind)                                                             \
    {                                                                                              \
        .param = (p), .src = CLSVM_INFO_MAPPED, .map = (kind)                                      \
    }
#define CLSVM_INFO_FN_ROW(p, f)                                                                    \
    {                                                                                              \
        .param = (p), .src = CLSVM_INFO_FN, .fn = (f)                                              \
    }
#define CLSVM_INFO_END                                                                             \
    {                                                                                              \
        .param = 0                                                                                 \
    }

/* The whole clGet<Object>Info call for a handle of that kind: the common answers, then rows (NULL:
 * none), then other (NULL: the backend's answer). */
cl_int clsvm_info_answer(clsvm_kind kind, const clsvm_info_row *rows, clsvm_info_fn *other,
                         const void *handle, cl_uint param, size_t size, void *value,
                         size_t *size_ret);

/* Defines the entry point clsvm_<name> as clsvm_info_answer(kind, rows, other, ...). */
#define CLSVM_DEFINE_INFO(name, handle_type, param_type, kind, rows, other)                        \
    cl_int CL_API_CALL clsvm_##name(handle_type h, param_type param, size_t size, void *value,     \
                                    size_t *size_ret)                                              \
    {                                                                                              \
        return clsvm_info_answer(kind, rows, other, h, param, size, value, size_ret);              \
    }

/* The backend's answer about be, a backend handle of that kind; with map (0: none), the
 * backend handles of kind map in the answer are replaced by their wrappers. */
cl_int clsvm_info_forward(clsvm_kind kind, void *be, cl_uint param, clsvm_kind map, size_t size,
                          void *value, size_t *size_ret);

/* A backend string answer about be (a program build answer for device dev when dev is not NULL)
 * in a malloc'd, NUL-terminated buffer; NULL when the query fails or is empty, or memory runs
 * out. */
char *clsvm_info_be_string(clsvm_kind kind, void *be, void *dev, cl_uint param);

#endif
