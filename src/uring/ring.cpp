#include "uring/ring.h"

#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/log.h"

namespace ringcast::uring {
namespace {

void read_kernel_version(RingFeatures& features) {
    utsname name{};
    if (::uname(&name) == 0) {
        std::sscanf(name.release, "%u.%u", &features.kernel_major, &features.kernel_minor);
    }
}

bool kernel_at_least(const RingFeatures& features, unsigned major, unsigned minor) {
    return features.kernel_major > major || (features.kernel_major == major && features.kernel_minor >= minor);
}

// Opcode support comes from the kernel's own probe; flag-level support (multishot) has no probe
// bit, so it is inferred from the version and confirmed at run time: the users fall back when
// the first multishot request fails with EINVAL.
void probe_opcodes(io_uring& ring, RingFeatures& features) {
    io_uring_probe* probe = io_uring_get_probe_ring(&ring);
    if (probe != nullptr) {
        features.send_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC) != 0;
        features.msg_ring = io_uring_opcode_supported(probe, IORING_OP_MSG_RING) != 0;
        features.file_ops = true;
        for (int op : {IORING_OP_OPENAT, IORING_OP_STATX, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_CLOSE,
                       IORING_OP_RENAMEAT, IORING_OP_UNLINKAT, IORING_OP_MKDIRAT}) {
            features.file_ops = features.file_ops && io_uring_opcode_supported(probe, op) != 0;
        }
        io_uring_free_probe(probe);
    }
    features.multishot_accept = kernel_at_least(features, 5, 19);
    features.multishot_recv = kernel_at_least(features, 6, 0);
    features.cqe_skip = (ring.features & IORING_FEAT_CQE_SKIP) != 0;
    features.ext_arg = (ring.features & IORING_FEAT_EXT_ARG) != 0;
}

// Registers and drops a one-entry buffer ring: the only reliable test for provided buffer rings.
bool probe_buffer_ring(io_uring& ring) {
    void* memory = nullptr;
    if (::posix_memalign(&memory, 4096, 4096) != 0) {
        return false;
    }
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(memory);
    reg.ring_entries = 1;
    reg.bgid = 0xfffe;
    bool ok = io_uring_register_buf_ring(&ring, &reg, 0) == 0;
    if (ok) {
        io_uring_unregister_buf_ring(&ring, reg.bgid);
    }
    std::free(memory);
    return ok;
}

}  // namespace

std::string RingFeatures::describe() const {
    std::string text = "kernel " + std::to_string(kernel_major) + "." + std::to_string(kernel_minor);
    auto flag = [&](bool on, const char* name) {
        text += on ? " +" : " -";
        text += name;
    };
    flag(single_issuer, "single_issuer");
    flag(defer_taskrun, "defer_taskrun");
    flag(coop_taskrun, "coop_taskrun");
    flag(multishot_accept, "multishot_accept");
    flag(multishot_recv, "multishot_recv");
    flag(provided_buffer_ring, "buf_ring");
    flag(send_zc, "send_zc");
    flag(msg_ring, "msg_ring");
    flag(file_ops, "file_ops");
    flag(cqe_skip, "cqe_skip");
    flag(ext_arg, "ext_arg");
    return text;
}

core::Result<std::unique_ptr<Ring>> Ring::create(const RingOptions& options) {
    // Best first; each step drops one optional flag.
    const unsigned defer = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    std::vector<unsigned> attempts;
    if (options.allow_defer_taskrun) {
        attempts.push_back(defer | IORING_SETUP_COOP_TASKRUN);
        attempts.push_back(defer);
    }
    attempts.push_back(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN);
    attempts.push_back(IORING_SETUP_COOP_TASKRUN);
    attempts.push_back(0);

    std::unique_ptr<Ring> ring(new Ring());
    read_kernel_version(ring->features_);
    int last_error = 0;
    for (unsigned flags : attempts) {
        io_uring_params params{};
        params.flags = flags | IORING_SETUP_CQSIZE;
        params.cq_entries = options.cq_entries;
        int rc = io_uring_queue_init_params(options.sq_entries, &ring->ring_, &params);
        if (rc == 0) {
            ring->initialized_ = true;
            ring->features_.single_issuer = (flags & IORING_SETUP_SINGLE_ISSUER) != 0;
            ring->features_.defer_taskrun = (flags & IORING_SETUP_DEFER_TASKRUN) != 0;
            ring->features_.coop_taskrun = (flags & IORING_SETUP_COOP_TASKRUN) != 0;
            break;
        }
        last_error = -rc;
    }
    if (!ring->initialized_) {
        return core::fail_errno(last_error, "io_uring_queue_init");
    }
    // ffmpeg children are spawned from shard threads; they must not inherit the ring mappings.
    io_uring_ring_dontfork(&ring->ring_);
    probe_opcodes(ring->ring_, ring->features_);
    ring->features_.provided_buffer_ring = probe_buffer_ring(ring->ring_);
    if (!ring->features_.provided_buffer_ring) {
        ring->features_.multishot_recv = false;
    }
    return ring;
}

Ring::~Ring() {
    if (initialized_) {
        io_uring_queue_exit(&ring_);
    }
}

io_uring_sqe* Ring::get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    // A full SQ drains on submit. The kernel can refuse a submit only while the CQ has overflowed
    // (EBUSY), which reaping clears; callers never see nullptr, because an operation silently not
    // issued would leave its owner waiting forever.
    for (int attempt = 0; sqe == nullptr; ++attempt) {
        int rc = attempt == 0 ? io_uring_submit(&ring_) : io_uring_submit_and_get_events(&ring_);
        sqe = io_uring_get_sqe(&ring_);
        if (sqe == nullptr && attempt >= 1000) {
            RC_ERROR("io_uring: no submission queue entry after {} attempts (last submit: {})", attempt, rc);
            std::abort();
        }
    }
    return sqe;
}

int Ring::submit() { return io_uring_submit(&ring_); }

RingFeatures probe_features() {
    auto ring = Ring::create({.sq_entries = 8, .cq_entries = 16, .allow_defer_taskrun = true});
    if (!ring) {
        RingFeatures none;
        read_kernel_version(none);
        return none;
    }
    return (*ring)->features();
}

}  // namespace ringcast::uring
