/* test_oclc20_images: OpenCL C 2.0 read_write images through clsvm's SPIR path
 * (kernels/cl20/images20.cl, built with -cl-std=CL2.0). For a 2D float, a 2D signed-integer, a
 * 1D image-buffer and a 3D unsigned-integer image, each in a format the device lists for
 * CL_MEM_KERNEL_READ_AND_WRITE (others are skipped with a line): the host fills the image, the
 * kernel reads each pixel, writes a transformed value, fences with CLK_IMAGE_MEM_FENCE, reads the
 * pixel again and writes a value computed from that re-read; the host compares every pixel of the
 * image (clEnqueueReadImage) and every re-read value with its own computation. The expected
 * image differs from the initial one at every pixel, so a kernel that did not run fails. Also:
 * CL_DEVICE_MAX_READ_WRITE_IMAGE_ARGS > 0 and the image arguments' info (access qualifier
 * read_write, type name). */
#include "oclc20/oclc20_test.h"

#include "images20_cl.h"

/* How the four channels of a pixel are read and printed. */
typedef enum chan { CHAN_FLOAT, CHAN_INT, CHAN_UCHAR } chan;

/* One kernel run on one image: initial pixels, expected pixels afterwards, and the expected
 * re-read values (16 bytes each: float4, int4 or uint4, one per pixel). */
typedef struct rw_case {
    const char *kernel;
    const char *type_name; /* CL_KERNEL_ARG_TYPE_NAME of argument 0 */
    cl_mem_object_type type;
    cl_image_format format;
    size_t extent[3]; /* width, height, depth (1 when unused) */
    cl_uint dims;     /* work dimensions */
    chan chan;
    size_t pixel_size;
    void *init, *want_image, *want_reread;
} rw_case;

static size_t case_pixels(const rw_case *c)
{
    return c->extent[0] * c->extent[1] * c->extent[2];
}

static void print_pixel(char *buf, size_t n, chan ch, const void *p)
{
    if (ch == CHAN_FLOAT) {
        const cl_float *f = p;
        snprintf(buf, n, "(%g, %g, %g, %g)", f[0], f[1], f[2], f[3]);
    } else if (ch == CHAN_INT) {
        const cl_int *i = p;
        snprintf(buf, n, "(%d, %d, %d, %d)", i[0], i[1], i[2], i[3]);
    } else {
        const cl_uchar *u = p;
        snprintf(buf, n, "(%u, %u, %u, %u)", u[0], u[1], u[2], u[3]);
    }
}

/* Is `fmt` listed for `type` with CL_MEM_KERNEL_READ_AND_WRITE? */
static int format_listed(const svm_env *e, cl_mem_object_type type, const cl_image_format *fmt)
{
    cl_mem_flags flags = CL_MEM_READ_WRITE | CL_MEM_KERNEL_READ_AND_WRITE;
    cl_uint n = 0;
    CHECK_CL(clGetSupportedImageFormats(e->context, flags, type, 0, NULL, &n));
    cl_image_format *all = calloc(n ? n : 1, sizeof *all);
    CHECK(all != NULL);
    CHECK_CL(clGetSupportedImageFormats(e->context, flags, type, n, all, NULL));
    int listed = 0;
    for (cl_uint i = 0; i < n; i++)
        listed |= all[i].image_channel_order == fmt->image_channel_order &&
                  all[i].image_channel_data_type == fmt->image_channel_data_type;
    free(all);
    return listed;
}

/* ICD_GET_INFO for clGetKernelArgInfo, which takes an argument index too. */
#define ARG_INFO(k, arg, param, var)                                                               \
    do {                                                                                           \
        size_t arg_sz_ = 0;                                                                        \
        CHECK_CL(clGetKernelArgInfo(k, arg, param, sizeof(var), &(var), &arg_sz_));                \
        CHECK_EQ(arg_sz_, sizeof(var));                                                            \
    } while (0)

static char *kernel_arg_string(cl_kernel k, cl_uint arg, cl_kernel_arg_info what)
{
    size_t len = 0;
    CHECK_CL(clGetKernelArgInfo(k, arg, what, 0, NULL, &len));
    char *s = calloc(len + 1, 1);
    CHECK(s != NULL);
    CHECK_CL(clGetKernelArgInfo(k, arg, what, len, s, NULL));
    return s;
}

