/* host_command.h: commands that clsvm executes on the host but that the backend's queue orders,
 * so that clEnqueueSVM* behave like real commands (wait lists, queue order, events, blocking,
 * profiling) without depending on the backend's own SVM commands, whose behaviour on memory the
 * backend did not allocate differs between pocl versions (docs/svm.md, "clEnqueueSVM* commands").
 *
 * Mechanism: each command with host work is one native kernel (clEnqueueNativeKernel) on the
 * backend queue, whose function does the work; one without (map, unmap, migrate) is a marker or
 * nothing (clsvm_host_order). The backend orders it like any command, copies its argument
 * block, never runs it when a wait event failed, and times it. No user events and no event
 * callbacks: on a device that executes commands on the calling thread (pocl's basic device),
 * completing a user event that a command waits on deadlocks in pocl 3.1, and a callback that
 * calls back into the backend is reentrant there. */
#ifndef CLSVM_HOST_COMMAND_H
#define CLSVM_HOST_COMMAND_H

#include "icd.h"

/* The work of a host command. Called at most once, when the command executes, on a backend
 * thread or on whichever thread makes the backend execute it (any OpenCL call on a device that
 * runs commands on the caller's thread), with the command's own copy of the data block. Never
 * called when a wait-list event failed. */
typedef void (*clsvm_host_fn)(void *data);

/* Validate an application wait list for queue q: CL_INVALID_EVENT_WAIT_LIST when malformed or
 * an event is not a live clsvm event, CL_INVALID_CONTEXT when an event belongs to another
 * context. */
cl_int clsvm_host_waitlist_check(clsvm_obj *q, cl_uint n, const cl_event *list);

/* Enqueue a host command of the given CL_COMMAND_* type on q (wait list already checked): fn
 * will get a copy of data[0..size) (size >= 1, copied before this returns, aligned for any
 * type). hold_queue: q stays valid while fn runs, even if the application releases it (the free
 * callback receives the queue). On success *event (if not NULL) is a new clsvm event reporting
 * `type`; when blocking, returns after the work is done, or with
 * CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST when a wait event failed (the work not done).
 * On error nothing was enqueued. */
cl_int clsvm_host_command(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_uint nwait,
                          const cl_event *wait, clsvm_host_fn fn, const void *data, size_t size,
                          int hold_queue, cl_event *event);

/* A command with no host work (map, unmap, migrate on a CPU device: host and device share the
 * memory): a backend marker with the wait list; nothing at all when it is not blocking and has
 * neither a wait list nor an event; when blocking with neither, a wait for the queue's tail
 * (queue_tail.h) if it is known. Same contract as clsvm_host_command otherwise. */
cl_int clsvm_host_order(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_uint nwait,
                        const cl_event *wait, cl_event *event);

/* Drop the queue references held for host commands whose wait list failed (their work never
 * runs). Called on failure paths only (a failed wait, a negative status answer); cost O(pending
 * commands that hold their queue). */
void clsvm_host_sweep(void);

/* event.c: like clsvm_event_out, but the new event answers CL_EVENT_COMMAND_TYPE with `type`
 * (the backend event is a native kernel standing in for an SVM command). */
cl_int clsvm_event_out_typed(cl_int err, cl_command_queue queue, cl_event be_event, cl_event *event,
                             cl_command_type type);

#endif
