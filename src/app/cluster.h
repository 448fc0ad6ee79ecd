#pragma once
// ClusterManager: a shard's edge pulls, edge pushes and forwarders (SRS's cluster and forward),
// driven by what the registry tells the owner of each stream: the first player of an edge
// vhost's stream starts a pull, the last one leaving stops it after kEdgeLingerMs; a publisher
// on an edge vhost is answered once an origin took the stream (edge push), and is closed if
// the origins are lost; a publish on a vhost with forward starts a forwarder per destination,
// and asks the forward backend (SRS's on_forward hook), if any, for more; its end stops them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "app/config.h"
#include "app/edge_pull.h"
#include "app/forwarder.h"
#include "app/http_hook.h"
#include "app/stream_registry.h"
#include "app/token_traverse.h"
#include "uring/reactor.h"

namespace ringcast::app {

/// The body of SRS's on_forward request. The owner shard knows the stream, not the publisher's
/// connection: client_id, ip, tcUrl and param are sent empty.
std::string forward_backend_request(std::string_view server_id, std::string_view vhost, std::string_view app,
                                    std::string_view stream);

/// What a forward backend answered: `{"code":0,"data":{"urls":[...]}}`. An error when the body
/// is not such an object or the code is not 0; no urls (absent or empty) is not an error.
/// At most kForwardBackendUrlsMax urls are kept: the answer comes from the network.
inline constexpr std::size_t kForwardBackendUrlsMax = 64;
struct ForwardBackendAnswer {
    std::vector<std::string> urls;
    std::size_t dropped = 0;  // urls past the maximum, or not strings
    std::string error;        // empty: code 0
};
ForwardBackendAnswer parse_forward_backend_answer(std::string_view body);

/// A backend's url (`rtmp://HOST[:PORT][/app/stream]`) as a forward destination, or nullopt when
/// it is invalid or names a host by name: a shard never blocks on DNS, so only IP literals and
/// `localhost` are taken.
std::optional<UpstreamTarget> dynamic_forward_target(std::string_view url);

class ClusterManager final : public StreamObserver, private Forwarder::EdgeEvents {
public:
    /// A pull outlives its last player by this much, so a player that reconnects (or the next
    /// one of a popular stream) finds it still running.
    static constexpr std::uint64_t kEdgeLingerMs = 3000;

    /// `server_id`: the service id that loop protection sends upstream; `hook_server_id`: the
    /// server id that HTTP hooks report (SRS's server_id).
    ClusterManager(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry,
                   const Config& config, std::string server_id, std::string hook_server_id = {});
    ~ClusterManager() override;
    ClusterManager(const ClusterManager&) = delete;
    ClusterManager& operator=(const ClusterManager&) = delete;

    void on_audience(const std::string& name, bool present, const std::string& param) override;
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
    [[nodiscard]] const VhostConfig* vhost_of(const std::string& vhost) const;
    void on_housekeeping();
    // Forwarder::EdgeEvents (edge push)
    void on_push_started(Forwarder& push) override;
    void on_push_failed(Forwarder& push, bool was_started) override;
    void retire_push(const std::string& name);
    void restart_pull_after_publisher(const std::string& name);
    // forward backend (on_forward)
    class BackendCall;
    void call_forward_backend(const std::string& name, const StreamKey& key, const HookUrl& backend);
    void on_backend_answer(BackendCall& call, const HttpHook::Result& result);
    void retire_backend_call(const std::string& name);
    void arm_housekeeping();

    uring::Reactor& reactor_;
    uring::ProvidedBufRing* buffers_;
    StreamRegistry& registry_;
    const Config& config_;
    std::string server_id_;
    std::string hook_server_id_;
    std::unordered_map<std::string, std::unique_ptr<EdgePull>> pulls_;
    std::unordered_map<std::string, std::uint64_t> linger_deadline_ms_;  // pulls whose audience left
    std::unordered_map<std::string, std::vector<std::unique_ptr<Forwarder>>> forwarders_;
    std::unordered_map<std::string, std::unique_ptr<Forwarder>> pushes_;  // edge push, per stream
    std::vector<std::unique_ptr<EdgePull>> stopping_pulls_;
    std::vector<std::unique_ptr<Forwarder>> stopping_forwarders_;
    std::vector<std::unique_ptr<TokenTraverse>> orphan_checks_;
    std::unordered_map<std::string, std::unique_ptr<BackendCall>> backend_calls_;  // awaiting an answer, per stream
    std::vector<std::unique_ptr<BackendCall>> stopping_backend_calls_;            // answered or canceled
    uring::Timer housekeeping_timer_;
    std::uint64_t next_feed_id_ = 1;
    bool stopped_ = false;
};

}  // namespace ringcast::app
