/* svm_info.cl: report the address at which the device sees an SVM pointer argument, and write
 * through it, so clsvm-info can show that host and device use the same address. */
kernel void where(global char *p, global ulong *out)
{
    out[0] = (ulong)p;
    p[0] = 42;
}
