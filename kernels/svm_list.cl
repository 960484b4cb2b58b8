/* svm_list.cl: walk a linked list that the host built in SVM, following the host's own
 * pointers. Used by svm-list-coarse (a coarse-grain allocation per node) and svm-list-fine
 * (fine-grain allocations, nodes in random order). OpenCL C 1.2 is enough: the pointers are
 * ordinary global pointers, valid on the device because SVM gives both sides one address. */

/* Same layout as the host's struct node: an 8-byte pointer, then two ints (16 bytes). */
typedef struct node {
    global struct node *next;
    int value;
    int position; /* written by the kernel: how far down the list the node is */
} node;

/* One work-item walks the whole list: a list is sequential by nature, and the point here is
 * that the device follows pointers the host wrote, not speed. result[0] = sum of the values,
 * result[1] = number of nodes. */
kernel void list_walk(global node *head, global long *result)
{
    long sum = 0;
    int n = 0;
    for (global node *p = head; p; p = p->next) {
        sum += p->value;
        p->position = n++;
    }
    result[0] = sum;
    result[1] = n;
}
