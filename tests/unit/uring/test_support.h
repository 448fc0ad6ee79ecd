#pragma once
// Shared setup for the runtime tests: a ring, its reactor and a buffer pool on the test thread.

#include <gtest/gtest.h>

#include <memory>

#include "core/buffer.h"
#include "uring/reactor.h"
#include "uring/ring.h"

namespace ringcast::uring::testing {

class RuntimeTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto created = Ring::create();
        ASSERT_TRUE(created) << created.error().describe();
        ring = std::move(*created);
        reactor = std::make_unique<Reactor>(*ring);
        core::BufferPool::set_current(&pool);
    }
    void TearDown() override { core::BufferPool::set_current(nullptr); }

    core::BufferPool pool;
    std::unique_ptr<Ring> ring;
    std::unique_ptr<Reactor> reactor;
};

}  // namespace ringcast::uring::testing