/* Argument 0 is a read_write image of the case's type, argument 1 a global buffer. */
static void check_arg_info(cl_kernel k, const rw_case *c)
{
    cl_kernel_arg_access_qualifier acc = 0;
    ARG_INFO(k, 0, CL_KERNEL_ARG_ACCESS_QUALIFIER, acc);
    if (acc != CL_KERNEL_ARG_ACCESS_READ_WRITE)
        SVM_FAIL("%s: argument 0 access qualifier %#x, expected read_write (%#x)", c->kernel,
                 (unsigned)acc, (unsigned)CL_KERNEL_ARG_ACCESS_READ_WRITE);
    char *name = kernel_arg_string(k, 0, CL_KERNEL_ARG_TYPE_NAME);
    if (strcmp(name, c->type_name) != 0)
        SVM_FAIL("%s: argument 0 type name '%s', expected '%s'", c->kernel, name, c->type_name);
    free(name);
    cl_kernel_arg_address_qualifier aq = 0;
    ARG_INFO(k, 1, CL_KERNEL_ARG_ADDRESS_QUALIFIER, aq);
    if (aq != CL_KERNEL_ARG_ADDRESS_GLOBAL)
        SVM_FAIL("%s: argument 1 address qualifier %#x, expected global", c->kernel, (unsigned)aq);
    ARG_INFO(k, 1, CL_KERNEL_ARG_ACCESS_QUALIFIER, acc);
    if (acc != CL_KERNEL_ARG_ACCESS_NONE)
        SVM_FAIL("%s: argument 1 access qualifier %#x, expected none", c->kernel, (unsigned)acc);
}

/* Compares `n` items of `size` bytes, each printed as `ch`; returns the number that differ
 * (the first few are printed). */
static int compare(const rw_case *c, const char *what, const unsigned char *got,
                   const unsigned char *want, size_t size, chan ch)
{
    int bad = 0;
    for (size_t i = 0; i < case_pixels(c); i++) {
        if (memcmp(got + i * size, want + i * size, size) == 0)
            continue;
        if (bad++ < 5) {
            char g[96], w[96];
            print_pixel(g, sizeof g, ch, got + i * size);
            print_pixel(w, sizeof w, ch, want + i * size);
            size_t x = i % c->extent[0], y = i / c->extent[0] % c->extent[1],
                   z = i / c->extent[0] / c->extent[1];
            SVM_FAIL("%s: %s at (%zu, %zu, %zu) is %s, expected %s", c->kernel, what, x, y, z, g,
                     w);
        }
    }
    if (bad > 5)
        SVM_FAIL("%s: %d %s values differ in all", c->kernel, bad, what);
    return bad;
}

/* The image of the case: 2D and 3D from the host data, a 1D image buffer over `*backing`. */
static cl_mem create_image(const svm_env *e, const rw_case *c, cl_mem *backing)
{
    cl_image_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.image_type = c->type;
    desc.image_width = c->extent[0];
    desc.image_height = c->type == CL_MEM_OBJECT_IMAGE1D_BUFFER ? 0 : c->extent[1];
    desc.image_depth = c->type == CL_MEM_OBJECT_IMAGE3D ? c->extent[2] : 0;
    cl_int err = CL_SUCCESS;
    cl_mem img;
    *backing = NULL;
    if (c->type == CL_MEM_OBJECT_IMAGE1D_BUFFER) {
        *backing = icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
                                   case_pixels(c) * c->pixel_size, c->init);
        desc.buffer = *backing;
        img = clCreateImage(e->context, CL_MEM_READ_WRITE, &c->format, &desc, NULL, &err);
    } else {
        img = clCreateImage(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, &c->format, &desc,
                            c->init, &err);
    }
    CHECK_CL(err);
    CHECK(img != NULL);
    return img;
}

