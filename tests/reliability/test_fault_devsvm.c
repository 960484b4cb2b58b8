/*
 * test_fault_devsvm: /dev/svm ioctl failures (CLSVM_FAULT=ioctl:N) on the devsvm provider,
 * emulated by tools/devsvm-shim (LD_PRELOAD; exits 77 when no device is there).
 *  - the first ioctl (SVM_IOC_GET_INFO) failing makes a devsvm window fail with
 *    CLSVM_ERR_RESERVE and an auto window fall back to the reserve provider;
 *  - SVM_IOC_RELEASE failing on decommit leaves the free successful (MADV_DONTNEED fallback),
 *    the heap valid and the other allocations intact; later allocations work.
 */
#include "rel_model.h"

#include "fault.h"

#include <stdio.h>
#include <sys/stat.h>

#define MiB ((size_t)1 << 20)

static int open_window(const char *provider, clsvm_window **w)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 256 * MiB;
    cfg.provider = provider;
    *w = NULL;
    return clsvm_window_open(&cfg, w);
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    struct stat st;
    if (stat(cfg.device, &st) != 0) {
        printf("no %s (run under tools/devsvm-shim): skipped\n", cfg.device);
        return 77;
    }
    clsvm_window *w;
    unsigned long long injected = 0;

    CHECK_EQ(clsvm_fault_arm("ioctl:1"), 0);
    CHECK_EQ(open_window("devsvm", &w), CLSVM_ERR_RESERVE);
    CHECK(w == NULL);
    injected += clsvm_fault_injected(CLSVM_FAULT_IOCTL);

    CHECK_EQ(clsvm_fault_arm("ioctl:1"), 0);
    CHECK_EQ(open_window("auto", &w), CLSVM_OK);
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    CHECK_MSG(!strcmp(wi.provider, "reserve"), "auto chose %s after a failed GET_INFO",
              wi.provider);
    clsvm_window_close(w);
    injected += clsvm_fault_injected(CLSVM_FAULT_IOCTL);

    /* Working device; every ioctl after the window is open fails. */
    CHECK_EQ(clsvm_fault_arm(NULL), 0);
    CHECK_EQ(open_window("devsvm", &w), CLSVM_OK);
    clsvm_window_get_info(w, &wi);
    CHECK(!strcmp(wi.provider, "devsvm"));
    rel_model m = {.w = w};
    CHECK_EQ(rel_model_alloc(&m, MiB, 0), CLSVM_OK);
    CHECK_EQ(rel_model_alloc(&m, 32 * MiB, 0), CLSVM_OK);
    CHECK_EQ(rel_model_alloc(&m, 32 * MiB, 0), CLSVM_OK);
    CHECK_EQ(clsvm_fault_arm("ioctl:1+"), 0);
    rel_model_free(&m, 2);
    rel_model_free(&m, 1);
    CHECK(clsvm_fault_injected(CLSVM_FAULT_IOCTL) >= 1);
    injected += clsvm_fault_injected(CLSVM_FAULT_IOCTL);
    rel_model_check(&m);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(rel_model_alloc(&m, 16 * MiB, 0), CLSVM_OK);
    rel_model_check(&m);
    CHECK_EQ(clsvm_fault_arm(NULL), 0);
    rel_model_free_all(&m);
    rel_model_check(&m);
    clsvm_window_close(w);
    printf("devsvm ioctl faults injected: %llu\n", injected);
    return 0;
}
