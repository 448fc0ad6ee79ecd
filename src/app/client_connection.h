#pragma once
// ClientConnection: what a Shard needs of any accepted client, whatever its protocol (RTMP,
// HTTP): open it on a socket, close it, know its id. The shard owns them in one table, so
// max_connections, release and shutdown treat every protocol alike.

#include <cstdint>

#include "core/result.h"

namespace ringcast::app {

/// The protocols a shard listens for.
enum class ListenProtocol : std::uint8_t { rtmp, http };

class ClientConnection {
public:
    virtual ~ClientConnection() = default;
    virtual void open(int fd) = 0;
    virtual void close(core::Error reason) = 0;
    [[nodiscard]] virtual std::uint64_t id() const = 0;
};

}  // namespace ringcast::app
