#pragma once
// UpstreamLink: one outgoing RTMP connection of the server (edge pull from an origin, forward or
// edge push to another server): a uring::TcpClient carrying a proto::rtmp::RtmpClientSession,
// with the timeouts a server needs that a client tool does not (a connect or handshake that
// never finishes, an upstream that goes silent). One attempt: a failure closes it, and its
// owner decides whether and where to try again.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>
#include <string>

#include "core/buffer.h"
#include "core/result.h"
#include "proto/rtmp/client_session.h"
#include "uring/reactor.h"
#include "uring/socket.h"
#include "uring/tcp_client.h"

namespace ringcast::app {

/// Where an upstream connection goes and what it asks for.
struct UpstreamRequest {
    proto::rtmp::ClientSessionOptions::Mode mode = proto::rtmp::ClientSessionOptions::Mode::play;
    std::string host;  // for the tcUrl
    std::uint16_t port = 1935;
    std::string vhost;  // the upstream's vhost; empty or __defaultVhost__: none is named
    std::string app;
    std::string stream;
    std::string param;  // the client's "?..." (token_traverse), appended to the app and tcUrl
    std::optional<proto::rtmp::Amf0Value> client_args;  // the client's connect args (token_traverse)
    std::string server_id;  // this process's service id: an upstream that is this process refuses it
};

/// The connect key that carries the ids of the servers a connection came through; a server
/// that finds its own id there refuses the connect, so it never pulls or forwards from itself.
inline constexpr std::string_view kViaConnectKey = "ringcast_via";

/// The client session options for a request, SRS's way: the vhost as a ?vhost= parameter of
/// the app and tcUrl (origins that do not know it ignore it), our id in the connect args.
proto::rtmp::ClientSessionOptions upstream_session_options(const UpstreamRequest& request);

/// True when a connect's args name `server_id` among the servers it came through.
bool connect_comes_from(const std::optional<proto::rtmp::Amf0Value>& connect_args, std::string_view server_id);

struct UpstreamTimeouts {
    std::uint64_t setup_ms = 5000;    // TCP connect to play/publish started
    std::uint64_t silence_ms = 8000;  // play: no byte from the upstream for this long
};

/// Owned (on the heap) by an edge pull or a forwarder on one shard. Destroy it only after
/// Listener::on_link_closed, and not from inside that call (defer it).
class UpstreamLink final : private uring::TcpClient::Handler,
                           private proto::rtmp::ChunkSink,
                           private proto::rtmp::RtmpClientSession::Handler {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        /// play started, or publish started (send_media works from now on).
        virtual void on_link_ready(UpstreamLink& link) = 0;
        /// play: a media or metadata message.
        virtual void on_link_media(UpstreamLink& link, proto::rtmp::MediaKind kind, std::uint32_t timestamp,
                                   core::Buffer payload, bool metadata) {
            (void)link, (void)kind, (void)timestamp, (void)payload, (void)metadata;
        }
        /// Everything queued has gone to the kernel (publish: room for more).
        virtual void on_link_drained(UpstreamLink& link) { (void)link; }
        /// Nothing is in flight any more. `rejected` when the upstream said no (connect, play or
        /// publish refused), as opposed to a network failure or timeout.
        virtual void on_link_closed(UpstreamLink& link, const std::string& reason, bool rejected) = 0;
    };

    UpstreamLink(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Listener& listener,
                 proto::rtmp::ClientSessionOptions options, const uring::SocketAddress& address,
                 UpstreamTimeouts timeouts = {});
    ~UpstreamLink() override;
    UpstreamLink(const UpstreamLink&) = delete;
    UpstreamLink& operator=(const UpstreamLink&) = delete;

    void start();
    /// Starts closing; on_link_closed follows (once), unless it already came.
    void close(const std::string& reason);

    /// publish, once ready: the payload is referenced, not copied.
    core::Status send_media(proto::rtmp::MediaKind kind, std::uint32_t timestamp, const core::Buffer& payload);
    core::Status send_metadata(std::uint32_t timestamp, const core::Buffer& on_metadata_payload);

    [[nodiscard]] bool ready() const { return session_.ready() && tcp_.open(); }
    [[nodiscard]] bool closed() const { return tcp_.closed(); }
    [[nodiscard]] std::size_t queued_bytes() const { return tcp_.queued_bytes(); }
    [[nodiscard]] std::uint64_t bytes_in() const { return tcp_.stats().bytes_received; }
    [[nodiscard]] std::uint64_t bytes_out() const { return tcp_.stats().bytes_sent; }
    [[nodiscard]] const proto::rtmp::ConnectResult& connect_result() const { return connect_result_; }

private:
    // TcpClient::Handler
    void on_connected() override;
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_send_drained() override { listener_.on_link_drained(*this); }
    void on_closed(core::Error reason) override;
    // ChunkSink
    void append(core::BufferSlice piece) override;
    // RtmpClientSession::Handler
    void on_connected(const proto::rtmp::ConnectResult& result) override { connect_result_ = result; }
    void on_ready() override;
    void on_media(proto::rtmp::MediaKind kind, std::uint32_t timestamp, core::Buffer payload, bool metadata) override;
    void on_rejected(proto::rtmp::RtmpClientSession::Stage stage, std::string code, std::string description) override;

    void on_setup_timer();
    void on_silence_timer();
    void fail(std::string reason, bool rejected);

    uring::Reactor& reactor_;
    Listener& listener_;
    uring::SocketAddress address_;
    UpstreamTimeouts timeouts_;
    uring::TcpClient tcp_;
    proto::rtmp::RtmpClientSession session_;
    proto::rtmp::ConnectResult connect_result_;
    uring::Timer setup_timer_;
    uring::Timer silence_timer_;
    std::uint64_t bytes_at_last_check_ = 0;
    std::string close_reason_;
    bool rejected_ = false;
    bool closed_reported_ = false;
};

/// An owner's current link and the ones it replaced, which may still be closing: a link is never
/// freed inside its own callback, only when its owner opens the next one or is idle.
class UpstreamLinks {
public:
    /// Frees the closed links, then starts a new one as the current link.
    UpstreamLink& open(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, UpstreamLink::Listener& listener,
                       const UpstreamRequest& request, const uring::SocketAddress& address);
    /// The current link closed (from on_link_closed): it waits among the retired ones.
    void retire();
    /// Closes the current link, if any.
    void close(const std::string& reason);
    [[nodiscard]] UpstreamLink* current() const { return current_.get(); }
    /// No link is open or closing.
    [[nodiscard]] bool idle() const;

private:
    std::unique_ptr<UpstreamLink> current_;
    std::vector<std::unique_ptr<UpstreamLink>> retired_;
};

}  // namespace ringcast::app
