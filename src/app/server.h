#pragma once
// The running server: N pinned shard threads plus the main thread, which owns signals.

#include <memory>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/host_sampler.h"
#include "app/shard.h"
#include "core/result.h"

namespace ringcast::app {

/// Starts and stops the shards. Owned by the main thread (or a test); the Config outlives it.
class Server {
public:
    explicit Server(const Config& config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Starts `workers` shard threads and returns once each has opened its listeners (or one
    /// failed: then every shard is stopped and joined, and the error returned).
    core::Status start();
    /// Asks every shard to stop, then joins them. Idempotent.
    void stop();
    /// Reads /proc for the API (HostSampler); the main thread calls it every few seconds.
    void sample_host();
    /// Every shard stops accepting; connections are still served (graceful quit).
    void close_listeners();
    [[nodiscard]] std::size_t shard_count() const { return shards_.size(); }
    /// Valid after stop().
    [[nodiscard]] const ShardStats& shard_stats(std::size_t shard) const { return shards_[shard]->stats(); }

private:
    void shard_main(std::size_t index);
    void init_api_identity();

    const Config& config_;
    ServerShared shared_;
    HostSampler host_sampler_;
    std::unique_ptr<Mesh> mesh_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::thread> threads_;
    std::vector<core::Status> start_status_;
    std::atomic<std::size_t> started_{0};
    // Shards wait on this after start() so that every shard's wake target is registered in the
    // mesh before any shard sends (kGoWait -> kGoRun, or kGoAbort when a shard failed to start).
    static constexpr int kGoWait = 0;
    static constexpr int kGoRun = 1;
    static constexpr int kGoAbort = 2;
    std::atomic<int> go_{kGoWait};
};

/// Runs the server on the calling (main) thread until SIGTERM, SIGINT or SIGQUIT; returns the
/// process exit code. SIGQUIT (and SIGTERM with force_grace_quit) quits gracefully as SRS does:
/// serve grace_start_wait more, close the listeners, wait grace_final_wait, stop; a SIGTERM or
/// SIGINT meanwhile stops at once. SIGUSR1 reopens the log file; SIGHUP (reload) is logged and
/// ignored for now.
int run_server(const Config& config);

/// Blocks the signals the main thread waits for, in the calling thread and (by inheritance)
/// every thread it starts afterwards.
void block_server_signals();

}  // namespace ringcast::app
