#include "app/shard.h"

#include "app/http_connection.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "uring/socket.h"

namespace ringcast::app {
namespace {

std::string peer_name(int fd) {
    uring::SocketAddress address;
    address.length = sizeof address.storage;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0) {
        return "unknown";
    }
    return address.to_string();
}

}  // namespace

Shard::Shard(std::size_t id, const Config& config, Mesh& mesh, ServerShared& shared)
    : id_(id), config_(config), mesh_(mesh), shared_(shared) {}

Shard::~Shard() { teardown(); }

void Shard::teardown() {
    {
        std::lock_guard lock(stop_mutex_);
        reactor_for_stop_ = nullptr;
    }
    // Teardown order matters: everything with operations on the ring goes before the reactor,
    // the reactor before the ring, the pool last (buffers may still be referenced until then).
    if (reactor_) {
        reactor_->remove_poller(control_);
    }
    if (reactor_) {
        reactor_->cancel(traffic_timer_);
    }
    acceptors_.clear();
    connections_.clear();
    api_.reset();
    if (registry_) {
        registry_->set_observer(nullptr);
    }
    cluster_.reset();  // its links are closed by drain(); a failed start has none
    registry_.reset();
    mesh_endpoint_.reset();
    recv_buffers_.reset();
    reactor_.reset();
    ring_.reset();
    pool_.reset();
}

core::Status Shard::start() {
    pool_ = std::make_unique<core::BufferPool>();
    core::BufferPool::set_current(pool_.get());
    auto ring = uring::Ring::create();
    if (!ring) {
        return core::fail(ring.error());
    }
    ring_ = std::move(*ring);
    reactor_ = std::make_unique<uring::Reactor>(*ring_);
    if (ring_->features().provided_buffer_ring) {
        auto buffers = uring::ProvidedBufRing::create(*ring_, 0, kRecvBufferCount, kRecvBufferBytes);
        if (buffers) {
            recv_buffers_ = std::move(*buffers);
        } else {
            RC_WARN("no provided buffer ring ({}); using plain recv", buffers.error().describe());
        }
    }
    mesh_endpoint_ = std::make_unique<MeshEndpoint>(mesh_, id_, *reactor_, *this);
    reactor_->add_poller(control_);
    registry_ = std::make_unique<StreamRegistry>(id_, mesh_.shard_count(), *mesh_endpoint_,
                                                 [this](std::string_view vhost) { return stream_settings(vhost); });
    registry_->enable_hls(*reactor_);  // HLS files go through this shard's ring
    cluster_ = std::make_unique<ClusterManager>(*reactor_, recv_buffers_.get(), *registry_, config_, shared_.service_id,
                                                shared_.server_id);
    registry_->set_observer(cluster_.get());
    api_ = std::make_unique<ApiService>(*this);
    traffic_timer_.bind<&Shard::on_traffic_timer>(this);
    reactor_->arm(traffic_timer_, TrafficWindow::kSampleIntervalMs);
    mesh_.register_target(id_, reactor_->wake_target());
    {
        std::lock_guard lock(stop_mutex_);
        reactor_for_stop_ = reactor_.get();
        if (stop_requested_.load()) {
            reactor_->request_stop();
        }
    }
    return open_listeners();
}

core::Status Shard::open_listeners() {
    RINGCAST_TRY(open_listeners(config_.rtmp.listen, ListenProtocol::rtmp));
    if (config_.http_server.enabled) {
        RINGCAST_TRY(open_listeners(config_.http_server.listen, ListenProtocol::http));
    }
    // SRS's http.api.one.port.conf: an http_api on the http_server's port is served by it.
    if (config_.http_api.enabled && !config_.api_shares_http_server()) {
        RINGCAST_TRY(open_listeners(config_.http_api.listen, ListenProtocol::http_api));
    }
    if (config_.exporter.enabled) {
        RINGCAST_TRY(open_listeners(config_.exporter.listen, ListenProtocol::http_metrics));
    }
    return {};
}

