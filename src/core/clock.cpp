#include "core/clock.h"

#include <time.h>

namespace ringcast::core {
namespace {

std::int64_t read_ns(clockid_t clock) {
    timespec ts{};
    // Cannot fail for these clock ids (vDSO call, no syscall on x86-64).
    ::clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

std::int64_t monotonic_ns() { return read_ns(CLOCK_MONOTONIC); }
std::int64_t monotonic_ms() { return monotonic_ns() / 1'000'000; }
std::int64_t realtime_ms() { return read_ns(CLOCK_REALTIME) / 1'000'000; }

}  // namespace ringcast::core
