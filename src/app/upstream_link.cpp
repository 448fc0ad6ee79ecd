#include "app/upstream_link.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace ringcast::app {

namespace {

const char* stage_name(proto::rtmp::RtmpClientSession::Stage stage) {
    using Stage = proto::rtmp::RtmpClientSession::Stage;
    switch (stage) {
    case Stage::connect: return "connect";
    case Stage::create_stream: return "createStream";
    case Stage::publish: return "publish";
    case Stage::play: return "play";
    }
    return "?";
}

}  // namespace

proto::rtmp::ClientSessionOptions upstream_session_options(const UpstreamRequest& request) {
    proto::rtmp::ClientSessionOptions options;
    options.mode = request.mode;
    std::string param = request.param;
    const bool named_vhost = !request.vhost.empty() && request.vhost != "__defaultVhost__";
    if (named_vhost && param.find("vhost=") == std::string::npos) {
        param += (param.empty() ? "?" : "&") + std::string("vhost=") + request.vhost;
    }
    const bool ipv6 = request.host.find(':') != std::string::npos;
    options.app = request.app + param;
    options.tc_url = fmt::format("rtmp://{}{}{}:{}/{}{}", ipv6 ? "[" : "", request.host, ipv6 ? "]" : "", request.port,
                                 request.app, param);
    options.stream = request.stream;
    // The client's args (token_traverse) travel on, with this server added to the via list.
    proto::rtmp::Amf0Value args = request.client_args && request.client_args->properties() != nullptr
                                      ? *request.client_args
                                      : proto::rtmp::Amf0Value::object();
    std::string via = request.server_id;
    if (const std::string* earlier = args.get_string(kViaConnectKey); earlier != nullptr && !earlier->empty()) {
        via = *earlier + "," + via;
    }
    args.set(std::string(kViaConnectKey), via);
    options.connect_args = std::move(args);
    return options;
}

bool connect_comes_from(const std::optional<proto::rtmp::Amf0Value>& connect_args, std::string_view server_id) {
    if (!connect_args || server_id.empty()) {
        return false;
    }
    const std::string* via = connect_args->get_string(kViaConnectKey);
    if (via == nullptr) {
        return false;
    }
    // A comma-separated list, so a chain of servers can append to it.
    std::string_view rest = *via;
    while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        if (rest.substr(0, comma) == server_id) {
            return true;
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
}

UpstreamLink::UpstreamLink(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Listener& listener,
                           proto::rtmp::ClientSessionOptions options, const uring::SocketAddress& address,
                           UpstreamTimeouts timeouts)
    : reactor_(reactor),
      listener_(listener),
      address_(address),
      timeouts_(timeouts),
      tcp_(reactor, buffers, *this),
      session_(*this, *this, std::move(options)) {
    setup_timer_.bind<&UpstreamLink::on_setup_timer>(this);
    silence_timer_.bind<&UpstreamLink::on_silence_timer>(this);
}

UpstreamLink::~UpstreamLink() {
    reactor_.cancel(setup_timer_);
    reactor_.cancel(silence_timer_);
}

void UpstreamLink::start() {
    reactor_.arm(setup_timer_, timeouts_.setup_ms);
    tcp_.start(address_, true);
}

void UpstreamLink::close(const std::string& reason) {
    if (close_reason_.empty()) {
        close_reason_ = reason;
    }
    tcp_.close(core::Error::make(core::Errc::canceled, "upstream close"));
}

void UpstreamLink::fail(std::string reason, bool rejected) {
    if (close_reason_.empty()) {
        close_reason_ = std::move(reason);
        rejected_ = rejected;
    }
    tcp_.close(core::Error::make(rejected ? core::Errc::protocol : core::Errc::closed, "upstream"));
}

void UpstreamLink::on_connected() {
    if (core::Status started = session_.start(); !started) {
        fail(fmt::format("rtmp client: {}", started.error().describe()), false);
    }
}

void UpstreamLink::on_data(std::span<const std::uint8_t> bytes) {
    if (!session_.failed()) {
        if (core::Status fed = session_.feed(bytes); !fed) {
            fail(fmt::format("from upstream: {}", fed.error().describe()), false);
        }
    }
}

void UpstreamLink::on_closed(core::Error reason) {
    reactor_.cancel(setup_timer_);
    reactor_.cancel(silence_timer_);
    if (closed_reported_) {
        return;
    }
    closed_reported_ = true;
    if (close_reason_.empty()) {
        close_reason_ = reason.code == core::Errc::closed ? std::string("closed by upstream")
                                                          : std::string(reason.describe());
    }
    listener_.on_link_closed(*this, close_reason_, rejected_);
}

void UpstreamLink::append(core::BufferSlice piece) { tcp_.send(std::move(piece)); }

void UpstreamLink::on_ready() {
    reactor_.cancel(setup_timer_);
    if (session_.options().mode == proto::rtmp::ClientSessionOptions::Mode::play) {
        bytes_at_last_check_ = bytes_in();
        reactor_.arm(silence_timer_, timeouts_.silence_ms);
    }
    listener_.on_link_ready(*this);
}

void UpstreamLink::on_media(proto::rtmp::MediaKind kind, std::uint32_t timestamp, core::Buffer payload,
                            bool metadata) {
    listener_.on_link_media(*this, kind, timestamp, std::move(payload), metadata);
}

void UpstreamLink::on_rejected(proto::rtmp::RtmpClientSession::Stage stage, std::string code,
                               std::string description) {
    fail(fmt::format("{} refused: {} {}", stage_name(stage), code, description), true);
}

void UpstreamLink::on_setup_timer() {
    fail(fmt::format("no {} within {} ms", session_.connected() ? "play/publish start" : "connect", timeouts_.setup_ms),
         false);
}

void UpstreamLink::on_silence_timer() {
    // Checked once per period rather than re-armed per message: a live upstream sends far more
    // often than this.
    if (bytes_in() == bytes_at_last_check_) {
        fail(fmt::format("upstream silent for {} ms", timeouts_.silence_ms), false);
        return;
    }
    bytes_at_last_check_ = bytes_in();
    reactor_.arm(silence_timer_, timeouts_.silence_ms);
}

core::Status UpstreamLink::send_media(proto::rtmp::MediaKind kind, std::uint32_t timestamp,
                                      const core::Buffer& payload) {
    return session_.send_media(kind, timestamp, payload);
}

core::Status UpstreamLink::send_metadata(std::uint32_t timestamp, const core::Buffer& on_metadata_payload) {
    return session_.send_metadata(timestamp, on_metadata_payload);
}

UpstreamLink& UpstreamLinks::open(uring::Reactor& reactor, uring::ProvidedBufRing* buffers,
                                  UpstreamLink::Listener& listener, const UpstreamRequest& request,
                                  const uring::SocketAddress& address) {
    retire();
    std::erase_if(retired_, [](const std::unique_ptr<UpstreamLink>& link) { return link->closed(); });
    current_ = std::make_unique<UpstreamLink>(reactor, buffers, listener, upstream_session_options(request), address);
    current_->start();
    return *current_;
}

void UpstreamLinks::retire() {
    if (current_) {
        retired_.push_back(std::move(current_));
    }
}

void UpstreamLinks::close(const std::string& reason) {
    if (current_) {
        current_->close(reason);
    }
}

bool UpstreamLinks::idle() const {
    const auto closed = [](const std::unique_ptr<UpstreamLink>& link) { return link == nullptr || link->closed(); };
    return closed(current_) && std::all_of(retired_.begin(), retired_.end(), closed);
}

}  // namespace ringcast::app
