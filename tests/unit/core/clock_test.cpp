#include "core/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace ringcast::core {
namespace {

TEST(Clock, MonotonicAdvances) {
    std::int64_t a = monotonic_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::int64_t b = monotonic_ns();
    EXPECT_GE(b - a, 2'000'000);
    EXPECT_LE(monotonic_ms() - b / 1'000'000, 1000);
}

TEST(Clock, RealtimeIsAfter2020) {
    EXPECT_GT(realtime_ms(), 1'577'836'800'000);  // 2020-01-01
}

TEST(Clock, LoopClockHoldsStillUntilRefresh) {
    LoopClock::refresh();
    std::int64_t first = LoopClock::now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_EQ(LoopClock::now_ns(), first);
    LoopClock::refresh();
    EXPECT_GE(LoopClock::now_ns() - first, 2'000'000);
    EXPECT_EQ(LoopClock::now_ms(), LoopClock::now_ns() / 1'000'000);
}

TEST(Clock, LoopClockIsPerThreadAndReadyWithoutRefresh) {
    LoopClock::set_now_ns_for_test(42'000'000);
    std::int64_t other = 0;
    std::thread t([&] { other = LoopClock::now_ns(); });
    t.join();
    EXPECT_EQ(LoopClock::now_ms(), 42);
    EXPECT_GT(other, 42'000'000);  // a fresh thread reads the real clock on first use
    LoopClock::refresh();
}

}  // namespace
}  // namespace ringcast::core
