#pragma once
// Shard: one pinned thread with its own ring, reactor, buffer pools, SO_REUSEPORT listeners and
// connections (DESIGN.md section 3). Nothing mutable in it is touched by another thread, except
// the stop request and the mesh rings, which are built for that.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "app/api_service.h"
#include "app/cluster.h"
#include "app/config.h"
#include "app/connection.h"
#include "app/shard_msg.h"
#include "app/stream_registry.h"
#include "core/buffer.h"
#include "core/result.h"
#include "uring/acceptor.h"
#include "uring/buf_ring.h"
#include "uring/reactor.h"
#include "uring/ring.h"

namespace ringcast::app {

/// Process-wide values the shards share, each an atomic touched once per connection, never per
/// message. Owned by the Server; outlives every shard.
struct ServerShared {
    std::atomic<std::uint64_t> next_connection_id{1};
    std::atomic<int> live_connections{0};
    // Set before the shards start, then read only.
    std::string server_id;
    std::string service_id;
    std::int64_t start_unix_ms = 0;
    /// /proc figures for the API, replaced by the main thread's sampler every few seconds and
    /// read once per API request.
    std::atomic<std::shared_ptr<const HostFigures>> host_figures;
};

/// Per-shard counters; read by the Server after the shard thread has joined.
struct ShardStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;  // over max_connections
};

/// Owned by the Server; constructed on the main thread, then start(), run() and teardown() run
/// on the shard's own thread. The Config, Mesh and ServerShared outlive it.
class Shard final : public uring::Acceptor::Handler, public MeshEndpoint::Receiver {
public:
    static constexpr std::uint32_t kRecvBufferCount = 1024;
    static constexpr std::uint32_t kRecvBufferBytes = 8192;
    static constexpr std::uint64_t kStopDrainMs = 800;

    Shard(std::size_t id, const Config& config, Mesh& mesh, ServerShared& shared);
    ~Shard() override;
    Shard(const Shard&) = delete;
    Shard& operator=(const Shard&) = delete;

    /// Creates the ring and everything on it and opens the listeners; on the shard thread.
    core::Status start();
    /// Serves until request_stop(), then closes every connection and listener.
    void run();
    /// Frees everything start() made; on the shard thread, after run() (or a failed start()).
    void teardown();
    /// Any thread.
    void request_stop();
    /// Any thread: stop accepting (graceful quit); connections keep being served.
    void request_close_listeners();

    [[nodiscard]] std::size_t id() const { return id_; }
    uring::Reactor& reactor() { return *reactor_; }
    uring::ProvidedBufRing* recv_buffers() { return recv_buffers_.get(); }
    StreamRegistry& streams() { return *registry_; }
    ClusterManager& cluster() { return *cluster_; }
    [[nodiscard]] const Config& config() const { return config_; }
    [[nodiscard]] const ShardStats& stats() const { return stats_; }
    [[nodiscard]] const uring::RingFeatures& features() const { return ring_->features(); }

    [[nodiscard]] std::size_t shard_count() const { return mesh_.shard_count(); }
    [[nodiscard]] const ServerShared& shared() const { return shared_; }
    ApiService& api() { return *api_; }
    /// Sends a message to another shard; false if its outbox is full.
    bool send_to_shard(std::size_t to, ShardMsg&& message);
    /// Hands an API answer to the HTTP connection that asked, if it is still there.
    void deliver_api_answer(std::uint64_t connection_id, ApiAnswer&& answer);
    /// This shard's streams and clients, for the API.
    [[nodiscard]] ShardReport collect_report() const;
    /// Closes client `client_id` on shard `shard` (this one, or through the mesh).
    void kick_client(std::size_t shard, std::uint64_t client_id);

    /// Called by a connection from on_closed; the object is freed later in this turn.
    void release_connection(ClientConnection& connection);

    /// A new client on one of this shard's listeners.
    void on_accept(int fd, ListenProtocol protocol);
    void on_accept(int fd) override { on_accept(fd, ListenProtocol::rtmp); }
    void on_accept_error(core::Error error) override;
    void on_acceptor_stopped() override { ++acceptors_stopped_; }
    void on_message(std::size_t from_shard, ShardMsg&& message) override;

private:
    core::Status open_listeners();
    core::Status open_listeners(const std::vector<ListenEndpoint>& endpoints, ListenProtocol protocol);
    [[nodiscard]] StreamSettings stream_settings(std::string_view vhost) const;
    [[nodiscard]] HttpRoles http_roles(ListenProtocol protocol) const;
    void drain();
    void close_listeners();

    /// Runs request_close_listeners() on the shard's thread.
    class ControlPoller final : public uring::Poller {
    public:
        explicit ControlPoller(Shard& shard) : shard_(shard) {}
        bool poll() override;
        [[nodiscard]] bool ready() const override;

    private:
        Shard& shard_;
    };
    static void free_released(void* self);

    std::size_t id_;
    const Config& config_;
    Mesh& mesh_;
    ServerShared& shared_;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> close_listeners_requested_{false};
    bool listeners_closed_ = false;
    ControlPoller control_{*this};
    // request_stop() may come from another thread while this shard tears down; the mutex keeps
    // the reactor alive for that one call (taken twice per shard lifetime, never per message).
    std::mutex stop_mutex_;
    uring::Reactor* reactor_for_stop_ = nullptr;

    std::unique_ptr<core::BufferPool> pool_;  // made on the shard thread: the pool's owner
    std::unique_ptr<uring::Ring> ring_;
    std::unique_ptr<uring::Reactor> reactor_;
    std::unique_ptr<uring::ProvidedBufRing> recv_buffers_;
    std::unique_ptr<MeshEndpoint> mesh_endpoint_;
    std::unique_ptr<StreamRegistry> registry_;
    std::unique_ptr<ClusterManager> cluster_;
    std::unique_ptr<ApiService> api_;
    uring::Timer traffic_timer_;  // samples every connection's byte counters for kbps
    void on_traffic_timer();
    /// Routes an acceptor's connections to on_accept with its listener's protocol.
    class ListenerHandler final : public uring::Acceptor::Handler {
    public:
        ListenerHandler(Shard& shard, ListenProtocol protocol) : shard_(shard), protocol_(protocol) {}
        void on_accept(int fd) override { shard_.on_accept(fd, protocol_); }
        void on_accept_error(core::Error error) override { shard_.on_accept_error(error); }
        void on_acceptor_stopped() override { shard_.on_acceptor_stopped(); }

    private:
        Shard& shard_;
        ListenProtocol protocol_;
    };
    std::vector<std::unique_ptr<ListenerHandler>> listener_handlers_;
    std::vector<std::unique_ptr<uring::Acceptor>> acceptors_;
    std::size_t acceptors_stopped_ = 0;
    std::unordered_map<std::uint64_t, std::unique_ptr<ClientConnection>> connections_;
    std::vector<std::uint64_t> released_;
    std::size_t shards_ready_ = 0;  // shard 0 only
    ShardStats stats_;
};

}  // namespace ringcast::app
