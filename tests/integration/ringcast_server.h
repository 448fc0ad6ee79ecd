#pragma once
// The real ringcast binary on a free 127.0.0.1 port, for the RTMP tests: a console-logging
// config with `workers` shards, started and waited for ("ringcast ready"), stopped with SIGTERM
// at the end of the test.

#include <cstdint>
#include <memory>
#include <string>

#include "integration/harness.h"

namespace ringcast::test {

class RtmpServer {
public:
    /// `extra_config` is appended to the generated config (vhost blocks and the like).
    explicit RtmpServer(const std::string& extra_config = "", int workers = 2);
    RtmpServer(const RtmpServer&) = delete;
    RtmpServer& operator=(const RtmpServer&) = delete;
    ~RtmpServer();

    /// False when the server did not log "ringcast ready" within 10 s (see process().err()).
    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// rtmp://127.0.0.1:PORT/path
    [[nodiscard]] std::string url(const std::string& path) const;
    Process& process() { return *process_; }
    /// A scratch directory that lives as long as the server (its config and pid file are there).
    [[nodiscard]] const TempDir& dir() const { return dir_; }

private:
    TempDir dir_;
    std::uint16_t port_;
    std::unique_ptr<Process> process_;
    bool ready_ = false;
};

}  // namespace ringcast::test
