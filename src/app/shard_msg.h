#pragma once
// The typed messages shards send each other (DESIGN.md section 3). Values only: refcounted
// immutable payloads (MediaFrame's Buffer, the shared stream key) and moved ownership cross,
// never a pointer to a shard-local object.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "app/api_stats.h"
#include "media/frame.h"
#include "uring/shard_mesh.h"

namespace ringcast::app {

/// "vhost/app/stream", shared by the messages of one stream so a frame message carries a
/// refcount, not a string copy.
using StreamName = std::shared_ptr<const std::string>;

/// A shard's listeners are open and its loop runs; shard 0 logs once every shard has said so.
struct ShardReady {
    std::uint32_t listeners = 0;
};

/// Publisher shard -> owner: may this connection publish the stream?
struct PublishRequest {
    StreamName name;
    std::uint64_t request_id = 0;
};
/// Owner -> publisher shard.
struct PublishReply {
    StreamName name;
    std::uint64_t request_id = 0;
    bool accepted = false;
};
/// Owner -> publisher shard: the accepted publish is taken back (an edge lost its origin).
struct PublishRevoked {
    StreamName name;
};
/// Publisher shard -> owner: one frame of the stream it publishes (already classified).
struct PublishFrame {
    StreamName name;
    media::MediaFrame frame;
};
/// Publisher shard -> owner: the publisher left.
struct Unpublish {
    StreamName name;
};
/// Mirror shard -> owner: this shard has players for the stream (or has none any more).
struct Subscribe {
    StreamName name;
    bool subscribe = true;
    std::string param;  // the first player's "?..." (an edge passes it to the origin, as SRS does)
};
/// Owner -> mirror shard: a frame (the startup cache first, on subscribe).
struct MirrorFrame {
    StreamName name;
    media::MediaFrame frame;
};
/// Owner -> mirror shard: the publisher started or left.
struct MirrorPublishing {
    StreamName name;
    bool publishing = false;
};

/// API shard -> every other shard: send your ShardReport (for /api/v1/... and /metrics).
struct StatsRequest {
    std::uint64_t request_id = 0;
};
/// The report, built on the replying shard and moved whole.
struct StatsReply {
    std::uint64_t request_id = 0;
    ShardReportPtr report;
};
/// API shard -> the shard holding a client: close it (DELETE /api/v1/clients/{id}).
struct KickClient {
    std::uint64_t client_id = 0;
};

using ShardMsg = std::variant<ShardReady, PublishRequest, PublishReply, PublishRevoked, PublishFrame, Unpublish, Subscribe,
                              MirrorFrame, MirrorPublishing, StatsRequest, StatsReply, KickClient>;

inline constexpr std::size_t kShardRingCapacity = 4096;
using Mesh = uring::ShardMesh<ShardMsg, kShardRingCapacity>;
using MeshEndpoint = uring::MeshEndpoint<ShardMsg, kShardRingCapacity>;

}  // namespace ringcast::app
