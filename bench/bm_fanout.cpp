// Fan-out of one immutable buffer to many loopback TCP sockets: ringcast's TcpStream path (one
// Ring + Reactor, the same core::Buffer slice queued on every stream, batched sendmsg SQEs, one
// io_uring_enter per turn) against a plain non-blocking send() + edge-triggered epoll loop.
//
// What matters for a streaming server is sender CPU per GB, not bytes/s: bytes/s on loopback is
// capped by whichever of the two cores is busier, while CPU per GB is what limits how many viewers
// one shard can feed. So every run reports the sender thread's CPU (CLOCK_THREAD_CPUTIME_ID) and
// the process CPU minus the receiver thread, which also catches work the kernel does on the
// process's behalf in other threads (io-wq workers).
//
// The receiver is the same for both variants: one thread, pinned to the other core, level-
// triggered epoll + recv into a scratch buffer. Socket buffers are set to the same fixed size on
// both variants (autotuning would make the two runs see different buffer sizes).
//
// Every wait is bounded: a stalled run is reported with SkipWithError instead of hanging.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/buffer.h"
#include "uring/reactor.h"
#include "uring/ring.h"
#include "uring/socket.h"
#include "uring/tcp_stream.h"

namespace {

using ringcast::core::Buffer;
using ringcast::core::Errc;
using ringcast::core::Error;
using ringcast::uring::Fd;
using ringcast::uring::Reactor;
using ringcast::uring::Ring;
using ringcast::uring::TcpStream;

constexpr int kSenderCpu = 0;
constexpr int kReceiverCpu = 1;
// The kernel doubles it: ~256 KiB per direction per socket, room for a few 64 KiB payloads
// without letting 1,000 sockets buffer gigabytes ahead of the receiver.
constexpr int kSocketBufferBytes = 128 * 1024;
constexpr std::size_t kScratchBytes = 256 * 1024;
// Rounds before the timed loop, so cwnd and buffers are warm and the first timed round does not
// pay for connection start-up.
constexpr int kWarmupRounds = 3;
constexpr std::uint64_t kRoundTimeoutMs = 10'000;
constexpr std::uint64_t kDrainTimeoutMs = 10'000;
constexpr std::uint64_t kTeardownTimeoutMs = 5'000;

std::uint64_t monotonic_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1'000'000;
}