/* Runs one case; returns 1 if it ran, 0 if its format is not listed. */
static int run_case(const svm_env *e, cl_program prog, const rw_case *c)
{
    if (!format_listed(e, c->type, &c->format)) {
        SKIP_PART("%s: format (order %#x, type %#x) not listed for read_write", c->kernel,
                  (unsigned)c->format.image_channel_order,
                  (unsigned)c->format.image_channel_data_type);
        return 0;
    }
    size_t n = case_pixels(c);
    /* The test's own check: a kernel that did not run must leave every pixel wrong. */
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(memcmp((unsigned char *)c->init + i * c->pixel_size,
                         (unsigned char *)c->want_image + i * c->pixel_size, c->pixel_size) != 0,
                  "%s: pixel %zu expected unchanged", c->kernel, i);

    cl_kernel k = icd_test_kernel(prog, c->kernel);
    check_arg_info(k, c);
    cl_mem backing = NULL, img = create_image(e, c, &backing);
    /* 0xee bytes: no expected re-read value is made of them. */
    unsigned char *reread = malloc(n * 16), *pixels = malloc(n * c->pixel_size);
    CHECK(reread != NULL && pixels != NULL);
    memset(reread, 0xee, n * 16);
    cl_mem rb =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * 16, reread);
    CHECK_CL(clSetKernelArg(k, 0, sizeof img, &img));
    CHECK_CL(clSetKernelArg(k, 1, sizeof rb, &rb));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, c->dims, NULL, c->extent, NULL, 0, NULL, NULL));

    size_t origin[3] = {0, 0, 0}, region[3] = {c->extent[0], c->extent[1], c->extent[2]};
    memset(pixels, 0xee, n * c->pixel_size);
    CHECK_CL(
        clEnqueueReadImage(e->queue, img, CL_TRUE, origin, region, 0, 0, pixels, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, rb, CL_TRUE, 0, n * 16, reread, 0, NULL, NULL));
    int bad = compare(c, "pixel", pixels, c->want_image, c->pixel_size, c->chan);
    chan reread_chan = c->chan == CHAN_UCHAR ? CHAN_INT : c->chan; /* uint4 < 2^31 prints as int */
    bad += compare(c, "re-read", reread, c->want_reread, 16, reread_chan);
    if (backing) {
        /* A 1D image buffer's pixels are its buffer's bytes. */
        memset(pixels, 0xee, n * c->pixel_size);
        CHECK_CL(clEnqueueReadBuffer(e->queue, backing, CL_TRUE, 0, n * c->pixel_size, pixels, 0,
                                     NULL, NULL));
        bad += compare(c, "backing buffer", pixels, c->want_image, c->pixel_size, c->chan);
    }
    if (!bad)
        printf("%s: %zu pixels ok\n", c->kernel, n);
    free(reread);
    free(pixels);
    CHECK_CL(clReleaseMemObject(rb));
    CHECK_CL(clReleaseMemObject(img));
    if (backing)
        CHECK_CL(clReleaseMemObject(backing));
    CHECK_CL(clReleaseKernel(k));
    return 1;
}

enum { W = 13, H = 7, BUF_W = 37, W3 = 5, H3 = 4, D3 = 3 };

/* rw_float and rw_buffer: image := 2v + (x, y, 1, 0.5) + 1, re-read := 2v + (x, y, 1, 0.5).
 * All values are small multiples of 0.5, exact in float. */
static void fill_float(rw_case *c)
{
    cl_float *in = c->init, *img = c->want_image, *rr = c->want_reread;
    for (size_t y = 0; y < c->extent[1]; y++)
        for (size_t x = 0; x < c->extent[0]; x++) {
            size_t i = y * c->extent[0] + x;
            cl_float v[4] = {0.5f * (float)x - 3.0f, (float)y - 2.0f, (float)((x + y) % 5),
                             -1.0f - 0.5f * (float)(x % 3)};
            cl_float add[4] = {(float)x, (float)y, 1.0f, 0.5f};
            for (int ch = 0; ch < 4; ch++) {
                in[4 * i + ch] = v[ch];
                rr[4 * i + ch] = 2.0f * v[ch] + add[ch];
                img[4 * i + ch] = rr[4 * i + ch] + 1.0f;
            }
        }
}

/* rw_int: re-read := 3v - (x, y, x*y, 7), image := re-read ^ 0x100. */
static void fill_int(rw_case *c)
{
    cl_int *in = c->init, *img = c->want_image, *rr = c->want_reread;
    for (int y = 0; y < (int)c->extent[1]; y++)
        for (int x = 0; x < (int)c->extent[0]; x++) {
            size_t i = (size_t)(y * (int)c->extent[0] + x);
            cl_int v[4] = {x * 7 - y, y * y - 5, (x ^ y) * 1000, -(x + y) * 100003};
            cl_int sub[4] = {x, y, x * y, 7};
            for (int ch = 0; ch < 4; ch++) {
                in[4 * i + ch] = v[ch];
                rr[4 * i + ch] = 3 * v[ch] - sub[ch];
                img[4 * i + ch] = rr[4 * i + ch] ^ 0x100;
            }
        }
}

