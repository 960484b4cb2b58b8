/*
 * images20.cl: OpenCL C 2.0 read_write images, checked pixel by pixel by
 * tests/oclc20/test_oclc20_images.c. Build with -cl-std=CL2.0 (read_write image arguments are
 * OpenCL C 2.0; the helpers take generic pointers, so the program needs clsvm's 2.0 path).
 *
 * Every kernel reads its own pixel, writes a transformed value, fences, reads the same pixel
 * again and writes a second value computed from that re-read. OpenCL C 2.0 orders a write and a
 * later read of a read_write image only for the same work-item and only across
 * atomic_work_item_fence(CLK_IMAGE_MEM_FENCE, ...); the re-read is also stored in a buffer so
 * the host sees what it returned. Nothing here reads another work-item's pixel.
 */

/* The transforms (the host computes the same ones). Generic pointers: `v` points to private
 * memory in the kernels below. */
static void transform_f(float4 *v, int2 c)
{
    *v = *v * 2.0f + (float4)((float)c.x, (float)c.y, 1.0f, 0.5f);
}

static void transform_i(int4 *v, int2 c)
{
    *v = *v * 3 - (int4)(c.x, c.y, c.x * c.y, 7);
}

static void transform_ui(uint4 *v, int4 c)
{
    *v = (*v ^ (uint4)(0x5a, 0x25, 0x0f, 0x70)) + (uint4)((uint)c.x, (uint)c.y, (uint)c.z, 1u);
}

#define IMAGE_FENCE()                                                                              \
    atomic_work_item_fence(CLK_IMAGE_MEM_FENCE, memory_order_acq_rel, memory_scope_work_item)

/* 2D, float channels: image := transform_f(image) + 1 (from the re-read); reread := the value
 * read back after the fence. */
kernel void rw_float(read_write image2d_t img, global float4 *reread)
{
    int2 c = (int2)((int)get_global_id(0), (int)get_global_id(1));
    float4 v = read_imagef(img, c);
    transform_f(&v, c);
    write_imagef(img, c, v);
    IMAGE_FENCE();
    float4 back = read_imagef(img, c);
    reread[c.y * get_image_width(img) + c.x] = back;
    write_imagef(img, c, back + 1.0f);
}

/* 2D, signed integer channels: image := transform_i(image) ^ 0x100; reread as above. */
kernel void rw_int(read_write image2d_t img, global int4 *reread)
{
    int2 c = (int2)((int)get_global_id(0), (int)get_global_id(1));
    int4 v = read_imagei(img, c);
    transform_i(&v, c);
    write_imagei(img, c, v);
    IMAGE_FENCE();
    int4 back = read_imagei(img, c);
    reread[c.y * get_image_width(img) + c.x] = back;
    write_imagei(img, c, back ^ 0x100);
}

/* 1D image buffer, float channels: the same as rw_float on a row (y = 0). */
kernel void rw_buffer(read_write image1d_buffer_t img, global float4 *reread)
{
    int x = (int)get_global_id(0);
    float4 v = read_imagef(img, x);
    transform_f(&v, (int2)(x, 0));
    write_imagef(img, x, v);
    IMAGE_FENCE();
    float4 back = read_imagef(img, x);
    reread[x] = back;
    write_imagef(img, x, back + 1.0f);
}

/* 3D, unsigned 8-bit channels (writes need cl_khr_3d_image_writes, which the device lists):
 * image := transform_ui(image) + 3. The host keeps the channels below 0x80 and the extents
 * small, so no value reaches 256 (the format would saturate it). */
kernel void rw_3d(read_write image3d_t img, global uint4 *reread)
{
    int4 c = (int4)((int)get_global_id(0), (int)get_global_id(1), (int)get_global_id(2), 0);
    uint4 v = read_imageui(img, c);
    transform_ui(&v, c);
    write_imageui(img, c, v);
    IMAGE_FENCE();
    uint4 back = read_imageui(img, c);
    reread[(c.z * get_image_height(img) + c.y) * get_image_width(img) + c.x] = back;
    write_imageui(img, c, back + 3u);
}
