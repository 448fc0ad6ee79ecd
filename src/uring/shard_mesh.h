#pragma once
// Cross-shard messages: one bounded SPSC ring per ordered shard pair (Seastar's
// smp_message_queue). Messages are typed values (the app's std::variant), never closures, and
// only immutable refcounted payloads or moved ownership cross.
//
// A sender never blocks: send() appends to a local outbox; once per loop turn the endpoint's
// flusher moves what fits into the ring, publishes the tail once, and wakes the target if it
// sleeps (IORING_OP_MSG_RING from the sender's ring, or the target's eventfd without it). What
// does not fit stays in the outbox, in order, for the next turn; the outbox itself is bounded
// (outbox_max) and send() says false when it is full, so the caller decides what to drop.
// The receiver drains its inbound rings as the first poller of its turn.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/spsc_ring.h"
#include "uring/reactor.h"

namespace ringcast::uring {

struct MeshStats {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t ring_full = 0;   // flushes that left messages in the outbox
    std::uint64_t refused = 0;     // send() calls refused because the outbox was full
    std::uint64_t wakes = 0;
};

/// The rings between all shards. Created before the shard threads, destroyed after they join.
template <class Msg, std::size_t RingCapacity = 1024>
class ShardMesh {
public:
    using Ring = core::SpscRing<Msg, RingCapacity>;

    /// One direction between two shards: the ring, and a flag the producer raises when the ring
    /// was full, so the consumer wakes it once there is room again (otherwise a producer with a
    /// non-empty outbox and nothing else to do would sleep forever).
    struct Pair {
        Ring ring;
        alignas(64) std::atomic<bool> producer_waiting{false};
    };

    explicit ShardMesh(std::size_t shard_count) : shard_count_(shard_count), targets_(shard_count) {
        pairs_.reserve(shard_count * shard_count);
        for (std::size_t i = 0; i < shard_count * shard_count; ++i) {
            pairs_.push_back(std::make_unique<Pair>());
        }
    }
    [[nodiscard]] std::size_t shard_count() const { return shard_count_; }
    Pair& pair(std::size_t from, std::size_t to) { return *pairs_[from * shard_count_ + to]; }
    Ring& ring(std::size_t from, std::size_t to) { return pair(from, to).ring; }

    /// Each shard registers how to wake it before any shard sends (the server starts all shards
    /// behind a barrier).
    void register_target(std::size_t shard, WakeTarget target) { targets_[shard] = target; }
    [[nodiscard]] const WakeTarget& target(std::size_t shard) const { return targets_[shard]; }

private:
    std::size_t shard_count_;
    std::vector<std::unique_ptr<Pair>> pairs_;
    std::vector<WakeTarget> targets_;
};

/// One shard's end of the mesh: lives on that shard and is used only by its thread.
template <class Msg, std::size_t RingCapacity = 1024>
class MeshEndpoint final : public Poller {
public:
    class Receiver {
    public:
        virtual ~Receiver() = default;
        virtual void on_message(std::size_t from_shard, Msg&& message) = 0;
    };

    static constexpr std::size_t kOutboxMaxDefault = 1 << 16;
    static constexpr std::size_t kDrainBatchMax = 256;

    MeshEndpoint(ShardMesh<Msg, RingCapacity>& mesh, std::size_t self, Reactor& reactor, Receiver& receiver,
                 std::size_t outbox_max = kOutboxMaxDefault)
        : mesh_(mesh), self_(self), reactor_(reactor), receiver_(receiver), outbox_max_(outbox_max),
          outboxes_(mesh.shard_count()), flusher_(*this) {
        reactor_.add_poller(*this);
        reactor_.add_flusher(flusher_);
    }
    ~MeshEndpoint() override {
        reactor_.remove_poller(*this);
        reactor_.remove_flusher(flusher_);
    }
    MeshEndpoint(const MeshEndpoint&) = delete;
    MeshEndpoint& operator=(const MeshEndpoint&) = delete;

