/* svm_fine_grain_memory_consistency: the OpenCL memory model across host and device on
 * fine-grain SVM with CL_MEM_SVM_ATOMICS (OpenCL 3.0 API 5.6.1, OpenCL C 3.0 6.15.12, scope
 * memory_scope_all_svm_devices):
 *   - a lock-free stack: work-items and a host thread push nodes concurrently with
 *     compare-exchange (release), plain stores before it must be visible to whoever acquires;
 *     afterwards every node is on the stack exactly once with its payload;
 *   - message passing both ways while the kernel runs: plain data then a release store, read
 *     after an acquire load that saw it, must be complete. Spins are bounded, so a lost
 *     store fails the test instead of hanging it. */
#include "conf.h"

#include <pthread.h>

static const char *src =
    "#define S memory_scope_all_svm_devices\n"
    "typedef struct node { int next; int payload; } node;\n"
    "kernel void k_push(global atomic_int *head, global node *pool, uint per)\n"
    "{\n"
    "    for (uint j = 0; j < per; j++) {\n"
    "        int id = (int)(get_global_id(0) * per + j);\n"
    "        pool[id].payload = id * 3 + 1;\n"
    "        int old = atomic_load_explicit(head, memory_order_relaxed, S);\n"
    "        do {\n"
    "            pool[id].next = old;\n"
    "        } while (!atomic_compare_exchange_weak_explicit(head, &old, id,\n"
    "                     memory_order_release, memory_order_relaxed, S));\n"
    "    }\n"
    "}\n"
    "kernel void k_message(global int *to_host, global atomic_int *flags,\n"
    "                      global const int *from_host, global int *copy, uint n)\n"
    "{\n"
    "    for (uint i = 0; i < n; i++)\n"
    "        to_host[i] = (int)(i * i + 3);\n"
    "    atomic_store_explicit(&flags[0], 1, memory_order_release, S);\n"
    "    uint polls = 0;\n"
    "    while (atomic_load_explicit(&flags[1], memory_order_acquire, S) == 0)\n"
    "        if (++polls == (1u << 30)) { copy[0] = -1; return; }\n"
    "    for (uint i = 0; i < n; i++)\n"
    "        copy[i] = from_host[i];\n"
    "}\n";

typedef struct node {
    cl_int next;
    cl_int payload;
} node;

enum {
    ITEMS = 256,
    PER = 16,
    DEV_NODES = ITEMS * PER,
    HOST_NODES = 20000,
    NODES = DEV_NODES + HOST_NODES,
    MSG = 4096
};

typedef struct pusher {
    cl_int *head;
    node *pool;
} pusher;

static void *host_push(void *arg)
{
    pusher *h = arg;
    for (int id = DEV_NODES; id < NODES; id++) {
        h->pool[id].payload = id * 3 + 1;
        cl_int old = __atomic_load_n(h->head, __ATOMIC_RELAXED);
        do {
            h->pool[id].next = old;
        } while (
            !__atomic_compare_exchange_n(h->head, &old, id, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    }
    return NULL;
}

static void stack(const conf_env *e, cl_program p)
{
    cl_kernel k = conf_kernel(p, "k_push");
    const cl_svm_mem_flags at = CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS;
    cl_int *head = conf_alloc(e, at, sizeof(cl_int));
    node *pool = conf_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, NODES * sizeof(node));
    for (int rep = 0; rep < 2; rep++) {
        *head = -1;
        memset(pool, 0, NODES * sizeof(node));
        cl_uint per = PER;
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, head));
        CHECK_CL(clSetKernelArgSVMPointer(k, 1, pool));
        CHECK_CL(clSetKernelArg(k, 2, sizeof per, &per));
        size_t items = ITEMS;
        pusher h = {head, pool};
        pthread_t t;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &items, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e->queue));
        CHECK(pthread_create(&t, NULL, host_push, &h) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        CHECK_CL(clFinish(e->queue));
        unsigned char *seen = calloc(NODES, 1);
        CHECK(seen);
        int n = 0;
        for (cl_int id = __atomic_load_n(head, __ATOMIC_ACQUIRE); id != -1; id = pool[id].next) {
            CHECK_MSG(id >= 0 && id < NODES && !seen[id], "rep %d: node %d bad or repeated", rep,
                      id);
            seen[id] = 1;
            CHECK_MSG(pool[id].payload == id * 3 + 1, "node %d payload %d", id, pool[id].payload);
            n++;
        }
        CHECK_EQ(n, NODES);
        free(seen);
    }
    clSVMFree(e->context, head);
    clSVMFree(e->context, pool);
    CHECK_CL(clReleaseKernel(k));
}

static void messages(const conf_env *e, cl_program p)
{
    cl_kernel k = conf_kernel(p, "k_message");
    cl_int *to_host = conf_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, MSG * sizeof(cl_int));
    cl_int *from_host = conf_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, MSG * sizeof(cl_int));
    cl_int *copy = conf_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, MSG * sizeof(cl_int));
    cl_int *flags =
        conf_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, 2 * sizeof(cl_int));
    flags[0] = flags[1] = 0;
    memset(to_host, 0, MSG * sizeof(cl_int));
    memset(copy, 0, MSG * sizeof(cl_int));
    cl_uint n = MSG;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, to_host));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, flags));
    CHECK_CL(clSetKernelArgSVMPointer(k, 2, from_host));
    CHECK_CL(clSetKernelArgSVMPointer(k, 3, copy));
    CHECK_CL(clSetKernelArg(k, 4, sizeof n, &n));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clFlush(e->queue));
    /* Host -> device: the kernel waits for this before copying. */
    for (int i = 0; i < MSG; i++)
        from_host[i] = 5 * i - 7;
    __atomic_store_n(&flags[1], 1, __ATOMIC_RELEASE);
    /* Device -> host, read while the kernel may still be running. */
    CHECK_MSG(conf_wait_at_least((const cl_uint *)&flags[0], 1, NULL, CONF_WAIT_SECONDS) == 0,
              "device release store not seen in %.0f s", CONF_WAIT_SECONDS);
    for (int i = 0; i < MSG; i++)
        CHECK_MSG(to_host[i] == i * i + 3, "after acquire: to_host[%d] = %d", i, to_host[i]);
    CHECK_CL(clFinish(e->queue));
    CHECK_MSG(copy[0] != -1, "kernel never saw the host's release store");
    for (int i = 0; i < MSG; i++)
        CHECK_MSG(copy[i] == 5 * i - 7, "kernel copied from_host[%d] = %d", i, copy[i]);
    clSVMFree(e->context, to_host);
    clSVMFree(e->context, from_host);
    clSVMFree(e->context, copy);
    clSVMFree(e->context, flags);
    CHECK_CL(clReleaseKernel(k));
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    CHECK(conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS));
    cl_program p = conf_program(&e, src, "-cl-std=CL2.0");
    stack(&e, p);
    if (conf_part_runs(&e, "message passing while the kernel runs"))
        messages(&e, p);
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return test_exit_code();
}
