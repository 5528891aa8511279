# hotdma: see README.md. Two set-up commands on a fresh Debian 12 machine (as root):
#   make demo    build everything, boot the VM, load the modules, show what they report
#   make check   the same set-up plus every test; ends with "N passed, N failed"
#   make bench   the same set-up plus every benchmark: bench/results/<date>/report.md
# Also:
#   make                     modules against the cached test kernel (built if missing)
#   make KDIR=/path/to/build modules against any 6.1 kernel build tree, in place

ifneq ($(KDIR),)
all modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
else
all modules:
	bash scripts/build-modules.sh base
clean:
	rm -rf out
endif

deps:
	bash scripts/install-deps.sh

check:
	bash scripts/check.sh $(CHECK_ARGS)

demo:
	bash scripts/demo.sh

# The reliability soak (not part of check): make soak DURATION=30m (seconds or N[smh]).
soak:
	bash scripts/soak.sh $(DURATION)

bench:
	bash bench/bench.sh $(BENCH_ARGS)

.PHONY: all modules clean deps check demo soak bench
