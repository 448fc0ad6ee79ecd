#include "app/server.h"

#include <unistd.h>

#include <cstdlib>
#include <random>

#include "api/srs_json.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <cerrno>
#include <chrono>

#include "core/log.h"

namespace ringcast::app {
namespace {

sigset_t server_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2}) {
        sigaddset(&set, sig);
    }
    return set;
}

// Pins the calling thread to the index-th CPU this process may run on, so shard N stays on one
// core with its caches (a 2-core box with workers 2 gets one shard per core).
void pin_to_cpu(std::size_t index) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) == 0) {
        return;
    }
    std::size_t target = index % static_cast<std::size_t>(CPU_COUNT(&allowed));
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &allowed) && target-- == 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
    }
}

}  // namespace

void block_server_signals() {
    sigset_t set = server_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Server::Server(const Config& config) : config_(config) {}

Server::~Server() { stop(); }

core::Status Server::start() {
    auto count = static_cast<std::size_t>(config_.workers);
    mesh_ = std::make_unique<Mesh>(count);
    start_status_.assign(count, core::Status{});
    core::log::start_writer();
    init_api_identity();
    sample_host();
    for (std::size_t i = 0; i < count; ++i) {
        shards_.push_back(std::make_unique<Shard>(i, config_, *mesh_, shared_));
    }
    for (std::size_t i = 0; i < count; ++i) {
        threads_.emplace_back([this, i] { shard_main(i); });
    }
    while (started_.load() < count) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    for (const core::Status& status : start_status_) {
        if (!status) {
            go_.store(kGoAbort);
            go_.notify_all();
            stop();
            return status;
        }
    }
    go_.store(kGoRun);
    go_.notify_all();
    return {};
}

void Server::shard_main(std::size_t index) {
    core::log::set_thread_shard(static_cast<int>(index));
    core::log::attach_thread_buffer();
    pin_to_cpu(index);
    Shard& shard = *shards_[index];
    start_status_[index] = shard.start();
    bool ok = static_cast<bool>(start_status_[index]);
    started_.fetch_add(1);
    go_.wait(kGoWait);
    if (ok && go_.load() == kGoRun) {
        shard.run();
    }
    shard.teardown();
}

void Server::stop() {
    if (go_.load() == kGoWait) {
        go_.store(kGoAbort);
        go_.notify_all();
    }
    for (auto& shard : shards_) {
        shard->request_stop();
    }
    for (auto& thread : threads_) {
        if (thread.joinable()) {
            thread.join();
        }
    }
    threads_.clear();
    core::log::stop_writer();
}

void Server::init_api_identity() {
    // SRS: env SRS_SERVER_ID, else an id kept for the host; service: new on every start.
    if (const char* id = std::getenv("SRS_SERVER_ID"); id != nullptr && *id != '\0') {
        shared_.server_id = id;
    } else {
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        shared_.server_id = api::make_stat_id(std::hash<std::string_view>{}(host));
    }
    std::random_device random;
    shared_.service_id = api::make_short_id((static_cast<std::uint64_t>(random()) << 32) | random(), 8);
    shared_.start_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
}

void Server::sample_host() { shared_.host_figures.store(host_sampler_.sample()); }

void Server::close_listeners() {
    for (auto& shard : shards_) {
        shard->request_close_listeners();
    }
}

namespace {

/// Waits `ms` for the server's signals; true if SIGTERM or SIGINT cut it short.
bool fast_stop_during(const sigset_t& signals, int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds(0)) {
            return false;
        }
        auto left_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec timeout{static_cast<time_t>(left_ns / 1'000'000'000), static_cast<long>(left_ns % 1'000'000'000)};
        int sig = ::sigtimedwait(&signals, nullptr, &timeout);
        if (sig == SIGTERM || sig == SIGINT) {
            RC_TRACE("signal {} during graceful quit: stopping now", sig);
            return true;
        }
    }
}

}  // namespace

int run_server(const Config& config) {
    block_server_signals();
    Server server(config);
    auto started = server.start();
    if (!started) {
        RC_ERROR("server failed to start: {}", started.error().describe());
        return 1;
    }
    sigset_t set = server_signals();
    const bool sample_host = config.http_api.enabled || config.exporter.enabled;
    for (;;) {
        siginfo_t info{};
        // The main thread's other job: the /proc figures of the API, every few seconds.
        timespec interval{HostSampler::kIntervalMs / 1000, (HostSampler::kIntervalMs % 1000) * 1'000'000L};
        int sig = sample_host ? ::sigtimedwait(&set, &info, &interval) : ::sigwaitinfo(&set, &info);
        if (sig < 0) {
            if (errno == EAGAIN) {
                server.sample_host();
                continue;
            }
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (sig == SIGUSR1) {
            RC_TRACE("SIGUSR1: reopen log file");
            core::log::reopen();
            continue;
        }
        if (sig == SIGHUP) {
            RC_WARN("SIGHUP: config reload is not implemented yet; keeping the running config");
            continue;
        }
        if (sig == SIGUSR2) {
            continue;
        }
        const bool graceful = sig == SIGQUIT || (sig == SIGTERM && config.force_grace_quit);
        RC_TRACE("signal {} ({}): stopping", sig, graceful ? "graceful" : "fast");
        if (graceful) {
            RC_TRACE("graceful quit: serving {} ms more, then closing listeners, then {} ms for clients",
                     config.grace_start_wait_ms, config.grace_final_wait_ms);
            if (!fast_stop_during(set, config.grace_start_wait_ms)) {
                server.close_listeners();
                fast_stop_during(set, config.grace_final_wait_ms);
            }
        }
        break;
    }
    auto stop_begin = std::chrono::steady_clock::now();
    server.stop();
    auto stop_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stop_begin);
    RC_TRACE("server stopped in {} ms", stop_ms.count());
    return 0;
}

}  // namespace ringcast::app
