#pragma once
// Process-level startup steps of SRS's run_master: detach into the background, hold the pid
// file, and make room for max_connections descriptors. All run on the main thread before any
// other thread exists (fork copies only the calling thread).

#include <string>

namespace ringcast::app {

/// The usual double fork: the caller's process exits 0 once the daemon exists, the daemon runs
/// in a new session with stdin on /dev/null. stdout/stderr and the working directory are kept,
/// as SRS keeps them (relative paths in the config are relative to where it was started).
/// Returns false (with `error` set) if a fork fails; returns only in the daemon.
bool daemonize(std::string& error);

/// Creates the missing parent directories of `path`. SRS does not, but SRS is run from its own
/// tree, where ./objs exists; ringcast's default paths (./objs/srs.pid) must work anywhere.
bool make_parent_dirs(const std::string& path, std::string& error);

/// Writes our pid into `path` and keeps it write-locked for the life of the process, so a
/// second instance with the same pid file is refused (SRS: "srs is already running").
bool acquire_pid_file(const std::string& path, std::string& error);

/// Raises the soft RLIMIT_NOFILE so max_connections (+ a reserve for files, listeners and
/// pipes) fit; false with a message when the hard limit is too low.
bool raise_fd_limit(int max_connections, std::string& error);

}  // namespace ringcast::app
