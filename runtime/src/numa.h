/*
 * numa: place committed window chunks on the NUMA node nearest the backend device
 * (CLSVM_NUMA, docs/configuration.md). The decision is made once per process; binding is
 * best effort: a refusal is reported once and the memory stays where the OS puts it.
 *
 * "Nearest the device": clsvm's backend is pocl's CPU device, whose worker threads run on the
 * CPUs the process may run on (its cpubind). So auto binds to the one NUMA node local to all of
 * those CPUs; when they span several nodes (the usual unpinned process) no single node is
 * nearest and placement is left to the kernel's first-touch policy. Pin the process
 * (numactl --cpunodebind=N, taskset) or set CLSVM_NUMA=<node> to bind.
 *
 * Built without hwloc (libhwloc-dev), every function here is a no-op that says so once.
 */
#ifndef CLSVM_NUMA_H
#define CLSVM_NUMA_H

#include <stddef.h>
#include <stdint.h>

/* Bind freshly committed [addr, addr + len) to the chosen node; no-op when there is none.
 * Called under the window lock after every commit: O(1) once decided (one mbind call). */
void clsvm_numa_place(uintptr_t addr, size_t len);

typedef struct clsvm_numa_decision {
    const char *policy; /* "auto", "off" or "node" (CLSVM_NUMA=<n>); static text */
    int node;           /* OS index of the node committed chunks are bound to; -1: no binding */
    int nodes;          /* NUMA nodes in the topology; 0 when unknown (no hwloc) */
    char why[224];      /* one sentence: why this node, or why no binding */
} clsvm_numa_decision;

/* The process's decision (made now if it was not yet) and the bytes bound so far. */
void clsvm_numa_get(clsvm_numa_decision *out, uint64_t *bound_bytes);

#ifdef CLSVM_HAVE_HWLOC
#include <hwloc.h>

/*
 * The decision as a pure function, so tests can feed topologies loaded from XML: option is the
 * CLSVM_NUMA text (NULL or "": auto), cpus the CPUs the device's work runs on (NULL: the whole
 * machine). Returns 1 if option was not valid (auto was used instead; out->why says so), else 0.
 */
int clsvm_numa_decide(hwloc_topology_t topo, hwloc_const_cpuset_t cpus, const char *option,
                      clsvm_numa_decision *out);

/* Bind [addr, addr + len) to the node with OS index node of topo (HWLOC_MEMBIND_BIND).
 * 0 on success, -1 with errno set (unknown node: EINVAL). */
int clsvm_numa_bind_area(hwloc_topology_t topo, int node, uintptr_t addr, size_t len);
#endif

#endif
