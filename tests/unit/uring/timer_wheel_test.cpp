#include "uring/timer_wheel.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ringcast::uring {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

struct Probe {
    CoarseTimer timer;
    int fired = 0;
    std::uint64_t fired_at_ns = 0;
    std::uint64_t* clock = nullptr;
    void on_fire() {
        ++fired;
        fired_at_ns = *clock;
    }
    Probe() { timer.bind<&Probe::on_fire>(this); }
};

TEST(TimerWheel, FiresAtItsDeadlineAndAtMostOneTickLate) {
    std::uint64_t now = 1'000 * kMs + 123;
    TimerWheel wheel(now);
    Probe probe;
    probe.clock = &now;
    wheel.arm(probe.timer, now, 350);
    const std::uint64_t deadline = now + 350 * kMs;
    EXPECT_TRUE(probe.timer.armed());
    EXPECT_LE(wheel.next_deadline_ns(), deadline + TimerWheel::kTickNs);
    for (; probe.fired == 0 && now < deadline + 10 * kMs; now += 100'000) {
        wheel.advance(now);
    }
    ASSERT_EQ(probe.fired, 1);
    EXPECT_GE(probe.fired_at_ns, deadline);
    EXPECT_LE(probe.fired_at_ns, deadline + TimerWheel::kTickNs + 100'000);
    EXPECT_FALSE(probe.timer.armed());
    EXPECT_EQ(wheel.armed_count(), 0u);
    EXPECT_EQ(wheel.next_deadline_ns(), UINT64_MAX);
}

TEST(TimerWheel, CancelledAndMovedTimersDoNotFireAtTheOldDeadline) {
    std::uint64_t now = 5 * kMs;
    TimerWheel wheel(now);
    Probe cancelled;
    Probe moved;
    cancelled.clock = moved.clock = &now;
    wheel.arm(cancelled.timer, now, 10);
    wheel.arm(moved.timer, now, 10);
    wheel.cancel(cancelled.timer);
    wheel.arm(moved.timer, now, 100);  // re-arming moves it
    EXPECT_EQ(wheel.armed_count(), 1u);
    now += 50 * kMs;
    wheel.advance(now);
    EXPECT_EQ(cancelled.fired, 0);
    EXPECT_EQ(moved.fired, 0);
    now += 60 * kMs;
    EXPECT_TRUE(wheel.advance(now));
    EXPECT_EQ(moved.fired, 1);
    EXPECT_EQ(cancelled.fired, 0);
}

TEST(TimerWheel, TimersSeveralLapsOutWaitTheirLaps) {
    std::uint64_t now = 0;
    TimerWheel wheel(now);
    Probe far;
    far.clock = &now;
    const std::uint64_t lap_ms = TimerWheel::kSlots * TimerWheel::kTickMs;
    wheel.arm(far.timer, now, 3 * lap_ms + 7);
    for (; now < 3 * lap_ms * kMs + 6 * kMs; now += kMs) {
        wheel.advance(now);
    }
    EXPECT_EQ(far.fired, 0);
    for (; now < 3 * lap_ms * kMs + 12 * kMs; now += kMs) {
        wheel.advance(now);
    }
    EXPECT_EQ(far.fired, 1);
}

TEST(TimerWheel, ALongStallFiresEverythingDueOnce) {
    std::uint64_t now = 0;
    TimerWheel wheel(now);
    std::vector<Probe> probes(50);
    for (std::size_t i = 0; i < probes.size(); ++i) {
        probes[i].clock = &now;
        wheel.arm(probes[i].timer, now, 1 + i * 97);  // spread over almost 5 laps
    }
    now += 10'000 * kMs;
    EXPECT_TRUE(wheel.advance(now));
    for (const Probe& probe : probes) {
        EXPECT_EQ(probe.fired, 1);
    }
    EXPECT_EQ(wheel.armed_count(), 0u);
}

struct Rearming {
    CoarseTimer timer;
    TimerWheel* wheel = nullptr;
    std::uint64_t* clock = nullptr;
    CoarseTimer* victim = nullptr;
    int fired = 0;
    void on_fire() {
        ++fired;
        if (victim != nullptr) {
            wheel->cancel(*victim);
        }
        if (fired < 3) {
            wheel->arm(timer, *clock, 0);  // as soon as possible: the next tick, not this walk
        }
    }
};

TEST(TimerWheel, ACallbackMayRearmItselfAndCancelAnotherDueTimer) {
    std::uint64_t now = 0;
    TimerWheel wheel(now);
    Rearming rearming;
    rearming.wheel = &wheel;
    rearming.clock = &now;
    rearming.timer.bind<&Rearming::on_fire>(&rearming);
    Probe victim;
    victim.clock = &now;
    rearming.victim = &victim.timer;
    wheel.arm(rearming.timer, now, 4);
    wheel.arm(victim.timer, now, 4);  // same slot, after the canceller
    now += 5 * kMs;
    wheel.advance(now);
    EXPECT_EQ(rearming.fired, 1);
    EXPECT_EQ(victim.fired, 0);
    EXPECT_FALSE(victim.timer.armed());
    EXPECT_TRUE(rearming.timer.armed());
    EXPECT_LE(wheel.next_deadline_ns(), now + TimerWheel::kTickNs);
    now += TimerWheel::kTickNs;
    wheel.advance(now);
    EXPECT_EQ(rearming.fired, 2);
    now += TimerWheel::kTickNs;
    wheel.advance(now);
    EXPECT_EQ(rearming.fired, 3);
    EXPECT_FALSE(rearming.timer.armed());
}

TEST(TimerWheel, NextDeadlineIsNeverLate) {
    std::uint64_t now = 7 * kMs;
    TimerWheel wheel(now);
    Probe a;
    Probe b;
    a.clock = b.clock = &now;
    wheel.arm(a.timer, now, 900);
    EXPECT_LE(wheel.next_deadline_ns(), now + 900 * kMs + TimerWheel::kTickNs);
    wheel.arm(b.timer, now, 20);
    EXPECT_LE(wheel.next_deadline_ns(), now + 20 * kMs + TimerWheel::kTickNs);
    now = wheel.next_deadline_ns();
    wheel.advance(now);
    EXPECT_EQ(b.fired, 1);
    EXPECT_LE(wheel.next_deadline_ns(), 7 * kMs + 900 * kMs + TimerWheel::kTickNs);
    EXPECT_GT(wheel.next_deadline_ns(), now);
    wheel.cancel(a.timer);
}

}  // namespace
}  // namespace ringcast::uring
