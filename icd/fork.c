/*
 * fork.c: installs the ICD's fork() handlers (fork.h) when libclsvm is loaded. The ICD's locks
 * are leaves (none is held while another clsvm lock is taken), so their order here is free.
 * After fork() a child can allocate, free and use SVM memory and exit; it cannot use the
 * backend (pocl's threads do not survive fork(); docs/reliability.md).
 */
#include "fork.h"

#include "clsvm/internal/log.h"

#include <pthread.h>

static void prepare(void)
{
    oclc20_state_atfork_prepare();
    clsvm_objects_atfork_prepare();
    clsvm_check_atfork_prepare();
    clsvm_check_ha_atfork_prepare();
    clsvm_svm_count_atfork_prepare();
}

/* The locks the parent and the child both release, in the reverse order of prepare(). */
static void release_common(void)
{
    clsvm_check_ha_atfork_release();
    clsvm_check_atfork_release();
    clsvm_objects_atfork_release();
    oclc20_state_atfork_release();
}

static void parent(void)
{
    clsvm_svm_count_atfork_parent();
    release_common();
}

static void child(void)
{
    clsvm_svm_count_atfork_child();
    release_common();
    clsvm_host_atfork_child();
}

__attribute__((constructor)) static void install(void)
{
    if (pthread_atfork(prepare, parent, child))
        clsvm_log(CLSVM_LOG_WARN, "icd: pthread_atfork failed; a process forked while another "
                                  "thread is inside clsvm may hang in its child");
}