    /// Queues a message for `to` (may be this shard). False if that outbox is full.
    bool send(std::size_t to, Msg&& message) {
        auto& outbox = outboxes_[to];
        if (outbox.size() >= outbox_max_) {
            ++stats_.refused;
            return false;
        }
        outbox.push_back(std::move(message));
        ++stats_.sent;
        return true;
    }
    [[nodiscard]] std::size_t outbox_size(std::size_t to) const { return outboxes_[to].size(); }
    [[nodiscard]] std::size_t self() const { return self_; }
    [[nodiscard]] const MeshStats& stats() const { return stats_; }

    bool poll() override {
        bool did_work = false;
        for (std::size_t from = 0; from < mesh_.shard_count(); ++from) {
            if (from == self_) {
                continue;
            }
            auto& pair = mesh_.pair(from, self_);
            std::size_t n = pair.ring.consume(
                [&](Msg&& message) { receiver_.on_message(from, std::move(message)); }, kDrainBatchMax);
            stats_.received += n;
            did_work |= n > 0;
            if (n > 0) {
                // Pairs with the fence in flush(): either we see the flag or it sees the room.
                std::atomic_thread_fence(std::memory_order_seq_cst);
                if (pair.producer_waiting.load(std::memory_order_relaxed) &&
                    pair.producer_waiting.exchange(false)) {
                    wake_target(reactor_, mesh_.target(from));
                }
            }
        }
        // Messages to self skip the rings but keep the same "next turn" timing.
        auto& local = outboxes_[self_];
        std::size_t n = local.size();
        for (std::size_t i = 0; i < n; ++i) {
            Msg message = std::move(local.front());
            local.pop_front();
            receiver_.on_message(self_, std::move(message));
        }
        stats_.received += n;
        return did_work || n > 0;
    }

    [[nodiscard]] bool ready() const override {
        for (std::size_t from = 0; from < mesh_.shard_count(); ++from) {
            if (from != self_ && !mesh_.ring(from, self_).empty()) {
                return true;
            }
        }
        return !outboxes_[self_].empty();
    }

private:
    class Flusher final : public Poller {
    public:
        explicit Flusher(MeshEndpoint& endpoint) : endpoint_(endpoint) {}
        bool poll() override { return endpoint_.flush(); }

    private:
        MeshEndpoint& endpoint_;
    };

    bool flush() {
        bool pushed_any = false;
        for (std::size_t to = 0; to < mesh_.shard_count(); ++to) {
            auto& outbox = outboxes_[to];
            if (to == self_ || outbox.empty()) {
                continue;
            }
            auto& pair = mesh_.pair(self_, to);
            auto& ring = pair.ring;
            std::size_t pushed = 0;
            auto push_what_fits = [&] {
                while (!outbox.empty() && ring.try_push_deferred(std::move(outbox.front()))) {
                    outbox.pop_front();
                    ++pushed;
                }
            };
            push_what_fits();
            if (!outbox.empty()) {
                ++stats_.ring_full;
                ring.publish();
                pair.producer_waiting.store(true, std::memory_order_seq_cst);
                std::atomic_thread_fence(std::memory_order_seq_cst);
                push_what_fits();  // the consumer may have made room before it saw the flag
            }
            if (pushed == 0) {
                continue;
            }
            ring.publish();
            pushed_any = true;
            wake(to);
        }
        return pushed_any;
    }

    void wake(std::size_t to) {
        const WakeTarget& target = mesh_.target(to);
        // Pairs with the fence in Reactor::wait: either we see "sleeping" or it sees our tail.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (target.sleeping == nullptr || !target.sleeping->load(std::memory_order_relaxed)) {
            return;
        }
        ++stats_.wakes;
        wake_target(reactor_, target);
    }

    ShardMesh<Msg, RingCapacity>& mesh_;
    std::size_t self_;
    Reactor& reactor_;
    Receiver& receiver_;
    std::size_t outbox_max_;
    std::vector<std::deque<Msg>> outboxes_;
    Flusher flusher_;
    MeshStats stats_;
};

}  // namespace ringcast::uring
