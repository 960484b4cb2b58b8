/* test_icd_identity: a released handle never becomes the handle of a new object within the
 * quarantine clsvm promises (docs/icd.md: 262,144 later releases). 100,000 user events are
 * created and released one after another, the pattern of a long-running program that makes an
 * event per command; after each creation the previous (released) handle must still be rejected
 * and differ from the new one, every new handle must work, and all 100,000 must be distinct. */
#include "icd_test.h"

enum { N = 100000 };

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    uintptr_t *seen = malloc(N * sizeof *seen);
    CHECK(seen != NULL);
    cl_event prev = NULL;
    for (int i = 0; i < N; i++) {
        cl_int err = CL_SUCCESS;
        cl_event e = clCreateUserEvent(c, &err);
        CHECK_CL(err);
        CHECK_MSG(e != prev, "event %d reuses the handle released just before", i);
        cl_int st = 0;
        CHECK_CL(clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL));
        CHECK_EQ(st, CL_SUBMITTED);
        if (prev) {
            CHECK_EQ(clGetEventInfo(prev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL),
                     CL_INVALID_EVENT);
            CHECK_EQ(clRetainEvent(prev), CL_INVALID_EVENT);
            CHECK_EQ(clSetUserEventStatus(prev, CL_COMPLETE), CL_INVALID_EVENT);
        }
        CHECK_CL(clSetUserEventStatus(e, CL_COMPLETE));
        CHECK_CL(clReleaseEvent(e));
        seen[i] = (uintptr_t)e;
        prev = e;
    }
    qsort(seen, N, sizeof *seen, cmp_ptr);
    for (int i = 1; i < N; i++)
        CHECK_MSG(seen[i] != seen[i - 1], "two of the %d events had the same handle", N);
    /* The first handle, released 99,999 creations ago, is still dead. */
    CHECK_EQ(clReleaseEvent(prev), CL_INVALID_EVENT);
    printf("%d events, %d distinct handles, released handles rejected ok\n", N, N);
    free(seen);
    CHECK_CL(clReleaseContext(c));
    return 0;
}
