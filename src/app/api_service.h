#pragma once
// ApiService: SRS's HTTP API and the Prometheus exporter, one per shard. A request arrives on
// whichever shard accepted its connection; that shard asks every other shard for its report
// (ShardMsg StatsRequest, answered with a ShardReport by value), adds its own, merges them into
// SRS's snapshots and renders the answer (api/srs_json.h, api/prometheus.h). No shard reads
// another's state and no lock is taken: the figures are gathered the way frames travel, through
// the mesh. A DELETE /api/v1/clients/{id} is sent on to the shard that holds the client.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/routes.h"
#include "app/api_stats.h"
#include "app/shard_msg.h"
#include "proto/http/request_parser.h"

namespace ringcast::app {

class Shard;

/// The answer an HTTP connection sends for an API request.
struct ApiAnswer {
    int status = 200;
    std::string content_type;
    std::string body;
    std::string allow;  // for 405
};

/// What the process-wide sampler (on the main thread) last read from /proc, shared read-only.
struct HostFigures {
    api::SelfFigures self;
    api::SystemFigures system;
    api::Uname uname;
    bool ok = false;
};

class ApiService {
public:
    /// Reports not back after this long are left out of the answer (a stuck shard must not
    /// hang the API).
    static constexpr std::uint64_t kGatherTimeoutMs = 2000;
    /// Requests being gathered at once on one shard; more get 503.
    static constexpr std::size_t kPendingMax = 64;

    explicit ApiService(Shard& shard);
    ~ApiService();
    ApiService(const ApiService&) = delete;
    ApiService& operator=(const ApiService&) = delete;

    /// Starts answering `request` for connection `connection_id` (an HTTP connection of this
    /// shard); the answer comes back through Shard::deliver_api_answer, now or in a later turn.
    /// `metrics_only`: the exporter's port, which serves /metrics and nothing else.
    void handle(std::uint64_t connection_id, const proto::http::HttpRequest& request, bool metrics_only);
    void on_stats_request(std::size_t from, const StatsRequest& request);
    void on_stats_reply(const StatsReply& reply);

    /// This shard's own report.
    [[nodiscard]] ShardReport local_report() const;

private:
    struct Pending;
    void start_gather(std::uint64_t connection_id, const api::Route& route, std::string id, std::string jsonp);
    void finish(std::uint64_t request_id);
    void on_gather_timer();
    ApiAnswer answer(const Pending& pending);

    Shard& shard_;
    std::uint64_t next_request_id_ = 1;
    std::unordered_map<std::uint64_t, std::unique_ptr<Pending>> pending_;
    uring::Timer gather_timer_;
};

/// Seeds that make the API's ids stable for the life of the process.
std::string stream_stat_id(std::string_view key);
std::string vhost_stat_id(std::string_view vhost);

}  // namespace ringcast::app
