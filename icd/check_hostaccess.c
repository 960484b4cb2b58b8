/*
 * check_hostaccess.c: host accesses to coarse-grain SVM outside map/unmap (CLSVM_CHECK=hostaccess,
 * docs/checker.md). Every SVM allocation starts on a page of its own (clsvm_check_ha_align); a
 * coarse-grain one is mprotect'ed PROT_NONE whenever nothing may touch it: open while the host
 * has it mapped (from the map's enqueue to the unmap's), while a kernel given it (argument or
 * exec-info pointer) is enqueued and not complete, while clsvm's own memcpy/fill work runs on it,
 * and while the red zone check reads the guards. A host access to it otherwise raises SIGSEGV:
 * the handler reports it (async-signal-safe: write(2) and backtrace_symbols_fd only), opens the
 * allocation for good (one report per allocation) and returns, so the access is made again and
 * succeeds; a fault elsewhere goes to the handler installed before clsvm's.
 *
 * Locking: one mutex, a leaf (the checker's other locks and the backend are used outside it;
 * mprotect is called under it so that a record's state and its pages agree). The SIGSEGV handler
 * takes it too: no code holding it touches SVM memory, so a thread never faults while it holds
 * it, and the handler only waits for other threads.
 */
#include "check.h"
#include "svm.h"

#include "clsvm/internal/log.h"

#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

typedef struct rec {
    struct rec *next;
    char *base;
    size_t size;     /* the application's */
    size_t span;     /* the pages it covers: size plus red zone guard, rounded up to a page */
    uint64_t serial; /* check_alloc.c's: tells two allocations at one address apart */
    unsigned maps;   /* maps enqueued and not unmapped yet */
    unsigned uses;   /* kernels and clsvm work under way */
    unsigned char open_for_good; /* reported, backs a memory object, or mprotect failed */
    unsigned char prot;          /* its pages are PROT_NONE now */
} rec;

#define NBUCKETS 4096
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static rec *buckets[NBUCKETS];
static unsigned paused; /* clsvm_check_ha_pause depth: everything open */
static size_t page;
static clsvm_window *window;
static struct sigaction previous, ours;
static void on_segv(int sig, siginfo_t *si, void *uc);
static pthread_once_t install_once = PTHREAD_ONCE_INIT, page_once = PTHREAD_ONCE_INIT;

static rec **find(const void *base)
{
    rec **r = &buckets[((uintptr_t)base >> 12) % NBUCKETS];
    while (*r && (*r)->base != base)
        r = &(*r)->next;
    return r;
}

/* Make r's pages agree with its state. Lock held. */
static void update(rec *r)
{
    int want = !paused && !r->open_for_good && !r->maps && !r->uses;
    if (want == r->prot)
        return;
    if (mprotect(r->base, r->span, want ? PROT_NONE : PROT_READ | PROT_WRITE) == 0) {
        r->prot = (unsigned char)want;
        return;
    }
    /* Typically ENOMEM: each protected allocation splits the window's mapping, and the process
     * has run out of mappings (vm.max_map_count). */
    CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                   "check: hostaccess: mprotect of an SVM allocation failed (%s); some "
                   "coarse-grain allocations go unchecked",
                   strerror(errno));
    if (want)
        r->open_for_good = 1;
}

/* ---- the SIGSEGV handler: async-signal-safe output only ---- */

typedef struct text {
    char buf[1024];
    size_t len;
} text;

static void put(text *t, const char *s)
{
    while (*s && t->len < sizeof t->buf)
        t->buf[t->len++] = *s++;
}

