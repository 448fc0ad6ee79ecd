#pragma once
// The real ringcast binary on a free 127.0.0.1 port, for the RTMP tests: a console-logging
// config with `workers` shards, started and waited for ("ringcast ready"), stopped with SIGTERM
// at the end of the test. Cluster tests also stop, kill and restart it on the same ports.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "integration/harness.h"

namespace ringcast::test {

struct RtmpServerOptions {
    /// Appended to the generated config (vhost blocks and the like). The `{}` keeps GCC 12's
    /// -Wmissing-field-initializers quiet when a designated initializer leaves it out.
    std::string extra_config{};
    int workers = 2;
    /// The RTMP port; 0 picks a free one. A cluster test that must write a peer's port into a
    /// config before that peer starts takes one from free_tcp_port() and passes it here.
    std::uint16_t port = 0;
    /// Adds `http_api { enabled on; listen <free port>; }` (see api_port(), api_get()).
    bool http_api = false;
    /// How long to wait for "ringcast ready" (at start and at each restart()).
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(10);
};

class RtmpServer {
public:
    /// `extra_config` is appended to the generated config (vhost blocks and the like).
    explicit RtmpServer(const std::string& extra_config = "", int workers = 2);
    explicit RtmpServer(RtmpServerOptions options);
    RtmpServer(const RtmpServer&) = delete;
    RtmpServer& operator=(const RtmpServer&) = delete;
    ~RtmpServer();

    /// False when the server did not log "ringcast ready" within the timeout (see logs()).
    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// rtmp://127.0.0.1:PORT/path
    [[nodiscard]] std::string url(const std::string& path) const;
    /// The current run of the server (a new Process after restart()).
    Process& process() { return *process_; }
    /// A scratch directory that lives as long as the server (its config and pid file are there).
    [[nodiscard]] const TempDir& dir() const { return dir_; }
    [[nodiscard]] const std::string& config_path() const { return config_path_; }

    /// SIGTERM, then waits (up to 10 s, then SIGKILL) for the exit. Idempotent: a stopped or
    /// killed server gives the same result again.
    ProcessResult stop();
    /// SIGKILL to the whole process group and reap: the server dies without closing anything
    /// cleanly, as a crashed or power-cut node would.
    ProcessResult kill();
    /// stop() if still running, then the same binary with the same config on the same ports,
    /// waited for like the first start. Returns ready().
    bool restart();
    /// Whether the current run is still alive.
    [[nodiscard]] bool running() { return process_->running(); }

    /// The http_api port (0 unless options.http_api).
    [[nodiscard]] std::uint16_t api_port() const { return api_port_; }
    /// The body of GET http://127.0.0.1:<api_port><path> ("" on no answer within 5 s).
    [[nodiscard]] std::string api_get(const std::string& path) const;

    /// stderr of every run so far (earlier runs first, each introduced by a marker line),
    /// for failure messages after a restart(). Reads what the current run has written so far.
    [[nodiscard]] std::string logs();

private:
    bool start();

    TempDir dir_;
    RtmpServerOptions options_;
    std::uint16_t port_;
    std::uint16_t api_port_ = 0;
    std::string config_path_;
    std::unique_ptr<Process> process_;
    std::string earlier_logs_;
    int runs_ = 0;
    bool ready_ = false;
};

}  // namespace ringcast::test