core::Status Shard::open_listeners(const std::vector<ListenEndpoint>& endpoints, ListenProtocol protocol) {
    const char* name = protocol == ListenProtocol::rtmp       ? "RTMP"
                       : protocol == ListenProtocol::http_api ? "HTTP API"
                       : protocol == ListenProtocol::http_metrics ? "exporter"
                                                                  : "HTTP";
    for (const ListenEndpoint& endpoint : endpoints) {
        auto address = uring::SocketAddress::parse(endpoint.host, endpoint.port);
        if (!address) {
            RC_ERROR("bad {} listen address {}:{}", name, endpoint.host, endpoint.port);
            return core::fail(address.error());
        }
        // An IPv6 wildcard next to an IPv4 listener on the same port must not claim IPv4 too.
        bool v4_sibling = false;
        for (const ListenEndpoint& other : endpoints) {
            v4_sibling |= !other.ipv6 && other.port == endpoint.port;
        }
        auto fd = uring::listen_tcp(*address, {.reuse_port = true, .backlog = 1024, .v6_only = v4_sibling});
        if (!fd) {
            RC_ERROR("{} listen on {} failed: {}", name, address->to_string(), fd.error().describe());
            return core::fail(fd.error());
        }
        if (id_ == 0) {
            RC_TRACE("{} listen at {}", name, address->to_string());
        }
        listener_handlers_.push_back(std::make_unique<ListenerHandler>(*this, protocol));
        acceptors_.push_back(std::make_unique<uring::Acceptor>(*reactor_, std::move(*fd), *listener_handlers_.back()));
        acceptors_.back()->start();
    }
    return {};
}

void Shard::run() {
    mesh_endpoint_->send(0, ShardReady{static_cast<std::uint32_t>(acceptors_.size())});
    reactor_->run();
    drain();
}

void Shard::drain() {
    reactor_->clear_stop();
    if (!listeners_closed_) {
        for (auto& acceptor : acceptors_) {
            acceptor->stop();
        }
    }
    for (auto& [id, connection] : connections_) {
        connection->close(core::Error::make(core::Errc::canceled, "server stopping"));
    }
    registry_->stop_hls();  // closes HLS segments and playlists; the drain waits for their files
    cluster_->stop_all();
    bool drained = reactor_->run_until(
        [&] {
            return connections_.empty() && released_.empty() && acceptors_stopped_ == acceptors_.size() &&
                   registry_->hls_idle() && cluster_->idle();
        },
        kStopDrainMs);
    if (!drained) {
        RC_WARN("stop: {} connections still closing after {} ms{}", connections_.size(), kStopDrainMs,
                registry_->hls_idle() ? "" : "; HLS files still being written are abandoned");
    }
    RC_TRACE("shard stopped: accepted {}, refused {}", stats_.accepted, stats_.refused);
}

void Shard::request_close_listeners() {
    std::lock_guard lock(stop_mutex_);
    close_listeners_requested_.store(true);
    if (reactor_for_stop_ != nullptr) {
        reactor_for_stop_->notify();
    }
}

bool Shard::ControlPoller::poll() {
    if (!ready()) {
        return false;
    }
    shard_.close_listeners();
    return true;
}

bool Shard::ControlPoller::ready() const {
    return shard_.close_listeners_requested_.load(std::memory_order_relaxed) && !shard_.listeners_closed_;
}

void Shard::close_listeners() {
    listeners_closed_ = true;
    for (auto& acceptor : acceptors_) {
        acceptor->stop();
    }
    RC_TRACE("listeners closed; {} connections still served", connections_.size());
}

void Shard::request_stop() {
    std::lock_guard lock(stop_mutex_);
    stop_requested_.store(true);
    if (reactor_for_stop_ != nullptr) {
        reactor_for_stop_->request_stop_from_any_thread();
    }
}

void Shard::on_accept(int fd, ListenProtocol protocol) {
    std::uint64_t id = shared_.next_connection_id.fetch_add(1, std::memory_order_relaxed);
    core::log::ConnScope scope(id);
    std::string peer = peer_name(fd);
    if (shared_.live_connections.fetch_add(1, std::memory_order_relaxed) >= config_.max_connections) {
        shared_.live_connections.fetch_sub(1, std::memory_order_relaxed);
        ++stats_.refused;
        RC_WARN("refuse {}: max_connections {} reached", peer, config_.max_connections);
        ::close(fd);
        return;
    }
    ++stats_.accepted;
    RC_TRACE("accept {} on shard {}", peer, id_);
    uring::tune_stream_socket(fd, true);
    std::unique_ptr<ClientConnection> connection;
    if (protocol != ListenProtocol::rtmp) {
        connection = std::make_unique<HttpConnection>(*this, id, std::move(peer), http_roles(protocol));
    } else {
        connection = std::make_unique<Connection>(*this, id, std::move(peer));
    }
    ClientConnection& ref = *connection;
    ref.start_traffic(reactor_->now_ms());
    connections_.emplace(id, std::move(connection));
    ref.open(fd);
}

void Shard::on_accept_error(core::Error error) { RC_ERROR("accept failed: {}", error.describe()); }

void Shard::release_connection(ClientConnection& connection) {
    if (released_.empty()) {
        reactor_->defer(&Shard::free_released, this);
    }
    released_.push_back(connection.id());
}

