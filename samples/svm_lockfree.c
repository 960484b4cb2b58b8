/* svm-lockfree: a lock-free (Treiber) stack in fine-grain SVM that two host threads and a
 * kernel push onto at the same time, each with compare-and-swap on the same head pointer
 * (CL_MEM_SVM_ATOMICS makes host and device CAS atomic with respect to each other). Afterwards
 * the host walks the stack: every node must be there exactly once, and each host thread's
 * nodes in the reverse of the order it pushed them.
 *   usage: svm-lockfree [nodes]   (default 20000: half pushed by the device, half by the host) */
#include "svm_sample.h"
#include "svm_lockfree_cl.h"

#include <assert.h>
#include <pthread.h>
#include <stddef.h>

enum { HOST_THREADS = 2 };
/* Polls of the go flag before a pusher gives up (its nodes are then reported missing). */
#define SPIN_LIMIT 400000000L

/* Same layouts as in kernels/svm_lockfree.cl. */
typedef struct node {
    struct node *next;
    cl_int owner; /* 0 = device, t + 1 = host thread t */
    cl_int seq;   /* push order within the owner */
    cl_uint payload;
    cl_uint pad;
} node;
typedef struct stack {
    node *head;
    cl_int go;
    cl_int retries; /* device's failed CAS attempts */
} stack;
static_assert(sizeof(node) == 24 && offsetof(stack, go) == 8, "must match the kernel's layout");

/* The same stand-in for real work as payload_of() in the kernel: it spreads the pushes over
 * some milliseconds, so host and device really do push at the same time. */
enum { ROUNDS = 2000 };
static cl_uint payload_of(cl_uint x)
{
    for (int r = 0; r < ROUNDS; r++)
        x = x * 1664525u + 1013904223u;
    return x;
}

typedef struct pusher {
    pthread_t thread;
    stack *st;
    node *nodes; /* this thread's own nodes */
    size_t count;
    cl_int owner;
    long retries;
} pusher;

