// SpscRing throughput: one thread (pure push/pop cost) and two threads pinned to nothing in
// particular (the cross-core cost), publishing per item vs once per batch.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <thread>

#include "core/spsc_ring.h"

namespace {

using ringcast::core::SpscRing;

void BM_SingleThreadPushPop(benchmark::State& state) {
    SpscRing<std::uint64_t, 1024> ring;
    std::uint64_t sum = 0;
    for (auto _ : state) {
        (void)ring.try_push(std::uint64_t{1});
        ring.consume([&](std::uint64_t&& v) { sum += v; }, 1);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SingleThreadPushPop);

void BM_SingleThreadBatch(benchmark::State& state) {
    const auto batch = static_cast<std::uint64_t>(state.range(0));
    SpscRing<std::uint64_t, 1024> ring;
    std::uint64_t sum = 0;
    for (auto _ : state) {
        for (std::uint64_t i = 0; i < batch; ++i) {
            (void)ring.try_push_deferred(std::uint64_t{i});
        }
        ring.publish();
        ring.consume([&](std::uint64_t&& v) { sum += v; }, batch);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(batch));
}
BENCHMARK(BM_SingleThreadBatch)->Arg(32);

// Producer on the benchmark thread, consumer on a second thread draining in batches of 64.
// range(0): publish every N items (1 = publish per item).
void BM_TwoThreads(benchmark::State& state) {
    const auto publish_every = static_cast<std::uint64_t>(state.range(0));
    constexpr std::uint64_t items_per_iteration = 100'000;
    auto ring = std::make_unique<SpscRing<std::uint64_t, 1024>>();
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> consumed{0};
    std::thread consumer([&] {
        std::uint64_t local = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            std::size_t n = ring->consume([](std::uint64_t&& v) { benchmark::DoNotOptimize(v); }, 64);
            local += n;
            if (n == 0) {
                consumed.store(local, std::memory_order_release);
            }
        }
        consumed.store(local + ring->consume([](std::uint64_t&&) {}), std::memory_order_release);
    });
    std::uint64_t produced = 0;
    for (auto _ : state) {
        for (std::uint64_t i = 0; i < items_per_iteration; ++i) {
            while (!ring->try_push_deferred(std::uint64_t{i})) {
                ring->publish();  // full: let the consumer see what it has before spinning
            }
            if ((i + 1) % publish_every == 0) {
                ring->publish();
            }
        }
        ring->publish();
        produced += items_per_iteration;
    }
    while (consumed.load(std::memory_order_acquire) != produced) {
    }
    stop.store(true);
    consumer.join();
    state.SetItemsProcessed(static_cast<std::int64_t>(produced));
}
BENCHMARK(BM_TwoThreads)->Arg(1)->Arg(16)->Arg(64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
