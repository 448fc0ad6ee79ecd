#include "app/edge_pull.h"

#include <algorithm>

#include "core/clock.h"
#include "core/log.h"
#include "media/frame.h"

namespace ringcast::app {

namespace {

// After every origin failed once in a row, wait this long before the next round, doubling up
// to the maximum (SRS's edge waits a fixed 3 s between attempts).
constexpr std::uint64_t kRetryPauseMinMs = 250;
constexpr std::uint64_t kRetryPauseMaxMs = 3000;

}  // namespace

EdgePull::EdgePull(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry, StreamKey source,
                   const ClusterConfig& cluster, std::string server_id, std::string param)
    : reactor_(reactor),
      buffers_(buffers),
      registry_(registry),
      source_(std::move(source)),
      origin_vhost_(cluster.vhost.empty() ? source_.vhost : cluster.vhost),
      server_id_(std::move(server_id)),
      param_(std::move(param)) {
    for (const UpstreamTarget& origin : cluster.origins) {
        if (!origin.address.empty()) {
            origins_.push_back(origin);
        }
    }
    retry_timer_.bind<&EdgePull::on_retry_timer>(this);
    status_.kind = "edge-pull";
}

EdgePull::~EdgePull() { reactor_.cancel(retry_timer_); }

void EdgePull::start() {
    if (origins_.empty()) {
        RC_WARN("edge {}: no origin to pull from (none resolved)", source_.name);
        set_state("stopped");
        status_.last_error = "no origin";
        return;
    }
    registry_.request_publish(source_.name, *this);
}

void EdgePull::on_publish_result(bool accepted) {
    if (!accepted) {
        // A publisher on this edge has the stream (an edge push): its players are fed by it.
        RC_TRACE("edge {}: stream has a publisher here, not pulling", source_.name);
        found_publisher_ = true;
        set_state("stopped");
        return;
    }
    published_ = true;
    connect_next();
}

void EdgePull::connect_next() {
    if (stopped_) {
        return;
    }
    const UpstreamTarget& origin = origins_[next_origin_ % origins_.size()];
    next_origin_ = (next_origin_ + 1) % origins_.size();
    auto address = uring::SocketAddress::parse(origin.address, origin.port);
    status_.target = origin.to_string();
    if (!address) {
        retry_after_failure("bad origin address", false);
        return;
    }
    UpstreamRequest request;
    request.mode = proto::rtmp::ClientSessionOptions::Mode::play;
    request.host = origin.host;
    request.port = origin.port;
    request.vhost = origin_vhost_;
    request.app = source_.app;
    request.stream = source_.stream + param_;
    request.server_id = server_id_;
    if (connections_++ > 0) {
        ++status_.reconnects;
    }
    set_state("connecting");
    links_.open(reactor_, buffers_, *this, request, *address);
}

void EdgePull::on_link_ready(UpstreamLink&) {
    failures_in_row_ = 0;
    set_state("active");
    RC_TRACE("edge {}: pulling from {}", source_.name, status_.target);
}

void EdgePull::on_link_media(UpstreamLink&, proto::rtmp::MediaKind kind, std::uint32_t timestamp,
                             core::Buffer payload, bool metadata) {
    if (kind == proto::rtmp::MediaKind::data && !metadata) {
        return;  // other script data is not relayed (as from a publisher)
    }
    media::MediaFrame frame = media::classify(static_cast<media::FrameKind>(kind), timestamp, std::move(payload));
    frame.flags.metadata = metadata;
    registry_.publish_frame(*this, std::move(frame));
}

void EdgePull::on_link_closed(UpstreamLink& link, const std::string& reason, bool rejected) {
    (void)link;
    links_.retire();
    if (!stopped_) {
        retry_after_failure(reason, rejected);
    }
}

void EdgePull::retry_after_failure(const std::string& reason, bool rejected) {
    status_.last_error = reason;
    RC_WARN("edge {}: upstream {} {}: {}", source_.name, status_.target, rejected ? "refused" : "failed", reason);
    ++failures_in_row_;
    set_state("retrying");
    std::uint64_t pause_ms = 0;
    if (failures_in_row_ >= origins_.size()) {
        const std::size_t rounds = failures_in_row_ / origins_.size();
        pause_ms = std::min(kRetryPauseMaxMs, kRetryPauseMinMs << std::min<std::size_t>(rounds - 1, 8));
    }
    reactor_.arm(retry_timer_, pause_ms);
}

void EdgePull::on_retry_timer() { connect_next(); }

void EdgePull::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    reactor_.cancel(retry_timer_);
    if (published_) {
        registry_.unpublish(*this);
        published_ = false;
    }
    links_.close("no players left");
    set_state("stopped");
}

bool EdgePull::idle() const { return stopped_ && links_.idle(); }

UpstreamStatus EdgePull::status() const { return status_; }

void EdgePull::set_state(const char* state) {
    status_.state = state;
    status_.since_unix_ms = core::realtime_ms();
}

}  // namespace ringcast::app
