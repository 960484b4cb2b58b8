/* fake_backend.h: what the fake backend's files share: its object record, the platform and
 * device singletons, the call log, the handle checks, the test's knobs and the entry points the
 * dispatch table (fake_backend.c) points to. Private to tests/icd/fake_backend*.c. */
#ifndef CLSVM_FAKE_BACKEND_H
#define CLSVM_FAKE_BACKEND_H

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl_icd.h>

#include <pthread.h>
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

enum kind { K_PLATFORM, K_DEVICE, K_CONTEXT, K_QUEUE, K_MEM, K_EVENT, K_COUNT };

struct fake {
    const struct _cl_icd_dispatch *dispatch; /* first, as for every ICD object */
    enum kind kind;
    unsigned id;
    int refs;
    struct fake *ctx, *dev, *queue;
    size_t size;
    unsigned char *data;
    cl_mem_flags flags;
    cl_command_type cmd;
    void(CL_CALLBACK *dtor)(cl_mem, void *);
    void *dtor_ud;
    struct fake *next;
};

extern struct _cl_icd_dispatch table;
extern struct fake platform, device;
extern pthread_mutex_t lock; /* the log and the list of live objects */

/* fake_backend_log.c */
void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fake_backend_objects.c */
struct fake *own(const void *h, enum kind k);
const char *nm(const void *h, enum kind k);
struct fake *make(enum kind k, struct fake *ctx);
cl_int release(const void *h, enum kind k, const char *fn, cl_int invalid);
cl_int retain(const void *h, enum kind k, const char *fn, cl_int invalid);

/* fake_backend_knobs.c */
extern int native_off;
extern cl_int native_fail;
int device_mode(void);
cl_device_type device_type(void);

/* fake_backend_info.c */
cl_int CL_API_CALL f_GetPlatformInfo(cl_platform_id p, cl_platform_info param, size_t size,
                                     void *out, size_t *ret);
cl_int CL_API_CALL f_GetDeviceIDs(cl_platform_id p, cl_device_type type, cl_uint n,
                                  cl_device_id *devs, cl_uint *num);
cl_int CL_API_CALL f_GetDeviceInfo(cl_device_id d, cl_device_info param, size_t size, void *out,
                                   size_t *ret);
cl_int CL_API_CALL f_GetContextInfo(cl_context c, cl_context_info param, size_t size, void *out,
                                    size_t *ret);
cl_int CL_API_CALL f_GetCommandQueueInfo(cl_command_queue q, cl_command_queue_info param,
                                         size_t size, void *out, size_t *ret);
cl_int CL_API_CALL f_GetMemObjectInfo(cl_mem m, cl_mem_info param, size_t size, void *out,
                                      size_t *ret);
cl_int CL_API_CALL f_GetEventInfo(cl_event e, cl_event_info param, size_t size, void *out,
                                  size_t *ret);

/* fake_backend_create.c */
cl_context CL_API_CALL f_CreateContext(
    const cl_context_properties *props, cl_uint n, const cl_device_id *devs,
    void(CL_CALLBACK *cb)(const char *, const void *, size_t, void *), void *ud, cl_int *err);
cl_int CL_API_CALL f_RetainContext(cl_context c);
cl_int CL_API_CALL f_ReleaseContext(cl_context c);
cl_command_queue CL_API_CALL f_CreateCommandQueueWithProperties(cl_context c, cl_device_id d,
                                                                const cl_queue_properties *props,
                                                                cl_int *err);
cl_command_queue CL_API_CALL f_CreateCommandQueue(cl_context c, cl_device_id d,
                                                  cl_command_queue_properties props, cl_int *err);
cl_int CL_API_CALL f_RetainCommandQueue(cl_command_queue q);
cl_int CL_API_CALL f_ReleaseCommandQueue(cl_command_queue q);
cl_mem CL_API_CALL f_CreateBuffer(cl_context c, cl_mem_flags flags, size_t size, void *host,
                                  cl_int *err);
cl_int CL_API_CALL f_RetainMemObject(cl_mem m);
cl_int CL_API_CALL f_ReleaseMemObject(cl_mem m);
cl_int CL_API_CALL f_SetMemObjectDestructorCallback(cl_mem m, void(CL_CALLBACK *cb)(cl_mem, void *),
                                                    void *ud);
cl_int CL_API_CALL f_RetainEvent(cl_event e);
cl_int CL_API_CALL f_ReleaseEvent(cl_event e);

/* fake_backend_commands.c */
cl_int CL_API_CALL f_Flush(cl_command_queue q);
cl_int CL_API_CALL f_Finish(cl_command_queue q);
cl_int CL_API_CALL f_EnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                       size_t n, void *ptr, cl_uint nw, const cl_event *wl,
                                       cl_event *ev);
cl_int CL_API_CALL f_EnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                        size_t n, const void *ptr, cl_uint nw, const cl_event *wl,
                                        cl_event *ev);
cl_int CL_API_CALL f_EnqueueNativeKernel(cl_command_queue q, void(CL_CALLBACK *fn)(void *),
                                         void *args, size_t cb_args, cl_uint nmem,
                                         const cl_mem *mems, const void **locs, cl_uint nw,
                                         const cl_event *wl, cl_event *ev);
cl_int CL_API_CALL f_WaitForEvents(cl_uint n, const cl_event *list);
cl_int CL_API_CALL f_SetEventCallback(cl_event e, cl_int type,
                                      void(CL_CALLBACK *cb)(cl_event, cl_int, void *), void *ud);

#endif
