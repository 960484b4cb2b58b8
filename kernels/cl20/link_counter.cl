/* link_counter.cl: a header, passed to clCompileProgram as an input header named
 * "counter/counter.h" (tests/oclc20/test_oclc20_link.c). */
#define COUNTER_STEP 3
int counter_bump(atomic_int *c);
