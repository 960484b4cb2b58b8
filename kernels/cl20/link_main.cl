/* link_main.cl: the kernel half of a program compiled and linked separately as OpenCL C 2.0
 * (tests/oclc20/test_oclc20_link.c); counter_bump is in link_helper.cl. */
#include "counter/counter.h"

kernel void bump_all(global int *c, int reps)
{
    for (int i = 0; i < reps; i++)
        counter_bump((atomic_int *)c);
}
