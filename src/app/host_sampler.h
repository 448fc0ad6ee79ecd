#pragma once
// HostSampler: the process and machine figures of /api/v1/summaries (SRS samples the same
// /proc files in srs_app_utility.cpp). Runs on the main thread, which otherwise only waits for
// signals, every kIntervalMs: reading /proc is a syscall per file, which shards never make.
// Shards read the latest sample through ServerShared::host_figures, once per API request.

#include <cstdint>
#include <memory>

#include "app/api_service.h"

namespace ringcast::app {

class HostSampler {
public:
    static constexpr int kIntervalMs = 5000;

    /// Reads everything once more; CPU ratios are over the time since the previous call.
    std::shared_ptr<const HostFigures> sample();

private:
    std::uint64_t last_process_ticks_ = 0;
    std::uint64_t last_system_busy_ticks_ = 0;
    std::uint64_t last_system_total_ticks_ = 0;
    std::uint64_t last_wall_ms_ = 0;
};

}  // namespace ringcast::app