void Shard::free_released(void* self) {
    auto* shard = static_cast<Shard*>(self);
    for (std::uint64_t id : shard->released_) {
        if (shard->connections_.erase(id) != 0) {
            shard->shared_.live_connections.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    shard->released_.clear();
}

HttpRoles Shard::http_roles(ListenProtocol protocol) const {
    HttpRoles roles;
    roles.streams_and_files = protocol == ListenProtocol::http;
    roles.api = protocol == ListenProtocol::http_api ||
                (protocol == ListenProtocol::http && config_.http_api.enabled && config_.api_shares_http_server());
    roles.metrics_only = protocol == ListenProtocol::http_metrics;
    roles.api_crossdomain = config_.http_api.crossdomain;
    return roles;
}

bool Shard::send_to_shard(std::size_t to, ShardMsg&& message) { return mesh_endpoint_->send(to, std::move(message)); }

void Shard::deliver_api_answer(std::uint64_t connection_id, ApiAnswer&& answer) {
    auto it = connections_.find(connection_id);
    if (it != connections_.end()) {
        it->second->on_api_answer(std::move(answer));
    }
}

ShardReport Shard::collect_report() const {
    ShardReport report;
    report.shard.shard = static_cast<std::uint32_t>(id_);
    report.shard.connections = connections_.size();
    report.shard.connections_accepted_total = stats_.accepted;
    const std::uint64_t now_ms = reactor_->now_ms();
    for (const auto& [id, connection] : connections_) {
        report.shard.send_bytes += connection->io_stats().bytes_sent;
        report.shard.recv_bytes += connection->io_stats().bytes_received;
        ClientPart part;
        if (connection->describe(now_ms, part)) {
            report.clients.push_back(std::move(part));
        }
    }
    registry_->describe_streams(report.streams);
    for (StreamPart& part : report.streams) {
        if (part.owner) {
            part.upstreams = cluster_->upstreams_of(part.key);
        }
    }
    return report;
}

void Shard::kick_client(std::size_t shard, std::uint64_t client_id) {
    if (shard != id_) {
        send_to_shard(shard, KickClient{client_id});
        return;
    }
    auto it = connections_.find(client_id);
    if (it != connections_.end()) {
        core::log::ConnScope scope(client_id);
        RC_TRACE("kicked by the HTTP API");
        it->second->close(core::Error::make(core::Errc::closed, "kicked by the HTTP API"));
    }
}

void Shard::on_traffic_timer() {
    const std::uint64_t now_ms = reactor_->now_ms();
    for (auto& [id, connection] : connections_) {
        connection->sample_traffic(now_ms);
    }
    reactor_->arm(traffic_timer_, TrafficWindow::kSampleIntervalMs);
}

void Shard::on_message(std::size_t from, ShardMsg&& message) {
    if (auto* request = std::get_if<StatsRequest>(&message)) {
        api_->on_stats_request(from, *request);
        return;
    }
    if (auto* reply = std::get_if<StatsReply>(&message)) {
        api_->on_stats_reply(*reply);
        return;
    }
    if (auto* kick = std::get_if<KickClient>(&message)) {
        kick_client(id_, kick->client_id);
        return;
    }
    if (std::holds_alternative<ShardReady>(message)) {
        if (++shards_ready_ == mesh_.shard_count()) {
            RC_TRACE("ringcast ready: {} shards serving, io_uring: {}", mesh_.shard_count(), ring_->features().describe());
        }
        return;
    }
    registry_->on_message(from, std::move(message));
}

StreamSettings Shard::stream_settings(std::string_view vhost) const {
    const VhostConfig* config = config_.find_vhost(vhost);
    if (config == nullptr) {
        config = config_.find_vhost("__defaultVhost__");
    }
    StreamSettings settings;
    settings.rtmp_chunk_size = static_cast<std::uint32_t>(config_.rtmp.chunk_size);
    if (config == nullptr) {
        return settings;
    }
    const PlayConfig& play = config->play;
    settings.jitter = play.time_jitter == TimeJitter::zero  ? media::JitterMode::zero
                      : play.time_jitter == TimeJitter::off ? media::JitterMode::off
                                                            : media::JitterMode::full;
    settings.atc = play.atc;
    settings.atc_auto = play.atc_auto;
    settings.mix_correct = play.mix_correct;
    settings.gop_cache = play.gop_cache;
    settings.gop_cache_max_frames = static_cast<std::size_t>(play.gop_cache_max_frames);
    settings.rtmp_chunk_size = static_cast<std::uint32_t>(config->chunk_size.value_or(config_.rtmp.chunk_size));
    settings.hls = config->hls;
    return settings;
}

}  // namespace ringcast::app
