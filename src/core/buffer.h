#pragma once
// Bytes that are written once and then shared (DESIGN.md section 4, STYLE-ANCHORS "Buffer
// ownership"): a message is assembled into a MutableBuffer from the shard's BufferPool, frozen
// into an immutable Buffer, and from then on only references move: into frames, into other
// shards' mirrors, into players' send queues as BufferSlices. This is SRS's shared message and
// Seastar's temporary_buffer.
//
// Life of a pooled block:
//   pool free list --allocate--> MutableBuffer --freeze--> Buffer copies --last release--> back
// The last release may happen on any thread. On the pool's own thread the block goes straight
// onto its size-class free list; on any other thread it is pushed onto the pool's lock-free
// return stack, which the owner drains the next time it allocates. Free lists are only ever
// touched by the owner thread, so allocation needs no lock and no atomic read-modify-write.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace ringcast::core {

class Buffer;
class BufferPool;

namespace detail {

struct PoolControl;

/// Header placed in front of the bytes of every buffer block (one heap allocation holds both).
struct alignas(16) BufferBlock {
    std::atomic<std::uint32_t> refs;
    std::uint32_t capacity;
    std::uint32_t size;
    std::uint8_t size_class;  // heap_size_class for blocks that never belong to a pool
    PoolControl* control;     // null for heap blocks; keeps the pool's control block alive
    BufferBlock* next;        // free-list / return-stack link, used only while refs == 0

    std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(this + 1); }
};
static_assert(sizeof(BufferBlock) == 32);  // keeps bytes() 16-byte aligned

inline constexpr std::uint8_t heap_size_class = 0xff;

/// Called when the last reference to a block goes away, on whatever thread that happens.
void release_block(BufferBlock* block);

}  // namespace detail

/// Unique owner of one writable block, normally kept by the code assembling a message on the
/// shard that allocated it (moving it to, or dropping it on, another thread is still safe).
/// It may outlive its pool: the block then goes back to the heap when released.
class MutableBuffer {
public:
    MutableBuffer() = default;
    MutableBuffer(MutableBuffer&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    MutableBuffer& operator=(MutableBuffer&& other) noexcept {
        MutableBuffer(std::move(other)).swap(*this);
        return *this;
    }
    MutableBuffer(const MutableBuffer&) = delete;
    MutableBuffer& operator=(const MutableBuffer&) = delete;
    ~MutableBuffer() {
        if (block_ != nullptr) {
            detail::release_block(block_);
        }
    }

    /// From BufferPool::current() when the thread has one, else from the heap.
    static MutableBuffer allocate(std::size_t capacity);

    std::uint8_t* data() { return block_ != nullptr ? block_->bytes() : nullptr; }
    const std::uint8_t* data() const { return block_ != nullptr ? block_->bytes() : nullptr; }
    std::size_t capacity() const { return block_ != nullptr ? block_->capacity : 0; }
    std::size_t size() const { return block_ != nullptr ? block_->size : 0; }
    bool empty() const { return size() == 0; }
    std::span<const std::uint8_t> span() const { return {data(), size()}; }
    /// The bytes past size(): write here, then set_size().
    std::span<std::uint8_t> writable() { return {data() + size(), capacity() - size()}; }

    /// n > capacity() is a programmer error and aborts.
    void set_size(std::size_t n);
    /// Copies bytes after size(). Returns false and writes nothing if they do not fit.
    [[nodiscard]] bool append(std::span<const std::uint8_t> bytes);

    /// Turns the block into a shared immutable Buffer without copying; *this becomes empty.
    Buffer freeze() &&;

    void swap(MutableBuffer& other) noexcept { std::swap(block_, other.block_); }

private:
    friend class BufferPool;
    explicit MutableBuffer(detail::BufferBlock* block) : block_(block) {}
    static MutableBuffer heap(std::size_t capacity);

    detail::BufferBlock* block_ = nullptr;
};

struct BufferSlice;

/// Shared handle to immutable bytes. Any thread may hold, copy and drop copies: a copy is one
/// atomic increment, a move is free, and the bytes stay valid until the last copy is dropped
/// (whatever happened to the pool meanwhile). Cheap enough to cross shards; per-player
/// counting should wrap it in a shard-local reference instead of copying it per player.
class Buffer {
public:
    Buffer() = default;
    Buffer(const Buffer& other) : block_(other.block_) { retain(); }
    Buffer(Buffer&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    Buffer& operator=(const Buffer& other) {
        Buffer(other).swap(*this);
        return *this;
    }
    Buffer& operator=(Buffer&& other) noexcept {
        Buffer(std::move(other)).swap(*this);
        return *this;
    }
    ~Buffer() { reset(); }

    /// Copies bytes into a new buffer from BufferPool::current() or the heap.
    static Buffer copy_of(std::span<const std::uint8_t> bytes);
    static Buffer copy_of(std::string_view text);

    const std::uint8_t* data() const { return block_ != nullptr ? block_->bytes() : nullptr; }
    std::size_t size() const { return block_ != nullptr ? block_->size : 0; }
    bool empty() const { return size() == 0; }
    std::span<const std::uint8_t> span() const { return {data(), size()}; }
    /// Number of handles sharing the bytes (0 for an empty handle). For tests and assertions:
    /// another thread may change it at any moment.
    std::uint32_t use_count() const {
        return block_ != nullptr ? block_->refs.load(std::memory_order_relaxed) : 0;
    }

    /// A referenced range. An out-of-range request yields an empty slice (no reference), so a
    /// bad length from the network can never read past the bytes.
    BufferSlice slice(std::size_t offset, std::size_t length) const;
    /// The whole buffer as a slice.
    BufferSlice slice() const;

    void reset() {
        if (block_ != nullptr && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            detail::release_block(block_);
        }
        block_ = nullptr;
    }
    void swap(Buffer& other) noexcept { std::swap(block_, other.block_); }

private:
    friend class MutableBuffer;
    explicit Buffer(detail::BufferBlock* adopted) : block_(adopted) {}
    void retain() {
        if (block_ != nullptr) {
            // Relaxed is enough to add a reference: the caller already holds one.
            block_->refs.fetch_add(1, std::memory_order_relaxed);
        }
    }

    detail::BufferBlock* block_ = nullptr;
};

/// A range of a Buffer, holding a reference to it: what a send queue or a chunk encoder keeps.
/// Same thread rules as Buffer. Build it with Buffer::slice(), which checks the range; the
/// fields are public for the code that walks a queue, and must stay inside `buffer`.
struct BufferSlice {
    Buffer buffer;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;

