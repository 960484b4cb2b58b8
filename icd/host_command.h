/* host_command.h: commands that clsvm executes on the host but that the backend's queue orders,
 * so that clEnqueueSVM* behave like real commands (wait lists, queue order, events, blocking)
 * without depending on the backend's own SVM commands, whose behaviour on memory the backend
 * did not allocate differs between pocl versions (docs/svm.md, "clEnqueueSVM* commands").
 *
 * Mechanism, per command on backend queue Q:
 *   U = user event;  M = marker(wait list)
 *   callback(M, CL_COMPLETE): check the wait list, do the work, set U to CL_COMPLETE (or to
 *   the negative status of a failed wait event, without doing the work)
 *   B = barrier(U, M) on in-order queues, marker(U, M) on out-of-order ones
 * B is what the application sees (wrapped, with the SVM command type); everything enqueued
 * after B waits for the work to be done; a failed wait list fails M and therefore B. */
#ifndef CLSVM_HOST_COMMAND_H
#define CLSVM_HOST_COMMAND_H

#include "icd.h"

/* The work of a host command. Called exactly once, on a backend thread (or the caller's), with
 * status CL_COMPLETE: do the work and release arg; or a negative status: the command failed
 * before it ran (a wait-list event failed), only release arg. */
typedef void (*clsvm_host_fn)(void *arg, cl_int status);

/* Validate an application wait list for queue q: CL_INVALID_EVENT_WAIT_LIST when malformed or
 * an event is not a live clsvm event, CL_INVALID_CONTEXT when an event belongs to another
 * context. */
cl_int clsvm_host_waitlist_check(clsvm_obj *q, cl_uint n, const cl_event *list);

/* Enqueue a host command of the given CL_COMMAND_* type on q (wait list already checked). On
 * success fn(arg, status) will be called exactly once and *event (if event is not NULL) is a new
 * clsvm event reporting `type`; when blocking, returns after the work is done (or
 * CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST when a wait event failed). On error fn is never
 * called and the caller still owns arg. */
cl_int clsvm_host_command(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_uint nwait,
                          const cl_event *wait, clsvm_host_fn fn, void *arg, cl_event *event);

/* Reclaim the records of host commands whose wait list failed (backends that do not call
 * CL_COMPLETE callbacks on failure never run them): abandons their work, completes their user
 * event with an error, drops their queue reference. Called on failure paths only (a failed
 * wait, a negative status answer); cost O(pending host commands). */
void clsvm_host_sweep(void);

/* event.c: like clsvm_event_out, but the new event answers CL_EVENT_COMMAND_TYPE with `type`
 * (the backend event is a barrier or marker standing in for an SVM command). */
cl_int clsvm_event_out_typed(cl_int err, cl_command_queue queue, cl_event be_event, cl_event *event,
                             cl_command_type type);

#endif
