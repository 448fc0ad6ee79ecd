#include "core/buffer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

namespace ringcast::core {
namespace {

std::span<const std::uint8_t> bytes_of(const char* text) {
    return {reinterpret_cast<const std::uint8_t*>(text), std::strlen(text)};
}

std::string text_of(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST(Buffer, FreezeKeepsTheSameBytesWithoutCopying) {
    BufferPool pool;
    MutableBuffer m = pool.allocate(100);
    ASSERT_TRUE(m.append(bytes_of("hello")));
    const std::uint8_t* where = m.data();
    Buffer b = std::move(m).freeze();
    EXPECT_EQ(b.data(), where);
    EXPECT_EQ(text_of(b.span()), "hello");
    EXPECT_EQ(m.data(), nullptr);  // NOLINT(bugprone-use-after-move): freeze empties it
    EXPECT_EQ(b.use_count(), 1u);
}

TEST(Buffer, MutableBufferWritesAndBounds) {
    MutableBuffer m = MutableBuffer::allocate(8);
    EXPECT_GE(m.capacity(), 8u);
    std::memcpy(m.writable().data(), "abc", 3);
    m.set_size(3);
    EXPECT_EQ(m.size(), 3u);
    std::vector<std::uint8_t> too_big(m.capacity());
    EXPECT_FALSE(m.append(too_big));
    EXPECT_EQ(m.size(), 3u);
    EXPECT_EQ(m.writable().size(), m.capacity() - 3);
}

TEST(Buffer, CopiesShareOneRefcount) {
    Buffer a = Buffer::copy_of(bytes_of("payload"));
    EXPECT_EQ(a.use_count(), 1u);
    {
        Buffer b = a;
        Buffer c = b;
        EXPECT_EQ(a.use_count(), 3u);
        EXPECT_EQ(c.data(), a.data());
        Buffer d = std::move(c);
        EXPECT_EQ(a.use_count(), 3u);  // a move is not a new reference
        EXPECT_EQ(c.use_count(), 0u);  // NOLINT(bugprone-use-after-move)
    }
    EXPECT_EQ(a.use_count(), 1u);
    a.reset();
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(a.use_count(), 0u);
}

TEST(Buffer, CopyOfEmptyIsEmpty) {
    Buffer b = Buffer::copy_of(std::span<const std::uint8_t>{});
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.use_count(), 0u);
}

TEST(Buffer, SlicesReferenceTheBuffer) {
    Buffer b = Buffer::copy_of("0123456789");
    BufferSlice s = b.slice(2, 5);
    EXPECT_EQ(text_of(s.span()), "23456");
    EXPECT_EQ(s.data(), b.data() + 2);
    EXPECT_EQ(b.use_count(), 2u);
    BufferSlice inner = s.slice(1, 3);
    EXPECT_EQ(text_of(inner.span()), "345");
    EXPECT_EQ(inner.offset, 3u);
    EXPECT_EQ(b.use_count(), 3u);
    EXPECT_EQ(text_of(b.slice().span()), "0123456789");
    EXPECT_EQ(text_of(b.slice(10, 0).span()), "");
    b.reset();
    EXPECT_EQ(text_of(s.span()), "23456");  // the slice keeps the bytes alive
}

TEST(Buffer, OutOfRangeSlicesAreEmpty) {
    Buffer b = Buffer::copy_of("0123456789");
    EXPECT_TRUE(b.slice(11, 0).empty());
    EXPECT_TRUE(b.slice(5, 6).empty());
    EXPECT_TRUE(b.slice(1, SIZE_MAX).empty());
    EXPECT_TRUE(b.slice(SIZE_MAX, 2).empty());
    EXPECT_EQ(b.use_count(), 1u);  // an empty slice holds no reference
    BufferSlice s = b.slice(2, 4);
    EXPECT_TRUE(s.slice(3, 2).empty());
    EXPECT_TRUE(Buffer{}.slice(0, 1).empty());
}

TEST(BufferPool, SizeClassesArePowersOfTwo) {
    EXPECT_EQ(BufferPool::rounded_capacity(0), 256u);
    EXPECT_EQ(BufferPool::rounded_capacity(1), 256u);
    EXPECT_EQ(BufferPool::rounded_capacity(256), 256u);
    EXPECT_EQ(BufferPool::rounded_capacity(257), 512u);
    EXPECT_EQ(BufferPool::rounded_capacity(4000), 4096u);
    EXPECT_EQ(BufferPool::rounded_capacity(65536), 65536u);
    EXPECT_EQ(BufferPool::rounded_capacity(65537), 65537u);
    BufferPool pool;
    EXPECT_EQ(pool.allocate(300).capacity(), 512u);
    EXPECT_EQ(pool.allocate(65536).capacity(), 65536u);
}

TEST(BufferPool, ReusesBlocksFromTheFreeList) {
    BufferPool pool;
    const std::uint8_t* first = nullptr;
    {
        MutableBuffer m = pool.allocate(1000);
        first = m.data();
        Buffer b = std::move(m).freeze();
        Buffer copy = b;
    }
    EXPECT_EQ(pool.free_blocks(), 1u);
    MutableBuffer again = pool.allocate(1024);  // same class (1 KiB)
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(again.size(), 0u);  // a reused block starts empty
    EXPECT_EQ(pool.free_blocks(), 0u);
    BufferPoolStats stats = pool.stats();
    EXPECT_EQ(stats.allocations, 2u);
    EXPECT_EQ(stats.free_list_hits, 1u);
    EXPECT_EQ(stats.blocks_created, 1u);
    EXPECT_EQ(stats.heap_fallbacks, 0u);
}

TEST(BufferPool, DifferentClassesDoNotShareBlocks) {
    BufferPool pool;
    pool.allocate(100);  // released at once into the 256 class
    EXPECT_EQ(pool.free_blocks(), 1u);
    MutableBuffer m = pool.allocate(2000);
    EXPECT_EQ(pool.stats().free_list_hits, 0u);
    EXPECT_EQ(pool.free_blocks(), 1u);
}

TEST(BufferPool, LargeSizesGoToTheHeap) {
    BufferPool pool;
    {
        MutableBuffer m = pool.allocate(100'000);
        EXPECT_EQ(m.capacity(), 100'000u);
        std::memset(m.data(), 0xab, m.capacity());
        m.set_size(m.capacity());
        Buffer b = std::move(m).freeze();
        EXPECT_EQ(b.size(), 100'000u);
    }
    EXPECT_EQ(pool.free_blocks(), 0u);  // never pooled
    EXPECT_EQ(pool.stats().heap_fallbacks, 1u);
}

TEST(BufferPool, FreeListsAreBounded) {
    BufferPool pool(2);
    {
        std::vector<MutableBuffer> held;
        for (int i = 0; i < 5; ++i) {
            held.push_back(pool.allocate(256));
        }
    }
    EXPECT_EQ(pool.free_blocks(), 2u);
    EXPECT_EQ(pool.stats().blocks_trimmed, 3u);
}

TEST(BufferPool, CurrentPoolIsPerThread) {
    EXPECT_EQ(BufferPool::current(), nullptr);
    {
        BufferPool pool;
        BufferPool::set_current(&pool);
        EXPECT_EQ(BufferPool::current(), &pool);
        Buffer b = Buffer::copy_of("from the pool");
        EXPECT_EQ(pool.stats().allocations, 1u);
        BufferPool* seen_elsewhere = &pool;
        std::thread([&] { seen_elsewhere = BufferPool::current(); }).join();
        EXPECT_EQ(seen_elsewhere, nullptr);
    }
    EXPECT_EQ(BufferPool::current(), nullptr);  // the destructor cleared it
    Buffer heap = Buffer::copy_of("from the heap");
    EXPECT_EQ(text_of(heap.span()), "from the heap");
}

TEST(BufferPool, CrossThreadReleaseComesBackToTheOwner) {
    BufferPool pool;
    MutableBuffer m = pool.allocate(500);
    const std::uint8_t* where = m.data();
    Buffer b = std::move(m).freeze();
    std::thread([frame = std::move(b)]() mutable { frame.reset(); }).join();
    EXPECT_EQ(pool.free_blocks(), 0u);  // not on a free list: waiting on the return stack
    EXPECT_EQ(pool.stats().cross_thread_returns, 1u);
    MutableBuffer again = pool.allocate(500);
    EXPECT_EQ(again.data(), where);
    EXPECT_EQ(pool.stats().free_list_hits, 1u);
}

TEST(BufferPool, LastCopyDroppedOnEitherThread) {
    BufferPool pool;
    Buffer b = Buffer::copy_of("x");
    {
        std::thread t([copy = b]() mutable { copy.reset(); });
        t.join();
    }
    EXPECT_EQ(pool.stats().cross_thread_returns, 0u);  // not the last reference
    EXPECT_EQ(b.use_count(), 1u);
}

TEST(BufferPool, PoolDestroyedBeforeItsBlocks) {
    auto pool = std::make_unique<BufferPool>();
    Buffer here = std::move(pool->allocate(300)).freeze();
    Buffer there = std::move(pool->allocate(300)).freeze();
    Buffer returned_early = std::move(pool->allocate(300)).freeze();
    MutableBuffer unfrozen = pool->allocate(5000);
    std::thread([b = std::move(returned_early)]() mutable { b.reset(); }).join();
    pool->allocate(1);  // one idle block on a free list
    pool.reset();       // frees the idle and the returned block; the rest are still referenced
    EXPECT_EQ(here.size(), 0u);
    EXPECT_TRUE(unfrozen.append(bytes_of("still writable")));
    here.reset();  // owner thread, pool gone: straight to the heap
    std::thread([b = std::move(there)]() mutable { b.reset(); }).join();  // other thread, pool gone
    Buffer late = std::move(unfrozen).freeze();
    EXPECT_EQ(text_of(late.span()), "still writable");
}

TEST(BufferPool, ManyThreadsReleasingConcurrently) {
    constexpr int thread_count = 8;
    constexpr int buffers_per_thread = 2000;
    BufferPool pool(100'000);
    BufferPool::set_current(&pool);  // copy_of allocates from it; its destructor clears it
    std::vector<std::vector<Buffer>> batches(thread_count);
    for (auto& batch : batches) {
        for (int i = 0; i < buffers_per_thread; ++i) {
            Buffer b = Buffer::copy_of("shared frame");
            batch.push_back(b);
        }
    }
    // Every thread holds a copy of every buffer, so the last release races between threads
    // (and the owner, which drops its copies while they run).
    std::vector<std::vector<Buffer>> owner_copies = batches;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, copies = batches]() mutable {
            while (!go.load()) {
            }
            copies.clear();
        });
    }
    batches.clear();
    go.store(true);
    owner_copies.clear();
    for (auto& t : threads) {
        t.join();
    }
    // Each block reached the free list exactly once, whichever thread released it last.
    std::size_t total = static_cast<std::size_t>(thread_count) * buffers_per_thread;
    std::vector<Buffer> again;
    for (std::size_t i = 0; i < total; ++i) {
        again.push_back(Buffer::copy_of("x"));
    }
    EXPECT_EQ(pool.stats().blocks_created, total);  // all reused, none lost or duplicated
    EXPECT_EQ(pool.free_blocks(), 0u);
    again.clear();
    EXPECT_EQ(pool.free_blocks(), total);
}

}  // namespace
}  // namespace ringcast::core
