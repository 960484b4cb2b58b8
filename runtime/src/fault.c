/* fault: CLSVM_FAULT parsing and counters. Placeholder until the hook lands (issue #8). */
#include "fault.h"

bool clsvm_fault_hit(clsvm_fault_site site)
{
    (void)site;
    return false;
}
