#pragma once
// Bounded single-producer single-consumer queue: the shape of Seastar's smp_message_queue and
// rigtorp's SPSCQueue. One ring per ordered shard pair carries the cross-shard messages
// (DESIGN.md section 3).
//
// Why the layout: each index is written by one side and read by the other, so each lives on
// its own cache line, and each side keeps a private cached copy of the other side's index. A
// side only reads the other's line when its cached copy says the ring is full (producer) or
// empty (consumer), so in steady state the lines move between cores once per batch, not once
// per item. Batching on both ends widens that: the producer may publish its tail once per loop
// turn (try_push_deferred + publish) and consume() publishes the head once per batch.
//
// Indices are free-running 64-bit counters (slot = index & mask), so all Capacity slots are
// usable and full/empty never need a spare slot.

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace ringcast::core {

/// Owned by whoever wires the two shards together (the app keeps one per ordered shard pair);
/// it must outlive both the producer thread's and the consumer thread's use of it. Exactly one
/// thread produces (try_push*, publish) and exactly one consumes (consume, try_pop, empty); the
/// two may be the same thread. The slots are one heap allocation, so the ring itself is small.
template <class T, std::size_t Capacity>
class SpscRing {
    static_assert(Capacity >= 2 && std::has_single_bit(Capacity), "Capacity must be a power of two");
    static_assert(std::is_nothrow_move_constructible_v<T>, "items move in and out without exceptions");

public:
    static constexpr std::size_t capacity() { return Capacity; }

    SpscRing() : slots_(static_cast<Slot*>(::operator new(slots_bytes, std::align_val_t{cache_line}))) {}
    ~SpscRing() {
        // Both sides are quiescent now: also destroy items pushed but never published.
        for (std::uint64_t i = consumer_.head; i != producer_.tail; ++i) {
            item(i)->~T();
        }
        ::operator delete(slots_, std::align_val_t{cache_line});
    }
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    // ---- producer side ----

    /// Pushes and publishes at once. Returns false when full; `value` is then left untouched,
    /// so the caller can keep it (e.g. in an overflow list).
    bool try_push(T&& value) {
        if (!try_push_deferred(std::move(value))) {
            return false;
        }
        publish();
        return true;
    }

    template <class... Args>
    bool try_emplace(Args&&... args) {
        if (!try_emplace_deferred(std::forward<Args>(args)...)) {
            return false;
        }
        publish();
        return true;
    }

    /// Stores the item but does not make it visible to the consumer until publish(). Returns
    /// false when full (the unpublished items count), leaving `value` untouched.
    bool try_push_deferred(T&& value) { return try_emplace_deferred(std::move(value)); }

    template <class... Args>
    bool try_emplace_deferred(Args&&... args) {
        std::uint64_t tail = producer_.tail;
        if (tail - producer_.head_cache == Capacity) {
            producer_.head_cache = head_.value.load(std::memory_order_acquire);
            if (tail - producer_.head_cache == Capacity) {
                return false;
            }
        }
        ::new (static_cast<void*>(item(tail))) T(std::forward<Args>(args)...);
        producer_.tail = tail + 1;
        return true;
    }

    /// Makes every deferred item visible. Touches the shared line only if there is news.
    void publish() {
        if (tail_.value.load(std::memory_order_relaxed) != producer_.tail) {
            tail_.value.store(producer_.tail, std::memory_order_release);
        }
    }

    /// Items pushed but not yet published (producer side).
    std::size_t unpublished() const {
        return static_cast<std::size_t>(producer_.tail - tail_.value.load(std::memory_order_relaxed));
    }

    // ---- consumer side ----

    /// Pops up to `max` items, calling f(T&&) for each in order, and publishes the freed slots
    /// once at the end. Returns the number popped. f must not touch this ring.
    template <class F>
    std::size_t consume(F&& f, std::size_t max = Capacity) {
        const std::uint64_t head = consumer_.head;
        std::size_t n = std::min<std::size_t>(available(max), max);
        for (std::size_t i = 0; i < n; ++i) {
            T* p = item(head + i);
            f(std::move(*p));
            p->~T();
        }
        if (n != 0) {
            consumer_.head = head + n;
            head_.value.store(consumer_.head, std::memory_order_release);
        }
        return n;
    }

    bool try_pop(T& out) {
        return consume([&out](T&& value) { out = std::move(value); }, 1) == 1;
    }

    std::optional<T> try_pop() {
        std::optional<T> out;
        consume([&out](T&& value) { out.emplace(std::move(value)); }, 1);
        return out;
    }

    /// Consumer side: true when nothing published is waiting.
    bool empty() { return available(1) == 0; }

    /// Either side, any time: a snapshot that may be stale by the time it is used.
    std::size_t size_approx() const {
        // Head first: it only grows and never passes the tail, so the difference is >= 0.
        std::uint64_t head = head_.value.load(std::memory_order_acquire);
        std::uint64_t tail = tail_.value.load(std::memory_order_acquire);
        return static_cast<std::size_t>(std::min<std::uint64_t>(tail - head, Capacity));
    }

private:
    static constexpr std::size_t cache_line = 64;
    static constexpr std::uint64_t mask = Capacity - 1;

    struct Slot {
        alignas(T) unsigned char bytes[sizeof(T)];
    };
    // Rounded to whole cache lines so no neighbouring heap object shares the last slot's line.
    static constexpr std::size_t slots_bytes = (sizeof(Slot) * Capacity + cache_line - 1) / cache_line * cache_line;

    struct alignas(cache_line) SharedIndex {
        std::atomic<std::uint64_t> value{0};
    };
    struct alignas(cache_line) ProducerState {
        std::uint64_t tail = 0;        // next slot to fill, including unpublished items
        std::uint64_t head_cache = 0;  // last head seen; refreshed only when the ring looks full
    };
    struct alignas(cache_line) ConsumerState {
        std::uint64_t head = 0;        // next slot to read
        std::uint64_t tail_cache = 0;  // last published tail seen; refreshed only when empty
    };

    T* item(std::uint64_t index) { return std::launder(reinterpret_cast<T*>(slots_[index & mask].bytes)); }

    // Reads the producer's line only when the cached tail cannot satisfy `wanted`: that line
    // only costs a transfer when the producer has written it, i.e. when there is news.
    std::size_t available(std::size_t wanted) {
        if (consumer_.tail_cache - consumer_.head < wanted) {
            consumer_.tail_cache = tail_.value.load(std::memory_order_acquire);
        }
        return static_cast<std::size_t>(consumer_.tail_cache - consumer_.head);
    }

    SharedIndex tail_;        // written by the producer (publish), read by the consumer
    ProducerState producer_;  // producer's private line
    SharedIndex head_;        // written by the consumer, read by the producer
    ConsumerState consumer_;  // consumer's private line
    Slot* const slots_;       // read-only after construction: shared by both caches, never bounced
};

}  // namespace ringcast::core
