/*
 * svm_fill.c: pattern fill at memset speed (docs/performance.md, "fill").
 *
 * A pattern whose bytes are all equal is a memset. Any other pattern is first replicated into
 * a 128-byte block (every allowed pattern size divides 128), so the fill is a cyclic copy of
 * that block. Large fills stream it with non-temporal stores: like glibc's memset above its
 * threshold, they skip the read-for-ownership of destination lines that ordinary stores (and
 * a memcpy of the block) pay, which is what made the earlier "double with memcpy" fill reach
 * only 0.73 of memset. Small fills stay in the cache with plain memcpy of the block.
 */
#include "svm_fill.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLOCK 128
/* Below this, ordinary stores win: the data is likely read again soon and fits the cache. */
#define STREAM_MIN ((size_t)1 << 20)

static int uniform(const unsigned char *p, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (p[i] != p[0])
            return 0;
    return 1;
}

/* Copy bytes [from, from + n) of the endless repetition of block (from counted from dst). */
static void copy_cyclic(unsigned char *dst, const unsigned char *twice, size_t from, size_t n)
{
    while (n) {
        size_t off = from % BLOCK, k = BLOCK - off < n ? BLOCK - off : n;
        memcpy(dst, twice + off, k);
        dst += k;
        from += k;
        n -= k;
    }
}

void clsvm_fill_pattern(void *dst, size_t size, const void *pattern, size_t psize)
{
    unsigned char *d = dst;
    if (!size)
        return;
    if (uniform(pattern, psize)) {
        memset(d, *(const unsigned char *)pattern, size);
        return;
    }
    /* Two copies of the block, so any BLOCK bytes starting at any phase are contiguous. */
    unsigned char twice[2 * BLOCK];
    for (size_t i = 0; i < sizeof twice; i += psize)
        memcpy(twice + i, pattern, psize);
#if defined(__SSE2__)
    if (size >= STREAM_MIN) {
        size_t head = (size_t)(-(uintptr_t)d & 15); /* bytes up to 16-byte alignment */
        copy_cyclic(d, twice, 0, head);
        size_t phase = head % BLOCK, body = (size - head) & ~(size_t)(BLOCK - 1);
        __m128i v[BLOCK / 16];
        for (int i = 0; i < BLOCK / 16; i++)
            v[i] = _mm_loadu_si128((const __m128i *)(twice + phase + 16 * i));
        __m128i *out = (__m128i *)(d + head);
        for (size_t done = 0; done < body; done += BLOCK, out += BLOCK / 16)
            for (int i = 0; i < BLOCK / 16; i++)
                _mm_stream_si128(out + i, v[i]);
        _mm_sfence(); /* streaming stores are weakly ordered: complete them before the event */
        copy_cyclic(d + head + body, twice, head + body, size - head - body);
        return;
    }
#endif
    copy_cyclic(d, twice, 0, size);
}
