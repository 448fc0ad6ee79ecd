#pragma once
// Forwarder: pushes one published stream to one other server (SRS's forward), on the stream's
// owner shard. It attaches to the stream like a player only once the destination has accepted
// the publish, so every connection starts with the startup cache: metadata, sequence headers,
// then the GOP; then live frames through a PlayerFeed (bounded queue, drops to the next
// keyframe if the destination falls behind). A lost connection is retried with a growing pause
// for as long as the stream is published.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/edge_pull.h"
#include "app/player_feed.h"
#include "app/stream_registry.h"
#include "app/upstream_link.h"
#include "media/stream.h"
#include "uring/reactor.h"

namespace ringcast::app {

class Forwarder final : public media::FrameSink, private PlayerFeed::Writer, private UpstreamLink::Listener {
public:
    /// An edge push (SRS's SrsPublishEdge) is a forwarder whose publisher waits for the origin:
    /// it reports the first start, and gives up (instead of retrying for ever) when an origin
    /// refuses or a whole round of origins fails.
    class EdgeEvents {
    public:
        virtual ~EdgeEvents() = default;
        /// The first origin took the stream.
        virtual void on_push_started(Forwarder& push) = 0;
        /// No origin takes the stream; `was_started` says whether one had before.
        virtual void on_push_failed(Forwarder& push, bool was_started) = 0;
    };

    /// `targets`: one destination (forward), or the origins tried in turn (edge push, with
    /// `edge_events`; `upstream_vhost` names the origin's vhost, empty: the source's).
    Forwarder(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry, StreamKey source,
              std::vector<UpstreamTarget> targets, std::string server_id, std::uint64_t feed_id,
              EdgeEvents* edge_events = nullptr, std::string upstream_vhost = {});
    ~Forwarder() override;
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    void start();
    /// Detaches and closes; idle() once the connection is closed.
    void stop();
    [[nodiscard]] bool idle() const;
    [[nodiscard]] const std::string& name() const { return source_.name; }
    [[nodiscard]] UpstreamStatus status() const { return status_; }

    // FrameSink
    void on_frame(const media::MediaFrame& frame) override;

private:
    // PlayerFeed::Writer
    [[nodiscard]] bool can_write() const override;
    core::Status write_frame(const media::MediaFrame& frame) override;
    void on_duration_played(std::uint32_t) override {}
    // UpstreamLink::Listener
    void on_link_ready(UpstreamLink& link) override;
    void on_link_drained(UpstreamLink& link) override;
    void on_link_closed(UpstreamLink& link, const std::string& reason, bool rejected) override;

    void connect();
    void on_failure(const std::string& reason, bool rejected);
    void detach();
    void on_retry_timer();
    void set_state(const char* state);

    uring::Reactor& reactor_;
    uring::ProvidedBufRing* buffers_;
    StreamRegistry& registry_;
    StreamKey source_;
    std::vector<UpstreamTarget> targets_;
    std::size_t next_target_ = 0;
    std::string server_id_;
    EdgeEvents* edge_events_;
    std::string upstream_vhost_;
    bool started_once_ = false;
    std::uint64_t feed_id_;
    UpstreamLinks links_;
    std::optional<PlayerFeed> feed_;  // while attached
    uring::Timer retry_timer_;
    std::size_t failures_in_row_ = 0;
    std::uint64_t connections_ = 0;
    bool stopped_ = false;
    UpstreamStatus status_;
};

}  // namespace ringcast::app
