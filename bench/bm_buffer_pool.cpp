// BufferPool vs the general-purpose heap for the message life cycle: allocate, fill, freeze,
// share once, release; and the cost of releasing on another thread (a frame fanned out).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "core/buffer.h"
#include "core/spsc_ring.h"

namespace {

using ringcast::core::Buffer;
using ringcast::core::BufferPool;
using ringcast::core::MutableBuffer;
using ringcast::core::SpscRing;

void BM_PoolAllocateFreezeRelease(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    BufferPool pool;
    for (auto _ : state) {
        MutableBuffer m = pool.allocate(size);
        std::memset(m.data(), 1, 64);
        m.set_size(size);
        Buffer frozen = std::move(m).freeze();
        Buffer shared = frozen;  // one extra reference, as a frame cache would take
        benchmark::DoNotOptimize(shared.data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PoolAllocateFreezeRelease)->Arg(200)->Arg(4096)->Arg(60000);

void BM_HeapNewDelete(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        auto* bytes = new std::uint8_t[size];
        std::memset(bytes, 1, 64);
        benchmark::DoNotOptimize(bytes);
        delete[] bytes;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeapNewDelete)->Arg(200)->Arg(4096)->Arg(60000);

void BM_SharedPtrVector(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        auto bytes = std::make_shared<std::vector<std::uint8_t>>(size);
        auto shared = bytes;
        benchmark::DoNotOptimize(shared->data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SharedPtrVector)->Arg(200)->Arg(4096)->Arg(60000);

// The owner allocates and hands each Buffer to another thread, which drops the last reference:
// blocks come back through the return stack and are reused by the owner.
void BM_CrossThreadRelease(benchmark::State& state) {
    constexpr std::size_t items_per_iteration = 10'000;
    BufferPool pool(4096);
    auto ring = std::make_unique<SpscRing<Buffer, 1024>>();
    std::atomic<bool> stop{false};
    std::thread releaser([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            ring->consume([](Buffer&& b) { b.reset(); }, 64);
        }
        ring->consume([](Buffer&& b) { b.reset(); });
    });
    for (auto _ : state) {
        for (std::size_t i = 0; i < items_per_iteration; ++i) {
            MutableBuffer m = pool.allocate(1000);
            m.set_size(1000);
            Buffer b = std::move(m).freeze();
            while (!ring->try_push_deferred(std::move(b))) {
                ring->publish();
            }
            if (i % 32 == 31) {
                ring->publish();
            }
        }
        ring->publish();
    }
    stop.store(true);
    releaser.join();
    auto stats = pool.stats();
    state.counters["reuse_pct"] =
        100.0 * static_cast<double>(stats.free_list_hits) / static_cast<double>(stats.allocations);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(items_per_iteration));
}
BENCHMARK(BM_CrossThreadRelease)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
