/*
 * numa.c: NUMA placement with hwloc (see numa.h for the policy). Two halves:
 *   - clsvm_numa_decide(): a pure function of (topology, cpuset, CLSVM_NUMA text), tested with
 *     topologies loaded from the XML files in tests/data/hwloc/;
 *   - the process state: the real topology and cpubind, decided once (pthread_once) on the first
 *     commit or stats query, then one hwloc_set_area_membind() per commit. The topology stays
 *     loaded for the process lifetime (it is needed for every bind).
 * A refused bind (EPERM in a container, ENOSYS, ...) turns placement off with one info line:
 * memory then lands where the kernel puts it, which is always correct, only maybe slower.
 */
#include "numa.h"

#include "config.h"
#include "clsvm/internal/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t decide_once = PTHREAD_ONCE_INIT;
static clsvm_numa_decision decision = {"auto", -1, 0, ""};
static atomic_int binding; /* 1 while chunks are being bound */
static atomic_uint_least64_t bound_bytes;

#ifdef CLSVM_HAVE_HWLOC

__attribute__((format(printf, 2, 3))) static void say(clsvm_numa_decision *out, const char *fmt,
                                                      ...)
{
    size_t used = strlen(out->why);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->why + used, sizeof out->why - used, fmt, ap);
    va_end(ap);
}

/* "auto", "off", or a whole number: 0 auto, 1 off, 2 node (into *node), -1 invalid. */
static int parse_option(const char *option, int *node)
{
    if (!option || !*option || !strcmp(option, "auto"))
        return 0;
    if (!strcmp(option, "off"))
        return 1;
    uint64_t n;
    if (clsvm_parse_uint(option, &n) || n > 1 << 20)
        return -1;
    *node = (int)n;
    return 2;
}

int clsvm_numa_decide(hwloc_topology_t topo, hwloc_const_cpuset_t cpus, const char *option,
                      clsvm_numa_decision *out)
{
    int wanted = -1;
    int kind = parse_option(option, &wanted);
    out->policy = kind == 1 ? "off" : kind == 2 ? "node" : "auto";
    out->node = -1;
    out->why[0] = '\0';
    out->nodes = topo ? hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) : 0;
    if (kind < 0)
        say(out, "CLSVM_NUMA='%.40s' is not auto, off or a node number, so auto: ", option);
    if (kind == 1) {
        say(out, "placement off (CLSVM_NUMA=off)");
        return 0;
    }
    if (out->nodes <= 1) {
        say(out, "single NUMA node: nothing to choose, placement is a no-op");
        return kind < 0;
    }
    if (kind == 2) {
        if (!hwloc_get_numanode_obj_by_os_index(topo, (unsigned)wanted)) {
            say(out, "no NUMA node %d on this machine (%d nodes); placement off", wanted,
                out->nodes);
            return 0;
        }
        out->node = wanted;
        say(out, "node %d requested by CLSVM_NUMA", wanted);
        return 0;
    }
    /* auto: the nodes local to the device's CPUs (nodes without CPUs, e.g. CXL or HBM memory,
     * are never local to them). */
    if (!cpus)
        cpus = hwloc_topology_get_topology_cpuset(topo);
    int local = 0, first = -1;
    for (hwloc_obj_t n = NULL; (n = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, n));)
        if (n->cpuset && hwloc_bitmap_intersects(n->cpuset, cpus)) {
            if (local++ == 0)
                first = (int)n->os_index;
        }
    char cpulist[64];
    if (hwloc_bitmap_list_snprintf(cpulist, sizeof cpulist, cpus) >= (int)sizeof cpulist)
        strcpy(cpulist + sizeof cpulist - 4, "...");
    if (local == 1) {
        out->node = first;
        say(out, "node %d is local to all the device's CPUs (%s)", first, cpulist);
    } else if (local == 0) {
        say(out, "no NUMA node is local to the device's CPUs (%s); placement off", cpulist);
    } else {
        say(out,
            "the device's CPUs (%s) span %d nodes, none is nearest; first-touch placement "
            "(pin the process to one node or set CLSVM_NUMA=<node> to bind)",
            cpulist, local);
    }
    return kind < 0;
}

