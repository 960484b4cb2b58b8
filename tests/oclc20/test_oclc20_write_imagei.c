/* test_oclc20_write_imagei: write_imagei on 3D and 2D-array images (which pocl 3.1's library
 * lacks for SPIR programs; the support library stores the same bits through write_imageui) writes
 * every pixel of a signed-integer image, negative values included, under -cl-std=CL2.0 and
 * CL3.0 exactly as the backend's own build (-cl-std=CL1.2) does. */
#include "oclc20/oclc20_test.h"

static const char *src =
    "kernel void w3(write_only image3d_t img) {\n"
    "  int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);\n"
    "  write_imagei(img, (int4)(x, y, z, 0), (int4)(x - 3, y - 5, -z - 1, 100 + x));\n"
    "}\n"
    "kernel void wa(write_only image2d_array_t img) {\n"
    "  int x = get_global_id(0), y = get_global_id(1), z = get_global_id(2);\n"
    "  write_imagei(img, (int4)(x, y, z, 0), (int4)(-x, -100 - y, z * 7, -128));\n"
    "}\n";

enum { W = 4, H = 3, D = 2 };

static void run(const svm_env *e, const char *opts, const char *kernel, cl_mem_object_type type,
                cl_char out[D][H][W][4])
{
    cl_program p = icd_test_program(e->context, e->device, src, opts);
    cl_kernel k = icd_test_kernel(p, kernel);
    cl_image_format fmt = {CL_RGBA, CL_SIGNED_INT8};
    cl_image_desc desc = {.image_type = type, .image_width = W, .image_height = H};
    if (type == CL_MEM_OBJECT_IMAGE3D)
        desc.image_depth = D;
    else
        desc.image_array_size = D;
    cl_int err;
    cl_mem img = clCreateImage(e->context, CL_MEM_WRITE_ONLY, &fmt, &desc, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clSetKernelArg(k, 0, sizeof img, &img));
    size_t global[3] = {W, H, D}, origin[3] = {0, 0, 0};
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 3, NULL, global, NULL, 0, NULL, NULL));
    memset(out, 0x55, sizeof(cl_char) * D * H * W * 4);
    CHECK_CL(clEnqueueReadImage(e->queue, img, CL_TRUE, origin, global, 0, 0, out, 0, NULL, NULL));
    CHECK_CL(clReleaseMemObject(img));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    static cl_char ref[D][H][W][4], got[D][H][W][4];
    const char *opts[] = {"-cl-std=CL2.0", "-cl-std=CL3.0"};
    const char *kernels[] = {"w3", "wa"};
    const cl_mem_object_type types[] = {CL_MEM_OBJECT_IMAGE3D, CL_MEM_OBJECT_IMAGE2D_ARRAY};
    for (int k = 0; k < 2; k++) {
        run(&e, "-cl-std=CL1.2", kernels[k], types[k], ref);
        /* The reference is the values written. */
        for (int z = 0; z < D; z++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    const cl_char *px = ref[z][y][x];
                    if (k == 0)
                        CHECK(px[0] == x - 3 && px[1] == y - 5 && px[2] == -z - 1 &&
                              px[3] == 100 + x);
                    else
                        CHECK(px[0] == -x && px[1] == -100 - y && px[2] == z * 7 && px[3] == -128);
                }
        for (int o = 0; o < 2; o++) {
            run(&e, opts[o], kernels[k], types[k], got);
            CHECK_MSG(!memcmp(got, ref, sizeof ref), "%s %s: pixels differ from the backend's",
                      opts[o], kernels[k]);
        }
    }
    svm_env_close(&e);
    return svm_exit_code();
}
