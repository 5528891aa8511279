# Reads the top-level Kbuild (never copies it): what the host build must compile the same way.
#   make -f kbuild-info.mk flags [CONFIG_PREEMPTION=y CONFIG_PREEMPT_COUNT=y ...]
#       the -D flags Kbuild gives the C++ for that kernel configuration (hotdma-config-flags)
#   make -f kbuild-info.mk objects | soft-objects
#       the C++ objects of hotdma.ko / hotdma_soft.ko under dmaengine/ (relative .o paths)
.DEFAULT_GOAL := flags
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
src := $(ROOT)
obj := $(ROOT)
include $(ROOT)/Kbuild

flags:
	@echo $(hotdma-config-flags)
objects:
	@echo $(filter dmaengine/%.o,$(hotdma-y))
soft-objects:
	@echo $(filter dmaengine/%.o,$(hotdma_soft-y))
.PHONY: flags objects soft-objects