double clock_s(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_s() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

bool pin_to_cpu(pthread_t thread, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::pthread_setaffinity_np(thread, sizeof set, &set) == 0;
}

/// Pins the benchmark thread to the sender core for one benchmark run, then gives the old mask back.
class SenderPin {
public:
    SenderPin() {
        saved_ok_ = ::pthread_getaffinity_np(::pthread_self(), sizeof saved_, &saved_) == 0;
        pinned_ = pin_to_cpu(::pthread_self(), kSenderCpu);
    }
    ~SenderPin() {
        if (saved_ok_) {
            ::pthread_setaffinity_np(::pthread_self(), sizeof saved_, &saved_);
        }
    }
    SenderPin(const SenderPin&) = delete;
    SenderPin& operator=(const SenderPin&) = delete;
    [[nodiscard]] bool pinned() const { return pinned_; }

private:
    cpu_set_t saved_{};
    bool saved_ok_ = false;
    bool pinned_ = false;
};

void set_buffer(int fd, int option) { ::setsockopt(fd, SOL_SOCKET, option, &kSocketBufferBytes, sizeof kSocketBufferBytes); }

/// `senders[i]` (accepted, non-blocking, TCP_NODELAY as the shards set it) is connected to
/// `receivers[i]` (made non-blocking for the receiver's epoll loop).
struct Pairs {
    std::vector<Fd> senders;
    std::vector<Fd> receivers;
};

bool make_pairs(std::size_t count, Pairs& pairs, std::string& error) {
    auto address = ringcast::uring::SocketAddress::parse("127.0.0.1", 0);
    auto listener = ringcast::uring::listen_tcp(*address, {.reuse_port = false, .backlog = 1024});
    if (!listener) {
        error = std::string(listener.error().describe());
        return false;
    }
    auto port = ringcast::uring::local_port(listener->get());
    auto target = ringcast::uring::SocketAddress::parse("127.0.0.1", *port);
    for (std::size_t i = 0; i < count; ++i) {
        auto client = ringcast::uring::connect_tcp_blocking(*target);
        if (!client) {
            error = "connect " + std::to_string(i) + ": " + std::string(client.error().describe());
            return false;
        }
        int accepted = -1;
        // The handshake is done when connect returns, but the accept queue may lag a moment.
        for (int attempt = 0; attempt < 100 && accepted < 0; ++attempt) {
            accepted = ::accept4(listener->get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (accepted < 0) {
                pollfd p{listener->get(), POLLIN, 0};
                ::poll(&p, 1, 10);
            }
        }
        if (accepted < 0) {
            error = "accept " + std::to_string(i) + ": " + std::strerror(errno);
            return false;
        }
        ringcast::uring::tune_stream_socket(accepted, true);
        set_buffer(accepted, SO_SNDBUF);
        set_buffer(client->get(), SO_RCVBUF);
        ::fcntl(client->get(), F_SETFL, ::fcntl(client->get(), F_GETFL) | O_NONBLOCK);
        pairs.senders.emplace_back(accepted);
        pairs.receivers.push_back(std::move(*client));
    }
    return true;
}

/// Drains every receiving socket on its own pinned thread. Level-triggered, one recv per ready
/// socket per wake-up, so a fast socket cannot starve the others.
class Receiver {
public:
    ~Receiver() { stop(); }

    bool start(const std::vector<Fd>& fds, std::string& error) {
        epoll_fd_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
        if (!epoll_fd_.valid()) {
            error = std::string("epoll_create1: ") + std::strerror(errno);
            return false;
        }
        for (const Fd& fd : fds) {
            epoll_event event{};
            event.events = EPOLLIN | EPOLLRDHUP;
            event.data.fd = fd.get();
            if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd.get(), &event) != 0) {
                error = std::string("epoll_ctl receiver: ") + std::strerror(errno);
                return false;
            }
        }
        thread_ = std::thread([this] { run(); });
        pin_to_cpu(thread_.native_handle(), kReceiverCpu);
        // Its own name, so perf can tell receiver work from sender work.
        ::pthread_setname_np(thread_.native_handle(), "fanout-recv");
        return ::pthread_getcpuclockid(thread_.native_handle(), &cpu_clock_) == 0;
    }

    /// Joins the thread; returns the CPU seconds it used, read by the thread itself at the end.
    double stop() {
        if (thread_.joinable()) {
            stop_.store(true, std::memory_order_relaxed);
            thread_.join();
        }
        return final_cpu_s_;
    }

    /// The receiver's CPU so far, read from this thread (the window of the timed loop is narrower
    /// than the thread's life).
    [[nodiscard]] double cpu_s() const { return clock_s(cpu_clock_); }
    [[nodiscard]] std::uint64_t received() const { return received_.load(std::memory_order_acquire); }

    /// Sleeps (not spins: the sender's CPU clock must not count the wait) until `total` bytes
    /// have arrived.
    bool wait_for(std::uint64_t total, std::uint64_t timeout_ms) const {
        const std::uint64_t deadline = monotonic_ms() + timeout_ms;
        while (received() < total) {
            if (monotonic_ms() > deadline) {
                return false;
            }
            timespec nap{0, 50'000};
            ::nanosleep(&nap, nullptr);
        }
        return true;
    }

private:
    void run() {
        std::vector<std::uint8_t> scratch(kScratchBytes);
        std::vector<epoll_event> events(1024);
        while (!stop_.load(std::memory_order_relaxed)) {
            // The timeout only bounds how long stop() waits.
            int ready = ::epoll_wait(epoll_fd_.get(), events.data(), static_cast<int>(events.size()), 10);
            std::uint64_t got = 0;
            for (int i = 0; i < ready; ++i) {
                int fd = events[static_cast<std::size_t>(i)].data.fd;
                ssize_t n = ::recv(fd, scratch.data(), scratch.size(), MSG_DONTWAIT);
                if (n > 0) {
                    got += static_cast<std::uint64_t>(n);
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    // Peer gone (teardown): stop watching it, or level-triggered EOF spins.
                    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
                }
            }
            if (got > 0) {
                received_.fetch_add(got, std::memory_order_release);
            }
        }
        final_cpu_s_ = clock_s(CLOCK_THREAD_CPUTIME_ID);
    }

    Fd epoll_fd_;
    std::thread thread_;
    clockid_t cpu_clock_ = CLOCK_THREAD_CPUTIME_ID;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> received_{0};
    double final_cpu_s_ = 0;
};

/// What one variant did, summed since setup; the timed loop reports the difference.
struct SendCounts {
    std::uint64_t syscalls = 0;  // io_uring_enter, or send + epoll_wait
    std::uint64_t send_ops = 0;  // sendmsg SQEs, or send() calls
};

/// ringcast's path: one TcpStream per socket on one Ring + Reactor.
class UringFanout {
public:
    bool setup(Pairs& pairs, std::string& error) {
        auto created = Ring::create();
        if (!created) {
            error = std::string(created.error().describe());
            return false;
        }
        ring_ = std::move(*created);
        reactor_ = std::make_unique<Reactor>(*ring_);
        sinks_ = std::vector<Sink>(pairs.senders.size());
        streams_.reserve(pairs.senders.size());
        for (std::size_t i = 0; i < pairs.senders.size(); ++i) {
            sinks_[i].owner = this;
            // No provided buffers: the receiving ends never write, so the recv side stays idle.
            streams_.push_back(std::make_unique<TcpStream>(*reactor_, nullptr, sinks_[i]));
            streams_.back()->open(pairs.senders[i].release());
        }
        ring_->submit();
        return true;
    }

    /// Queues the same slice on every stream and turns the reactor until every queue is empty.
    bool round(const Buffer& payload) {
        pending_ = streams_.size();
        for (auto& stream : streams_) {
            if (!stream->send(payload.slice())) {
                return false;
            }
        }
        if (!reactor_->run_until([this] { return pending_ == 0; }, kRoundTimeoutMs)) {
            return false;
        }
        for (const auto& stream : streams_) {
            if (stream->queued_bytes() != 0) {
                return false;
            }
        }
        return true;
    }

    [[nodiscard]] SendCounts counts() const {
        SendCounts counts{reactor_->stats().turns, 0};
        for (const auto& stream : streams_) {
            counts.send_ops += stream->stats().sendmsg_calls;
        }
        return counts;
    }

    ~UringFanout() {
        if (!reactor_) {
            return;
        }
        for (auto& stream : streams_) {
            stream->close(Error::make(Errc::closed, "bench teardown"));
        }
        if (!reactor_->run_until([this] { return closed_ == streams_.size(); }, kTeardownTimeoutMs)) {
            // CQEs may still name these objects: leaking them is the only safe way out.
            std::fprintf(stderr, "bm_fanout: streams did not close in time; leaking the ring\n");
            for (auto& stream : streams_) {
                (void)stream.release();
            }
            static_cast<void>(new std::vector<Sink>(std::move(sinks_)));
            (void)reactor_.release();
            (void)ring_.release();
        }
    }

private:
    struct Sink final : TcpStream::Handler {
        UringFanout* owner = nullptr;
        void on_data(std::span<const std::uint8_t>) override {}
        void on_send_drained() override { --owner->pending_; }
        void on_closed(Error) override { ++owner->closed_; }
    };

    std::unique_ptr<Ring> ring_;
    std::unique_ptr<Reactor> reactor_;
    // Declared after the reactor so that, on the normal path, streams die first.
    std::vector<Sink> sinks_;
    std::vector<std::unique_ptr<TcpStream>> streams_;
    std::size_t pending_ = 0;
    std::size_t closed_ = 0;
};

/// The classic loop: send() on every socket, then edge-triggered EPOLLOUT for the remainders.
/// Edge-triggered so interest is registered once, not re-armed with epoll_ctl per stalled socket.
class EpollFanout {
public:
    bool setup(Pairs& pairs, std::string& error) {
        epoll_fd_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
        if (!epoll_fd_.valid()) {
            error = std::string("epoll_create1: ") + std::strerror(errno);
            return false;
        }
        fds_ = std::move(pairs.senders);
        remaining_.assign(fds_.size(), 0);
        events_.resize(fds_.size());
        for (std::size_t i = 0; i < fds_.size(); ++i) {
            epoll_event event{};
            event.events = EPOLLOUT | EPOLLET;
            event.data.u64 = i;
            if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fds_[i].get(), &event) != 0) {
                error = std::string("epoll_ctl sender: ") + std::strerror(errno);
                return false;
            }
        }
        // Registration reports every socket writable once; consume that so round 1 does not.
        ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), 0);
        return true;
    }

    bool round(const Buffer& payload) {
        data_ = payload.data();
        size_ = payload.size();
        pending_ = 0;
        failed_ = false;
        for (std::size_t i = 0; i < fds_.size(); ++i) {
            remaining_[i] = size_;
            ++pending_;
            try_send(i);
        }
        const std::uint64_t deadline = monotonic_ms() + kRoundTimeoutMs;
        while (pending_ > 0 && !failed_) {
            int ready = ::epoll_wait(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), 100);
            ++counts_.syscalls;
            if (ready < 0 && errno != EINTR) {
                return false;
            }
            if (ready <= 0) {
                if (monotonic_ms() > deadline) {
                    return false;
                }
                // Nothing for 100 ms: retry everything, in case an edge was missed.
                for (std::size_t i = 0; i < fds_.size(); ++i) {
                    if (remaining_[i] > 0) {
                        try_send(i);
                    }
                }
                continue;
            }
            for (int e = 0; e < ready; ++e) {
                // Events for sockets that are done are stale edges from an earlier round.
                auto i = static_cast<std::size_t>(events_[static_cast<std::size_t>(e)].data.u64);
                if (remaining_[i] > 0) {
                    try_send(i);
                }
            }
        }
        return !failed_;
    }

    [[nodiscard]] SendCounts counts() const { return counts_; }