static void put_num(text *t, uintptr_t v, int hex)
{
    char d[32];
    int n = 0;
    unsigned base = hex ? 16 : 10;
    do {
        d[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (hex)
        put(t, "0x");
    while (n && t->len < sizeof t->buf)
        t->buf[t->len++] = d[--n];
}

static void flush(text *t)
{
    for (size_t done = 0; done < t->len;) {
        ssize_t k = write(STDERR_FILENO, t->buf + done, t->len - done);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    t->len = 0;
}

static void report(uintptr_t addr, const char *base, size_t size, int is_write, void *pc)
{
    text t = {.len = 0};
    put(&t, "clsvm check [hostaccess]: host ");
    put(&t, is_write < 0 ? "access" : is_write ? "write" : "read");
    put(&t, " at ");
    put_num(&t, addr, 1);
    put(&t, " to the coarse-grain SVM allocation ");
    put_num(&t, (uintptr_t)base, 1);
    put(&t, " (");
    put_num(&t, size, 0);
    put(&t, " bytes) outside clEnqueueSVMMap/clEnqueueSVMUnmap\n  ");
    if (addr - (uintptr_t)base < size) {
        put(&t, "byte ");
        put_num(&t, addr - (uintptr_t)base, 0);
        put(&t, " of the allocation");
    } else {
        put(&t, "byte ");
        put_num(&t, addr - (uintptr_t)base - size, 0);
        put(&t, " past its end (in the rest of its last page)");
    }
    put(&t, "; accessed at:\n");
    flush(&t);
    void *frames[32];
    int n = backtrace(frames, 32), first = 0;
    /* Start at the faulting instruction: the frames before it are this handler's. */
    while (first < n && frames[first] != pc)
        first++;
    if (first == n)
        first = n > 2 ? 2 : 0;
    for (int i = first, shown = 0; i < n && shown < 8; i++, shown++) {
        put(&t, "    #");
        put_num(&t, (uintptr_t)shown, 0);
        put(&t, " ");
        flush(&t);
        backtrace_symbols_fd(&frames[i], 1, STDERR_FILENO);
    }
    put(&t, "  fix: map it (clEnqueueSVMMap) before the host touches it and unmap it "
            "(clEnqueueSVMUnmap) before a command uses it, or allocate it with "
            "CL_MEM_SVM_FINE_GRAIN_BUFFER; it stays unprotected from now on (one report per "
            "allocation)\n");
    flush(&t);
}

/* The handler that was there before clsvm's, for a fault that is not clsvm's. One that puts
 * back the handler it replaced and returns, for the fault to come again there (LLVM's, which
 * pocl installs), also removes clsvm's: it is put back on top. */
static void chain(int sig, siginfo_t *si, void *uc)
{
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        if (previous.sa_flags & SA_SIGINFO)
            previous.sa_sigaction(sig, si, uc);
        else
            previous.sa_handler(sig);
        struct sigaction now;
        if (sigaction(SIGSEGV, NULL, &now) == 0 && now.sa_sigaction != on_segv)
            sigaction(SIGSEGV, &ours, &previous);
        return;
    }
    /* Default: the faulting access is made again on return, now without clsvm's handler, and
     * ends the process as it would have without clsvm; a SIGSEGV sent by kill() is raised
     * again (delivered on return). */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGSEGV, &dfl, NULL);
    if (si->si_code <= 0)
        raise(sig);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    uintptr_t a = (uintptr_t)si->si_addr;
    clsvm_alloc_info in;
    /* A byte in the rest of an allocation's last page lies in no allocation: the first byte of
     * its page does. */
    if (si->si_code == SEGV_ACCERR && window &&
        (clsvm_lookup(window, (void *)a, &in) == CLSVM_OK ||
         clsvm_lookup(window, (void *)(a & ~(uintptr_t)(page - 1)), &in) == CLSVM_OK)) {
        pthread_mutex_lock(&lock);
        rec *r = *find(in.base);
        int mine = r && a - (uintptr_t)r->base < r->span, first = 0;
        char *base = r ? r->base : NULL;
        size_t size = r ? r->size : 0;
        if (mine && r->prot && !r->open_for_good) {
            first = 1;
            r->open_for_good = 1;
            update(r);
        }
        if (mine && r->prot)
            mine = 0; /* could not be opened: retrying would fault forever */
        pthread_mutex_unlock(&lock);
        if (mine) {
            /* Not first: another thread opened it meanwhile; the access is simply retried. */
            if (first) {
                int is_write = -1;
                void *pc = NULL;
#if defined(__x86_64__)
                const ucontext_t *u = uc;
                is_write = (u->uc_mcontext.gregs[REG_ERR] & 2) != 0;
                pc = (void *)u->uc_mcontext.gregs[REG_RIP];
#endif
                clsvm_check_count(CLSVM_CHECK_HOSTACCESS);
                clsvm_check_json_add_signalled(a, (uintptr_t)base, size, is_write);
                report(a, base, size, is_write, pc);
                if (clsvm_option_int(CLSVM_OPT_CHECK_ABORT)) {
                    static const char msg[] = "clsvm check: CLSVM_CHECK_ABORT=1, aborting\n";
                    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
                        /* nothing more to say */
                    }
                    abort();
                }
            }
            errno = saved;
            return;
        }
    }
    errno = saved;
    chain(sig, si, uc);
}

static void install(void)
{
    window = clsvm_svm_window();
    void *warm[2];
    backtrace(warm, 2); /* loads what backtrace() needs now, not in the handler */
    ours.sa_sigaction = on_segv;
    ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&ours.sa_mask);
    if (sigaction(SIGSEGV, &ours, &previous) != 0)
        clsvm_log(CLSVM_LOG_WARN,
                  "check: hostaccess: no SIGSEGV handler (%s); host accesses "
                  "to coarse-grain SVM will crash unreported",
                  strerror(errno));
}

/* ---- the hooks ---- */

static void page_init(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
}

size_t clsvm_check_ha_align(size_t align)
{
    pthread_once(&page_once, page_init);
    return align > page ? align : page;
}

