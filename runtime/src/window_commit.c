/* window_commit.c: placeholder, being written. */
typedef int clsvm_placeholder_window_commit;
