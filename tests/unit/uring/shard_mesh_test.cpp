#include "uring/shard_mesh.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <thread>
#include <variant>

#include "uring/reactor.h"
#include "uring/ring.h"

namespace ringcast::uring {
namespace {

struct Counter {
    std::uint64_t sequence;
};
struct Done {};
using TestMsg = std::variant<Counter, Done>;
constexpr std::size_t kRingCapacity = 64;  // tiny, so the ring is full most of the time
using Mesh = ShardMesh<TestMsg, kRingCapacity>;
using Endpoint = MeshEndpoint<TestMsg, kRingCapacity>;

/// One shard of the test: sends `count` numbered messages to every other shard and checks that
/// what it receives from each sender arrives complete and in order.
class TestShard final : public Endpoint::Receiver {
public:
    TestShard(Mesh& mesh, std::size_t self, std::uint64_t count, std::barrier<>& started)
        : mesh_(mesh), self_(self), count_(count), started_(started), next_expected_(mesh.shard_count(), 0) {}

    void run() {
        auto ring = Ring::create();
        ASSERT_TRUE(ring);
        Reactor reactor(**ring);
        Endpoint endpoint(mesh_, self_, reactor, *this, /*outbox_max=*/256);
        mesh_.register_target(self_, reactor.wake_target());
        started_.arrive_and_wait();
        std::vector<std::uint64_t> next_to_send(mesh_.shard_count(), 0);
        std::size_t peers = mesh_.shard_count() - 1;
        completed = reactor.run_until(
            [&] {
                for (std::size_t to = 0; to < mesh_.shard_count(); ++to) {
                    if (to == self_) {
                        continue;
                    }
                    // Send as much as the bounded outbox takes; the rest waits for a later turn.
                    while (next_to_send[to] < count_ && endpoint.send(to, Counter{next_to_send[to]})) {
                        ++next_to_send[to];
                    }
                    if (next_to_send[to] == count_ && endpoint.send(to, Done{})) {
                        ++next_to_send[to];
                    }
                }
                bool all_sent = true;
                for (std::size_t to = 0; to < mesh_.shard_count(); ++to) {
                    all_sent &= to == self_ || next_to_send[to] > count_;
                }
                return all_sent && done_from_ == peers;
            },
            20'000);
        if (!completed) {
            std::size_t other = 1 - self_;
            fprintf(stderr, "shard %zu stuck: received %lu next_to_send %lu outbox %zu ring_out %zu ring_in %zu flag_out %d flag_in %d ooo %lu done %zu stats sent %lu ring_full %lu wakes %lu\n",
                    self_, (unsigned long)received, (unsigned long)next_to_send[other], endpoint.outbox_size(other),
                    mesh_.ring(self_, other).size_approx(), mesh_.ring(other, self_).size_approx(),
                    (int)mesh_.pair(self_, other).producer_waiting.load(), (int)mesh_.pair(other, self_).producer_waiting.load(),
                    (unsigned long)out_of_order, done_from_, (unsigned long)endpoint.stats().sent, (unsigned long)endpoint.stats().ring_full, (unsigned long)endpoint.stats().wakes);
        }
        // Let our last messages leave the outbox before the endpoint dies.
        auto t0 = std::chrono::steady_clock::now();
        drained = reactor.run_until([&] {
            for (std::size_t to = 0; to < mesh_.shard_count(); ++to) {
                if (endpoint.outbox_size(to) != 0) {
                    return false;
                }
            }
            return true;
        }, 5000);
        drain_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
        stats = endpoint.stats();
        wakeups = reactor.stats().wakeups;
        finished_barrier_wait();
    }

    void on_message(std::size_t from, TestMsg&& message) override {
        if (auto* counter = std::get_if<Counter>(&message)) {
            if (counter->sequence != next_expected_[from]) {
                ++out_of_order;
            }
            next_expected_[from] = counter->sequence + 1;
            ++received;
        } else {
            ++done_from_;
        }
    }

    void finished_barrier_wait() { started_.arrive_and_wait(); }

    std::uint64_t received = 0;
    std::uint64_t out_of_order = 0;
    MeshStats stats;
    std::uint64_t wakeups = 0;
    bool completed = false;
    bool drained = false;
    long drain_ms = 0;

private:
    Mesh& mesh_;
    std::size_t self_;
    std::uint64_t count_;
    std::barrier<>& started_;
    std::vector<std::uint64_t> next_expected_;
    std::size_t done_from_ = 0;
};

TEST(ShardMeshTest, MillionMessagesEachWayInOrderThroughAFullRing) {
    constexpr std::uint64_t kCount = 1'000'000;
    Mesh mesh(2);
    std::barrier<> sync(2);
    TestShard a(mesh, 0, kCount, sync);
    TestShard b(mesh, 1, kCount, sync);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });
    ta.join();
    tb.join();
    for (TestShard* shard : {&a, &b}) {
        EXPECT_TRUE(shard->completed) << "a shard stalled: a lost wake-up";
        EXPECT_TRUE(shard->drained);
        EXPECT_LT(shard->drain_ms, 1000) << "the last messages waited for a timeout, not a wake-up";
        EXPECT_EQ(shard->received, kCount);
        EXPECT_EQ(shard->out_of_order, 0u);
        EXPECT_GT(shard->stats.ring_full, 0u) << "the ring never filled; the test did not test a full ring";
    }
}

TEST(ShardMeshTest, MessagesToSelfArriveNextTurn) {
    struct Self final : Endpoint::Receiver {
        int got = 0;
        void on_message(std::size_t from, TestMsg&&) override {
            EXPECT_EQ(from, 0u);
            ++got;
        }
    } receiver;
    Mesh mesh(1);
    auto ring = Ring::create();
    ASSERT_TRUE(ring);
    Reactor reactor(**ring);
    Endpoint endpoint(mesh, 0, reactor, receiver);
    mesh.register_target(0, reactor.wake_target());
    ASSERT_TRUE(endpoint.send(0, Done{}));
    EXPECT_EQ(receiver.got, 0);
    ASSERT_TRUE(reactor.run_until([&] { return receiver.got == 1; }, 1000));
}

TEST(ShardMeshTest, SleepingShardIsWokenByAMessage) {
    struct Receiver final : Endpoint::Receiver {
        std::atomic<int> got{0};
        void on_message(std::size_t, TestMsg&&) override { ++got; }
    };
    Mesh mesh(2);
    Receiver r0, r1;
    std::barrier<> sync(2);
    std::thread sleeper([&] {
        auto ring = Ring::create();
        Reactor reactor(**ring);
        Endpoint endpoint(mesh, 1, reactor, r1);
        mesh.register_target(1, reactor.wake_target());
        sync.arrive_and_wait();
        // No timers, no work: each turn sleeps in the kernel until the message wakes it (or 5 s
        // pass). Not run_until, whose turns wake every 10 ms by themselves: under load the
        // sender could then find this shard awake between two naps and rightly not wake it.
        const std::uint64_t limit_ns = reactor.now_ns() + 5'000'000'000ull;
        while (r1.got.load() == 0 && reactor.now_ns() < limit_ns) {
            reactor.turn(limit_ns);
        }
        sync.arrive_and_wait();
    });
    auto ring = Ring::create();
    Reactor reactor(**ring);
    Endpoint endpoint(mesh, 0, reactor, r0);
    mesh.register_target(0, reactor.wake_target());
    sync.arrive_and_wait();
    // Send only once the other shard says it sleeps, so the send must wake it.
    const WakeTarget target = mesh.target(1);
    for (int i = 0; i < 5000 && !target.sleeping->load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(endpoint.send(1, Done{}));
    reactor.turn(reactor.now_ns());
    sync.arrive_and_wait();
    sleeper.join();
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r1.got.load(), 1);
    EXPECT_LT(elapsed, std::chrono::milliseconds(1000)) << "the sleeping shard was not woken";
    EXPECT_GE(endpoint.stats().wakes, 1u);
}

}  // namespace
}  // namespace ringcast::uring
