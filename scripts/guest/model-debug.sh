. /guest/lib.sh
. /guest/model-lib.sh
load_intree_ioat
dmatest_run 300 dma0chan0 dma0chan1 dma0chan2 dma0chan3; grep summary /tmp/dmatest.log
dmatest_run 300 dma0chan0 dma0chan1 dma0chan2 dma0chan3 dma1chan0 dma1chan1 dma1chan2 dma1chan3 ; grep summary /tmp/dmatest.log
