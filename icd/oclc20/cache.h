/*
 * cache.h: the SPIR path's cache of clang's output (docs/opencl-c-2.0.md "Cache and cost"):
 * where it lives, how entries are keyed, and the record of the files an entry was compiled from
 * beyond its key (headers that #include read from disk), checked on every hit.
 */
#ifndef CLSVM_ICD_OCLC20_CACHE_H
#define CLSVM_ICD_OCLC20_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A 128-bit key being hashed: every part goes in with its length, so parts cannot run into
 * each other ("ab","c" differs from "a","bc"). */
typedef struct oclc20_key {
    uint64_t a, b;
} oclc20_key;

void oclc20_key_init(oclc20_key *k);
void oclc20_key_add(oclc20_key *k, const void *data, size_t n);
void oclc20_key_str(oclc20_key *k, const char *s); /* NULL hashes as "" */
void oclc20_key_done(const oclc20_key *k, char out[33]);

/* mkdir -p of path (modified while it runs, restored); 0 on success. */
int oclc20_mkdirs(char *path);

/* The cache directory (created), or NULL when caching is off or impossible. Decided once per
 * process from CLSVM_OCLC20_CACHE_DIR, XDG_CACHE_HOME, HOME. */
const char *oclc20_cache_dir(void);

/* From clang's -MMD dependency file deps_d, write to out_path one line "<hash> <path>" per file
 * outside the private directory work (paths as clang wrote them, hash of the content now).
 * 0 on success (also for no dependencies); -1 when a file cannot be read, or was modified after
 * started (when clang started: what clang read may not be what is hashed now), or out_path
 * cannot be written. */
int oclc20_deps_write(const char *deps_d, const char *work, const struct timespec *started,
                      const char *out_path);

/* Does every file of the record at path still have the content it had (read through the same,
 * possibly relative, path)? 1 yes; 0 when one differs, is gone, or the record is unreadable. */
int oclc20_deps_current(const char *path);

#endif
