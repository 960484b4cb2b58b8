/*
 * test_fork_devsvm: a /dev/svm window (emulated by tools/devsvm-shim, LD_PRELOAD; exits 77
 * without a device) after fork(). The child has no mapping of it (VM_DONTCOPY), so the runtime
 * must refuse every use with CLSVM_ERR_RESERVE and one error line, touch nothing in the range
 * (here the child maps memory of its own there first) and still let the child open a window of
 * its own; the parent's window is unaffected. A small allocation of the parent is found by no
 * lookup in the child either, not even through a view of the window copied before the fork
 * (the ICD's kernel-argument check keeps one in static storage).
 */
#include "check.h"
#include "clsvm/internal/lookup.h"
#include "clsvm/runtime.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)

static clsvm_window *open_window(const char *provider)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 256 * MiB;
    cfg.provider = provider;
    clsvm_window *w = NULL;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    return w;
}

static clsvm_small_view view; /* copied in the parent */

static int child(clsvm_window *w, unsigned char *p, unsigned char *small, int err_fd)
{
    dup2(err_fd, 2);
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    /* The child's own memory where the parent's window was: nothing may unmap or protect it. */
    unsigned char *mine = mmap((void *)(uintptr_t)wi.base, 4 * MiB, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (mine != (void *)(uintptr_t)wi.base)
        return 10; /* the range was not free: the mapping was inherited after all */
    memset(mine, 0x3c, 4 * MiB);
    void *q = (void *)1;
    if (clsvm_alloc(w, 4096, 0, 0, NULL, &q) != CLSVM_ERR_RESERVE || q != NULL)
        return 11;
    if (clsvm_free(w, p) != CLSVM_ERR_RESERVE)
        return 12;
    if (clsvm_free_checked(w, p, NULL, NULL) != CLSVM_ERR_RESERVE)
        return 13;
    clsvm_alloc_info info;
    if (clsvm_lookup(w, p, &info) != CLSVM_ERR_NOTFOUND)
        return 14;
    if (clsvm_lookup(w, small + 8, &info) != CLSVM_ERR_NOTFOUND ||
        clsvm_lookup_small_is(w, small + 8, NULL, UINT32_MAX) ||
        clsvm_lookup_small_in(&view, small + 8, NULL, UINT32_MAX))
        return 18;
    clsvm_stats st;
    clsvm_window_get_stats(w, &st); /* no provider call: the counters as they were */
    if (st.live_allocations != 2 || st.failed_allocs != 1)
        return 15;
    clsvm_window_close(w);
    for (size_t i = 0; i < 4 * MiB; i += 4096)
        if (mine[i] != 0x3c)
            return 16;
    clsvm_window *own = open_window("reserve"); /* the child may have a window of its own */
    void *r;
    if (clsvm_alloc(own, 4096, 0, 0, NULL, &r) != CLSVM_OK)
        return 17;
    memset(r, 1, 4096);
    clsvm_window_close(own);
    return 0;
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    struct stat sb;
    if (stat(cfg.device, &sb) != 0) {
        printf("no %s (run under tools/devsvm-shim): skipped\n", cfg.device);
        return 77;
    }
    clsvm_window *w = open_window("devsvm");
    unsigned char *p;
    CHECK_EQ(clsvm_alloc(w, 8192, 0, 0, NULL, (void **)&p), CLSVM_OK);
    memset(p, 0x5a, 8192);
    unsigned char *small;
    CHECK_EQ(clsvm_alloc(w, 64, 0, 0, NULL, (void **)&small), CLSVM_OK);
    view = clsvm_lookup_small_view(w);
    CHECK_EQ(clsvm_lookup_small_is(w, small + 8, NULL, UINT32_MAX), 1); /* from a slab */
    CHECK_EQ(clsvm_lookup_small_in(&view, small + 8, NULL, UINT32_MAX), 1);
    int fd[2];
    CHECK_EQ(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fd[0]);
        _exit(child(w, p, small, fd[1]));
    }
    close(fd[1]);
    char msg[4096];
    ssize_t n = read(fd[0], msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = '\0';
    close(fd[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x, its stderr:\n%s", st, msg);
    /* Exactly one line, naming the provider, the parent and the reason. */
    CHECK_MSG(strstr(msg, "devsvm window") && strstr(msg, "not inherited across fork()"),
              "the child's stderr: %s", msg);
    CHECK_MSG(!strstr(strstr(msg, "\n") + 1, "window:"), "more than one line: %s", msg);
    char parent[32];
    snprintf(parent, sizeof parent, "process %d,", (int)getpid());
    CHECK_MSG(strstr(msg, parent), "no '%s' in: %s", parent, msg);
    /* The parent's window and data are untouched. */
    for (size_t i = 0; i < 8192; i++)
        CHECK_EQ(p[i], 0x5a);
    CHECK_EQ(clsvm_lookup_small_in(&view, small + 8, NULL, UINT32_MAX), 1);
    CHECK_EQ(clsvm_free(w, small), CLSVM_OK);
    CHECK_EQ(clsvm_lookup_small_in(&view, small + 8, NULL, UINT32_MAX), 0);
    CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    printf("fork child: every use of the parent's devsvm window refused with one line\n");
    return 0;
}
