/* check.h: assertions for clsvm tests. A failed CHECK prints where and why, then exits 1. */
#ifndef CLSVM_TEST_CHECK_H
#define CLSVM_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Compare two integers, printing both values on mismatch. */
#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_) {                                                                \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n", __FILE__,         \
                    __LINE__, #a, #b, check_a_, check_b_);                                         \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* ctest's SKIP: a test registered with SKIP_RETURN_CODE 77 that exits with this code is
 * reported as skipped, never as passed. */
#define TEST_SKIP_CODE 77

/* A part of a test that cannot run here: print why (one line), run the rest, and let
 * test_exit_code() turn the verdict into ctest's SKIP, so a lost feature is seen. */
static int test_parts_skipped_ __attribute__((unused));
#define SKIP_PART(...)                                                                             \
    do {                                                                                           \
        printf("SKIP: ");                                                                          \
        printf(__VA_ARGS__);                                                                       \
        putchar('\n');                                                                             \
        fflush(stdout);                                                                            \
        test_parts_skipped_++;                                                                     \
    } while (0)

/* The exit code of a test that got to its end: 0, or TEST_SKIP_CODE if a part was skipped. */
static inline int test_exit_code(void)
{
    return test_parts_skipped_ ? TEST_SKIP_CODE : 0;
}

/* Deterministic PRNG for tests (xorshift64*): same seed, same sequence, every platform. */
static inline unsigned long long test_rand(unsigned long long *state)
{
    unsigned long long x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif
