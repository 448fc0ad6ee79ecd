#pragma once
// Ring: one io_uring, owned by one shard thread. The only module that includes <liburing.h> is
// src/uring; everything above it sees Ring, Reactor, TcpStream and friends.
//
// Kernels differ, so setup probes: it tries the best flag set first (SINGLE_ISSUER|DEFER_TASKRUN,
// 6.1+), falls back step by step, and records what the kernel offered in RingFeatures. Every user
// of an optional feature checks RingFeatures and has a plain path.

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace ringcast::uring {

/// What the running kernel supports, found once at ring setup.
struct RingFeatures {
    bool single_issuer = false;
    bool defer_taskrun = false;
    bool coop_taskrun = false;
    bool multishot_accept = false;   // 5.19
    bool multishot_recv = false;     // 6.0, needs provided buffer rings
    bool provided_buffer_ring = false;  // 5.19, found by registering one
    bool send_zc = false;            // 6.0
    bool msg_ring = false;           // 5.18
    bool cqe_skip = false;           // 5.17: IOSQE_CQE_SKIP_SUCCESS
    bool ext_arg = false;            // 5.11: wait with a timeout without an SQE
    bool file_ops = false;           // 5.15: openat, statx, read, write, close, renameat, unlinkat, mkdirat
    unsigned kernel_major = 0;
    unsigned kernel_minor = 0;

    /// One line for the startup log: "kernel 6.18 single_issuer defer_taskrun ...".
    [[nodiscard]] std::string describe() const;
};

struct RingOptions {
    unsigned sq_entries = 1024;
    unsigned cq_entries = 8192;  // multishot ops post many CQEs per SQE
    bool allow_defer_taskrun = true;
};

/// Owns one io_uring instance. Created on, and used only by, the thread that runs its Reactor
/// (SINGLE_ISSUER makes the kernel enforce this). Other threads may only target it with
/// MSG_RING through fd().
class Ring {
public:
    static core::Result<std::unique_ptr<Ring>> create(const RingOptions& options = {});
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    /// A free SQE; when the submission queue is full it submits what is queued first, so a caller
    /// never sees nullptr unless the kernel refuses the submit.
    io_uring_sqe* get_sqe();
    /// Submits queued SQEs without waiting.
    int submit();
    [[nodiscard]] const RingFeatures& features() const { return features_; }
    [[nodiscard]] int fd() const { return ring_.ring_fd; }
    io_uring* raw() { return &ring_; }

private:
    Ring() = default;
    io_uring ring_{};
    RingFeatures features_{};
    bool initialized_ = false;
};

/// user_data values below this are tags, not Completion pointers (pointers are 8-byte aligned and
/// never this small).
inline constexpr std::uint64_t kUserDataIgnore = 0;
inline constexpr std::uint64_t kUserDataWake = 1;
inline constexpr std::uint64_t kUserDataTagMax = 16;

/// Process-wide probe without a long-lived ring: what a new Ring would get. For logs and tests.
RingFeatures probe_features();

}  // namespace ringcast::uring
