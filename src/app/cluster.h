#pragma once
// ClusterManager: a shard's edge pulls, edge pushes and forwarders (SRS's cluster and forward),
// driven by what the registry tells the owner of each stream: the first player of an edge
// vhost's stream starts a pull, the last one leaving stops it after kEdgeLingerMs; a publisher
// on an edge vhost is answered once an origin took the stream (edge push), and is closed if
// the origins are lost; a publish on a vhost with forward starts a forwarder per destination,
// its end stops them.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.h"
#include "app/edge_pull.h"
#include "app/forwarder.h"
#include "app/stream_registry.h"
#include "app/token_traverse.h"
#include "uring/reactor.h"

namespace ringcast::app {

class ClusterManager final : public StreamObserver, private Forwarder::EdgeEvents {
public:
    /// A pull outlives its last player by this much, so a player that reconnects (or the next
    /// one of a popular stream) finds it still running.
    static constexpr std::uint64_t kEdgeLingerMs = 3000;

    ClusterManager(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry,
                   const Config& config, std::string server_id);
    ~ClusterManager() override;
    ClusterManager(const ClusterManager&) = delete;
    ClusterManager& operator=(const ClusterManager&) = delete;

    void on_audience(const std::string& name, bool present) override;
    void on_publishing(const std::string& name, bool publishing) override;
    bool hold_publish(const std::string& name) override;

    /// A token check whose client left: kept until its upstream connection has closed.
    void adopt(std::unique_ptr<TokenTraverse> check);
    /// Server stop: every upstream closes.
    void stop_all();
    /// No upstream connection is open or closing.
    [[nodiscard]] bool idle() const;
    /// The upstreams of a stream this shard owns (for the API).
    [[nodiscard]] std::vector<UpstreamStatus> upstreams_of(const std::string& name) const;

private:
    struct StreamParts {
        std::string vhost, app, stream;
    };
    static StreamParts split(const std::string& name);
    [[nodiscard]] const VhostConfig* vhost_of(const std::string& vhost) const;
    void on_housekeeping();
    // Forwarder::EdgeEvents (edge push)
    void on_push_started(Forwarder& push) override;
    void on_push_failed(Forwarder& push, bool was_started) override;
    void retire_push(const std::string& name);
    void restart_pull_after_publisher(const std::string& name);

    uring::Reactor& reactor_;
    uring::ProvidedBufRing* buffers_;
    StreamRegistry& registry_;
    const Config& config_;
    std::string server_id_;
    std::unordered_map<std::string, std::unique_ptr<EdgePull>> pulls_;
    std::unordered_map<std::string, std::uint64_t> linger_deadline_ms_;  // pulls whose audience left
    std::unordered_map<std::string, std::vector<std::unique_ptr<Forwarder>>> forwarders_;
    std::unordered_map<std::string, std::unique_ptr<Forwarder>> pushes_;  // edge push, per stream
    std::vector<std::unique_ptr<EdgePull>> stopping_pulls_;
    std::vector<std::unique_ptr<Forwarder>> stopping_forwarders_;
    std::vector<std::unique_ptr<TokenTraverse>> orphan_checks_;
    uring::Timer housekeeping_timer_;
    std::uint64_t next_feed_id_ = 1;
    bool stopped_ = false;
};

}  // namespace ringcast::app
