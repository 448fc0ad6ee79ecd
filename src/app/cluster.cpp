#include "app/cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <simdjson.h>

#include <algorithm>

#include "api/json_writer.h"
#include "core/log.h"

namespace ringcast::app {

namespace {

constexpr std::uint64_t kHousekeepingMs = 500;

bool is_ip_literal(const std::string& host) {
    unsigned char probe[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), probe) == 1 || ::inet_pton(AF_INET6, host.c_str(), probe) == 1;
}

}  // namespace

std::string forward_backend_request(std::string_view server_id, std::string_view vhost, std::string_view app,
                                    std::string_view stream) {
    std::string body;
    api::JsonWriter json(body);
    json.begin_object();
    json.field("action", "on_forward");
    json.field("server_id", server_id);
    json.field("client_id", "");
    json.field("ip", "");
    json.field("vhost", vhost);
    json.field("app", app);
    json.field("tcUrl", "");
    json.field("stream", stream);
    json.field("param", "");
    json.end_object();
    return body;
}

ForwardBackendAnswer parse_forward_backend_answer(std::string_view body) {
    ForwardBackendAnswer answer;
    simdjson::dom::parser parser;
    simdjson::dom::object root;
    if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
        answer.error = "the answer is not a JSON object";
        return answer;
    }
    std::int64_t code = -1;
    if (root["code"].get(code) != simdjson::SUCCESS) {
        answer.error = "the answer has no integer code";
        return answer;
    }
    if (code != 0) {
        answer.error = "the answer's code is " + std::to_string(code);
        return answer;
    }
    // SRS: "if backend return empty urls, destination is still disabled" - no urls is no error.
    simdjson::dom::object data;
    simdjson::dom::array urls;
    if (root["data"].get(data) != simdjson::SUCCESS || data["urls"].get(urls) != simdjson::SUCCESS) {
        return answer;
    }
    for (simdjson::dom::element element : urls) {
        std::string_view url;
        if (answer.urls.size() == kForwardBackendUrlsMax || element.get(url) != simdjson::SUCCESS) {
            ++answer.dropped;
            continue;
        }
        answer.urls.emplace_back(url);
    }
    return answer;
}

std::optional<UpstreamTarget> dynamic_forward_target(std::string_view url) {
    UpstreamTarget target;
    if (!url.starts_with("rtmp://") || !parse_upstream_target(url, true, target)) {
        return std::nullopt;
    }
    if (is_ip_literal(target.host)) {
        target.address = target.host;
    } else if (target.host == "localhost") {
        target.address = "127.0.0.1";
    } else {
        return std::nullopt;
    }
    return target;
}

/// One on_forward call for a stream being published. The ClusterManager frees it only once
/// its hook is idle, never inside the answer's callback.
class ClusterManager::BackendCall final : public HttpHook::Listener {
public:
    BackendCall(ClusterManager& manager, std::string name)
        : manager_(manager), name_(std::move(name)), hook_(manager.reactor_, manager.buffers_, *this) {}

    void on_hook_done(HttpHook&, const HttpHook::Result& result) override { manager_.on_backend_answer(*this, result); }

    [[nodiscard]] const std::string& name() const { return name_; }
    HttpHook& hook() { return hook_; }

private:
    ClusterManager& manager_;
    std::string name_;
    HttpHook hook_;
};

ClusterManager::ClusterManager(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, StreamRegistry& registry,
                               const Config& config, std::string server_id, std::string hook_server_id)
    : reactor_(reactor),
      buffers_(buffers),
      registry_(registry),
      config_(config),
      server_id_(std::move(server_id)),
      hook_server_id_(std::move(hook_server_id)) {
    housekeeping_timer_.bind<&ClusterManager::on_housekeeping>(this);
}

void ClusterManager::arm_housekeeping() {
    if (!housekeeping_timer_.armed()) {
        reactor_.arm(housekeeping_timer_, kHousekeepingMs);
    }
}

ClusterManager::~ClusterManager() { reactor_.cancel(housekeeping_timer_); }

const VhostConfig* ClusterManager::vhost_of(const std::string& vhost) const {
    const VhostConfig* found = config_.find_vhost(vhost);
    return found != nullptr ? found : config_.find_vhost("__defaultVhost__");
}

