// The process's descriptor table, sized once at start.
#pragma once

#include <cstddef>

namespace chatstream::app {

// Grows the kernel's descriptor table of this process to hold `wanted` descriptors (bounded by
// the open-file limit), before any thread exists. The kernel otherwise doubles the table as
// descriptor numbers rise, and in a process with several threads each doubling waits for an
// RCU grace period: a pause of the whole I/O thread, tens of milliseconds each time, while
// thousands of connections open. Returns the number of slots reserved (0 when nothing was
// done). Descriptors are not used up: the probe descriptor is closed again.
std::size_t reserve_descriptor_table(std::size_t wanted);

}  // namespace chatstream::app
