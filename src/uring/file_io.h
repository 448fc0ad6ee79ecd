#pragma once
// File operations through the ring, so a shard never blocks on a disk (DESIGN.md section 3:
// "files through io_uring"): HLS segments and playlists written on the stream's owner shard,
// static files read by HTTP connections. Each call prepares one SQE naming the caller's
// Completion; the result (fd, byte count, 0, or -errno) comes back to it as the CQE's res. The
// caller keeps `path`, buffers and `statx_out` alive until that completion; the Completion
// lifetime rule of completion.h applies.
//
// A false return means no SQE could be had (the ring is full even after a submit): the caller
// retries later or fails its operation; nothing was queued.

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>

#include "uring/completion.h"
#include "uring/ring.h"

struct statx;

namespace ringcast::uring {

/// openat(AT_FDCWD, path, flags, mode): res is the new fd. O_CLOEXEC is added.
bool submit_open(Ring& ring, Completion& done, const char* path, int flags, mode_t mode);
/// statx(AT_FDCWD, path, flags, mask, out).
bool submit_statx(Ring& ring, Completion& done, const char* path, int flags, unsigned mask, struct statx* out);
/// pread: res is the byte count (0 at end of file).
bool submit_read(Ring& ring, Completion& done, int fd, void* buffer, std::uint32_t bytes, std::uint64_t offset);
/// pwrite: res is the byte count, which may be short.
bool submit_write(Ring& ring, Completion& done, int fd, const void* buffer, std::uint32_t bytes,
                  std::uint64_t offset);
bool submit_close(Ring& ring, Completion& done, int fd);
/// renameat(AT_FDCWD, from, AT_FDCWD, to): atomic replace of `to` (playlists).
bool submit_rename(Ring& ring, Completion& done, const char* from, const char* to);
/// unlinkat(AT_FDCWD, path, 0).
bool submit_unlink(Ring& ring, Completion& done, const char* path);
/// mkdirat(AT_FDCWD, path, mode); -EEXIST when it exists.
bool submit_mkdir(Ring& ring, Completion& done, const char* path, mode_t mode);

/// Whether this kernel's io_uring has every operation above (probed once per ring; Linux 5.15+).
/// Without them, the features that need files (HLS, static files) are refused at startup with a
/// log line rather than run on a blocking fallback.
bool file_ops_supported(Ring& ring);

}  // namespace ringcast::uring