    const std::uint8_t* data() const { return buffer.data() + offset; }
    std::size_t size() const { return length; }
    bool empty() const { return length == 0; }
    std::span<const std::uint8_t> span() const { return {data(), size()}; }

    /// A sub-range of this slice, relative to its start; out of range gives an empty slice.
    BufferSlice slice(std::size_t sub_offset, std::size_t sub_length) const;
};

/// Counters of one pool. Plain integers read on the owner thread (the cross-thread count is
/// an atomic snapshot).
struct BufferPoolStats {
    std::uint64_t allocations = 0;           // every allocate() call
    std::uint64_t free_list_hits = 0;        // served from a free list without touching malloc
    std::uint64_t heap_fallbacks = 0;        // larger than the largest size class: plain heap block
    std::uint64_t blocks_created = 0;        // pooled blocks malloc'ed because a free list was empty
    std::uint64_t blocks_trimmed = 0;        // pooled blocks freed because a free list was full
    std::uint64_t cross_thread_returns = 0;  // blocks whose last reference died on another thread
};

/// Per-shard allocator of buffer blocks in power-of-two size classes (256 B .. 64 KiB).
///
/// Owned by its shard (one per thread). Construct, allocate from and destroy it on that one
/// thread: allocation is not thread-safe. Releasing blocks is safe from any thread (see the
/// file comment). The pool may be destroyed while blocks are still referenced elsewhere: its
/// state that releasers need lives in a separately refcounted control block, which every
/// pooled block keeps alive. The destructor closes the return stack and frees every idle
/// block; blocks released afterwards go straight back to the heap.
class BufferPool {
public:
    static constexpr std::size_t size_class_min = 256;
    static constexpr std::size_t size_class_max = 64 * 1024;
    static constexpr std::size_t size_class_count = 9;  // 256 << 8 == 64 KiB
    static constexpr std::size_t blocks_per_class_max_default = 256;

    explicit BufferPool(std::size_t blocks_per_class_max = blocks_per_class_max_default);
    ~BufferPool();
    BufferPool(const BufferPool&) = delete;
    BufferPool& operator=(const BufferPool&) = delete;

    /// capacity() is size rounded up to its size class, or exactly size above size_class_max.
    /// A size above UINT32_MAX is a programmer error (every parser bounds its sizes first).
    MutableBuffer allocate(std::size_t size);

    BufferPoolStats stats() const;
    /// Idle blocks on the free lists (not counting returns not yet drained).
    std::size_t free_blocks() const;
    std::size_t blocks_per_class_max() const { return blocks_per_class_max_; }

    /// The pool of the calling thread (null if none): lets code on a shard allocate without
    /// passing the pool around. The shard sets it when its thread starts; the destructor of
    /// the current pool clears it.
    static BufferPool* current();
    static void set_current(BufferPool* pool);

    /// Capacity of the class a request of `size` bytes uses (size itself above the classes).
    static std::size_t rounded_capacity(std::size_t size);

private:
    friend void detail::release_block(detail::BufferBlock* block);

    struct FreeList {
        detail::BufferBlock* head = nullptr;
        std::size_t count = 0;
    };

    void recycle(detail::BufferBlock* block);  // owner thread only
    void drain_returns();
    detail::BufferBlock* new_pooled_block(std::uint8_t size_class);

    detail::PoolControl* control_;
    std::size_t blocks_per_class_max_;
    FreeList free_[size_class_count];
    BufferPoolStats stats_;
};

}  // namespace ringcast::core
