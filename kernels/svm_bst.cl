/* svm_bst.cl: look keys up in a binary search tree that the host built inside one coarse-grain
 * SVM allocation, with real pointers between the nodes (not indices): SVM lets the device
 * follow them as they are. */

/* Same layout as the host's struct node (24 bytes). */
typedef struct node {
    global const struct node *left, *right;
    int key;
    int value;
} node;

/* One work-item per query: out[i] = the value stored under keys[i], or -1 if absent. */
kernel void bst_search(global const node *root, global const int *keys, global int *out)
{
    size_t i = get_global_id(0);
    int key = keys[i];
    global const node *p = root;
    while (p && p->key != key)
        p = key < p->key ? p->left : p->right;
    out[i] = p ? p->value : -1;
}
