#include "core/buffer.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

#include "core/log.h"

namespace ringcast::core {
namespace detail {

/// The part of a pool that releasers on other threads may touch. It is refcounted: the pool
/// holds one reference and every pooled block (idle or in use) holds one, so it outlives both
/// the pool and the last block, whichever dies last.
struct PoolControl {
    std::atomic<std::uint32_t> refs{1};
    const std::thread::id owner_thread = std::this_thread::get_id();
    // Null once the pool is destroyed. Written and read only by the owner thread; atomic so a
    // later thread that happens to reuse the owner's id reads it race-free.
    std::atomic<BufferPool*> pool{nullptr};
    // Treiber stack of blocks released on other threads. Any thread pushes; only the owner
    // takes, and only all at once (exchange), so there is no ABA. closed_stack() marks a pool
    // that is gone: pushes then free the block instead.
    std::atomic<BufferBlock*> returned{nullptr};
    std::atomic<std::uint64_t> cross_thread_returns{0};
};

namespace {

BufferBlock closed_stack_marker{};
BufferBlock* closed_stack() { return &closed_stack_marker; }

[[noreturn]] void contract_failed(const char* what) {
    RC_ERROR("buffer: programmer error: {}", what);
    std::abort();
}

BufferBlock* malloc_block(std::size_t capacity, std::uint8_t size_class, PoolControl* control) {
    // Out of memory is not a condition a shard can recover from per message.
    void* raw = std::malloc(sizeof(BufferBlock) + capacity);
    if (raw == nullptr) {
        contract_failed("out of memory");
    }
    auto* block = static_cast<BufferBlock*>(raw);
    block->refs.store(0, std::memory_order_relaxed);
    block->capacity = static_cast<std::uint32_t>(capacity);
    block->size = 0;
    block->size_class = size_class;
    block->control = control;
    block->next = nullptr;
    return block;
}

void control_unref(PoolControl* control) {
    if (control->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        delete control;
    }
}

// A pooled block leaves the pool for good.
void free_pooled_block(BufferBlock* block) {
    PoolControl* control = block->control;
    std::free(block);
    control_unref(control);
}

void free_list_of_blocks(BufferBlock* head) {
    while (head != nullptr) {
        BufferBlock* next = head->next;
        free_pooled_block(head);
        head = next;
    }
}

// Release on a thread that does not own the pool.
void push_return(PoolControl* control, BufferBlock* block) {
    // Count before pushing: once the block is on the stack the owner may recycle it, destroy
    // the pool and drop the last reference to `control`.
    control->cross_thread_returns.fetch_add(1, std::memory_order_relaxed);
    BufferBlock* head = control->returned.load(std::memory_order_relaxed);
    do {
        if (head == closed_stack()) {
            free_pooled_block(block);
            return;
        }
        block->next = head;
        // Release: the owner that takes the stack must see block->next and the block's bytes.
    } while (!control->returned.compare_exchange_weak(head, block, std::memory_order_release,
                                                      std::memory_order_relaxed));
}

}  // namespace

void release_block(BufferBlock* block) {
    PoolControl* control = block->control;
    if (control == nullptr) {
        std::free(block);
        return;
    }
    if (control->owner_thread != std::this_thread::get_id()) {
        push_return(control, block);
        return;
    }
    BufferPool* pool = control->pool.load(std::memory_order_acquire);
    if (pool == nullptr) {
        free_pooled_block(block);
        return;
    }
    pool->recycle(block);
}

}  // namespace detail

namespace {

thread_local BufferPool* current_pool = nullptr;

std::uint8_t size_class_of(std::size_t size) {
    std::size_t rounded = std::max(size, BufferPool::size_class_min);
    return static_cast<std::uint8_t>(std::bit_width(rounded - 1) - std::bit_width(BufferPool::size_class_min - 1));
}

std::size_t class_capacity(std::uint8_t size_class) { return BufferPool::size_class_min << size_class; }

}  // namespace

// ---- MutableBuffer ----------------------------------------------------------------------

MutableBuffer MutableBuffer::allocate(std::size_t capacity) {
    if (BufferPool* pool = BufferPool::current()) {
        return pool->allocate(capacity);
    }
    return heap(capacity);
}

void MutableBuffer::set_size(std::size_t n) {
    if (n > capacity()) {
        detail::contract_failed("MutableBuffer::set_size past capacity");
    }
    if (block_ != nullptr) {
        block_->size = static_cast<std::uint32_t>(n);
    }
}

bool MutableBuffer::append(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > capacity() - size()) {
        return false;
    }
    if (!bytes.empty()) {
        std::memcpy(data() + size(), bytes.data(), bytes.size());
        block_->size += static_cast<std::uint32_t>(bytes.size());
    }
    return true;
}

