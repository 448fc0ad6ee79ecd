#pragma once
// Coarse timers for deadlines that thousands of connections re-arm all the time and that need no
// precision: merged-write flushes (each player, every mw_latency) and idle timeouts. A hashed
// timing wheel (Varghese & Lauck; the Linux kernel's timer wheel) makes arm and cancel O(1)
// pointer updates on the timer itself, where the Reactor's binary heap pays log2(N) swaps, each
// touching another timer's cache line: with 4,000 players that heap was 6% of a shard's CPU.
//
// The wheel is a plain data structure, driven by its Reactor: the loop calls advance(now) every
// turn and sleeps no longer than next_deadline_ns(). A timer fires in the first advance at or after
// its deadline rounded up to the next tick, so at most kTickMs late (plus the loop's turn).

#include <array>
#include <cstddef>
#include <cstdint>

namespace ringcast::uring {

/// Embedded in its owner; bound once, then armed and cancelled through the TimerWheel (normally
/// via Reactor::arm / Reactor::cancel). The owner must cancel it (or let it fire) before dying.
class CoarseTimer {
public:
    CoarseTimer() = default;
    ~CoarseTimer();
    CoarseTimer(const CoarseTimer&) = delete;
    CoarseTimer& operator=(const CoarseTimer&) = delete;

    template <auto Method, class Owner>
    void bind(Owner* owner) {
        owner_ = owner;
        fn_ = [](void* self) { (static_cast<Owner*>(self)->*Method)(); };
    }
    [[nodiscard]] bool armed() const { return prev_ != nullptr; }

private:
    friend class TimerWheel;
    CoarseTimer* prev_ = nullptr;  // null while not armed
    CoarseTimer* next_ = nullptr;
    std::uint64_t deadline_tick_ = 0;
    void* owner_ = nullptr;
    void (*fn_)(void*) = nullptr;
};

class TimerWheel {
public:
    static constexpr std::uint64_t kTickMs = 2;
    static constexpr std::uint64_t kTickNs = kTickMs * 1'000'000;
    /// One lap is kSlots * kTickMs (1 s); a timer further out stays in its slot for more laps.
    static constexpr std::size_t kSlots = 512;

    explicit TimerWheel(std::uint64_t now_ns);
    /// Leaves any timer still armed unarmed (its owner outlived the loop).
    ~TimerWheel();
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;

    /// (Re)arms `timer` to fire delay_ms after now_ns.
    void arm(CoarseTimer& timer, std::uint64_t now_ns, std::uint64_t delay_ms);
    void cancel(CoarseTimer& timer);
    /// Fires every timer due by now_ns; returns whether any fired. Callbacks may arm and cancel
    /// any timer, the one firing included.
    bool advance(std::uint64_t now_ns);
    /// When the loop must look again (max() if nothing is armed). May be early (a cancelled
    /// timer's slot, or a timer more than one lap out), never late.
    [[nodiscard]] std::uint64_t next_deadline_ns() const;
    [[nodiscard]] std::size_t armed_count() const { return armed_count_; }

private:
    /// A circular list's sentinel: prev_/next_ of an empty slot point at itself.
    struct Slot {
        CoarseTimer head;
    };
    static void link_before(CoarseTimer& head, CoarseTimer& timer);
    static void unlink(CoarseTimer& timer);
    Slot& slot_of(std::uint64_t tick) { return slots_[tick & (kSlots - 1)]; }
    void fire_due_in(Slot& slot, std::uint64_t now_tick, bool& fired);

    std::array<Slot, kSlots> slots_;
    std::uint64_t done_tick_;  // every slot up to this tick has been walked
    std::uint64_t next_tick_;  // lower bound of the earliest deadline; max() when none
    std::size_t armed_count_ = 0;
};

}  // namespace ringcast::uring
