#pragma once
// TokenTraverse: SRS's token_traverse for an edge vhost. Before the edge answers a client's
// connect, it sends the same connect (app, param, args) to an origin and answers the client as
// the origin answered it, so the origin's authentication (hooks, security rules) also guards
// the edge. Origins that cannot be reached are skipped; if none answers, the client is refused.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/upstream_link.h"
#include "proto/rtmp/amf0.h"
#include "uring/reactor.h"

namespace ringcast::app {

class TokenTraverse final : private UpstreamLink::Listener {
public:
    class Owner {
    public:
        virtual ~Owner() = default;
        virtual void on_token_result(bool accepted, const std::string& reason) = 0;
    };

    /// What the client sent in its connect.
    struct ClientConnect {
        std::string vhost;
        std::string app;    // without the query string
        std::string param;  // "?..." or empty
        std::optional<proto::rtmp::Amf0Value> args;
    };

    TokenTraverse(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Owner& owner, const ClusterConfig& cluster,
                  ClientConnect client, std::string server_id);
    ~TokenTraverse() override;
    TokenTraverse(const TokenTraverse&) = delete;
    TokenTraverse& operator=(const TokenTraverse&) = delete;

    void start();
    /// The client is gone: no more calls to the owner; the check closes.
    void abandon();
    /// Nothing is open or in flight: it may be freed.
    [[nodiscard]] bool idle() const;

private:
    void on_link_ready(UpstreamLink& link) override;
    void on_link_closed(UpstreamLink& link, const std::string& reason, bool rejected) override;
    void try_next();
    void finish(bool accepted, const std::string& reason);

    uring::Reactor& reactor_;
    uring::ProvidedBufRing* buffers_;
    Owner* owner_;
    std::vector<UpstreamTarget> origins_;
    std::string origin_vhost_;
    ClientConnect client_;
    std::string server_id_;
    std::size_t next_origin_ = 0;
    UpstreamLinks links_;
    bool finished_ = false;
};

}  // namespace ringcast::app