void ClusterManager::on_audience(const std::string& name, bool present, const std::string& param) {
    if (stopped_) {
        return;
    }
    const StreamKey parts = split_stream_key(name);
    const VhostConfig* vhost = vhost_of(parts.vhost);
    if (vhost == nullptr || !vhost->cluster.edge) {
        return;
    }
    if (!present) {
        if (pulls_.contains(name)) {
            linger_deadline_ms_[name] = reactor_.now_ms() + kEdgeLingerMs;
            if (!housekeeping_timer_.armed()) {
                reactor_.arm(housekeeping_timer_, kHousekeepingMs);
            }
        }
        return;
    }
    linger_deadline_ms_.erase(name);
    if (pulls_.contains(name)) {
        return;
    }
    auto pull = std::make_unique<EdgePull>(reactor_, buffers_, registry_,
                                           parts,
                                           vhost->cluster, server_id_, param);
    EdgePull& ref = *pull;
    pulls_.emplace(name, std::move(pull));
    RC_TRACE("edge {}: first player, pulling", name);
    ref.start();
}

bool ClusterManager::hold_publish(const std::string& name) {
    if (stopped_) {
        return false;
    }
    const StreamKey parts = split_stream_key(name);
    const VhostConfig* vhost = vhost_of(parts.vhost);
    if (vhost == nullptr || !vhost->cluster.edge) {
        return false;
    }
    // SRS's edge: the publisher is answered once the origin has taken the stream.
    Forwarder::EdgeEvents* events = this;  // a private base: converted here, not in make_unique
    auto push = std::make_unique<Forwarder>(reactor_, buffers_, registry_,
                                            parts,
                                            vhost->cluster.origins, server_id_, next_feed_id_++, events,
                                            vhost->cluster.vhost);
    Forwarder& ref = *push;
    retire_push(name);
    pushes_.emplace(name, std::move(push));
    RC_TRACE("edge {}: publisher waits for an origin to take the stream", name);
    ref.start();
    return true;
}

void ClusterManager::on_push_started(Forwarder& push) { registry_.release_publish(push.name(), true); }

void ClusterManager::on_push_failed(Forwarder& push, bool was_started) {
    const std::string name = push.name();  // the push may be retired below
    if (was_started) {
        registry_.revoke_publish(name);  // the publisher closes; its unpublish retires the push
    } else {
        retire_push(name);
        registry_.release_publish(name, false);
    }
}

void ClusterManager::retire_push(const std::string& name) {
    auto it = pushes_.find(name);
    if (it == pushes_.end()) {
        return;
    }
    it->second->stop();
    stopping_forwarders_.push_back(std::move(it->second));
    pushes_.erase(it);
    if (!housekeeping_timer_.armed()) {
        reactor_.arm(housekeeping_timer_, kHousekeepingMs);
    }
}

void ClusterManager::on_publishing(const std::string& name, bool publishing) {
    if (!publishing) {
        retire_push(name);
        restart_pull_after_publisher(name);
        retire_backend_call(name);  // an answer for a publish that ended is dropped
        auto it = forwarders_.find(name);
        if (it == forwarders_.end()) {
            return;
        }
        std::vector<std::unique_ptr<Forwarder>> ending = std::move(it->second);
        forwarders_.erase(it);
        for (auto& forwarder : ending) {
            forwarder->stop();
            stopping_forwarders_.push_back(std::move(forwarder));
        }
        if (!housekeeping_timer_.armed()) {
            reactor_.arm(housekeeping_timer_, kHousekeepingMs);
        }
        return;
    }
    if (stopped_ || forwarders_.contains(name)) {
        return;
    }
    const StreamKey parts = split_stream_key(name);
    const VhostConfig* vhost = vhost_of(parts.vhost);
    if (vhost == nullptr || !vhost->forward.enabled ||
        (vhost->forward.destinations.empty() && !vhost->forward.backend_url)) {
        return;
    }
    auto& list = forwarders_[name];
    for (const UpstreamTarget& destination : vhost->forward.destinations) {
        list.push_back(std::make_unique<Forwarder>(reactor_, buffers_, registry_,
                                                   parts,
                                                   std::vector<UpstreamTarget>{destination}, server_id_,
                                                   next_feed_id_++));
    }
    for (auto& forwarder : list) {
        forwarder->start();
    }
    if (vhost->forward.backend_url) {
        call_forward_backend(name, parts, *vhost->forward.backend_url);
    }
}

