/*
 * support_builtins.cl: built-ins of clang 15's opencl-c.h that pocl 3.1's kernel library lacks,
 * or defines only through a function it lacks, for SPIR programs (docs/opencl-c-2.0.md). Part
 * of clsvm's support library (compiled after support.cl, into the same bitcode).
 *
 * Each table row is one declaration of opencl-c.h (same name, parameter types and address
 * spaces, so the same mangled name); test_oclc20_builtin_surface calls every built-in the device
 * lists, under CL1.2, CL2.0 and CL3.0, and fails on any left unresolved. Each body forwards to
 * a form pocl's library has.
 */

/* ---- wait_group_events with a generic pointer ----
 * pocl's generic overload calls a _cl_wait_group_events it lacks; its private one works, and a
 * CPU device has one address space. */
__attribute__((overloadable)) void wait_group_events(int n, private event_t *events);
__attribute__((overloadable)) void wait_group_events(int n, generic event_t *events)
{
    wait_group_events(n, (private event_t *)events);
}
