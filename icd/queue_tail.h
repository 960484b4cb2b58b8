/* queue_tail.h: the last command of an in-order queue, so that a command which only orders (a
 * blocking clEnqueueSVMMap with no wait list and no event) can tell that everything before it
 * has completed without enqueuing a marker and waking a backend thread for it.
 *
 * Every path that enqueues on a backend queue brackets the backend call with
 * clsvm_qtail_begin/clsvm_qtail_end and asks the backend for the command's event. In an in-order
 * queue the completion of the last command implies the completion of every earlier one, so that
 * event stands for the whole queue. When two threads enqueue on one queue at the same time their
 * backend order is unknown, and the tail is forgotten until a later enqueue runs alone; an
 * out-of-order queue has no tail. A forgotten tail only sends the caller the slow (marker) way. */
#ifndef CLSVM_QUEUE_TAIL_H
#define CLSVM_QUEUE_TAIL_H

#include "icd.h"

/* The tail state of a new queue (kept in its ext); NULL when out of order or out of memory,
 * which makes every call below a no-op or "unknown". */
void *clsvm_qtail_new(cl_command_queue_properties props);
/* Drop the event held (the queue is being destroyed); does not free the state. */
void clsvm_qtail_clear(void *state);
/* The queue became out of order (clSetCommandQueueProperty): no tail from now on. */
void clsvm_qtail_disable(clsvm_obj *q);

/* Around a backend enqueue on q: begin before it, end after it with enqueued != 0 when it
 * succeeded; ev is the command's backend event (not consumed; may be NULL only when the command
 * was not enqueued, or the tail is forgotten). */
void clsvm_qtail_begin(clsvm_obj *q);
void clsvm_qtail_end(clsvm_obj *q, int enqueued, cl_event ev);

/* 1: every command enqueued on q before this call has ended (completed or failed); 0: not known
 * (*wait NULL), or not ended and *wait set to a retained backend event that stands for all of
 * them (the caller waits on it and releases it). */
int clsvm_qtail_done(clsvm_obj *q, cl_event *wait);

/* A command run on the caller's thread instead of being enqueued (host_command.h,
 * clsvm_host_now). 1: q is in order, no enqueue on it is under way and every command enqueued
 * on it has ended (completed or failed), so the caller may do the work now, as the queue's next
 * command; it must then call clsvm_qtail_run_end(q), and until it does, enqueues on q wait in
 * clsvm_qtail_begin (a later command runs after the work, as in the queue), and another thread's
 * clsvm_qtail_run_begin answers 0. 0: not known, not ended, or another enqueue is under way;
 * nothing to undo. The tail is unchanged: the work has ended when run_end is called. */
int clsvm_qtail_run_begin(clsvm_obj *q);
void clsvm_qtail_run_end(clsvm_obj *q);

/* A backend user event of q's context that completed before anything could wait on it, made once
 * per queue and shared by the events of the commands run on the caller's thread (no create,
 * complete and release per command). Not retained for the caller: q holds it until q is
 * destroyed, so a wrapper that holds q may use it (CLSVM_F_BORROWED). NULL for an out-of-order
 * queue, a backend without user events, or when none could be made. */
cl_event clsvm_qtail_complete_event(clsvm_obj *q);

#endif