void ClusterManager::call_forward_backend(const std::string& name, const StreamKey& parts, const HookUrl& backend) {
    auto address = uring::SocketAddress::parse(backend.address, backend.port);
    if (!address) {
        RC_WARN("forward {}: backend address {}: {}", name, backend.address, address.error().describe());
        return;
    }
    retire_backend_call(name);
    auto call = std::make_unique<BackendCall>(*this, name);
    BackendCall& ref = *call;
    backend_calls_.emplace(name, std::move(call));
    const bool ipv6 = backend.host.find(':') != std::string::npos;
    std::string host_header = ipv6 ? "[" + backend.host + "]" : backend.host;
    if (backend.port != 80) {
        host_header += ":" + std::to_string(backend.port);
    }
    RC_TRACE("forward {}: asking the backend http://{}{}", name, host_header, backend.path);
    ref.hook().post(*address, std::move(host_header), backend.path,
                    forward_backend_request(hook_server_id_, parts.vhost, parts.app, parts.stream));
}

void ClusterManager::on_backend_answer(BackendCall& call, const HttpHook::Result& result) {
    const std::string name = call.name();  // the call is retired below
    retire_backend_call(name);
    if (!result.ok()) {
        RC_WARN("forward {}: backend: {}; no dynamic destinations", name, result.error);
        return;
    }
    if (result.status != 200) {
        RC_WARN("forward {}: backend answered HTTP {}; no dynamic destinations", name, result.status);
        return;
    }
    const ForwardBackendAnswer answer = parse_forward_backend_answer(result.body);
    if (!answer.error.empty()) {
        RC_WARN("forward {}: backend: {}; no dynamic destinations", name, answer.error);
        return;
    }
    if (answer.dropped > 0) {
        RC_WARN("forward {}: backend: {} urls dropped (not strings, or more than {})", name, answer.dropped,
                kForwardBackendUrlsMax);
    }
    auto list = forwarders_.find(name);
    if (stopped_ || list == forwarders_.end()) {
        return;
    }
    const StreamKey parts = split_stream_key(name);
    std::vector<Forwarder*> started;
    for (const std::string& url : answer.urls) {
        std::optional<UpstreamTarget> target = dynamic_forward_target(url);
        if (!target) {
            RC_WARN("forward {}: backend url \"{}\" skipped: not rtmp://IP[:PORT][/app/stream] (no DNS on a shard)",
                    name, url);
            continue;
        }
        RC_TRACE("forward {}: backend adds {}", name, target->to_string());
        list->second.push_back(std::make_unique<Forwarder>(reactor_, buffers_, registry_,
                                                           parts,
                                                           std::vector<UpstreamTarget>{std::move(*target)}, server_id_,
                                                           next_feed_id_++));
        started.push_back(list->second.back().get());
    }
    for (Forwarder* forwarder : started) {
        forwarder->start();
    }
}

void ClusterManager::retire_backend_call(const std::string& name) {
    auto it = backend_calls_.find(name);
    if (it == backend_calls_.end()) {
        return;
    }
    it->second->hook().cancel();  // nothing more is reported; a finished hook is already closed
    stopping_backend_calls_.push_back(std::move(it->second));
    backend_calls_.erase(it);
    arm_housekeeping();
}

void ClusterManager::restart_pull_after_publisher(const std::string& name) {
    // Players that came while an encoder published to this edge keep watching when it leaves:
    // the stream comes from the origin again.
    auto it = pulls_.find(name);
    if (stopped_ || it == pulls_.end() || !it->second->found_publisher()) {
        return;
    }
    std::unique_ptr<EdgePull> old = std::move(it->second);
    pulls_.erase(it);
    old->stop();
    stopping_pulls_.push_back(std::move(old));
    const bool audience_left = linger_deadline_ms_.erase(name) > 0;
    if (!audience_left) {
        on_audience(name, true, {});
    }
}

