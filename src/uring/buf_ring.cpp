#include "uring/buf_ring.h"

#include <cstdlib>

namespace ringcast::uring {

core::Result<std::unique_ptr<ProvidedBufRing>> ProvidedBufRing::create(Ring& ring, std::uint16_t group_id,
                                                                       std::uint32_t count,
                                                                       std::uint32_t buffer_size) {
    if (count == 0 || (count & (count - 1)) != 0 || count > 32768 || buffer_size == 0) {
        return core::fail(core::Errc::invalid, "buffer ring size");
    }
    std::unique_ptr<ProvidedBufRing> pool(new ProvidedBufRing());
    pool->ring_ = &ring;
    pool->group_id_ = group_id;
    pool->count_ = count;
    pool->buffer_size_ = buffer_size;
    void* entries = nullptr;
    if (::posix_memalign(&entries, 4096, count * sizeof(io_uring_buf)) != 0) {
        return core::fail(core::Errc::full, "buffer ring memory");
    }
    pool->entries_ = static_cast<io_uring_buf_ring*>(entries);
    void* memory = nullptr;
    if (::posix_memalign(&memory, 4096, static_cast<std::size_t>(count) * buffer_size) != 0) {
        return core::fail(core::Errc::full, "buffer ring memory");
    }
    pool->memory_ = static_cast<std::uint8_t*>(memory);

    io_uring_buf_ring_init(pool->entries_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(pool->entries_);
    reg.ring_entries = count;
    reg.bgid = group_id;
    int rc = io_uring_register_buf_ring(ring.raw(), &reg, 0);
    if (rc != 0) {
        return core::fail_errno(-rc, "io_uring_register_buf_ring");
    }
    pool->registered_ = true;
    const int mask = io_uring_buf_ring_mask(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        io_uring_buf_ring_add(pool->entries_, pool->memory_ + static_cast<std::size_t>(i) * buffer_size, buffer_size,
                              static_cast<unsigned short>(i), mask, static_cast<int>(i));
    }
    io_uring_buf_ring_advance(pool->entries_, static_cast<int>(count));
    return pool;
}

ProvidedBufRing::~ProvidedBufRing() {
    if (registered_) {
        io_uring_unregister_buf_ring(ring_->raw(), group_id_);
    }
    std::free(entries_);
    std::free(memory_);
}

std::span<const std::uint8_t> ProvidedBufRing::lend(std::uint16_t buffer_id, std::uint32_t length) {
    ++lent_;
    return {memory_ + static_cast<std::size_t>(buffer_id) * buffer_size_, length};
}

void ProvidedBufRing::recycle(std::uint16_t buffer_id) {
    --lent_;
    io_uring_buf_ring_add(entries_, memory_ + static_cast<std::size_t>(buffer_id) * buffer_size_, buffer_size_,
                          buffer_id, io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(entries_, 1);
}

}  // namespace ringcast::uring
