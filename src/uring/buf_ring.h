#pragma once
// ProvidedBufRing: a pool of receive buffers the kernel picks from (IORING_REGISTER_PBUF_RING,
// 5.19). liburing 2.3 has no io_uring_setup_buf_ring, so the ring memory is allocated and
// registered by hand. A multishot recv names the group; each CQE says which buffer holds the
// bytes. The receiver consumes the bytes inside its callback and recycles the buffer at once
// (liburing's echo-server life cycle), so the pool stays small however many sockets there are.

#include <cstdint>
#include <memory>
#include <span>

#include "core/result.h"
#include "uring/ring.h"

namespace ringcast::uring {

/// Owned by a shard, registered on that shard's Ring; the Ring outlives it.
class ProvidedBufRing {
public:
    /// `count` must be a power of two (kernel rule), at most 32768.
    static core::Result<std::unique_ptr<ProvidedBufRing>> create(Ring& ring, std::uint16_t group_id,
                                                                 std::uint32_t count, std::uint32_t buffer_size);
    ~ProvidedBufRing();
    ProvidedBufRing(const ProvidedBufRing&) = delete;
    ProvidedBufRing& operator=(const ProvidedBufRing&) = delete;

    [[nodiscard]] std::uint16_t group_id() const { return group_id_; }
    [[nodiscard]] std::uint32_t buffer_size() const { return buffer_size_; }
    [[nodiscard]] std::uint32_t count() const { return count_; }
    /// Buffers currently lent out to callers (not yet recycled).
    [[nodiscard]] std::uint32_t lent() const { return lent_; }

    /// The bytes the kernel put in buffer `buffer_id`; lent until recycle(buffer_id).
    std::span<const std::uint8_t> lend(std::uint16_t buffer_id, std::uint32_t length);
    /// Hands the buffer back to the kernel.
    void recycle(std::uint16_t buffer_id);

private:
    ProvidedBufRing() = default;
    Ring* ring_ = nullptr;
    io_uring_buf_ring* entries_ = nullptr;
    std::uint8_t* memory_ = nullptr;
    std::uint32_t count_ = 0;
    std::uint32_t buffer_size_ = 0;
    std::uint32_t lent_ = 0;
    std::uint16_t group_id_ = 0;
    bool registered_ = false;
};

}  // namespace ringcast::uring
