#pragma once
// ClientConnection: what a Shard needs of any accepted client, whatever its protocol (RTMP,
// HTTP): open it on a socket, close it, know its id, and describe it for the HTTP API. The
// shard owns them in one table, so max_connections, release, shutdown and the API's client list
// treat every protocol alike.

#include <cstdint>
#include <string_view>

#include "app/api_stats.h"
#include "core/result.h"
#include "uring/tcp_stream.h"

namespace ringcast::app {

/// The protocols a shard listens for. http_api: the HTTP API (and, when http_server shares
/// the port, files and streams too: SRS's http.api.one.port.conf).
/// http_metrics: the Prometheus exporter's port.
enum class ListenProtocol : std::uint8_t { rtmp, http, http_api, http_metrics };

/// What an HTTP connection serves, from the listener it came in on.
struct HttpRoles {
    bool streams_and_files = false;  // http_server: HTTP-FLV mounts and static files
    bool api = false;                // /api/... (http_api, on its own port or the http_server's)
    bool metrics_only = false;       // the exporter's port: /metrics
    bool api_crossdomain = true;     // http_api crossdomain: CORS headers on API answers
};

class ClientConnection {
public:
    virtual ~ClientConnection() = default;
    virtual void open(int fd) = 0;
    virtual void close(core::Error reason) = 0;
    [[nodiscard]] virtual std::uint64_t id() const = 0;
    /// Its socket's counters (zeros for a connection that does not say).
    [[nodiscard]] virtual const uring::TcpStreamStats& io_stats() const;
    /// Fills `out` if the API lists this client (a publisher or a player); false otherwise.
    virtual bool describe(std::uint64_t now_ms, ClientPart& out) const {
        (void)now_ms;
        (void)out;
        return false;
    }

    /// An HTTP API answer for a request this connection made (ApiService); others ignore it.
    virtual void on_api_answer(struct ApiAnswer&& answer) { (void)answer; }
    /// Called by the shard when it accepts the connection.
    void start_traffic(std::uint64_t now_ms) {
        accepted_ms_ = now_ms;
        traffic_ = TrafficWindow(now_ms);
    }
    /// Called by the shard every TrafficWindow::kSampleIntervalMs.
    void sample_traffic(std::uint64_t now_ms) {
        traffic_.sample(now_ms, io_stats().bytes_sent, io_stats().bytes_received);
    }

protected:
    /// The part of describe() every protocol shares: ip, alive time, bytes, kbps.
    void describe_common(std::uint64_t now_ms, std::string_view peer, ClientPart& out) const;

private:
    std::uint64_t accepted_ms_ = 0;
    TrafficWindow traffic_;
};

}  // namespace ringcast::app
