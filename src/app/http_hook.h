#pragma once
// HttpHook: one HTTP POST of a JSON body to a hook server (SRS's HTTP callbacks, e.g. forward's
// on_forward backend), on the shard's ring: connect, send the request with Connection: close,
// read the answer with a bounded body, all within one timeout. Never blocks the shard.
//
// The address is an IP: names are resolved when the config is loaded, never on a shard.
// One call per object; the answer (or why there is none) is reported once, after the connection
// has closed, so the owner may free the object any time after that report returns (never inside
// it) or as soon as idle().

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/result.h"
#include "proto/http/response_reader.h"
#include "uring/buf_ring.h"
#include "uring/reactor.h"
#include "uring/socket.h"
#include "uring/tcp_client.h"

namespace ringcast::app {

// At namespace scope, not nested: a nested struct's default member initializers cannot serve
// as a default argument of the enclosing class's constructor.
struct HttpHookLimits {
    std::uint64_t timeout_ms = 3000;         // connect to the end of the answer
    std::size_t body_bytes_max = 64 * 1024;  // a hook answers a small JSON object
    std::size_t head_bytes_max = 16 * 1024;
};

class HttpHook final : private uring::TcpClient::Handler, private proto::http::HttpResponseReader::Sink {
public:
    using Limits = HttpHookLimits;

    struct Result {
        int status = 0;     // the HTTP status; 0 when no head arrived
        std::string body;   // de-chunked, at most Limits::body_bytes_max bytes
        std::string error;  // empty: a complete answer came (whatever its status)
        [[nodiscard]] bool ok() const { return error.empty(); }
    };

    class Listener {
    public:
        virtual ~Listener() = default;
        /// Once per post(), unless cancel() came first. The connection is closed by now.
        virtual void on_hook_done(HttpHook& hook, const Result& result) = 0;
    };

    HttpHook(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Listener& listener, Limits limits = {});
    ~HttpHook() override;
    HttpHook(const HttpHook&) = delete;
    HttpHook& operator=(const HttpHook&) = delete;

    /// Starts the call. `host_header` is the Host field (the URL's host[:port]); `path` the
    /// request target. Only the first call of an object does anything.
    void post(const uring::SocketAddress& address, std::string host_header, std::string path, std::string json);
    /// The owner no longer wants the answer: the connection closes and no report follows.
    void cancel();

    /// Nothing is in flight: the object may be freed.
    [[nodiscard]] bool idle() const { return (tcp_.idle() || tcp_.closed()) && !report_deferred_; }
    [[nodiscard]] bool done() const { return reported_ || canceled_; }

private:
    // TcpClient::Handler
    void on_connected() override;
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_closed(core::Error reason) override;
    // HttpResponseReader::Sink
    core::Status on_head(const proto::http::ParsedResponseHead& head) override;
    core::Status on_body(std::span<const std::uint8_t> bytes) override;

    void on_timeout();
    /// Records the outcome (the first one wins) and closes the connection.
    void finish(std::string error);
    void report();

    uring::Reactor& reactor_;
    Listener& listener_;
    Limits limits_;
    uring::TcpClient tcp_;
    uring::SocketAddress address_;
    proto::http::HttpResponseReader reader_;
    uring::Timer timeout_;
    std::string request_;
    Result result_;
    bool posted_ = false;
    bool in_post_ = false;
    bool report_deferred_ = false;
    bool connected_ = false;
    bool finished_ = false;  // the outcome is known; later bytes are ignored
    bool canceled_ = false;
    bool reported_ = false;
};

}  // namespace ringcast::app
