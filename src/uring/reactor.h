#pragma once
// Reactor: the loop of one shard. Each turn runs, in order (the order matters, as in Seastar's
// reactor::do_run): pollers (cross-shard mailboxes first), expired timers, deferred tasks,
// flushers (batched sends, mailbox publish), then ONE submit-and-wait on the ring, then every
// available CQE in a batch. It sleeps in the kernel only when no poller has work, until the next
// timer or a wake-up (MSG_RING from another shard, or the eventfd for other threads).

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <vector>

#include "uring/completion.h"
#include "uring/ring.h"
#include "uring/timer_wheel.h"

namespace ringcast::uring {

/// Something the loop checks every turn (a mailbox, a queue). Owned by the caller, which must
/// remove it before it dies. Runs on the reactor's thread.
class Poller {
public:
    virtual ~Poller() = default;
    /// Does the work that is ready; returns true if it did any.
    virtual bool poll() = 0;
    /// Cheap check, called right before the loop sleeps: true if poll() would find work that
    /// arrived from another thread. Must be safe against concurrent producers.
    [[nodiscard]] virtual bool ready() const { return false; }
};

/// A one-shot timer, embedded in its owner, armed with Reactor::arm(). Re-arming an armed timer
/// moves it. The owner must cancel it (or let it fire) before dying; ~Timer asserts that.
class Timer {
public:
    Timer() = default;
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    template <auto Method, class Owner>
    void bind(Owner* owner) {
        owner_ = owner;
        fn_ = [](void* self) { (static_cast<Owner*>(self)->*Method)(); };
    }
    [[nodiscard]] bool armed() const { return heap_index_ != kNotArmed; }

private:
    friend class Reactor;
    static constexpr std::size_t kNotArmed = std::numeric_limits<std::size_t>::max();
    std::uint64_t deadline_ns_ = 0;
    std::uint64_t sequence_ = 0;  // FIFO among timers with the same deadline
    std::size_t heap_index_ = kNotArmed;
    void* owner_ = nullptr;
    void (*fn_)(void*) = nullptr;
};

/// How another thread wakes a reactor: by MSG_RING to ring_fd (from another ring) or by writing
/// the eventfd. `sleeping` tells whether a wake-up is needed at all.
struct WakeTarget {
    int ring_fd = -1;
    int event_fd = -1;
    const std::atomic<bool>* sleeping = nullptr;
};

struct ReactorStats {
    std::uint64_t turns = 0;
    std::uint64_t sleeps = 0;
    std::uint64_t cqes = 0;
    std::uint64_t wakeups = 0;
};

/// One per shard thread; owns nothing but its timer heap, pollers list and wake eventfd. The Ring
/// outlives the Reactor. All methods run on the reactor's thread except notify() and
/// request_stop_from_any_thread().
class Reactor {
public:
    static constexpr std::uint64_t kRunUntilSleepMaxMs = 10;

    explicit Reactor(Ring& ring);
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    Ring& ring() { return ring_; }

    /// Runs turns until request_stop().
    void run();
    /// Runs turns until `done()` is true or timeout_ms passes; returns done(). For tests and
    /// shutdown drains. A turn sleeps at most kRunUntilSleepMaxMs, because `done()` may become
    /// true through work the turn did itself (a flush) with no completion left to wake it.
    template <class Pred>
    bool run_until(Pred done, std::uint64_t timeout_ms) {
        refresh_clock();
        std::uint64_t deadline = now_ns() + timeout_ms * 1'000'000;
        while (!done()) {
            refresh_clock();
            if (now_ns() >= deadline) {
                return false;
            }
            turn(std::min(deadline, now_ns() + kRunUntilSleepMaxMs * 1'000'000));
        }
        return true;
    }
    /// One turn; sleeps at most until deadline_ns (monotonic).
    void turn(std::uint64_t deadline_ns = std::numeric_limits<std::uint64_t>::max());

    void request_stop() { stop_requested_ = true; }
    /// Lets a stopped loop run again (a shard drains its connections after run() returned).
    void clear_stop() { stop_requested_ = false; }
    void request_stop_from_any_thread();
    [[nodiscard]] bool stop_requested() const { return stop_requested_.load(std::memory_order_relaxed); }
    /// Wakes the loop if it sleeps; any thread.
    void notify();

    void add_poller(Poller& poller);
    void remove_poller(Poller& poller);
    /// Flushers run once per turn after all other work, right before the submit.
    void add_flusher(Poller& flusher);
    void remove_flusher(Poller& flusher);

    void arm(Timer& timer, std::uint64_t delay_ms);
    void arm_ns(Timer& timer, std::uint64_t delay_ns);
    void cancel(Timer& timer);
    /// Coarse timers (timer_wheel.h): O(1), up to TimerWheel::kTickMs late. For the deadlines
    /// every connection keeps re-arming.
    void arm(CoarseTimer& timer, std::uint64_t delay_ms) { wheel_.arm(timer, now_ns_, delay_ms); }
    void cancel(CoarseTimer& timer) { wheel_.cancel(timer); }
    [[nodiscard]] std::size_t timers_armed() const { return timers_.size() + wheel_.armed_count(); }

    /// Runs fn(ctx) later in this turn (or the next), outside the current call stack: used to free
    /// connections after their last completion without deleting `this` mid-callback.
    void defer(void (*fn)(void*), void* ctx);

    [[nodiscard]] WakeTarget wake_target() const { return {ring_.fd(), event_fd_, &sleeping_}; }
    /// Time at the start of this turn (CLOCK_MONOTONIC); refreshed once per turn.
    [[nodiscard]] std::uint64_t now_ns() const { return now_ns_; }
    [[nodiscard]] std::uint64_t now_ms() const { return now_ns_ / 1'000'000; }
    void refresh_clock();
    [[nodiscard]] const ReactorStats& stats() const { return stats_; }

private:
    bool run_pollers();
    bool fire_timers();
    bool run_deferred();
    void run_flushers();
    bool any_poller_ready() const;
    void wait(bool may_sleep, std::uint64_t deadline_ns);
    void reap();
    void arm_event_read();
    void on_event_read(std::int32_t res, std::uint32_t flags);

    void heap_push(Timer& timer);
    void heap_remove(Timer& timer);
    void heap_sift_up(std::size_t index);
    void heap_sift_down(std::size_t index);
    bool heap_less(std::size_t a, std::size_t b) const;
    void heap_swap(std::size_t a, std::size_t b);

    struct Deferred {
        void (*fn)(void*);
        void* ctx;
    };

    Ring& ring_;
    std::vector<Poller*> pollers_;
    std::vector<Poller*> flushers_;
    std::vector<Timer*> timers_;  // binary min-heap on (deadline, sequence)
    std::uint64_t timer_sequence_ = 0;
    TimerWheel wheel_;
    std::vector<Deferred> deferred_;
    std::vector<Deferred> deferred_running_;
    std::uint64_t now_ns_ = 0;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> sleeping_{false};
    int event_fd_ = -1;
    std::uint64_t event_value_ = 0;
    bool event_read_armed_ = false;
    Completion event_read_;
    ReactorStats stats_;
};

/// Wakes another shard's reactor from this one: MSG_RING (5.18) posts a CQE straight into the
/// target's ring; without it, a write to the target's eventfd.
void wake_target(Reactor& from, const WakeTarget& target);

/// Tags the SQE with the Completion that will receive its CQE.
inline void set_completion(io_uring_sqe* sqe, Completion& completion) {
    io_uring_sqe_set_data64(sqe, completion.user_data());
}

}  // namespace ringcast::uring
