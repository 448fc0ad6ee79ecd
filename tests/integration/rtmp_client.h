#pragma once
// A minimal RTMP player for tests that need many raw connections or control over reading
// (slow readers, hundreds of players): handshake, connect, createStream, play, then the caller
// reads the socket itself.

#include <cstdint>
#include <string>

namespace ringcast::test {

/// Connects to 127.0.0.1:port, plays app/stream and returns the blocking socket, or -1.
/// `rcvbuf_bytes` > 0 sets SO_RCVBUF before connecting.
int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream, int rcvbuf_bytes = 0);

}  // namespace ringcast::test
