#include "app/forwarder.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"

namespace ringcast::app {

namespace {

// SRS's forwarder waits 3 s (SRS_FORWARDER_CIMS) between attempts; the first retry is sooner
// so a destination that restarts quickly gets the stream back quickly.
constexpr std::uint64_t kRetryPauseMinMs = 500;
constexpr std::uint64_t kRetryPauseMaxMs = 3000;
// More than this queued in the socket: the destination is behind, frames wait in the feed
// (whose queue_length bound then drops to the next keyframe).
constexpr std::size_t kSendQueueMaxBytes = 1 << 20;

}  // namespace

Forwarder::Forwarder(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry,
                     StreamKey source, std::vector<UpstreamTarget> targets, std::string server_id, std::uint64_t feed_id,
                     EdgeEvents* edge_events, std::string upstream_vhost)
    : reactor_(reactor),
      buffers_(buffers),
      registry_(registry),
      source_(std::move(source)),
      targets_(std::move(targets)),
      server_id_(std::move(server_id)),
      edge_events_(edge_events),
      upstream_vhost_(std::move(upstream_vhost)),
      feed_id_(feed_id) {
    retry_timer_.bind<&Forwarder::on_retry_timer>(this);
    status_.kind = edge_events_ != nullptr ? "edge-push" : "forward";
    std::erase_if(targets_, [](const UpstreamTarget& target) { return target.address.empty(); });
    if (!targets_.empty()) {
        status_.target = targets_.front().to_string();
    }
}

Forwarder::~Forwarder() { reactor_.cancel(retry_timer_); }

void Forwarder::start() { connect(); }

void Forwarder::connect() {
    if (stopped_) {
        return;
    }
    if (targets_.empty()) {
        RC_WARN("{} {}: no destination with an address", status_.kind, source_.name);
        set_state("stopped");
        status_.last_error = "unresolved";
        if (edge_events_ != nullptr) {
            edge_events_->on_push_failed(*this, started_once_);
        }
        return;
    }
    const UpstreamTarget& target = targets_[next_target_ % targets_.size()];
    next_target_ = (next_target_ + 1) % targets_.size();
    status_.target = target.to_string();
    auto address = uring::SocketAddress::parse(target.address, target.port);
    if (!address) {
        on_failure("bad address", false);
        return;
    }
    UpstreamRequest request;
    request.mode = proto::rtmp::ClientSessionOptions::Mode::publish;
    request.host = target.host;
    request.port = target.port;
    request.vhost = upstream_vhost_.empty() ? source_.vhost : upstream_vhost_;
    request.app = target.app.empty() ? source_.app : target.app;
    request.stream = target.stream.empty() ? source_.stream : target.stream;
    request.server_id = server_id_;
    if (connections_++ > 0) {
        ++status_.reconnects;
    }
    set_state("connecting");
    links_.open(reactor_, buffers_, *this, request, *address);
}

void Forwarder::on_link_ready(UpstreamLink&) {
    failures_in_row_ = 0;
    set_state("active");
    RC_TRACE("forward {}: publishing to {}", source_.name, status_.target);
    // Attaching replays the startup cache into on_frame: metadata and sequence headers first.
    PlayerFeed::Settings settings;
    settings.mw_latency_ms = 0;
    settings.mw_msgs = 0;
    PlayerFeed::Writer& writer = *this;
    feed_.emplace(reactor_, writer, settings, feed_id_);
    registry_.attach_sink(source_.name, *this);
    if (edge_events_ != nullptr && !started_once_) {
        started_once_ = true;
        edge_events_->on_push_started(*this);
    }
}

void Forwarder::on_frame(const media::MediaFrame& frame) {
    if (feed_) {
        feed_->push(frame);
    }
}

bool Forwarder::can_write() const {
    const UpstreamLink* link = links_.current();
    return link != nullptr && link->ready() && link->queued_bytes() < kSendQueueMaxBytes;
}

core::Status Forwarder::write_frame(const media::MediaFrame& frame) {
    UpstreamLink& link = *links_.current();  // can_write() said there is one
    if (frame.flags.metadata) {
        return link.send_metadata(frame.timestamp_ms, frame.payload);
    }
    return link.send_media(static_cast<proto::rtmp::MediaKind>(frame.kind), frame.timestamp_ms, frame.payload);
}

void Forwarder::on_link_drained(UpstreamLink&) {
    if (feed_) {
        feed_->pump();
    }
}

void Forwarder::detach() {
    if (feed_) {
        registry_.detach_sink(source_.name, *this);
        feed_.reset();
    }
}

void Forwarder::on_link_closed(UpstreamLink&, const std::string& reason, bool rejected) {
    detach();
    links_.retire();
    if (!stopped_) {
        on_failure(reason, rejected);
    }
}

void Forwarder::on_failure(const std::string& reason, bool rejected) {
    status_.last_error = reason;
    RC_WARN("{} {}: {} {}: {}", status_.kind, source_.name, status_.target, rejected ? "refused" : "failed", reason);
    ++failures_in_row_;
    if (edge_events_ != nullptr && (rejected || failures_in_row_ >= targets_.size())) {
        // An origin that refuses has another publisher of the stream; one that is down after
        // every other was tried leaves no way for the stream to reach the cluster.
        stopped_ = true;
        set_state("stopped");
        edge_events_->on_push_failed(*this, started_once_);
        return;
    }
    set_state("retrying");
    // Edge push: the next origin at once. Forward: the same destination after a pause.
    const std::uint64_t pause_ms =
        edge_events_ != nullptr ? 0
                                : std::min(kRetryPauseMaxMs, kRetryPauseMinMs << std::min<std::size_t>(failures_in_row_ - 1, 8));
    reactor_.arm(retry_timer_, pause_ms);
}

void Forwarder::on_retry_timer() { connect(); }

void Forwarder::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    reactor_.cancel(retry_timer_);
    detach();
    links_.close("stream unpublished");
    set_state("stopped");
}

bool Forwarder::idle() const { return stopped_ && links_.idle(); }

void Forwarder::set_state(const char* state) {
    status_.state = state;
    status_.since_unix_ms = core::realtime_ms();
}

}  // namespace ringcast::app
