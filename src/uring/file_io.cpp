#include "uring/file_io.h"

#include <fcntl.h>
#include <liburing.h>

namespace ringcast::uring {

namespace {

/// Prepares one SQE with `prep`, then names `done` (after prep: a prep helper may reset fields).
template <class Prep>
bool submit(Ring& ring, Completion& done, Prep prep) {
    io_uring_sqe* sqe = ring.get_sqe();
    if (sqe == nullptr) {
        return false;
    }
    prep(sqe);
    io_uring_sqe_set_data64(sqe, done.user_data());
    return true;
}

}  // namespace

bool submit_open(Ring& ring, Completion& done, const char* path, int flags, mode_t mode) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_openat(sqe, AT_FDCWD, path, flags | O_CLOEXEC, mode); });
}

bool submit_statx(Ring& ring, Completion& done, const char* path, int flags, unsigned mask, struct statx* out) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_statx(sqe, AT_FDCWD, path, flags, mask, out); });
}

bool submit_read(Ring& ring, Completion& done, int fd, void* buffer, std::uint32_t bytes, std::uint64_t offset) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_read(sqe, fd, buffer, bytes, offset); });
}

bool submit_write(Ring& ring, Completion& done, int fd, const void* buffer, std::uint32_t bytes,
                  std::uint64_t offset) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_write(sqe, fd, buffer, bytes, offset); });
}

bool submit_close(Ring& ring, Completion& done, int fd) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
}

bool submit_rename(Ring& ring, Completion& done, const char* from, const char* to) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0); });
}

bool submit_unlink(Ring& ring, Completion& done, const char* path) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_unlinkat(sqe, AT_FDCWD, path, 0); });
}

bool submit_mkdir(Ring& ring, Completion& done, const char* path, mode_t mode) {
    return submit(ring, done, [&](io_uring_sqe* sqe) { io_uring_prep_mkdirat(sqe, AT_FDCWD, path, mode); });
}

bool file_ops_supported(Ring& ring) { return ring.features().file_ops; }

}  // namespace ringcast::uring