/* rw_3d: re-read := (v ^ (0x5a, 0x25, 0x0f, 0x70)) + (x, y, z, 1), image := re-read + 3; the
 * channels start below 0x80, so nothing reaches 256. */
static void fill_3d(rw_case *c)
{
    static const unsigned key[4] = {0x5a, 0x25, 0x0f, 0x70};
    cl_uchar *in = c->init, *img = c->want_image;
    cl_uint *rr = c->want_reread;
    unsigned long long seed = 0x3d1a6e5ULL;
    for (size_t z = 0; z < c->extent[2]; z++)
        for (size_t y = 0; y < c->extent[1]; y++)
            for (size_t x = 0; x < c->extent[0]; x++) {
                size_t i = (z * c->extent[1] + y) * c->extent[0] + x;
                unsigned add[4] = {(unsigned)x, (unsigned)y, (unsigned)z, 1};
                for (int ch = 0; ch < 4; ch++) {
                    unsigned v = (unsigned)(test_rand(&seed) >> 57); /* 0..127 */
                    in[4 * i + ch] = (cl_uchar)v;
                    rr[4 * i + ch] = (v ^ key[ch]) + add[ch];
                    img[4 * i + ch] = (cl_uchar)(rr[4 * i + ch] + 3);
                }
            }
}

static rw_case make_case(const char *kernel, const char *type_name, cl_mem_object_type type,
                         cl_channel_type data_type, chan ch, size_t w, size_t h, size_t d)
{
    rw_case c;
    memset(&c, 0, sizeof c);
    c.kernel = kernel;
    c.type_name = type_name;
    c.type = type;
    c.format.image_channel_order = CL_RGBA;
    c.format.image_channel_data_type = data_type;
    c.extent[0] = w;
    c.extent[1] = h;
    c.extent[2] = d;
    c.dims = d > 1 ? 3 : h > 1 ? 2 : 1;
    c.chan = ch;
    c.pixel_size = ch == CHAN_UCHAR ? 4 : 16;
    size_t n = w * h * d;
    c.init = calloc(n, c.pixel_size);
    c.want_image = calloc(n, c.pixel_size);
    c.want_reread = calloc(n, 16);
    CHECK(c.init && c.want_image && c.want_reread);
    return c;
}

static void free_case(rw_case *c)
{
    free(c->init);
    free(c->want_image);
    free(c->want_reread);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    cl_bool images = CL_FALSE;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_IMAGE_SUPPORT, images);
    if (!images) {
        fprintf(stderr, "the device has no image support: skipped\n");
        svm_env_close(&e);
        return SVM_TEST_SKIP;
    }
    cl_uint rw_args = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_MAX_READ_WRITE_IMAGE_ARGS, rw_args);
    CHECK_MSG(rw_args > 0, "CL_DEVICE_MAX_READ_WRITE_IMAGE_ARGS is 0 on a device listing 2.0");

    cl_program prog = icd_test_program(e.context, e.device, images20_cl, "-cl-std=CL2.0");
    rw_case cases[4] = {
        make_case("rw_float", "image2d_t", CL_MEM_OBJECT_IMAGE2D, CL_FLOAT, CHAN_FLOAT, W, H, 1),
        make_case("rw_int", "image2d_t", CL_MEM_OBJECT_IMAGE2D, CL_SIGNED_INT32, CHAN_INT, W, H, 1),
        make_case("rw_buffer", "image1d_buffer_t", CL_MEM_OBJECT_IMAGE1D_BUFFER, CL_FLOAT,
                  CHAN_FLOAT, BUF_W, 1, 1),
        make_case("rw_3d", "image3d_t", CL_MEM_OBJECT_IMAGE3D, CL_UNSIGNED_INT8, CHAN_UCHAR, W3, H3,
                  D3),
    };
    fill_float(&cases[0]);
    fill_int(&cases[1]);
    fill_float(&cases[2]);
    fill_3d(&cases[3]);
    int ran = 0;
    for (int i = 0; i < 4; i++) {
        ran += run_case(&e, prog, &cases[i]);
        free_case(&cases[i]);
    }
    /* The specification's minimum read_write formats include CL_RGBA with CL_FLOAT,
     * CL_SIGNED_INT32 and CL_UNSIGNED_INT8: a device that lists none of them is wrong. */
    if (!ran)
        SVM_FAIL("no case ran: the device lists none of the formats for read_write images");
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