static void *host_push(void *arg)
{
    pusher *p = arg;
    for (long idle = 0; __atomic_load_n(&p->st->go, __ATOMIC_ACQUIRE) == 0;)
        if (++idle > SPIN_LIMIT)
            return NULL;
    for (size_t i = 0; i < p->count; i++) {
        node *n = &p->nodes[i];
        n->owner = p->owner;
        n->seq = (cl_int)i;
        n->payload = payload_of((cl_uint)(p->owner << 24) + (cl_uint)i);
        n->next = __atomic_load_n(&p->st->head, __ATOMIC_ACQUIRE);
        /* On failure the CAS stores the current head into n->next: just try again. Release
         * order publishes the node's fields together with the pointer to it. */
        while (!__atomic_compare_exchange_n(&p->st->head, &n->next, n, 1, __ATOMIC_RELEASE,
                                            __ATOMIC_ACQUIRE))
            p->retries++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    size_t n = sample_size("svm-lockfree", argc, argv, 20000, 100000000);
    sample s;
    sample_open(&s, "svm-lockfree", CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS);
    size_t ext_size = 0;
    CHECK_CL(&s, clGetDeviceInfo(s.device, CL_DEVICE_EXTENSIONS, 0, NULL, &ext_size));
    char *ext = calloc(1, ext_size + 1);
    CHECK(&s, ext, "out of host memory");
    CHECK_CL(&s, clGetDeviceInfo(s.device, CL_DEVICE_EXTENSIONS, ext_size, ext, NULL));
    int has_int64_atomics = strstr(ext, "cl_khr_int64_base_atomics") != NULL;
    free(ext);
    if (!has_int64_atomics) {
        printf("svm-lockfree: skipped: the device cannot CAS a 64-bit pointer "
               "(no cl_khr_int64_base_atomics)\n");
        return SAMPLE_SKIP;
    }
    char options[64];
    snprintf(options, sizeof options, "-DSPIN_LIMIT=%ldL -DROUNDS=%d", SPIN_LIMIT, ROUNDS);
    sample_build(&s, svm_lockfree_cl, options);
    cl_kernel push = sample_kernel(&s, "push");

    /* The head is CASed by everyone: fine-grain with atomics. The nodes are written only by
     * their pusher before being published and read by the host after everything finished, so
     * fine-grain without atomics is enough for them. */
    const cl_svm_mem_flags fine = CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER;
    stack *st = sample_svm_alloc(&s, fine | CL_MEM_SVM_ATOMICS, sizeof *st);
    node *nodes = sample_svm_alloc(&s, fine, n * sizeof *nodes);
    memset(st, 0, sizeof *st);
    memset(nodes, 0, n * sizeof *nodes);

    /* The device pushes nodes [0, n_dev), host thread t the next share. */
    size_t n_dev = n / 2, n_host = n - n_dev;
    pusher host[HOST_THREADS];
    size_t first = n_dev;
    for (int t = 0; t < HOST_THREADS; t++) {
        size_t share = n_host / HOST_THREADS + ((size_t)t < n_host % HOST_THREADS);
        host[t] = (pusher){.st = st, .nodes = &nodes[first], .count = share, .owner = t + 1};
        first += share;
        CHECK(&s, pthread_create(&host[t].thread, NULL, host_push, &host[t]) == 0,
              "pthread_create failed");
    }
    if (n_dev) {
        CHECK_CL(&s, clSetKernelArgSVMPointer(push, 0, st));
        CHECK_CL(&s, clSetKernelArgSVMPointer(push, 1, nodes));
        CHECK_CL(&s, clEnqueueNDRangeKernel(s.queue, push, 1, NULL, &n_dev, NULL, 0, NULL, NULL));
    }
    /* The kernel is on its way; now let everyone push at once. */
    CHECK_CL(&s, clFlush(s.queue));
    __atomic_store_n(&st->go, 1, __ATOMIC_RELEASE);
    long host_retries = 0;
    for (int t = 0; t < HOST_THREADS; t++) {
        pthread_join(host[t].thread, NULL);
        host_retries += host[t].retries;
    }
    CHECK_CL(&s, clFinish(s.queue));

    /* Walk the stack. Each node must be seen once; a host thread's nodes come out newest
     * first, i.e. with its seq numbers falling (LIFO per pusher). */
    char *seen = calloc(n, 1);
    cl_int last_seq[HOST_THREADS + 1];
    for (int t = 0; t <= HOST_THREADS; t++)
        last_seq[t] = INT32_MAX;
    CHECK(&s, seen, "out of host memory");
    size_t count = 0, bad = 0, switches = 0;
    for (node *p = st->head; p && count <= n; p = p->next, count++) {
        switches += p->next && (p->owner == 0) != (p->next->owner == 0);
        ptrdiff_t i = p - nodes;
        CHECK(&s, i >= 0 && (size_t)i < n, "stack entry %zu points outside the nodes: %p", count,
              (void *)p);
        CHECK(&s, !seen[i]++, "node %td is on the stack twice", i);
        cl_uint want = payload_of((cl_uint)(p->owner << 24) + (cl_uint)p->seq);
        if (p->payload != want && bad++ < 5)
            fprintf(stderr, "svm-lockfree: node %td: payload %#x, expected %#x\n", i, p->payload,
                    want);
        if (p->owner < 0 || p->owner > HOST_THREADS || (p->owner == 0 && (size_t)i >= n_dev)) {
            if (bad++ < 5)
                fprintf(stderr, "svm-lockfree: node %td has owner %d\n", i, p->owner);
        } else if (p->owner > 0) {
            if (p->seq >= last_seq[p->owner] && bad++ < 5)
                fprintf(stderr, "svm-lockfree: host thread %d's node %d came after %d\n",
                        p->owner - 1, p->seq, last_seq[p->owner]);
            last_seq[p->owner] = p->seq;
        }
    }
    printf("svm-lockfree: %zu nodes on the stack (%zu pushed by the device, %zu by %d host "
           "threads)\n",
           count, n_dev, n_host, HOST_THREADS);
    /* Evidence that both sides pushed at the same time (not checked: timing decides it). */
    printf("svm-lockfree: host and device nodes alternate %zu times; failed CAS: device %d, "
           "host %ld\n",
           switches, st->retries, host_retries);
    CHECK(&s, count == n, "the stack holds %zu nodes, expected %zu", count, n);
    CHECK(&s, bad == 0, "%zu nodes are wrong", bad);
    sample_print_range(&s);

    free(seen);
    clSVMFree(s.context, nodes);
    clSVMFree(s.context, st);
    clReleaseKernel(push);
    sample_close(&s);
    printf("svm-lockfree: ok\n");
    return 0;
}
