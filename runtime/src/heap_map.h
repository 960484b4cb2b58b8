/*
 * heap_map: which used block starts where, for one heap range, readable without a lock.
 * The heap (heap.c) is its only writer and serialises all writes; any number of readers
 * may call heap_map_find() concurrently with them. Design, costs and memory: heap_map.c.
 */
#ifndef CLSVM_HEAP_MAP_H
#define CLSVM_HEAP_MAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_block; /* opaque here: the heap's record */

typedef struct heap_map heap_map;

/* A map for [base, base + size) with granules of 1 << gshift bytes (base and size multiples). */
int heap_map_create(uintptr_t base, uint64_t size, unsigned gshift, heap_map **out);
void heap_map_destroy(heap_map *m);

/* Allocate the tables a block [addr, addr + len) will need, so that heap_map_insert() cannot
 * fail. CLSVM_OK or CLSVM_ERR_HOSTMEM; either way nothing readers see changes. In deferred
 * mode also HEAP_MAP_NEED_TABLE (the chunk needs a start table and no spare is left: map one
 * without the lock, give it, try again) or HEAP_MAP_TRIMMING (the chunk's table is being
 * trimmed: try again after heap_map_trim_done). */
#define HEAP_MAP_NEED_TABLE 2
#define HEAP_MAP_TRIMMING 3
int heap_map_prepare(heap_map *m, uintptr_t addr, uint64_t len);

/* Deferred mode: the map makes no syscall of its own (heap_map.c, "Syscalls without the
 * writer's lock"). queue_trim(user, addr, len) takes a trim to run later (0: queued, the caller
 * then calls heap_map_trim_done(addr) once heap_map_syscalls.trim has run; else it runs at
 * once). Tables come from heap_map_table_new(), called without the lock, and
 * heap_map_give_table() (0: taken; else the caller frees it with heap_map_table_free()). */
void heap_map_defer(heap_map *m, int (*queue_trim)(void *user, void *addr, size_t len), void *user);
void *heap_map_table_new(void);
void heap_map_table_free(void *t);
int heap_map_give_table(heap_map *m, void *t);
void heap_map_trim_done(heap_map *m, void *addr);

/* The syscalls the map makes: a start table's zero pages (NULL on failure) and giving pages of
 * one back (they read zero after). A test replaces them to hold a thread inside one. */
typedef struct heap_map_sys {
    void *(*map)(size_t len);
    void (*trim)(void *addr, size_t len);
} heap_map_sys;
extern heap_map_sys heap_map_syscalls;

/* Publish used block b = [addr, addr + len) (prepared; its tag, flags, slack and visibility
 * set); withdraw it again. The map keeps a copy of what lookups need (size, tag, flags). */
void heap_map_insert(heap_map *m, uintptr_t addr, uint64_t len, struct heap_block *b);
void heap_map_remove(heap_map *m, uintptr_t addr, uint64_t len);
/* Let lookups report the block starting at addr (heap_show, which then sets the record's
 * visible bit): its record, or NULL if no block starts there. */
struct heap_block *heap_map_show(heap_map *m, uintptr_t addr);
/* Undo heap_map_show for the published block starting at addr (the heap clears the record's
 * visible bit next). */
void heap_map_hide(heap_map *m, uintptr_t addr);

/*
 * Lock-free: the only used block that can contain p (the nearest start at or below p in p's
 * chunk, else the block covering the chunk from an earlier one), or NULL. The caller must
 * still check that the block is used and contains p (heap_tlsf.c's seqlock read): a racing
 * free can leave a stale candidate, never a wrong block once that check passes.
 */
struct heap_block *heap_map_find(const heap_map *m, uintptr_t p);

/* heap_map_find, then the candidate's seqlock read (heap_block.h): CLSVM_OK and *info if a
 * used, visible block contained p at one instant of the call, else CLSVM_ERR_NOTFOUND. */
struct heap_block_info;
int heap_map_lookup(const heap_map *m, uintptr_t p, struct heap_block_info *info);

/* The block published as starting exactly at addr, or NULL (lock-free too). */
struct heap_block *heap_map_at(const heap_map *m, uintptr_t addr);

/* Visit every published start (address order) and every cover; stop when fn returns
 * non-zero. cover is 0 for a start, else the base of the chunk (or first chunk of the leaf)
 * covered. */
typedef int (*heap_map_visit_fn)(uintptr_t start, uintptr_t cover, const struct heap_block *b,
                                 void *user);
void heap_map_foreach(const heap_map *m, heap_map_visit_fn fn, void *user);

/* Internal consistency (bitmaps, summaries, counts); NULL when sound, else what is broken. */
const char *heap_map_validate(const heap_map *m, uint64_t *starts, uint64_t *covers);

/* Cover entries (chunk or whole-leaf) a block [addr, addr + len) is published with. */
uint64_t heap_map_covers_of(const heap_map *m, uintptr_t addr, uint64_t len);

/* Return to the OS the slot pages of tables of chunks overlapping [addr, addr + len) in which
 * no block starts (writer side, like insert/remove). Costs one madvise per such table. */
void heap_map_trim(heap_map *m, uintptr_t addr, uint64_t len);

/* Bytes of host memory the map holds (tables are kept until the map is destroyed). */
uint64_t heap_map_bytes(const heap_map *m);

#endif
