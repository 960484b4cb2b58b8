/* test_numa_decide: clsvm_numa_decide() over synthetic topologies loaded from
 * the XML files of tests/data/hwloc/ (1, 2 and 4 NUMA nodes): auto picks the node local to all the
 * device's CPUs, does nothing when they span nodes or there is one node; an explicit node is
 * honoured only if it exists; off and bad text behave as documented. usage: test_numa_decide <dir
 * with numa1.xml numa2.xml numa4.xml> */
#include "check.h"

#include "numa.h"

#include <string.h>

static hwloc_topology_t load(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    hwloc_topology_t t;
    CHECK(hwloc_topology_init(&t) == 0);
    CHECK_MSG(hwloc_topology_set_xml(t, path) == 0, "cannot read %s", path);
    CHECK_MSG(hwloc_topology_load(t) == 0, "cannot load %s", path);
    return t;
}

/* Decide with CPUs given as a list ("2-3"; NULL: whole machine); check node and a why word. */
static void expect(hwloc_topology_t t, const char *cpus, const char *option, int node,
                   const char *policy, const char *why_has, int bad)
{
    hwloc_bitmap_t set = NULL;
    if (cpus) {
        set = hwloc_bitmap_alloc();
        CHECK(hwloc_bitmap_list_sscanf(set, cpus) == 0);
    }
    clsvm_numa_decision d;
    memset(&d, 0x55, sizeof d);
    int rc = clsvm_numa_decide(t, set, option, &d);
    hwloc_bitmap_free(set);
    printf("cpus %-5s CLSVM_NUMA=%-5s -> node %2d (%s): %s\n", cpus ? cpus : "all",
           option ? option : "", d.node, d.policy, d.why);
    CHECK_EQ(rc, bad);
    CHECK_EQ(d.node, node);
    CHECK_MSG(!strcmp(d.policy, policy), "policy %s, want %s", d.policy, policy);
    CHECK_MSG(strstr(d.why, why_has), "why '%s' lacks '%s'", d.why, why_has);
}

int main(int argc, char **argv)
{
    CHECK_MSG(argc == 2, "usage: test_numa_decide DIR");
    hwloc_topology_t one = load(argv[1], "numa1.xml");
    hwloc_topology_t two = load(argv[1], "numa2.xml");
    hwloc_topology_t four = load(argv[1], "numa4.xml");
    CHECK_EQ(hwloc_get_nbobjs_by_type(two, HWLOC_OBJ_NUMANODE), 2);
    CHECK_EQ(hwloc_get_nbobjs_by_type(four, HWLOC_OBJ_NUMANODE), 4);

    /* One node: always a no-op, whatever is asked (but off stays off). */
    expect(one, NULL, "auto", -1, "auto", "single NUMA node", 0);
    expect(one, NULL, "0", -1, "node", "single NUMA node", 0);
    expect(one, NULL, "off", -1, "off", "off", 0);

    /* Two nodes: node 0 = PUs 0-1, node 1 = PUs 2-3. */
    expect(two, NULL, "auto", -1, "auto", "span 2 nodes", 0); /* unpinned process */
    expect(two, NULL, NULL, -1, "auto", "span 2 nodes", 0);   /* unset means auto */
    expect(two, "0-1", "auto", 0, "auto", "node 0 is local", 0);
    expect(two, "2-3", "auto", 1, "auto", "node 1 is local", 0);
    expect(two, "3", "", 1, "auto", "(3)", 0);
    expect(two, "1-2", "auto", -1, "auto", "span 2 nodes", 0);
    expect(two, "8-9", "auto", -1, "auto", "no NUMA node is local", 0); /* CPUs not in topo */
    expect(two, "0-1", "1", 1, "node", "requested", 0); /* explicit beats locality */
    expect(two, NULL, "0", 0, "node", "requested", 0);
    expect(two, NULL, "5", -1, "node", "no NUMA node 5", 0);
    expect(two, "0-1", "off", -1, "off", "CLSVM_NUMA=off", 0);
    expect(two, "2-3", "nearest", 1, "auto", "'nearest' is not auto, off or a node", 1);
    expect(two, NULL, "-1", -1, "auto", "is not auto", 1);
    expect(two, NULL, "1x", -1, "auto", "is not auto", 1);

    /* Four nodes: node n = PUs 2n, 2n+1 (two per package). */
    expect(four, NULL, "auto", -1, "auto", "span 4 nodes", 0);
    expect(four, "4-5", "auto", 2, "auto", "node 2 is local", 0);
    expect(four, "7", "auto", 3, "auto", "node 3 is local", 0);
    expect(four, "4-7", "auto", -1, "auto", "span 2 nodes", 0); /* one package, two nodes */
    expect(four, "0,6", "auto", -1, "auto", "span 2 nodes", 0);
    expect(four, NULL, "3", 3, "node", "requested", 0);
    expect(four, NULL, "4", -1, "node", "no NUMA node 4", 0);

    /* Binding needs a real topology: on XML (not this system) hwloc refuses, it does not crash. */
    CHECK(clsvm_numa_bind_area(two, 7, 0x1000, 4096) == -1);

    hwloc_topology_destroy(one);
    hwloc_topology_destroy(two);
    hwloc_topology_destroy(four);
    printf("test_numa_decide: ok\n");
    return 0;
}
