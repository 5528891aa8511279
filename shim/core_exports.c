// SPDX-License-Identifier: GPL-2.0
/* The API of hotdma.ko (implemented in C++, dmaengine/), exported for other modules. */
#include <linux/module.h>
#include <hotdma/shim/exports.h>

/* Only the symbols' addresses matter: a placeholder prototype stands for any signature. */
static_assert(sizeof(void (*)(void)) == sizeof(void *));

/* Provider API (include/hotdma/provider.hpp). */
HOTDMA_CXX_API(register_device);
EXPORT_SYMBOL_GPL(hotdma_register_device);
HOTDMA_CXX_API(unregister_device);
EXPORT_SYMBOL_GPL(hotdma_unregister_device);
HOTDMA_CXX_API(complete_tx);
EXPORT_SYMBOL_GPL(hotdma_complete_tx);
HOTDMA_CXX_API(device_channel);
EXPORT_SYMBOL_GPL(hotdma_device_channel);
HOTDMA_CXX_API(channel_index);
EXPORT_SYMBOL_GPL(hotdma_channel_index);
/* Client API (include/hotdma/client.hpp). */
HOTDMA_CXX_API(chan_put_slow);
EXPORT_SYMBOL_GPL(hotdma_chan_put_slow);
HOTDMA_CXX_API(client_register);
EXPORT_SYMBOL_GPL(hotdma_client_register);
HOTDMA_CXX_API(client_unregister);
EXPORT_SYMBOL_GPL(hotdma_client_unregister);
HOTDMA_CXX_API(request_channel);
EXPORT_SYMBOL_GPL(hotdma_request_channel);
HOTDMA_CXX_API(release_channel);
EXPORT_SYMBOL_GPL(hotdma_release_channel);
HOTDMA_CXX_API(prep);
EXPORT_SYMBOL_GPL(hotdma_prep);
HOTDMA_CXX_API(submit);
EXPORT_SYMBOL_GPL(hotdma_submit);
HOTDMA_CXX_API(issue_pending);
EXPORT_SYMBOL_GPL(hotdma_issue_pending);
HOTDMA_CXX_API(map_buffer);
EXPORT_SYMBOL_GPL(hotdma_map_buffer);
HOTDMA_CXX_API(map_page);
EXPORT_SYMBOL_GPL(hotdma_map_page);
HOTDMA_CXX_API(unmap);
EXPORT_SYMBOL_GPL(hotdma_unmap);
HOTDMA_CXX_API(tx_status);
EXPORT_SYMBOL_GPL(hotdma_tx_status);
HOTDMA_CXX_API(wait);
EXPORT_SYMBOL_GPL(hotdma_wait);
/* Diagnostics (include/hotdma/diag.hpp). */
HOTDMA_CXX_API(core_stats);
EXPORT_SYMBOL_GPL(hotdma_core_stats);
HOTDMA_CXX_API(table_peek);
EXPORT_SYMBOL_GPL(hotdma_table_peek);
HOTDMA_CXX_API(channel_node);
EXPORT_SYMBOL_GPL(hotdma_channel_node);
HOTDMA_CXX_API(channel_id);
EXPORT_SYMBOL_GPL(hotdma_channel_id);
HOTDMA_CXX_API(channel_device);
EXPORT_SYMBOL_GPL(hotdma_channel_device);
HOTDMA_CXX_API(device_ref_sum);
EXPORT_SYMBOL_GPL(hotdma_device_ref_sum);
HOTDMA_CXX_API(device_ref_cpu);
EXPORT_SYMBOL_GPL(hotdma_device_ref_cpu);
HOTDMA_CXX_API(mapping_revoked);
EXPORT_SYMBOL_GPL(hotdma_mapping_revoked);
HOTDMA_CXX_API(device_live_mappings);
EXPORT_SYMBOL_GPL(hotdma_device_live_mappings);
HOTDMA_CXX_API(channel_dma_device);
EXPORT_SYMBOL_GPL(hotdma_channel_dma_device);
HOTDMA_CXX_API(device_module_refcount);
EXPORT_SYMBOL_GPL(hotdma_device_module_refcount);
HOTDMA_CXX_API(debug_set_next_cookie);
EXPORT_SYMBOL_GPL(hotdma_debug_set_next_cookie);
HOTDMA_CXX_API(bench_get_put);
EXPORT_SYMBOL_GPL(hotdma_bench_get_put);
/* debugfs: providers' own files live under the core's directory and dispatch through it. */
HOTDMA_CXX_API(core_debugfs_root);
EXPORT_SYMBOL_GPL(hotdma_core_debugfs_root);
