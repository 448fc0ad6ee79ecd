#include "app/api_service.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <chrono>
#include <map>

#include "api/prometheus.h"
#include "api/srs_json.h"
#include "app/shard.h"
#include "core/log.h"

namespace ringcast::app {

namespace {

/// FNV-1a: a stable hash of a name, mixed with the pid so ids differ between runs as SRS's do.
std::uint64_t stat_seed(std::string_view kind, std::string_view text) {
    std::uint64_t hash = 1469598103934665603ull;
    for (std::string_view part : {kind, text}) {
        for (unsigned char c : part) {
            hash = (hash ^ c) * 1099511628211ull;
        }
    }
    return hash ^ (static_cast<std::uint64_t>(::getpid()) << 32);
}

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// "vhost/app/stream" -> its three parts (the stream part may itself hold '/').
}  // namespace

std::string stream_stat_id(std::string_view key) { return api::make_stat_id(stat_seed("stream", key)); }
std::string vhost_stat_id(std::string_view vhost) { return api::make_stat_id(stat_seed("vhost", vhost)); }

struct ApiService::Pending {
    std::uint64_t connection_id = 0;
    api::Route route;
    // The route's views point into the request, which is gone by the time reports arrive.
    std::string id;
    std::string jsonp;
    std::size_t replies_missing = 0;
    std::uint64_t deadline_ms = 0;
    std::vector<ShardReportPtr> reports;
};

ApiService::ApiService(Shard& shard) : shard_(shard) { gather_timer_.bind<&ApiService::on_gather_timer>(this); }

ApiService::~ApiService() { shard_.reactor().cancel(gather_timer_); }

void ApiService::handle(std::uint64_t connection_id, const proto::http::HttpRequest& request, bool metrics_only) {
    api::RoutedRequest routed = api::route_api_request(request);
    if (metrics_only && routed.status == 200 && routed.route.endpoint != api::Endpoint::metrics) {
        routed.status = 404;
    }
    if (routed.status != 200) {
        ApiAnswer answer;
        answer.status = routed.status;
        answer.content_type = "text/plain";
        answer.body = routed.status == 404 ? "Not Found" : "Method Not Allowed";
        answer.allow = std::string(routed.allow);
        shard_.deliver_api_answer(connection_id, std::move(answer));
        return;
    }
    if (routed.route.endpoint == api::Endpoint::options) {
        shard_.deliver_api_answer(connection_id, ApiAnswer{200, "text/plain", {}, {}});
        return;
    }
    if (pending_.size() >= kPendingMax) {
        shard_.deliver_api_answer(connection_id, ApiAnswer{503, "text/plain", "Busy", {}});
        return;
    }
    start_gather(connection_id, routed.route, std::string(routed.route.id), std::string(routed.route.jsonp_callback));
}

void ApiService::start_gather(std::uint64_t connection_id, const api::Route& route, std::string id, std::string jsonp) {
    const std::uint64_t request_id = next_request_id_++;
    auto pending = std::make_unique<Pending>();
    pending->connection_id = connection_id;
    pending->route = route;
    pending->id = std::move(id);
    pending->jsonp = std::move(jsonp);
    pending->route.id = pending->id;
    pending->route.jsonp_callback = pending->jsonp;
    pending->deadline_ms = shard_.reactor().now_ms() + kGatherTimeoutMs;
    pending->reports.push_back(std::make_shared<const ShardReport>(local_report()));
    for (std::size_t to = 0; to < shard_.shard_count(); ++to) {
        if (to != shard_.id() && shard_.send_to_shard(to, StatsRequest{request_id})) {
            ++pending->replies_missing;
        }
    }
    const bool complete = pending->replies_missing == 0;
    pending_.emplace(request_id, std::move(pending));
    if (complete) {
        finish(request_id);
        return;
    }
    if (!gather_timer_.armed()) {
        shard_.reactor().arm(gather_timer_, kGatherTimeoutMs);
    }
}

void ApiService::on_stats_request(std::size_t from, const StatsRequest& request) {
    shard_.send_to_shard(from, StatsReply{request.request_id, std::make_shared<const ShardReport>(local_report())});
}

void ApiService::on_stats_reply(const StatsReply& reply) {
    auto it = pending_.find(reply.request_id);
    if (it == pending_.end()) {
        return;  // answered without it (timeout)
    }
    it->second->reports.push_back(reply.report);
    if (--it->second->replies_missing == 0) {
        finish(reply.request_id);
    }
}

void ApiService::on_gather_timer() {
    const std::uint64_t now_ms = shard_.reactor().now_ms();
    std::vector<std::uint64_t> late;
    std::uint64_t next_deadline_ms = 0;
    for (const auto& [request_id, pending] : pending_) {
        if (pending->deadline_ms <= now_ms) {
            late.push_back(request_id);
        } else if (next_deadline_ms == 0 || pending->deadline_ms < next_deadline_ms) {
            next_deadline_ms = pending->deadline_ms;
        }
    }
    for (std::uint64_t request_id : late) {
        RC_WARN("api: {} shard reports missing after {} ms; answering without them",
                pending_[request_id]->replies_missing, kGatherTimeoutMs);
        finish(request_id);
    }
    if (next_deadline_ms != 0) {
        shard_.reactor().arm(gather_timer_, next_deadline_ms - now_ms);
    }
}

void ApiService::finish(std::uint64_t request_id) {
    auto node = pending_.extract(request_id);
    if (node.empty()) {
        return;
    }
    shard_.deliver_api_answer(node.mapped()->connection_id, answer(*node.mapped()));
}

ShardReport ApiService::local_report() const { return shard_.collect_report(); }

ApiAnswer ApiService::answer(const Pending& pending) {
    const Config& config = shard_.config();
    const ServerShared& shared = shard_.shared();
    api::ServerSnapshot server;
    server.server_id = shared.server_id;
    server.service_id = shared.service_id;
    server.pid = ::getpid();
    server.ppid = ::getppid();
    server.version = RINGCAST_VERSION;
    std::sscanf(RINGCAST_VERSION, "%d.%d.%d", &server.version_major, &server.version_minor, &server.version_revision);
    server.code_name = "ringcast";
    server.now_ms = unix_now_ms();
    server.uptime_s = (server.now_ms - shared.start_unix_ms) / 1000;
    if (auto host = shared.host_figures.load()) {
        server.self = host->self;
        server.system = host->system;
        server.uname = host->uname;
        server.figures_ok = host->ok;
    }

    // Streams: merged by key; the owner's part carries the publisher and the media.
    std::map<std::string, api::StreamSnapshot> streams;
    std::vector<api::ShardSnapshot> shards;
    std::vector<api::ClientSnapshot> clients;
    for (const ShardReportPtr& report : pending.reports) {
        shards.push_back(report->shard);
        server.totals.clients_total += report->shard.connections_accepted_total;
        server.totals.send_bytes += report->shard.send_bytes;
        server.totals.recv_bytes += report->shard.recv_bytes;
        for (const StreamPart& part : report->streams) {
            if (!part.owner) {
                continue;  // a mirror: its players are counted from the client list
            }
            api::StreamSnapshot& stream = streams[part.key];
            const StreamKey key = split_stream_key(part.key);
            const std::string_view vhost = key.vhost;
            const std::string_view app = key.app;
            const std::string_view name = key.stream;
            stream.id = stream_stat_id(part.key);
            stream.name = std::string(name);
            stream.vhost = std::string(vhost);
            stream.vhost_id = vhost_stat_id(vhost);
            stream.app = std::string(app);
            stream.url = api::srs_stream_url(vhost, app, name);
            stream.publish_active = part.publishing;
            stream.video_frames = part.video_frames;
            stream.audio_frames = part.audio_frames;
            stream.video = part.video;
            stream.audio = part.audio;
            stream.upstreams = part.upstreams;
        }
    }
    for (const ShardReportPtr& report : pending.reports) {
        for (const ClientPart& part : report->clients) {
            api::ClientSnapshot client = part.snapshot;
            client.vhost_id = vhost_stat_id(part.vhost);
            client.stream_id = stream_stat_id(part.stream_key);
            client.url = api::srs_stream_url(part.vhost, part.app, client.name);
            auto it = streams.find(part.stream_key);
            if (it != streams.end()) {
                api::StreamSnapshot& stream = it->second;
                ++stream.clients;
                stream.send_bytes += client.send_bytes;
                stream.recv_bytes += client.recv_bytes;
                stream.kbps.send_30s += client.kbps.send_30s;
                stream.kbps.recv_30s += client.kbps.recv_30s;
                if (part.publisher) {
                    stream.publisher_client_id = client.id;
                    stream.tc_url = client.tc_url;
                }
            }
            clients.push_back(std::move(client));
        }
    }
    server.totals.clients = clients.size();
    server.totals.streams = streams.size();
    server.totals.sample_time_ms = server.now_ms;

    std::vector<api::StreamSnapshot> stream_list;
    stream_list.reserve(streams.size());
    for (auto& [key, stream] : streams) {
        stream_list.push_back(std::move(stream));
    }
    std::vector<api::VhostSnapshot> vhosts;
    for (const VhostConfig& vhost_config : config.vhosts) {
        api::VhostSnapshot vhost;
        vhost.name = vhost_config.name;
        vhost.id = vhost_stat_id(vhost.name);
        vhost.enabled = vhost_config.enabled;
        for (const api::StreamSnapshot& stream : stream_list) {
            if (stream.vhost == vhost.name) {
                vhost.streams += stream.publish_active ? 1 : 0;
                vhost.clients += stream.clients;
                vhost.send_bytes += stream.send_bytes;
                vhost.recv_bytes += stream.recv_bytes;
                vhost.kbps.send_30s += stream.kbps.send_30s;
                vhost.kbps.recv_30s += stream.kbps.recv_30s;
            }
        }
        vhosts.push_back(std::move(vhost));
    }

    ApiAnswer out;
    if (pending.route.endpoint == api::Endpoint::metrics) {
        out.content_type = std::string(api::prometheus_content_type);
        api::write_metrics(server, stream_list, shards, out.body);
        return out;
    }
    if (pending.route.endpoint == api::Endpoint::kick_client) {
        for (const ShardReportPtr& report : pending.reports) {
            for (const ClientPart& part : report->clients) {
                std::uint64_t client_id = 0;
                const auto [end, error] = std::from_chars(pending.id.data(), pending.id.data() + pending.id.size(), client_id);
                if (part.snapshot.id == pending.id && error == std::errc{}) {
                    shard_.kick_client(report->shard.shard, client_id);
                }
            }
        }
    }
    out.content_type = std::string(pending.jsonp.empty() ? api::json_content_type : api::jsonp_content_type);
    api::write_api_answer(pending.route, api::ApiView{server, vhosts, stream_list, clients}, out.body);
    return out;
}

}  // namespace ringcast::app
