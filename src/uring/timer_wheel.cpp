#include "uring/timer_wheel.h"

#include <cassert>
#include <limits>

namespace ringcast::uring {

namespace {
constexpr std::uint64_t kNoTick = std::numeric_limits<std::uint64_t>::max();
}

CoarseTimer::~CoarseTimer() { assert(!armed() && "a CoarseTimer must be canceled before its owner dies"); }

TimerWheel::TimerWheel(std::uint64_t now_ns) : done_tick_(now_ns / kTickNs), next_tick_(kNoTick) {
    for (Slot& slot : slots_) {
        slot.head.prev_ = &slot.head;
        slot.head.next_ = &slot.head;
    }
}

TimerWheel::~TimerWheel() {
    for (Slot& slot : slots_) {
        while (slot.head.next_ != &slot.head) {
            unlink(*slot.head.next_);
        }
        slot.head.prev_ = nullptr;
        slot.head.next_ = nullptr;
    }
}

void TimerWheel::link_before(CoarseTimer& head, CoarseTimer& timer) {
    timer.prev_ = head.prev_;
    timer.next_ = &head;
    head.prev_->next_ = &timer;
    head.prev_ = &timer;
}

void TimerWheel::unlink(CoarseTimer& timer) {
    timer.prev_->next_ = timer.next_;
    timer.next_->prev_ = timer.prev_;
    timer.prev_ = nullptr;
    timer.next_ = nullptr;
}

void TimerWheel::arm(CoarseTimer& timer, std::uint64_t now_ns, std::uint64_t delay_ms) {
    if (timer.armed()) {
        unlink(timer);
        --armed_count_;
    }
    // Rounded up, and never into a slot already walked: the timer must not fire early.
    std::uint64_t tick = (now_ns + delay_ms * 1'000'000 + kTickNs - 1) / kTickNs;
    if (tick <= done_tick_) {
        tick = done_tick_ + 1;
    }
    timer.deadline_tick_ = tick;
    link_before(slot_of(tick).head, timer);
    ++armed_count_;
    if (tick < next_tick_) {
        next_tick_ = tick;
    }
}

void TimerWheel::cancel(CoarseTimer& timer) {
    if (timer.armed()) {
        unlink(timer);
        --armed_count_;
    }
}

void TimerWheel::fire_due_in(Slot& slot, std::uint64_t now_tick, bool& fired) {
    // Move the slot's timers to a local list first: a callback may arm a timer into this very
    // slot (a lap later), which must not be visited again in this walk.
    CoarseTimer pending;
    pending.prev_ = &pending;
    pending.next_ = &pending;
    if (slot.head.next_ != &slot.head) {
        pending.next_ = slot.head.next_;
        pending.prev_ = slot.head.prev_;
        pending.next_->prev_ = &pending;
        pending.prev_->next_ = &pending;
        slot.head.next_ = &slot.head;
        slot.head.prev_ = &slot.head;
    }
    while (pending.next_ != &pending) {
        CoarseTimer& timer = *pending.next_;
        unlink(timer);
        if (timer.deadline_tick_ > now_tick) {
            link_before(slot.head, timer);  // a later lap
            continue;
        }
        --armed_count_;
        fired = true;
        timer.fn_(timer.owner_);  // may cancel timers still in `pending`: they unlink themselves
    }
    pending.prev_ = nullptr;
    pending.next_ = nullptr;
}

bool TimerWheel::advance(std::uint64_t now_ns) {
    const std::uint64_t now_tick = now_ns / kTickNs;
    bool fired = false;
    if (now_tick <= done_tick_) {
        return false;
    }
    const std::uint64_t walked_tick = done_tick_;
    // Set first, so a callback arming a timer puts it after now_tick, never into a slot this
    // walk has already passed.
    done_tick_ = now_tick;
    if (armed_count_ != 0 && next_tick_ <= now_tick) {
        // Walk every slot passed since the last advance, once each even after a long stall.
        const std::uint64_t first = now_tick - walked_tick > kSlots ? now_tick - kSlots + 1 : walked_tick + 1;
        for (std::uint64_t tick = first; tick <= now_tick; ++tick) {
            fire_due_in(slot_of(tick), now_tick, fired);
        }
    }
    if (next_tick_ <= now_tick) {
        // Find the first non-empty slot ahead; its timers may be laps away, in which case the
        // loop wakes there once per lap.
        next_tick_ = kNoTick;
        if (armed_count_ != 0) {
            for (std::uint64_t tick = now_tick + 1; tick <= now_tick + kSlots; ++tick) {
                const Slot& slot = slots_[tick & (kSlots - 1)];
                if (slot.head.next_ != &slot.head) {
                    next_tick_ = tick;
                    break;
                }
            }
        }
    }
    return fired;
}

std::uint64_t TimerWheel::next_deadline_ns() const {
    if (armed_count_ == 0 || next_tick_ == kNoTick) {
        return kNoTick;
    }
    return next_tick_ * kTickNs;
}

}  // namespace ringcast::uring