private:
    // A short or EAGAIN send leaves the socket with SOCK_NOSPACE set, so the kernel reports an
    // EPOLLOUT edge once space frees up: no need to call send again until then.
    void try_send(std::size_t i) {
        const std::size_t offset = size_ - remaining_[i];
        ssize_t n = ::send(fds_[i].get(), data_ + offset, remaining_[i], MSG_NOSIGNAL | MSG_DONTWAIT);
        ++counts_.syscalls;
        ++counts_.send_ops;
        if (n > 0) {
            remaining_[i] -= static_cast<std::size_t>(n);
            if (remaining_[i] == 0) {
                --pending_;
            }
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            failed_ = true;
        }
    }

    Fd epoll_fd_;
    std::vector<Fd> fds_;
    std::vector<std::size_t> remaining_;
    std::vector<epoll_event> events_;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t pending_ = 0;
    bool failed_ = false;
    SendCounts counts_;
};

struct CpuSnapshot {
    double sender;
    double process;
    double receiver;
};

CpuSnapshot snapshot(const Receiver& receiver) {
    return {clock_s(CLOCK_THREAD_CPUTIME_ID), process_cpu_s(), receiver.cpu_s()};
}

template <class Variant>
void BM_Fanout(benchmark::State& state, std::size_t payload_bytes, std::size_t sockets) {
    SenderPin pin;
    if (!pin.pinned()) {
        state.SkipWithError("cannot pin the sender thread (needs 2 CPUs)");
        return;
    }
    std::vector<std::uint8_t> bytes(payload_bytes);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<std::uint8_t>(i * 131 + 7);
    }
    const Buffer payload = Buffer::copy_of(std::span<const std::uint8_t>(bytes));
    const std::uint64_t bytes_per_round = static_cast<std::uint64_t>(payload_bytes) * sockets;

    std::string error;
    Pairs pairs;
    Receiver receiver;  // declared before the variant: stopped after the senders close
    auto variant = std::make_unique<Variant>();
    if (!make_pairs(sockets, pairs, error) || !variant->setup(pairs, error) || !receiver.start(pairs.receivers, error)) {
        state.SkipWithError(error.c_str());
        return;
    }
    for (int i = 0; i < kWarmupRounds; ++i) {
        if (!variant->round(payload)) {
            state.SkipWithError("warm-up round stalled or failed");
            return;
        }
    }
    if (!receiver.wait_for(kWarmupRounds * bytes_per_round, kDrainTimeoutMs)) {
        state.SkipWithError("receiver did not drain the warm-up");
        return;
    }

    const std::uint64_t received_before = receiver.received();
    const SendCounts counts_before = variant->counts();
    const CpuSnapshot before = snapshot(receiver);
    std::int64_t rounds = 0;
    for (auto _ : state) {
        if (!variant->round(payload)) {
            state.SkipWithError("round stalled or failed");
            break;
        }
        // The last round waits until the receiver has everything, so bytes/s is delivered
        // bytes, not bytes parked in socket buffers.
        if (++rounds == state.max_iterations &&
            !receiver.wait_for(received_before + static_cast<std::uint64_t>(rounds) * bytes_per_round, kDrainTimeoutMs)) {
            state.SkipWithError("receiver did not get every byte");
            break;
        }
    }
    const CpuSnapshot after = snapshot(receiver);
    const SendCounts counts_after = variant->counts();
    if (state.error_occurred() || rounds == 0) {
        return;
    }

    const auto total = static_cast<std::uint64_t>(rounds) * bytes_per_round;
    const double gb = static_cast<double>(total) / 1e9;
    const double receiver_cpu = after.receiver - before.receiver;
    const auto per_round = [&](std::uint64_t a, std::uint64_t b) { return static_cast<double>(b - a) / static_cast<double>(rounds); };
    state.SetBytesProcessed(static_cast<std::int64_t>(total));
    state.counters["sender_cpu_s_per_GB"] = (after.sender - before.sender) / gb;
    state.counters["process_cpu_s_per_GB"] = (after.process - before.process - receiver_cpu) / gb;
    state.counters["receiver_cpu_s_per_GB"] = receiver_cpu / gb;
    state.counters["syscalls_per_iter"] = per_round(counts_before.syscalls, counts_after.syscalls);
    state.counters["sends_per_iter"] = per_round(counts_before.send_ops, counts_after.send_ops);
}