Buffer MutableBuffer::freeze() && {
    // The count is already 1 (set by allocate): the Buffer adopts that reference.
    return Buffer(std::exchange(block_, nullptr));
}

// ---- Buffer / BufferSlice ---------------------------------------------------------------

Buffer Buffer::copy_of(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) {
        return {};
    }
    MutableBuffer out = MutableBuffer::allocate(bytes.size());
    (void)out.append(bytes);  // fits: capacity >= bytes.size()
    return std::move(out).freeze();
}

Buffer Buffer::copy_of(std::string_view text) {
    return copy_of(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

BufferSlice Buffer::slice(std::size_t offset, std::size_t length) const {
    if (offset > size() || length > size() - offset || length == 0) {
        return {};
    }
    return BufferSlice{*this, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(length)};
}

BufferSlice Buffer::slice() const { return slice(0, size()); }

BufferSlice BufferSlice::slice(std::size_t sub_offset, std::size_t sub_length) const {
    if (sub_offset > length || sub_length > length - sub_offset || sub_length == 0) {
        return {};
    }
    return BufferSlice{buffer, static_cast<std::uint32_t>(offset + sub_offset),
                       static_cast<std::uint32_t>(sub_length)};
}

MutableBuffer MutableBuffer::heap(std::size_t capacity) {
    if (capacity > std::numeric_limits<std::uint32_t>::max()) {
        detail::contract_failed("buffer larger than 4 GiB");
    }
    detail::BufferBlock* block = detail::malloc_block(capacity, detail::heap_size_class, nullptr);
    block->refs.store(1, std::memory_order_relaxed);
    return MutableBuffer(block);
}

// ---- BufferPool -------------------------------------------------------------------------

BufferPool::BufferPool(std::size_t blocks_per_class_max)
    : control_(new detail::PoolControl), blocks_per_class_max_(blocks_per_class_max) {
    control_->pool.store(this, std::memory_order_release);
}

BufferPool::~BufferPool() {
    // Close the return stack first: from here on, releasers on other threads free their block
    // themselves, and owner-thread releases see pool == null.
    control_->pool.store(nullptr, std::memory_order_release);
    detail::free_list_of_blocks(control_->returned.exchange(detail::closed_stack(), std::memory_order_acquire));
    for (FreeList& list : free_) {
        detail::free_list_of_blocks(std::exchange(list.head, nullptr));
        list.count = 0;
    }
    if (current_pool == this) {
        current_pool = nullptr;
    }
    detail::control_unref(control_);
}

MutableBuffer BufferPool::allocate(std::size_t size) {
    ++stats_.allocations;
    if (size > size_class_max) {
        ++stats_.heap_fallbacks;
        return MutableBuffer::heap(size);
    }
    // A relaxed peek first: the exchange (a locked instruction) only when something came back.
    if (control_->returned.load(std::memory_order_relaxed) != nullptr) {
        drain_returns();
    }
    std::uint8_t size_class = size_class_of(size);
    FreeList& list = free_[size_class];
    detail::BufferBlock* block = list.head;
    if (block != nullptr) {
        list.head = block->next;
        --list.count;
        ++stats_.free_list_hits;
    } else {
        block = new_pooled_block(size_class);
    }
    block->next = nullptr;
    block->size = 0;
    block->refs.store(1, std::memory_order_relaxed);
    return MutableBuffer(block);
}

detail::BufferBlock* BufferPool::new_pooled_block(std::uint8_t size_class) {
    ++stats_.blocks_created;
    control_->refs.fetch_add(1, std::memory_order_relaxed);
    return detail::malloc_block(class_capacity(size_class), size_class, control_);
}

void BufferPool::recycle(detail::BufferBlock* block) {
    FreeList& list = free_[block->size_class];
    if (list.count >= blocks_per_class_max_) {
        ++stats_.blocks_trimmed;
        detail::free_pooled_block(block);
        return;
    }
    block->next = list.head;
    list.head = block;
    ++list.count;
}

void BufferPool::drain_returns() {
    detail::BufferBlock* head = control_->returned.exchange(nullptr, std::memory_order_acquire);
    while (head != nullptr) {
        detail::BufferBlock* next = head->next;
        recycle(head);
        head = next;
    }
}

BufferPoolStats BufferPool::stats() const {
    BufferPoolStats out = stats_;
    out.cross_thread_returns = control_->cross_thread_returns.load(std::memory_order_relaxed);
    return out;
}

std::size_t BufferPool::free_blocks() const {
    std::size_t total = 0;
    for (const FreeList& list : free_) {
        total += list.count;
    }
    return total;
}

BufferPool* BufferPool::current() { return current_pool; }

void BufferPool::set_current(BufferPool* pool) { current_pool = pool; }

std::size_t BufferPool::rounded_capacity(std::size_t size) {
    return size > size_class_max ? size : class_capacity(size_class_of(size));
}

}  // namespace ringcast::core