void ClusterManager::on_housekeeping() {
    const std::uint64_t now = reactor_.now_ms();
    for (auto it = linger_deadline_ms_.begin(); it != linger_deadline_ms_.end();) {
        if (it->second > now) {
            ++it;
            continue;
        }
        auto pull = pulls_.find(it->first);
        if (pull != pulls_.end()) {
            RC_TRACE("edge {}: no players for {} ms, stop pulling", it->first, kEdgeLingerMs);
            std::unique_ptr<EdgePull> ending = std::move(pull->second);
            pulls_.erase(pull);
            ending->stop();
            stopping_pulls_.push_back(std::move(ending));
        }
        it = linger_deadline_ms_.erase(it);
    }
    std::erase_if(stopping_pulls_, [](const std::unique_ptr<EdgePull>& pull) { return pull->idle(); });
    std::erase_if(stopping_forwarders_, [](const std::unique_ptr<Forwarder>& forwarder) { return forwarder->idle(); });
    std::erase_if(orphan_checks_, [](const std::unique_ptr<TokenTraverse>& check) { return check->idle(); });
    std::erase_if(stopping_backend_calls_, [](const std::unique_ptr<BackendCall>& call) { return call->hook().idle(); });
    if (!linger_deadline_ms_.empty() || !stopping_pulls_.empty() || !stopping_forwarders_.empty() ||
        !orphan_checks_.empty() || !stopping_backend_calls_.empty()) {
        reactor_.arm(housekeeping_timer_, kHousekeepingMs);
    }
}

void ClusterManager::adopt(std::unique_ptr<TokenTraverse> check) {
    orphan_checks_.push_back(std::move(check));
    if (!housekeeping_timer_.armed()) {
        reactor_.arm(housekeeping_timer_, kHousekeepingMs);
    }
}

void ClusterManager::stop_all() {
    stopped_ = true;
    linger_deadline_ms_.clear();
    for (auto& [name, pull] : pulls_) {
        pull->stop();
        stopping_pulls_.push_back(std::move(pull));
    }
    pulls_.clear();
    for (auto& [name, list] : forwarders_) {
        for (auto& forwarder : list) {
            forwarder->stop();
            stopping_forwarders_.push_back(std::move(forwarder));
        }
    }
    forwarders_.clear();
    for (auto& [name, push] : pushes_) {
        push->stop();
        stopping_forwarders_.push_back(std::move(push));
    }
    pushes_.clear();
    while (!backend_calls_.empty()) {
        retire_backend_call(backend_calls_.begin()->first);
    }
    if (!housekeeping_timer_.armed()) {
        reactor_.arm(housekeeping_timer_, kHousekeepingMs);
    }
}

bool ClusterManager::idle() const {
    return pulls_.empty() && forwarders_.empty() && pushes_.empty() && backend_calls_.empty() &&
           std::all_of(stopping_backend_calls_.begin(), stopping_backend_calls_.end(),
                       [](const auto& c) { return c->hook().idle(); }) &&
           std::all_of(stopping_pulls_.begin(), stopping_pulls_.end(), [](const auto& p) { return p->idle(); }) &&
           std::all_of(stopping_forwarders_.begin(), stopping_forwarders_.end(), [](const auto& f) { return f->idle(); }) &&
           std::all_of(orphan_checks_.begin(), orphan_checks_.end(), [](const auto& c) { return c->idle(); });
}

std::vector<UpstreamStatus> ClusterManager::upstreams_of(const std::string& name) const {
    std::vector<UpstreamStatus> out;
    if (auto pull = pulls_.find(name); pull != pulls_.end()) {
        out.push_back(pull->second->status());
    }
    if (auto push = pushes_.find(name); push != pushes_.end()) {
        out.push_back(push->second->status());
    }
    if (auto list = forwarders_.find(name); list != forwarders_.end()) {
        for (const auto& forwarder : list->second) {
            out.push_back(forwarder->status());
        }
    }
    return out;
}

}  // namespace ringcast::app