void raise_fd_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    raise_fd_limit();  // 2,000 sockets plus epoll and ring descriptors
    struct Case {
        std::size_t payload;
        std::size_t sockets;
        std::uint64_t bytes_per_run;
    };
    // Fixed byte volume per run, so 8 KiB and 64 KiB runs last about as long (~1 s each).
    const Case cases[] = {
        {8 * 1024, 1000, 2ull << 30},
        {64 * 1024, 1000, 2ull << 30},
        // The 2 Mbps test stream's mean audio and video message sizes (perf/compare.py's media,
        // 25 fps), for the per-message floor of the low-latency profile (one send per message).
        {384, 1000, 128ull << 20},
        {10240, 1000, 2ull << 30},
        {8 * 1024, 1, 1ull << 30},
        {64 * 1024, 1, 1ull << 30},
    };
    for (const Case& c : cases) {
        const auto rounds = static_cast<benchmark::IterationCount>(c.bytes_per_run / (c.payload * c.sockets));
        const std::string suffix = "/payload:" + std::to_string(c.payload) + "/sockets:" + std::to_string(c.sockets);
        benchmark::RegisterBenchmark(("BM_Fanout_uring" + suffix).c_str(), BM_Fanout<UringFanout>, c.payload, c.sockets)
            ->Iterations(rounds)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("BM_Fanout_epoll" + suffix).c_str(), BM_Fanout<EpollFanout>, c.payload, c.sockets)
            ->Iterations(rounds)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
