#pragma once
// The running server: N pinned shard threads plus the main thread that waits for signals.

namespace ringcast::app {

struct Config;

/// Runs the server on the calling (main) thread until SIGTERM/SIGINT/SIGQUIT; returns the process
/// exit code. Blocks the signals it handles in every thread it starts.
int run_server(const Config& config);

}  // namespace ringcast::app
