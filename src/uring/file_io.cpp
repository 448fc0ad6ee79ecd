#include "uring/file_io.h"

#include <fcntl.h>
#include <liburing.h>

namespace ringcast::uring {

namespace {

io_uring_sqe* sqe_for(Ring& ring, Completion& done) {
    io_uring_sqe* sqe = ring.get_sqe();
    if (sqe != nullptr) {
        io_uring_sqe_set_data64(sqe, done.user_data());
    }
    return sqe;
}

}  // namespace

bool submit_open(Ring& ring, Completion& done, const char* path, int flags, mode_t mode) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_openat(sqe, AT_FDCWD, path, flags | O_CLOEXEC, mode);
    return true;
}

bool submit_statx(Ring& ring, Completion& done, const char* path, int flags, unsigned mask, struct statx* out) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_statx(sqe, AT_FDCWD, path, flags, mask, out);
    return true;
}

bool submit_read(Ring& ring, Completion& done, int fd, void* buffer, std::uint32_t bytes, std::uint64_t offset) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_read(sqe, fd, buffer, bytes, offset);
    return true;
}

bool submit_write(Ring& ring, Completion& done, int fd, const void* buffer, std::uint32_t bytes,
                  std::uint64_t offset) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_write(sqe, fd, buffer, bytes, offset);
    return true;
}

bool submit_close(Ring& ring, Completion& done, int fd) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_close(sqe, fd);
    return true;
}

bool submit_rename(Ring& ring, Completion& done, const char* from, const char* to) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0);
    return true;
}

bool submit_unlink(Ring& ring, Completion& done, const char* path) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_unlinkat(sqe, AT_FDCWD, path, 0);
    return true;
}

bool submit_mkdir(Ring& ring, Completion& done, const char* path, mode_t mode) {
    io_uring_sqe* sqe = sqe_for(ring, done);
    if (sqe == nullptr) {
        return false;
    }
    io_uring_prep_mkdirat(sqe, AT_FDCWD, path, mode);
    return true;
}

bool file_ops_supported(Ring& ring) { return ring.features().file_ops; }

}  // namespace ringcast::uring
