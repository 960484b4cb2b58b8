/* link_helper.cl: the helper half of a separately compiled OpenCL C 2.0 program
 * (tests/oclc20/test_oclc20_link.c): a generic-pointer atomic in a function of its own unit. */
#include "counter/counter.h"

int counter_bump(atomic_int *c)
{
    return atomic_fetch_add_explicit(c, COUNTER_STEP, memory_order_relaxed,
                                     memory_scope_all_svm_devices);
}
