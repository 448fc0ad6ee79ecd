#pragma once
// The typed messages shards send each other (DESIGN.md section 3). Values only: refcounted
// immutable payloads and moved ownership may cross, never a pointer to a shard-local object.

#include <cstdint>
#include <variant>

#include "uring/shard_mesh.h"

namespace ringcast::app {

/// A shard's listeners are open and its loop runs; shard 0 logs once every shard has said so.
struct ShardReady {
    std::uint32_t listeners = 0;
};

using ShardMsg = std::variant<ShardReady>;

inline constexpr std::size_t kShardRingCapacity = 4096;
using Mesh = uring::ShardMesh<ShardMsg, kShardRingCapacity>;
using MeshEndpoint = uring::MeshEndpoint<ShardMsg, kShardRingCapacity>;

}  // namespace ringcast::app