int clsvm_numa_bind_area(hwloc_topology_t topo, int node, uintptr_t addr, size_t len)
{
    hwloc_obj_t n = node >= 0 ? hwloc_get_numanode_obj_by_os_index(topo, (unsigned)node) : NULL;
    if (!n || !n->nodeset) {
        errno = EINVAL;
        return -1;
    }
    return hwloc_set_area_membind(topo, (void *)addr, len, n->nodeset, HWLOC_MEMBIND_BIND,
                                  HWLOC_MEMBIND_BYNODESET);
}

static hwloc_topology_t topology; /* the machine's, kept while binding is on */

/* Load only what placement needs: NUMA nodes and the PUs they are local to. */
static int load_topology(hwloc_topology_t *out)
{
    hwloc_topology_t t;
    if (hwloc_topology_init(&t))
        return -1;
    hwloc_topology_set_all_types_filter(t, HWLOC_TYPE_FILTER_KEEP_NONE);
    hwloc_topology_set_type_filter(t, HWLOC_OBJ_NUMANODE, HWLOC_TYPE_FILTER_KEEP_ALL);
    if (hwloc_topology_load(t)) {
        hwloc_topology_destroy(t);
        return -1;
    }
    *out = t;
    return 0;
}

static void decide(void)
{
    const char *option = clsvm_option_str(CLSVM_OPT_NUMA);
    int node;
    if (parse_option(option, &node) == 1) { /* off: do not even load the topology */
        clsvm_numa_decide(NULL, NULL, option, &decision);
        clsvm_log(CLSVM_LOG_INFO, "numa: %s", decision.why);
        return;
    }
    hwloc_topology_t t;
    if (load_topology(&t)) {
        decision.why[0] = '\0';
        snprintf(decision.why, sizeof decision.why,
                 "hwloc could not read the topology (%s); placement off", strerror(errno));
        clsvm_log(CLSVM_LOG_INFO, "numa: %s", decision.why);
        return;
    }
    hwloc_cpuset_t cpus = hwloc_bitmap_alloc();
    int have_cpus = cpus && hwloc_get_cpubind(t, cpus, HWLOC_CPUBIND_PROCESS) == 0;
    int bad = clsvm_numa_decide(t, have_cpus ? cpus : NULL, option, &decision);
    hwloc_bitmap_free(cpus);
    if (bad)
        clsvm_log(CLSVM_LOG_WARN, "numa: %s", decision.why);
    else
        clsvm_log(CLSVM_LOG_INFO, "numa: %s%s",
                  decision.node >= 0 ? "binding committed chunks: " : "", decision.why);
    if (decision.node >= 0) {
        topology = t;
        atomic_store(&binding, 1);
    } else {
        hwloc_topology_destroy(t);
    }
}

void clsvm_numa_place(uintptr_t addr, size_t len)
{
    pthread_once(&decide_once, decide);
    if (!atomic_load_explicit(&binding, memory_order_relaxed))
        return;
    if (clsvm_numa_bind_area(topology, decision.node, addr, len) == 0) {
        atomic_fetch_add_explicit(&bound_bytes, len, memory_order_relaxed);
        return;
    }
    /* Refused (container seccomp, no NUMA support in the kernel, ...): stop trying. The stats
     * keep the node that was chosen, and why now says that the kernel refused. */
    int err = errno;
    if (atomic_exchange(&binding, 0)) {
        clsvm_log(CLSVM_LOG_INFO, "numa: binding to node %d refused (%s); placement off",
                  decision.node, strerror(err));
    }
}

#else /* !CLSVM_HAVE_HWLOC */

static void decide(void)
{
    const char *option = clsvm_option_str(CLSVM_OPT_NUMA);
    decision.policy = !strcmp(option, "off") ? "off" : !strcmp(option, "auto") ? "auto" : "node";
    snprintf(decision.why, sizeof decision.why,
             "built without hwloc (libhwloc-dev): placement is a no-op");
    clsvm_log(CLSVM_LOG_INFO, "numa: %s", decision.why);
}

void clsvm_numa_place(uintptr_t addr, size_t len)
{
    (void)addr;
    (void)len;
    pthread_once(&decide_once, decide);
}

#endif

void clsvm_numa_get(clsvm_numa_decision *out, uint64_t *bytes)
{
    pthread_once(&decide_once, decide);
    *out = decision;
    if (decision.node >= 0 && !atomic_load(&binding))
        snprintf(out->why, sizeof out->why, "node %d chosen but the kernel refused the binding",
                 decision.node);
    if (bytes)
        *bytes = atomic_load_explicit(&bound_bytes, memory_order_relaxed);
}
