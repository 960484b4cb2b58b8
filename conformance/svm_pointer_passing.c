/* svm_pointer_passing: clSetKernelArgSVMPointer accepts a pointer to any location inside an SVM
 * allocation (OpenCL 3.0 API 5.9.2: "arg_value ... may be a pointer to any location contained
 * within" a clSVMAlloc allocation) and NULL. For every byte offset of a coarse-grain buffer the
 * kernel must receive exactly that address (it reports it) and write exactly that byte. */
#include "conf.h"

static const char *src = "kernel void k_at(global uchar *p, global ulong *out, uchar tag)\n"
                         "{\n"
                         "    out[0] = (ulong)p;\n"
                         "    if (p) {\n"
                         "        out[1] = p[0];\n"
                         "        p[0] = tag;\n"
                         "    } else {\n"
                         "        out[1] = 0xdeadu;\n"
                         "    }\n"
                         "}\n";

enum { SIZE = 256 };

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel k = conf_kernel(p, "k_at");
    unsigned char *buf = conf_alloc(&e, CL_MEM_READ_WRITE, SIZE);
    cl_ulong *out = conf_alloc(&e, CL_MEM_READ_WRITE, 2 * sizeof(cl_ulong));
    CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE, buf, SIZE, 0, NULL, NULL));
    for (unsigned i = 0; i < SIZE; i++)
        buf[i] = (unsigned char)i;
    CHECK_CL(clEnqueueSVMUnmap(e.queue, buf, 0, NULL, NULL));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
    for (unsigned off = 0; off < SIZE; off++) {
        cl_uchar tag = (cl_uchar)(0xa5 ^ off);
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, buf + off));
        CHECK_CL(clSetKernelArg(k, 2, sizeof tag, &tag));
        conf_run(&e, k, 1);
        CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, out, 2 * sizeof(cl_ulong), 0, NULL,
                                 NULL));
        CHECK_MSG(out[0] == (cl_ulong)(uintptr_t)(buf + off),
                  "offset %u: kernel got %#llx, want %p", off, (unsigned long long)out[0],
                  (void *)(buf + off));
        CHECK_MSG(out[1] == off, "offset %u: kernel read %llu", off, (unsigned long long)out[1]);
        CHECK_CL(clEnqueueSVMUnmap(e.queue, out, 0, NULL, NULL));
    }
    CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, buf, SIZE, 0, NULL, NULL));
    for (unsigned i = 0; i < SIZE; i++)
        CHECK_MSG(buf[i] == (unsigned char)(0xa5 ^ i), "byte %u = %#x", i, buf[i]);
    CHECK_CL(clEnqueueSVMUnmap(e.queue, buf, 0, NULL, NULL));

    /* NULL is a valid SVM pointer argument: the kernel sees a null pointer. */
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, NULL));
    conf_run(&e, k, 1);
    CHECK_CL(
        clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, out, 2 * sizeof(cl_ulong), 0, NULL, NULL));
    CHECK_EQ(out[0], 0);
    CHECK_EQ(out[1], 0xdead);
    CHECK_CL(clEnqueueSVMUnmap(e.queue, out, 0, NULL, NULL));

    /* An argument index past the kernel's arguments is CL_INVALID_ARG_INDEX. */
    CHECK_ERR(clSetKernelArgSVMPointer(k, 3, buf), CL_INVALID_ARG_INDEX);
    CHECK_ERR(clSetKernelArgSVMPointer(NULL, 0, buf), CL_INVALID_KERNEL);

    CHECK_CL(clFinish(e.queue));
    clSVMFree(e.context, buf);
    clSVMFree(e.context, out);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
