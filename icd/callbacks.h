/* callbacks.h: trampolines that give application callbacks clsvm's handles instead of the
 * backend's. Each registration allocates a small record carrying the wrapper and the user's
 * function; the record holds a reference on the wrapper where the object must outlive the
 * callback (events, programs being built), and none for destructor callbacks (those fire
 * because the object is going away). clEnqueueSVMFree's callback is clsvm's own host command
 * (enqueue_svm.c), which calls the application directly with clsvm's queue. */
#ifndef CLSVM_CALLBACKS_H
#define CLSVM_CALLBACKS_H

#include "icd.h"

typedef void(CL_CALLBACK *clsvm_program_fn)(cl_program, void *);
typedef void(CL_CALLBACK *clsvm_svm_free_fn)(cl_command_queue, cl_uint, void **, void *);

/* Build/compile/link notification. clsvm_notify_new returns NULL when fn is NULL (nothing to
 * register) or memory is short (*err set). Pass clsvm_notify_tramp/record down, then call
 * clsvm_notify_finish with the backend's result. */
typedef struct clsvm_notify clsvm_notify;
clsvm_notify *clsvm_notify_new(clsvm_obj *program, clsvm_program_fn fn, void *user_data,
                               cl_int *err);
void CL_CALLBACK clsvm_notify_tramp(cl_program be_program, void *record);
void clsvm_notify_finish(clsvm_notify *n, cl_int err);

#endif
