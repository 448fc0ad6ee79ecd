#include "uring/reactor.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "test_support.h"

namespace ringcast::uring {
namespace {

class ReactorTest : public testing::RuntimeTest {};

struct Recorder {
    std::vector<int>* order;
    int id;
    Timer timer;
    void fired() { order->push_back(id); }
};

TEST_F(ReactorTest, TimersFireInDeadlineOrderAndCancelWorks) {
    std::vector<int> order;
    Recorder a{&order, 1, {}}, b{&order, 2, {}}, c{&order, 3, {}}, d{&order, 4, {}};
    for (Recorder* r : {&a, &b, &c, &d}) {
        r->timer.bind<&Recorder::fired>(r);
    }
    reactor->arm(c.timer, 30);
    reactor->arm(a.timer, 10);
    reactor->arm(b.timer, 20);
    reactor->arm(d.timer, 15);
    reactor->cancel(d.timer);
    EXPECT_FALSE(d.timer.armed());
    std::uint64_t start = reactor->now_ns();
    ASSERT_TRUE(reactor->run_until([&] { return order.size() == 3; }, 1000));
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_GE(reactor->now_ns() - start, 29'000'000u) << "the last timer fired early";
    EXPECT_EQ(reactor->timers_armed(), 0u);
}

TEST_F(ReactorTest, RearmMovesTheTimer) {
    std::vector<int> order;
    Recorder a{&order, 1, {}};
    a.timer.bind<&Recorder::fired>(&a);
    reactor->arm(a.timer, 1000);
    reactor->arm(a.timer, 5);
    ASSERT_TRUE(reactor->run_until([&] { return !order.empty(); }, 500));
    EXPECT_EQ(reactor->timers_armed(), 0u);
}

TEST_F(ReactorTest, SleepsUntilTimerWithoutSpinning) {
    std::vector<int> order;
    Recorder a{&order, 1, {}};
    a.timer.bind<&Recorder::fired>(&a);
    reactor->arm(a.timer, 50);
    ASSERT_TRUE(reactor->run_until([&] { return !order.empty(); }, 1000));
    EXPECT_LT(reactor->stats().turns, 10u) << "the loop spun instead of sleeping in the kernel";
}

TEST_F(ReactorTest, DeferredTasksRunOnALaterTurn) {
    int ran = 0;
    reactor->defer([](void* p) { ++*static_cast<int*>(p); }, &ran);
    EXPECT_EQ(ran, 0);
    reactor->turn();
    EXPECT_EQ(ran, 1);
}

TEST_F(ReactorTest, StopFromAnotherThreadWakesASleepingLoop) {
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        reactor->request_stop_from_any_thread();
    });
    reactor->run();  // would sleep forever without the wake-up
    stopper.join();
    EXPECT_TRUE(reactor->stop_requested());
}

}  // namespace
}  // namespace ringcast::uring