void clsvm_check_ha_alloc(void *p, size_t size, size_t guard, uint32_t flags)
{
    clsvm_check_alloc a;
    if ((flags & CL_MEM_SVM_FINE_GRAIN_BUFFER) || !clsvm_check_which(p, &a))
        return; /* exempt by definition, or unrecorded (out of memory) */
    clsvm_check_ha_align(0);
    if ((uintptr_t)p % page)
        return; /* not on a page of its own: protecting it would hit a neighbour */
    pthread_once(&install_once, install);
    rec *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->base = p;
    r->size = size;
    r->span = (size + guard + page - 1) & ~(page - 1);
    r->serial = a.serial;
    pthread_mutex_lock(&lock);
    rec **at = find(p);
    r->next = *at;
    *at = r;
    update(r);
    pthread_mutex_unlock(&lock);
}

void clsvm_check_ha_forget(void *base)
{
    pthread_mutex_lock(&lock);
    rec **at = find(base), *r = *at;
    if (r) {
        *at = r->next;
        r->open_for_good = 1;
        update(r); /* its pages go back to the window readable and writable */
    }
    pthread_mutex_unlock(&lock);
    free(r);
}

/* Apply fn(record, arg) to the record of the live allocation containing p, if it has one. */
static void change(const void *p, void (*fn)(rec *, int), int arg)
{
    clsvm_alloc_info in;
    if (!clsvm_svm_lookup(p, &in))
        return;
    pthread_mutex_lock(&lock);
    rec *r = *find(in.base);
    if (r) {
        fn(r, arg);
        update(r);
    }
    pthread_mutex_unlock(&lock);
}

static void count_use(rec *r, int delta)
{
    if (delta > 0)
        r->uses++;
    else if (r->uses)
        r->uses--;
}

static void count_map(rec *r, int delta)
{
    if (delta > 0)
        r->maps++;
    else if (r->maps) /* an unmap without a map: the spec leaves it undefined */
        r->maps--;
}

static void exempt(rec *r, int unused)
{
    (void)unused;
    r->open_for_good = 1;
}

void clsvm_check_ha_use(const void *p, int delta)
{
    change(p, count_use, delta);
}

void clsvm_check_ha_map(const void *p, int delta)
{
    change(p, count_map, delta);
}

void clsvm_check_ha_exempt(const void *p)
{
    change(p, exempt, 0);
}

/* The allocations a kernel command holds open: base and serial of each. */
typedef struct held {
    size_t n;
    clsvm_check_alloc a[];
} held;

/* Count (delta +1) or release (-1) the uses of h's allocations still live. */
static void hold(held *h, int delta)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < h->n; i++) {
        rec *r = *find(h->a[i].base);
        if (r && r->serial == h->a[i].serial) {
            count_use(r, delta);
            update(r);
        }
    }
    pthread_mutex_unlock(&lock);
}

void *clsvm_check_ha_kernel_begin(const void *kernel)
{
    size_t n = 0;
    clsvm_check_alloc *a = clsvm_check_kernel_allocs(kernel, &n);
    held *h = n ? malloc(sizeof *h + n * sizeof h->a[0]) : NULL;
    if (h) {
        h->n = n;
        memcpy(h->a, a, n * sizeof *a);
        hold(h, 1);
    }
    free(a);
    return h;
}

static void CL_CALLBACK kernel_done(cl_event ev, cl_int status, void *user)
{
    (void)ev;
    (void)status;
    hold(user, -1);
    free(user);
}

void clsvm_check_ha_kernel_end(void *h, int err, void *be_event)
{
    if (!h)
        return;
    if (err == CL_SUCCESS && be_event && clsvm_be->clSetEventCallback &&
        clsvm_be->clSetEventCallback(be_event, CL_COMPLETE, kernel_done, h) == CL_SUCCESS)
        return;
    if (err == CL_SUCCESS) {
        /* Without a completion callback the end of the kernel is unknown: open for good. */
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "check: hostaccess: no completion callback for a "
                                       "kernel; its SVM allocations stay unprotected");
        held *k = h;
        pthread_mutex_lock(&lock);
        for (size_t i = 0; i < k->n; i++) {
            rec *r = *find(k->a[i].base);
            if (r && r->serial == k->a[i].serial)
                r->open_for_good = 1;
        }
        pthread_mutex_unlock(&lock);
    }
    hold(h, -1);
    free(h);
}

void clsvm_check_ha_pause(int on)
{
    pthread_mutex_lock(&lock);
    if (on)
        paused++;
    else if (paused)
        paused--;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (rec *r = buckets[i]; r; r = r->next)
            update(r);
    pthread_mutex_unlock(&lock);
}

void clsvm_check_ha_atfork_prepare(void)
{
    pthread_mutex_lock(&lock);
}

void clsvm_check_ha_atfork_release(void)
{
    pthread_mutex_unlock(&lock);
}
