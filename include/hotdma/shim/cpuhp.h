/* SPDX-License-Identifier: GPL-2.0 */
/* shim/cpuhp.c: CPU hotplug callbacks, forwarded to hotdma_core_cpu_online/offline. */
#ifndef HOTDMA_SHIM_CPUHP_H
#define HOTDMA_SHIM_CPUHP_H
#include <hotdma/shim/types.h>

HOTDMA_EXTERN_C_BEGIN
/* cpuhp_setup_state(CPUHP_AP_ONLINE_DYN): 0 or a negative errno. */
int hotdma_shim_cpuhp_register(void) HOTDMA_NOEXCEPT;
void hotdma_shim_cpuhp_unregister(void) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#endif
