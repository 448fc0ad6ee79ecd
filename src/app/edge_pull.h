#pragma once
// EdgePull: an edge's pull of one stream from its origins (SRS's SrsPlayEdge + SrsEdgeIngester),
// on the stream's owner shard. It publishes into the registry like a local publisher, so every
// player of the stream on every shard is fed from this one upstream connection. The origins are
// tried in turn: after a failure the next one at once, after a whole round of failures with a
// growing pause; players stay attached meanwhile and get the new upstream's metadata and
// sequence headers, on the same timeline (the owner's jitter correction keeps it monotonic).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/stats.h"
#include "app/config.h"
#include "app/stream_registry.h"
#include "app/upstream_link.h"
#include "uring/reactor.h"

namespace ringcast::app {

/// An upstream's state for the API and the logs.
using UpstreamStatus = api::UpstreamSnapshot;

class EdgePull final : public PublishHandle, private UpstreamLink::Listener {
public:
    EdgePull(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry, StreamKey source,
             const ClusterConfig& cluster, std::string server_id, std::string param = {});
    ~EdgePull() override;
    EdgePull(const EdgePull&) = delete;
    EdgePull& operator=(const EdgePull&) = delete;

    void start();
    /// Gives the stream back and closes the upstream; idle() once it is closed.
    void stop();
    [[nodiscard]] bool idle() const;
    /// The stream had a publisher here (an edge push), so this pull never started.
    [[nodiscard]] bool found_publisher() const { return found_publisher_; }
    [[nodiscard]] const std::string& name() const { return source_.name; }
    [[nodiscard]] UpstreamStatus status() const;

private:
    // PublishHandle
    void on_publish_result(bool accepted) override;
    [[nodiscard]] bool pulls_from_upstream() const override { return true; }
    // UpstreamLink::Listener
    void on_link_ready(UpstreamLink& link) override;
    void on_link_media(UpstreamLink& link, proto::rtmp::MediaKind kind, std::uint32_t timestamp, core::Buffer payload,
                       bool metadata) override;
    void on_link_closed(UpstreamLink& link, const std::string& reason, bool rejected) override;

    void connect_next();
    void retry_after_failure(const std::string& reason, bool rejected);
    void on_retry_timer();
    void set_state(const char* state);

    uring::Reactor& reactor_;
    uring::ProvidedBufRing* buffers_;
    StreamRegistry& registry_;
    StreamKey source_;
    std::vector<UpstreamTarget> origins_;  // the resolved ones
    std::string origin_vhost_;
    std::string server_id_;
    std::string param_;  // the first player's "?...", sent with the stream name
    UpstreamLinks links_;
    uring::Timer retry_timer_;
    std::size_t next_origin_ = 0;
    std::size_t failures_in_row_ = 0;
    std::uint64_t connections_ = 0;
    bool published_ = false;
    bool found_publisher_ = false;
    bool stopped_ = false;
    UpstreamStatus status_;
};

}  // namespace ringcast::app
