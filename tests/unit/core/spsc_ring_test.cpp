#include "core/spsc_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ringcast::core {
namespace {

TEST(SpscRing, FifoOrder) {
    SpscRing<int, 8> ring;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(ring.try_push(int{i}));
    }
    EXPECT_EQ(ring.size_approx(), 5u);
    for (int i = 0; i < 5; ++i) {
        std::optional<int> v = ring.try_pop();
        ASSERT_TRUE(v.has_value());
        EXPECT_EQ(*v, i);
    }
    EXPECT_FALSE(ring.try_pop().has_value());
}

TEST(SpscRing, FullAndEmptyEdges) {
    SpscRing<int, 4> ring;
    EXPECT_TRUE(ring.empty());
    int out = -1;
    EXPECT_FALSE(ring.try_pop(out));
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(ring.try_push(int{i}));
    }
    EXPECT_FALSE(ring.try_push(99));  // all Capacity slots usable, then full
    EXPECT_EQ(ring.size_approx(), 4u);
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, 0);
    EXPECT_TRUE(ring.try_push(4));  // one slot freed, one push fits
    EXPECT_FALSE(ring.try_push(5));
}

TEST(SpscRing, FailedPushLeavesValueUntouched) {
    SpscRing<std::unique_ptr<int>, 2> ring;
    ASSERT_TRUE(ring.try_push(std::make_unique<int>(1)));
    ASSERT_TRUE(ring.try_push(std::make_unique<int>(2)));
    auto third = std::make_unique<int>(3);
    EXPECT_FALSE(ring.try_push(std::move(third)));
    ASSERT_NE(third, nullptr);
    EXPECT_EQ(*third, 3);
}

TEST(SpscRing, WrapsAroundManyTimes) {
    SpscRing<std::uint64_t, 4> ring;
    std::uint64_t next_in = 0;
    std::uint64_t next_out = 0;
    for (int round = 0; round < 1000; ++round) {
        while (ring.try_push(std::uint64_t{next_in})) {
            ++next_in;
        }
        std::size_t n = ring.consume([&](std::uint64_t&& v) { EXPECT_EQ(v, next_out++); }, 3);
        EXPECT_EQ(n, 3u);
    }
    ring.consume([&](std::uint64_t&& v) { EXPECT_EQ(v, next_out++); });
    EXPECT_EQ(next_in, next_out);
    EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, MoveOnlyTypes) {
    SpscRing<std::unique_ptr<std::string>, 4> ring;
    ASSERT_TRUE(ring.try_push(std::make_unique<std::string>("a")));
    ASSERT_TRUE(ring.try_emplace(new std::string("b")));
    std::unique_ptr<std::string> out;
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(*out, "a");
    std::optional<std::unique_ptr<std::string>> second = ring.try_pop();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(**second, "b");
}

TEST(SpscRing, DeferredPushIsInvisibleUntilPublished) {
    SpscRing<int, 8> ring;
    ASSERT_TRUE(ring.try_push_deferred(1));
    ASSERT_TRUE(ring.try_push_deferred(2));
    EXPECT_EQ(ring.unpublished(), 2u);
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.consume([](int&&) {}), 0u);
    ring.publish();
    EXPECT_EQ(ring.unpublished(), 0u);
    std::vector<int> got;
    EXPECT_EQ(ring.consume([&](int&& v) { got.push_back(v); }), 2u);
    EXPECT_EQ(got, (std::vector<int>{1, 2}));
}

TEST(SpscRing, DeferredPushesCountTowardsFull) {
    SpscRing<int, 2> ring;
    ASSERT_TRUE(ring.try_push_deferred(1));
    ASSERT_TRUE(ring.try_push_deferred(2));
    EXPECT_FALSE(ring.try_push_deferred(3));
}

TEST(SpscRing, ConsumeRespectsMax) {
    SpscRing<int, 16> ring;
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(ring.try_push(int{i}));
    }
    int sum = 0;
    EXPECT_EQ(ring.consume([&](int&& v) { sum += v; }, 4), 4u);
    EXPECT_EQ(sum, 0 + 1 + 2 + 3);
    EXPECT_EQ(ring.size_approx(), 6u);
}

struct Counted {
    explicit Counted(int* live_count) : live(live_count) { ++*live; }
    Counted(Counted&& other) noexcept : live(other.live) { ++*live; }
    Counted& operator=(Counted&&) = delete;
    ~Counted() { --*live; }
    int* live;
};

TEST(SpscRing, DestructorDestroysUnconsumedItems) {
    int live = 0;
    {
        SpscRing<Counted, 8> ring;
        for (int i = 0; i < 5; ++i) {
            ASSERT_TRUE(ring.try_emplace(&live));
        }
        ASSERT_TRUE(ring.try_emplace_deferred(&live));  // never published
        ring.consume([](Counted&&) {}, 2);
        EXPECT_EQ(live, 4);
    }
    EXPECT_EQ(live, 0);
}

TEST(SpscRing, ConsumedItemsAreDestroyed) {
    int live = 0;
    SpscRing<Counted, 4> ring;
    for (int round = 0; round < 10; ++round) {
        while (ring.try_emplace(&live)) {
        }
        ring.consume([](Counted&&) {});
        EXPECT_EQ(live, 0);
    }
}

void run_two_thread_stress(bool batch_publish) {
    constexpr std::uint64_t item_count = 1'000'000;
    SpscRing<std::uint64_t, 64> ring;
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < item_count; ++i) {
            bool pushed = batch_publish ? ring.try_push_deferred(std::uint64_t{i}) : ring.try_push(std::uint64_t{i});
            while (!pushed) {
                ring.publish();
                std::this_thread::yield();
                pushed = ring.try_push_deferred(std::uint64_t{i});
            }
            if (batch_publish && i % 16 == 15) {
                ring.publish();
            }
        }
        ring.publish();
    });
    std::uint64_t expected = 0;
    bool in_order = true;
    while (expected < item_count) {
        std::size_t n = ring.consume(
            [&](std::uint64_t&& v) {
                in_order = in_order && v == expected;
                ++expected;
            },
            32);
        if (n == 0) {
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_TRUE(in_order);
    EXPECT_EQ(expected, item_count);
    EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, TwoThreadStressPublishPerItem) { run_two_thread_stress(false); }
TEST(SpscRing, TwoThreadStressBatchPublish) { run_two_thread_stress(true); }

}  // namespace
}  // namespace ringcast::core
