// Instruction counts of the measured loops, for valgrind --tool=callgrind (repeatable where
// times are not): runs each loop @n times on one thread.
//   valgrind --tool=callgrind --toggle-collect='hb_loop_*' --smc-check=all
//            hotdma_host_count N off|on
// "on": with the removal static key on (the code patched), only the get+put loops (and the
// empty one). host/run.py
// divides each loop's inclusive instruction count by N.
#include <cstdlib>
#include <cstring>
#include <hotdma/shim/static_key.h>
#include "bench/loops.h"
#include "bench/setup.hpp"

int main(int argc, char **argv)
{
	hotdma_u64 n = argc > 1 ? strtoull(argv[1], nullptr, 10) : 100000;
	bool key_on = argc > 2 && !strcmp(argv[2], "on");
	if (!n || hostbench::setup(5))
		return 2;
	hotdma_s64 counter = 0;
	hotdma_u64 found = 0, expected = 0;
	hotdma_host_kernel_enter();
	if (key_on) {
		hotdma_shim_removal_key_inc();
		found += hb_loop_empty(n) + hb_loop_get_put(n) + hb_loop_get_put_call(n);
		expected = 3 * n;
		hotdma_shim_removal_key_dec();
	} else {
		found += hb_loop_empty(n) + hb_loop_uncounted(n) + hb_loop_get_put(n) +
		         hb_loop_get_put_call(n) + hb_loop_per_thread(n, &counter) +
		         hb_loop_shared_atomic(n);
		expected = 6 * n;
	}
	hotdma_host_kernel_exit();
	printf("hotdma-host-count: key %s, %llu of %llu iterations found a channel\n",
	       key_on ? "on" : "off", static_cast<unsigned long long>(found),
	       static_cast<unsigned long long>(expected));
	hostbench::teardown();
	return found == expected ? 0 : 1;
}
