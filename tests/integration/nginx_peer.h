#pragma once
// Debian's nginx with nginx-rtmp (libnginx-mod-rtmp) as a peer of ringcast in cluster tests: an
// independent RTMP implementation that pulls from, pushes to, or is pulled by ringcast. One
// process (no master, no daemon) on a free 127.0.0.1 port; its config, pid file and logs all
// live in a TempDir, so it runs as root or not and writes nothing elsewhere.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "integration/harness.h"

namespace ringcast::test {

struct NginxRtmpPeerOptions {
    /// Goes inside `rtmp { server { listen ...; chunk_size ...; <here> } }`: the application
    /// blocks, e.g. "application live { live on; pull rtmp://127.0.0.1:1935/live; }".
    /// (`{}`: see RtmpServerOptions::extra_config.)
    std::string server_body{};
    /// 0 picks a free one.
    std::uint16_t port = 0;
    /// nginx-rtmp's own default, not ringcast's 60000: chunk-size changes get crossed both ways.
    int chunk_size = 4096;
    /// error_log level; Debian builds nginx --with-debug, so "debug" shows every RTMP message.
    std::string log_level = "info";
    /// How long to wait until it listens.
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(10);
};

class NginxRtmpPeer {
public:
    explicit NginxRtmpPeer(const std::string& server_body, std::uint16_t port = 0);
    explicit NginxRtmpPeer(NginxRtmpPeerOptions options);
    NginxRtmpPeer(const NginxRtmpPeer&) = delete;
    NginxRtmpPeer& operator=(const NginxRtmpPeer&) = delete;
    /// stop()
    ~NginxRtmpPeer();

    /// True once it accepts connections on port(). When false, failure() says why (nginx or the
    /// module missing, a config error, the port taken); tests ASSERT on it, they do not skip.
    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] const std::string& failure() const { return failure_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// rtmp://127.0.0.1:PORT/path
    [[nodiscard]] std::string url(const std::string& path) const;
    [[nodiscard]] const TempDir& dir() const { return dir_; }
    [[nodiscard]] const std::string& config_path() const { return config_path_; }
    /// The content of nginx's error log so far (nginx-rtmp logs there, stderr stays empty).
    [[nodiscard]] std::string error_log() const;
    /// failure(), the config and the error log: what a failed assertion should print.
    [[nodiscard]] std::string diagnostics() const;

    /// SIGTERM, then SIGKILL after 5 s. Idempotent.
    void stop();

private:
    bool start();

    TempDir dir_{"ringcast-nginx"};
    NginxRtmpPeerOptions options_;
    std::uint16_t port_ = 0;
    std::string config_path_;
    std::unique_ptr<Process> process_;
    std::string failure_;
    bool ready_ = false;
};

/// The nginx binary (PATH, then /usr/sbin/nginx) and ngx_rtmp_module.so (dpkg -L
/// libnginx-mod-rtmp, then /usr/lib/nginx/modules and /usr/share/nginx/modules), as
/// perf/compare.py finds them; "" when not installed.
std::string find_nginx_binary();
std::string find_nginx_rtmp_module();

}  // namespace ringcast::test
