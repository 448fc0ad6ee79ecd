#pragma once
// Time sources. monotonic_* for durations and deadlines, realtime_ms only for wall-clock output
// (log lines, API timestamps, HLS program date time). LoopClock is the cheap "now" for hot
// paths: the reactor refreshes it once per loop turn, and every message handled in that turn
// reads the same value without a clock_gettime call. Its resolution is one loop turn, which
// is what timeouts and queue ages need.

#include <cstdint>

namespace ringcast::core {

/// CLOCK_MONOTONIC in nanoseconds / milliseconds.
std::int64_t monotonic_ns();
std::int64_t monotonic_ms();
/// CLOCK_REALTIME in milliseconds since the Unix epoch.
std::int64_t realtime_ms();

namespace detail {
// Per thread, constant-initialized so reads compile to a plain TLS load (no init wrapper).
inline constinit thread_local std::int64_t loop_now_ns = 0;
}  // namespace detail

/// The coarse per-thread monotonic time. Not an object anyone owns: its state is one
/// thread_local value per thread. Each shard's reactor calls refresh() at the top of every
/// loop turn; code on that shard reads now_ms()/now_ns(). A thread that never refreshed gets
/// a fresh reading on first use.
class LoopClock {
public:
    static void refresh() { detail::loop_now_ns = monotonic_ns(); }
    static std::int64_t now_ns() {
        if (detail::loop_now_ns == 0) [[unlikely]] {
            refresh();
        }
        return detail::loop_now_ns;
    }
    static std::int64_t now_ms() { return now_ns() / 1'000'000; }
    /// Fake time for tests of timeout logic; the next refresh() goes back to the real clock.
    static void set_now_ns_for_test(std::int64_t now_ns_value) { detail::loop_now_ns = now_ns_value; }
};

}  // namespace ringcast::core
