/* host_command.h: commands that clsvm executes on the host but that the backend's queue orders,
 * so that clEnqueueSVM* behave like real commands (wait lists, queue order, events, blocking,
 * profiling) without depending on the backend's own SVM commands, whose behaviour on memory the
 * backend did not allocate differs between pocl versions (docs/svm.md, "clEnqueueSVM* commands").
 *
 * Mechanism: each command with host work is one native kernel (clEnqueueNativeKernel) on the
 * backend queue, whose function does the work; one without (map, unmap, migrate) is a marker or
 * nothing (clsvm_host_order). The backend orders it like any command, copies its argument
 * block, never runs it when a wait event failed, and times it. When nothing needs ordering (no
 * wait list, the in-order queue's earlier commands all ended), the work is done on the caller's
 * thread instead (clsvm_host_now). No user events that anything waits on and no event
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

/* The same command done at once on the caller's thread, when that is the queue's order anyway
 * (queue_tail.h, clsvm_qtail_run_begin): q in order, every command enqueued on it before has
 * ended, no other enqueue under way; the caller has checked that the wait list is empty. fn runs
 * on data itself (not a copy) before this returns. Returns 1 when the command was done or
 * refused (*err says which; refused: fn not run, *event NULL), 0 when it must be enqueued
 * (nothing done). *event (if not NULL) is then a new clsvm event of `type`, already complete,
 * whose profiling times bracket the work on the backend's clock (QUEUED: the call, SUBMIT =
 * START: the work's start, END: its end). */
int clsvm_host_now(clsvm_obj *q, cl_command_type type, clsvm_host_fn fn, void *data,
                   cl_event *event, cl_int *err);

/* Drop the queue references held for host commands whose wait list failed (their work never
 * runs). Called on failure paths only (a failed wait, a negative status answer); cost O(pending
 * commands that hold their queue). */
void clsvm_host_sweep(void);

/* event.c: like clsvm_event_out, but the new event answers CL_EVENT_COMMAND_TYPE with `type`
 * (the backend event is a native kernel standing in for an SVM command). */
cl_int clsvm_event_out_typed(cl_int err, cl_command_queue queue, cl_event be_event, cl_event *event,
                             cl_command_type type);
/* event.c: a new event of q for command type, standing on be_event, which q keeps alive (the
 * wrapper holds q and takes no backend reference: CLSVM_F_BORROWED). CL_OUT_OF_HOST_MEMORY
 * (*event NULL) when no wrapper could be made. */
cl_int clsvm_event_borrowed(clsvm_obj *q, cl_event be_event, cl_command_type type, cl_event *event);
/* event.c: the profiling times (QUEUED, SUBMIT, START, END) of event, a wrapper just made, for
 * a command clsvm runs itself; the caller fills them in before the handle is returned. NULL when
 * out of memory. */
cl_ulong *clsvm_event_host_times(cl_event event);
/* event.c: does queue q profile its commands now (CL_QUEUE_PROFILING_ENABLE; OpenCL 1.0's
 * clSetCommandQueueProperty may change it, so the backend is asked)? */
int clsvm_queue_profiles(const clsvm_obj *q);

#endif
