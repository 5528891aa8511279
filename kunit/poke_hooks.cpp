// The core's C++ inline static-branch sites for the code-patching suite (kunit/poke_kunit.c):
// the __jump_table entries client.hpp emits, executed through the public client API.
#include "poke_hooks.h"
#include <hotdma/client.hpp>
#include <hotdma/diag.hpp>
#include <hotdma/soft.hpp>
#include <hotdma/shim/percpu.h>

using namespace hotdma;

namespace
{
int soft_id = -1;
bool registered = false;
} // namespace

extern "C" int hotdma_poke_test_setup(void) noexcept
{
	int rc = hotdma_client_register();
	if (rc)
		return rc;
	registered = true;
	soft_id = hotdma_soft_add(1, -1);
	if (soft_id < 0) {
		rc = soft_id;
		hotdma_poke_test_teardown();
		return rc;
	}
	for (int cpu = 0; cpu < hotdma_shim_nr_cpu_ids(); cpu++) {
		if (hotdma_shim_cpu_online(cpu) && !hotdma_table_peek(cpu, Cap::memcpy)) {
			hotdma_poke_test_teardown();
			return -err::nodev;
		}
	}
	return 0;
}

extern "C" void hotdma_poke_test_teardown(void) noexcept
{
	if (soft_id >= 0)
		hotdma_soft_remove(soft_id);
	soft_id = -1;
	if (registered)
		hotdma_client_unregister();
	registered = false;
}

// Three sites of the removal key run here: get's, the one read directly, and put's. The
// suite's INT3 watch covers all three; the returned branch is the middle one's. The key is
// flipped while no device is being removed, so get keeps the channel (not quiescing) and
// put_slow finds nothing to wake.
extern "C" int hotdma_poke_test_get_put(void) noexcept
{
	Channel *chan = hotdma_chan_get(Cap::memcpy);
	if (!chan)
		return -err::nodev;
	bool removing = detail::removal_in_progress();
	hotdma_chan_put(chan);
	return removing ? 1 : 0;
}
