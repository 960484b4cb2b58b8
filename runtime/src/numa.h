/*
 * numa: place committed window chunks on the NUMA node nearest the backend device
 * (CLSVM_NUMA, docs/configuration.md). The decision is made once per process; binding is
 * best effort: a refusal is reported once and the memory stays where the OS puts it.
 */
#ifndef CLSVM_NUMA_H
#define CLSVM_NUMA_H

#include <stddef.h>
#include <stdint.h>

/* Bind freshly committed [addr, addr + len) to the chosen node; no-op when there is none. */
void clsvm_numa_place(uintptr_t addr, size_t len);

#endif
