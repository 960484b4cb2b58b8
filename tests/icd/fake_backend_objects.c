/* fake_backend_objects.c: the fake backend's objects: the platform and device singletons, the
 * list of live objects with their ids and reference counts, and the checks that name a handle
 * in the log as its own object ("mem#3") or "BAD". */
#include "fake_backend.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const kind_name[K_COUNT] = {"platform", "device", "context",
                                               "queue",    "mem",    "event"};

struct fake platform = {.dispatch = &table, .kind = K_PLATFORM, .id = 1, .refs = 1};

struct fake device = {.dispatch = &table, .kind = K_DEVICE, .id = 1, .refs = 1};

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct fake *live; /* every object created by clCreate*, until its last release */

static unsigned next_id[K_COUNT] = {2, 2, 1, 1, 1, 1};

/* Objects created and not yet released for the last time. */
EXPORT int fake_backend_live(void)
{
    int n = 0;
    pthread_mutex_lock(&lock);
    for (struct fake *f = live; f; f = f->next)
        n++;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Is `h` one of ours, of this kind? Never dereferences `h` unless it is. */
struct fake *own(const void *h, enum kind k)
{
    if (h == &platform)
        return k == K_PLATFORM ? &platform : NULL;
    if (h == &device)
        return k == K_DEVICE ? &device : NULL;
    struct fake *found = NULL;
    pthread_mutex_lock(&lock);
    for (struct fake *f = live; f; f = f->next)
        if (f == h && f->kind == k)
            found = f;
    pthread_mutex_unlock(&lock);
    return found;
}

/* "mem#3", or "BAD" for anything not ours (a thread-local ring of a few names per line). */
const char *nm(const void *h, enum kind k)
{
    static __thread char ring[8][32];
    static __thread unsigned pos;
    char *s = ring[pos++ % 8];
    struct fake *f = own(h, k);
    if (!h)
        snprintf(s, 32, "NULL");
    else if (!f)
        snprintf(s, 32, "BAD");
    else
        snprintf(s, 32, "%s#%u", kind_name[k], f->id);
    return s;
}

struct fake *make(enum kind k, struct fake *ctx)
{
    struct fake *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->dispatch = &table;
    f->kind = k;
    f->refs = 1;
    f->ctx = ctx;
    pthread_mutex_lock(&lock);
    f->id = next_id[k]++;
    f->next = live;
    live = f;
    pthread_mutex_unlock(&lock);
    if (ctx)
        ctx->refs++; /* children keep their context, as the spec requires */
    return f;
}

static void drop(struct fake *f);

cl_int release(const void *h, enum kind k, const char *fn, cl_int invalid)
{
    struct fake *f = own(h, k);
    logf_("%s %s\n", fn, nm(h, k));
    if (!f)
        return invalid;
    if (f == &platform || f == &device)
        return CL_SUCCESS;
    drop(f);
    return CL_SUCCESS;
}

static void drop(struct fake *f)
{
    if (--f->refs > 0)
        return;
    if (f->kind == K_MEM && f->dtor)
        f->dtor((cl_mem)f, f->dtor_ud);
    pthread_mutex_lock(&lock);
    for (struct fake **p = &live; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    pthread_mutex_unlock(&lock);
    logf_("freed %s#%u\n", kind_name[f->kind], f->id);
    struct fake *ctx = f->ctx;
    if (f->queue)
        drop(f->queue);
    free(f->data);
    free(f);
    if (ctx)
        drop(ctx);
}

cl_int retain(const void *h, enum kind k, const char *fn, cl_int invalid)
{
    struct fake *f = own(h, k);
    logf_("%s %s\n", fn, nm(h, k));
    if (!f)
        return invalid;
    f->refs++;
    return CL_SUCCESS;
}
