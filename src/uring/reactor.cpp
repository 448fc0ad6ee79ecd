#include "uring/reactor.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>

#include "core/log.h"

namespace ringcast::uring {
namespace {

std::uint64_t clock_monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

constexpr unsigned kReapBatchMax = 256;

}  // namespace

Timer::~Timer() { assert(!armed() && "a Timer must be canceled before its owner dies"); }

Reactor::Reactor(Ring& ring) : ring_(ring), wheel_(clock_monotonic_ns()) {
    event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    event_read_.bind<&Reactor::on_event_read>(this);
    refresh_clock();
    arm_event_read();
    ring_.submit();
}

Reactor::~Reactor() {
    if (event_read_armed_) {
        if (io_uring_sqe* sqe = ring_.get_sqe()) {
            io_uring_prep_cancel64(sqe, event_read_.user_data(), 0);
            io_uring_sqe_set_data64(sqe, kUserDataIgnore);
        }
        // Drain until the canceled read has reported, so no CQE points at a dead Reactor.
        for (int i = 0; i < 1000 && event_read_armed_; ++i) {
            wait(true, now_ns() + 1'000'000);
            reap();
            refresh_clock();
        }
    }
    for (Timer* timer : timers_) {
        timer->heap_index_ = Timer::kNotArmed;
    }
    if (event_fd_ >= 0) {
        ::close(event_fd_);
    }
}

void Reactor::refresh_clock() { now_ns_ = clock_monotonic_ns(); }

void Reactor::run() {
    while (!stop_requested()) {
        turn();
    }
}

void Reactor::turn(std::uint64_t deadline_ns) {
    ++stats_.turns;
    refresh_clock();
    bool busy = run_pollers();
    busy |= fire_timers();
    busy |= run_deferred();
    run_flushers();
    busy |= !deferred_.empty();
    wait(!busy && !stop_requested(), deadline_ns);
    reap();
}

bool Reactor::run_pollers() {
    bool did_work = false;
    // Index loop: a poller may add or remove pollers while it runs.
    for (std::size_t i = 0; i < pollers_.size(); ++i) {
        did_work |= pollers_[i]->poll();
    }
    return did_work;
}

void Reactor::run_flushers() {
    for (std::size_t i = 0; i < flushers_.size(); ++i) {
        flushers_[i]->poll();
    }
}

bool Reactor::any_poller_ready() const {
    return std::any_of(pollers_.begin(), pollers_.end(), [](const Poller* p) { return p->ready(); });
}

bool Reactor::fire_timers() {
    bool fired = false;
    while (!timers_.empty() && timers_.front()->deadline_ns_ <= now_ns_) {
        Timer* timer = timers_.front();
        heap_remove(*timer);
        fired = true;
        timer->fn_(timer->owner_);
    }
    fired |= wheel_.advance(now_ns_);
    return fired;
}

bool Reactor::run_deferred() {
    if (deferred_.empty()) {
        return false;
    }
    deferred_running_.swap(deferred_);
    for (const Deferred& task : deferred_running_) {
        task.fn(task.ctx);
    }
    deferred_running_.clear();
    return true;
}

void Reactor::wait(bool may_sleep, std::uint64_t deadline_ns) {
    io_uring* raw = ring_.raw();
    if (may_sleep) {
        // Dekker with the producers: publish "sleeping", then look at the mailboxes once more. A
        // producer pushes, then reads `sleeping`; one of the two sides sees the other.
        sleeping_.store(true, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (any_poller_ready()) {
            may_sleep = false;
        }
    }
    if (!may_sleep) {
        sleeping_.store(false, std::memory_order_relaxed);
        io_uring_submit_and_get_events(raw);
        return;
    }
    std::uint64_t until = deadline_ns;
    if (!timers_.empty()) {
        until = std::min(until, timers_.front()->deadline_ns_);
    }
    until = std::min(until, wheel_.next_deadline_ns());
    ++stats_.sleeps;
    io_uring_cqe* cqe = nullptr;
    if (until == std::numeric_limits<std::uint64_t>::max()) {
        io_uring_submit_and_wait_timeout(raw, &cqe, 1, nullptr, nullptr);
    } else {
        std::uint64_t now = clock_monotonic_ns();
        std::uint64_t delta = until > now ? until - now : 0;
        __kernel_timespec ts{};
        ts.tv_sec = static_cast<long long>(delta / 1'000'000'000ull);
        ts.tv_nsec = static_cast<long long>(delta % 1'000'000'000ull);
        io_uring_submit_and_wait_timeout(raw, &cqe, 1, &ts, nullptr);
    }
    sleeping_.store(false, std::memory_order_relaxed);
}

void Reactor::reap() {
    io_uring* raw = ring_.raw();
    struct Entry {
        std::uint64_t user_data;
        std::int32_t res;
        std::uint32_t flags;
    };
    Entry batch[kReapBatchMax];
    for (;;) {
        unsigned count = 0;
        unsigned head = 0;
        io_uring_cqe* cqe = nullptr;
        io_uring_for_each_cqe(raw, head, cqe) {
            batch[count++] = {cqe->user_data, cqe->res, cqe->flags};
            if (count == kReapBatchMax) {
                break;
            }
        }
        if (count == 0) {
            return;
        }
        // Give the slots back before dispatching, so the kernel can post while we work.
        io_uring_cq_advance(raw, count);
        stats_.cqes += count;
        for (unsigned i = 0; i < count; ++i) {
            const Entry& e = batch[i];
            if (e.user_data >= kUserDataTagMax) {
                Completion::from_user_data(e.user_data)->complete(e.res, e.flags);
            } else if (e.user_data == kUserDataWake) {
                ++stats_.wakeups;
            }
        }
        if (count < kReapBatchMax) {
            return;
        }
    }
}

void Reactor::arm_event_read() {
    if (event_fd_ < 0 || stop_requested()) {
        return;
    }
    io_uring_sqe* sqe = ring_.get_sqe();
    if (sqe == nullptr) {
        return;
    }
    io_uring_prep_read(sqe, event_fd_, &event_value_, sizeof event_value_, 0);
    set_completion(sqe, event_read_);
    event_read_armed_ = true;
}

void Reactor::on_event_read(std::int32_t res, std::uint32_t) {
    event_read_armed_ = false;
    ++stats_.wakeups;
    if (res == -ECANCELED) {
        return;
    }
    arm_event_read();
}

void Reactor::notify() {
    if (!sleeping_.load(std::memory_order_seq_cst)) {
        return;
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void Reactor::request_stop_from_any_thread() {
    stop_requested_.store(true, std::memory_order_seq_cst);
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

void wake_target(Reactor& from, const WakeTarget& target) {
    const RingFeatures& features = from.ring().features();
    if (features.msg_ring && target.ring_fd >= 0) {
        if (io_uring_sqe* sqe = from.ring().get_sqe()) {
            io_uring_prep_msg_ring(sqe, target.ring_fd, 0, kUserDataWake, 0);
            io_uring_sqe_set_data64(sqe, kUserDataIgnore);
            if (features.cqe_skip) {
                sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
            }
            return;
        }
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(target.event_fd, &one, sizeof one);
}

void Reactor::add_poller(Poller& poller) { pollers_.push_back(&poller); }
void Reactor::remove_poller(Poller& poller) { std::erase(pollers_, &poller); }
void Reactor::add_flusher(Poller& flusher) { flushers_.push_back(&flusher); }
void Reactor::remove_flusher(Poller& flusher) { std::erase(flushers_, &flusher); }

void Reactor::defer(void (*fn)(void*), void* ctx) { deferred_.push_back({fn, ctx}); }

void Reactor::arm(Timer& timer, std::uint64_t delay_ms) { arm_ns(timer, delay_ms * 1'000'000); }

void Reactor::arm_ns(Timer& timer, std::uint64_t delay_ns) {
    if (timer.armed()) {
        heap_remove(timer);
    }
    timer.deadline_ns_ = clock_monotonic_ns() + delay_ns;
    timer.sequence_ = ++timer_sequence_;
    heap_push(timer);
}

void Reactor::cancel(Timer& timer) {
    if (timer.armed()) {
        heap_remove(timer);
    }
}

bool Reactor::heap_less(std::size_t a, std::size_t b) const {
    const Timer* x = timers_[a];
    const Timer* y = timers_[b];
    return x->deadline_ns_ != y->deadline_ns_ ? x->deadline_ns_ < y->deadline_ns_ : x->sequence_ < y->sequence_;
}

void Reactor::heap_swap(std::size_t a, std::size_t b) {
    std::swap(timers_[a], timers_[b]);
    timers_[a]->heap_index_ = a;
    timers_[b]->heap_index_ = b;
}

void Reactor::heap_sift_up(std::size_t index) {
    while (index > 0) {
        std::size_t parent = (index - 1) / 2;
        if (!heap_less(index, parent)) {
            break;
        }
        heap_swap(index, parent);
        index = parent;
    }
}

void Reactor::heap_sift_down(std::size_t index) {
    for (;;) {
        std::size_t smallest = index;
        std::size_t left = 2 * index + 1;
        std::size_t right = left + 1;
        if (left < timers_.size() && heap_less(left, smallest)) {
            smallest = left;
        }
        if (right < timers_.size() && heap_less(right, smallest)) {
            smallest = right;
        }
        if (smallest == index) {
            return;
        }
        heap_swap(index, smallest);
        index = smallest;
    }
}

void Reactor::heap_push(Timer& timer) {
    timers_.push_back(&timer);
    timer.heap_index_ = timers_.size() - 1;
    heap_sift_up(timer.heap_index_);
}

void Reactor::heap_remove(Timer& timer) {
    std::size_t index = timer.heap_index_;
    std::size_t last = timers_.size() - 1;
    if (index != last) {
        heap_swap(index, last);
    }
    timers_.pop_back();
    timer.heap_index_ = Timer::kNotArmed;
    if (index < timers_.size()) {
        heap_sift_down(index);
        heap_sift_up(index);
    }
}

}  // namespace ringcast::uring
