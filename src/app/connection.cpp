#include "app/connection.h"

#include "app/shard.h"
#include "core/log.h"

namespace ringcast::app {

Connection::Connection(Shard& shard, std::uint64_t id, std::string peer)
    : shard_(shard), id_(id), peer_(std::move(peer)), stream_(shard.reactor(), shard.recv_buffers(), *this) {}

void Connection::on_data(std::span<const std::uint8_t> bytes) {
    core::log::ConnScope scope(id_);
    RC_VERBOSE("received {} bytes", bytes.size());
}

void Connection::on_closed(core::Error reason) {
    core::log::ConnScope scope(id_);
    const auto& stats = stream_.stats();
    RC_TRACE("closed {}: {}, received {} bytes, sent {} bytes", peer_, reason.describe(), stats.bytes_received,
             stats.bytes_sent);
    shard_.release_connection(*this);
}

}  // namespace ringcast::app
