/*
 * barrier.c: clsvm_barrier_all(), a memory barrier on every thread of the process
 * (clsvm/internal/barrier.h).
 */
#include "clsvm/internal/barrier.h"

#include "clsvm/internal/log.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_once_t barrier_once = PTHREAD_ONCE_INIT;
static bool barrier_ok;

static int membarrier(int cmd)
{
    return (int)syscall(SYS_membarrier, cmd, 0, 0);
}

static void barrier_init(void)
{
    int cmds = membarrier(MEMBARRIER_CMD_QUERY);
    barrier_ok = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
                 membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
    if (!barrier_ok)
        clsvm_log(CLSVM_LOG_INFO,
                  "membarrier(PRIVATE_EXPEDITED) unavailable (%s): every SVM allocation holds a "
                  "reference on its context, and every SVM free claims its slot with an atomic "
                  "read-modify-write",
                  strerror(errno));
}

bool clsvm_barrier_ok(void)
{
    pthread_once(&barrier_once, barrier_init);
    return barrier_ok;
}

void clsvm_barrier_all(void)
{
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
        return;
    /* Registration is kept across fork(); should the kernel disagree, register again, then try
     * the slow global barrier (an RCU grace period: every CPU passes a barrier). */
    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 &&
        membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
        return;
    if (membarrier(MEMBARRIER_CMD_GLOBAL) == 0)
        return;
    CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                   "membarrier failed (%s): a context released, or an SVM pointer freed by two "
                   "threads, at that very moment may be miscounted",
                   strerror(errno));
}
