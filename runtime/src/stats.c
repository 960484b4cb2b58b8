/* stats.c: placeholder, being written. */
typedef int clsvm_placeholder_stats;
