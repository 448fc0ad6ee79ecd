#include "app/token_traverse.h"

#include <algorithm>

#include "core/log.h"

namespace ringcast::app {

TokenTraverse::TokenTraverse(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Owner& owner,
                             const ClusterConfig& cluster, ClientConnect client, std::string server_id)
    : reactor_(reactor),
      buffers_(buffers),
      owner_(&owner),
      origin_vhost_(cluster.vhost.empty() ? client.vhost : cluster.vhost),
      client_(std::move(client)),
      server_id_(std::move(server_id)) {
    for (const UpstreamTarget& origin : cluster.origins) {
        if (!origin.address.empty()) {
            origins_.push_back(origin);
        }
    }
}

TokenTraverse::~TokenTraverse() = default;

void TokenTraverse::start() { try_next(); }

void TokenTraverse::try_next() {
    if (next_origin_ >= origins_.size()) {
        finish(false, "no origin answered the token check");
        return;
    }
    const UpstreamTarget& origin = origins_[next_origin_++];
    auto address = uring::SocketAddress::parse(origin.address, origin.port);
    if (!address) {
        try_next();
        return;
    }
    UpstreamRequest request;
    request.mode = proto::rtmp::ClientSessionOptions::Mode::connect_only;
    request.host = origin.host;
    request.port = origin.port;
    request.vhost = origin_vhost_;
    request.app = client_.app;
    request.param = client_.param;
    request.client_args = client_.args;
    request.server_id = server_id_;
    links_.open(reactor_, buffers_, *this, request, *address);
}

void TokenTraverse::on_link_ready(UpstreamLink& link) {
    finish(true, "");
    link.close("token checked");
}

void TokenTraverse::on_link_closed(UpstreamLink&, const std::string& reason, bool rejected) {
    links_.retire();
    if (finished_) {
        return;
    }
    if (rejected) {
        finish(false, reason);
        return;
    }
    RC_WARN("token_traverse: origin {} failed ({}), trying the next", origins_[next_origin_ - 1].to_string(), reason);
    try_next();
}

void TokenTraverse::finish(bool accepted, const std::string& reason) {
    if (finished_) {
        return;
    }
    finished_ = true;
    if (owner_ != nullptr) {
        owner_->on_token_result(accepted, reason);
    }
}

void TokenTraverse::abandon() {
    owner_ = nullptr;
    finished_ = true;
    links_.close("client left");
}

bool TokenTraverse::idle() const { return links_.idle(); }

}  // namespace ringcast::app
