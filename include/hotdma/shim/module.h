/* SPDX-License-Identifier: GPL-2.0 */
/* shim/module_core.c: module references (pinning a provider's code), forwarded. */
#ifndef HOTDMA_SHIM_MODULE_H
#define HOTDMA_SHIM_MODULE_H
#include <hotdma/shim/types.h>

struct module;

HOTDMA_EXTERN_C_BEGIN
/* try_module_get: nonzero if @mod is live and now pinned; 0 once its unload has begun. */
int hotdma_shim_try_module_get(struct module *mod) HOTDMA_NOEXCEPT;
void hotdma_shim_module_put(struct module *mod) HOTDMA_NOEXCEPT;
/* module_refcount (diagnostics and tests only). */
int hotdma_shim_module_refcount(struct module *mod) HOTDMA_NOEXCEPT;
HOTDMA_EXTERN_C_END

#ifdef __cplusplus
/* Every module's own struct module (what THIS_MODULE points at; made by modpost). */
extern "C" struct module __this_module;
#endif

#endif
