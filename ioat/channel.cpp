// The driver's instance of the channel template (channel.h): ChannelT<Device>.
#include "driver.h"
#include "channel_impl.h"

namespace hotdma::ioat
{
template class ChannelT<Device>;
} // namespace hotdma::ioat
