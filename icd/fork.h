/*
 * fork.h: the ICD's fork() handlers (icd/fork.c installs them). Each module that owns a lock
 * takes it before fork() and releases it after, in the parent and in the child (the 64
 * host-command stripes are instead reset in the child, with their lists), so that a child
 * forked while other threads are inside clsvm finds every clsvm lock free. The
 * runtime's own locks (windows, stats) have their handlers in runtime/src/window_fork.c.
 */
#ifndef CLSVM_ICD_FORK_H
#define CLSVM_ICD_FORK_H

/* object.c: the backend->wrapper map. */
void clsvm_objects_atfork_prepare(void);
void clsvm_objects_atfork_release(void);

/* host_command.c: the stripes of pending host commands, reset in the child (not held). */
void clsvm_host_atfork_child(void);

/* check_alloc.c: the checker's lock. */
void clsvm_check_atfork_prepare(void);
void clsvm_check_atfork_release(void);
/* check_hostaccess.c: its lock (taken after check_alloc.c's, never under it otherwise). */
void clsvm_check_ha_atfork_prepare(void);
void clsvm_check_ha_atfork_release(void);

/* svm_count.c: the tally lock; in the child, tallies left mid-update by threads that are gone
 * are closed. */
void clsvm_svm_count_atfork_prepare(void);
void clsvm_svm_count_atfork_parent(void);
void clsvm_svm_count_atfork_child(void);

/* oclc20/program_state.c: oclc20_state_lock. */
void oclc20_state_atfork_prepare(void);
void oclc20_state_atfork_release(void);

#endif
