// RTMP with hostile or broken peers: the real server must close the offending connection, log
// why, and keep serving everyone else.

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/byte_io.h"
#include "integration/harness.h"
#include "integration/ringcast_server.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_decoder.h"
#include "proto/rtmp/handshake.h"
#include "proto/rtmp/message.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;
namespace rtmp = ringcast::proto::rtmp;
using Bytes = std::vector<std::uint8_t>;

/// An owned socket fd.
class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() { reset(); }
    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_;
};

/// Sends all of `bytes`; false on an error (the server may already have closed).
bool send_all(int fd, std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
    return true;
}

enum class RecvResult { data, closed, timeout, error };

/// Waits up to `timeout` for bytes; appends what arrives to `out`.
RecvResult recv_some(int fd, Bytes& out, std::chrono::milliseconds timeout) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r == 0) {
        return RecvResult::timeout;
    }
    if (r < 0) {
        return RecvResult::error;
    }
    std::uint8_t buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) {
        return RecvResult::closed;
    }
    if (n < 0) {
        return errno == ECONNRESET ? RecvResult::closed : RecvResult::error;
    }
    out.insert(out.end(), buf, buf + n);
    return RecvResult::data;
}

/// True when the server closes the connection (EOF or reset) within `timeout`; data it sends
/// first is discarded.
bool closed_by_server(int fd, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    Bytes ignored;
    while (std::chrono::steady_clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        switch (recv_some(fd, ignored, std::max(left, 1ms))) {
        case RecvResult::closed: return true;
        case RecvResult::error: return false;
        case RecvResult::timeout: return false;
        case RecvResult::data: ignored.clear(); break;
        }
    }
    return false;
}

/// Completes a client handshake on `fd`; false on failure.
bool handshake(int fd) {
    rtmp::HandshakeClient client;
    Bytes out;
    if (!client.start(out) || !send_all(fd, out)) {
        return false;
    }
    out.clear();
    Bytes in;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!client.done() && std::chrono::steady_clock::now() < deadline) {
        if (recv_some(fd, in, 1s) == RecvResult::data) {
            auto used = client.feed(in, out);
            if (!used) {
                return false;
            }
            in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(*used));
        }
    }
    return client.done() && send_all(fd, out);
}

/// A fmt 0 chunk header (basic header for csid 2..63, timestamp 0).
Bytes fmt0_header(std::uint8_t csid, std::uint32_t length, std::uint8_t type_id, std::uint32_t stream_id = 0) {
    Bytes h;
    core::ByteWriter w(h);
    w.u8(csid);
    w.u24(0);
    w.u24(length);
    w.u8(type_id);
    // Message stream id is little-endian.
    for (int i = 0; i < 4; ++i) {
        w.u8(static_cast<std::uint8_t>(stream_id >> (8 * i)));
    }
    return h;
}

/// A whole message in chunks of the default 128 bytes (fmt 3 continuations).
Bytes chunk_message(std::uint8_t csid, std::uint8_t type_id, std::span<const std::uint8_t> payload,
                    std::uint32_t stream_id = 0) {
    Bytes out = fmt0_header(csid, static_cast<std::uint32_t>(payload.size()), type_id, stream_id);
    for (std::size_t pos = 0; pos < payload.size(); pos += rtmp::default_chunk_size) {
        if (pos != 0) {
            out.push_back(static_cast<std::uint8_t>(0xC0 | csid));
        }
        std::size_t n = std::min<std::size_t>(rtmp::default_chunk_size, payload.size() - pos);
        out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(pos),
                   payload.begin() + static_cast<std::ptrdiff_t>(pos + n));
    }
    return out;
}

Bytes set_chunk_size_message(std::uint32_t size) {
    Bytes payload;
    core::ByteWriter(payload).u32(size);
    return chunk_message(rtmp::protocol_control_csid, rtmp::message_type::set_chunk_size, payload);
}

Bytes connect_message(std::uint16_t port) {
    Bytes payload;
    core::ByteWriter w(payload);
    rtmp::write_amf0_command(
        w, "connect", 1,
        rtmp::Amf0Value::object({{"app", rtmp::Amf0Value("live")},
                                 {"type", rtmp::Amf0Value("nonprivate")},
                                 {"flashVer", rtmp::Amf0Value("FMLE/3.0 (compatible; ringcast-test)")},
                                 {"tcUrl", rtmp::Amf0Value("rtmp://127.0.0.1:" + std::to_string(port) + "/live")}}));
    return chunk_message(3, rtmp::message_type::amf0_command, payload);
}

/// A fresh client: handshake, connect, and the server's `_result`. Returns "" or what failed.
std::string good_client_connects(std::uint16_t port) {
    Socket sock(connect_loopback(port));
    if (!sock.valid()) {
        return "cannot connect";
    }
    if (!handshake(sock.fd())) {
        return "handshake failed";
    }
    if (!send_all(sock.fd(), connect_message(port))) {
        return "cannot send connect";
    }
    rtmp::ChunkDecoder decoder;
    bool got_result = false;
    std::string failure;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    Bytes in;
    while (!got_result && failure.empty() && std::chrono::steady_clock::now() < deadline) {
        in.clear();
        RecvResult r = recv_some(sock.fd(), in, 1s);
        if (r == RecvResult::closed || r == RecvResult::error) {
            return "connection closed before _result";
        }
        if (r != RecvResult::data) {
            continue;
        }
        auto status = decoder.feed(std::span<const std::uint8_t>(in), [&](rtmp::RtmpMessage&& msg) {
            if (msg.type_id != rtmp::message_type::amf0_command) {
                return;
            }
            auto values = rtmp::read_amf0_all(msg.payload.span());
            if (!values || values->empty() || values->front().as_string() == nullptr) {
                failure = "undecodable command from the server";
                return;
            }
            if (*values->front().as_string() == "_result") {
                got_result = true;
            }
        });
        if (!status) {
            return "decoder: " + std::string(status.error().describe());
        }
    }
    if (!failure.empty()) {
        return failure;
    }
    return got_result ? "" : "no _result within 5 s";
}

/// True once the server logged `rtmp: <reason> from <peer>; closing` with `reason` in it.
bool server_logged_closing(RtmpServer& server, std::string_view reason) {
    return wait_for_output(
        server.process(),
        [reason](const std::string&, const std::string& err) {
            for (std::size_t at = err.find("; closing"); at != std::string::npos; at = err.find("; closing", at + 1)) {
                std::size_t line_start = err.rfind('\n', at);
                line_start = line_start == std::string::npos ? 0 : line_start + 1;
                if (std::string_view(err).substr(line_start, at - line_start).find(reason) != std::string_view::npos) {
                    return true;
                }
            }
            return false;
        },
        5s);
}

/// The common shape: connect, optionally handshake, send `bad`; the server must close, log, and
/// still serve a fresh client.
void expect_rejected(std::span<const std::uint8_t> bad, bool after_handshake, std::string_view reason) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    {
        Socket sock(connect_loopback(server.port()));
        ASSERT_TRUE(sock.valid());
        if (after_handshake) {
            ASSERT_TRUE(handshake(sock.fd())) << server.process().err();
        }
        send_all(sock.fd(), bad);  // may fail part-way once the server has closed
        EXPECT_TRUE(closed_by_server(sock.fd())) << "the server kept the connection open";
    }
    EXPECT_TRUE(server_logged_closing(server, reason)) << "no closing line about \"" << reason << "\"\n"
                                                     << server.process().err();
    EXPECT_EQ(good_client_connects(server.port()), "") << server.process().err();
    EXPECT_TRUE(server.process().running()) << server.process().err();
}

Bytes to_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

/// Deterministic filler bytes.
Bytes pseudo_random_bytes(std::size_t n, std::uint32_t seed) {
    Bytes out(n);
    std::uint32_t x = seed;
    for (auto& b : out) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return out;
}

TEST(RtmpBadInput, HttpRequestInsteadOfHandshakeIsClosed) {
    expect_rejected(to_bytes("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), false, "C0 version is not 3");
}

TEST(RtmpBadInput, RandomBytesInsteadOfHandshakeAreClosed) {
    Bytes bad = pseudo_random_bytes(2000, 7);
    bad[0] = 0xA7;  // anything but 3 (plain RTMP)
    expect_rejected(bad, false, "C0 version is not 3");
}

TEST(RtmpBadInput, GarbageAfterTheHandshakeIsClosed) {
    Bytes bad = pseudo_random_bytes(300, 11);
    bad[0] = 0xFF;  // fmt 3 on chunk stream 63, which has never had a message header
    expect_rejected(bad, true, "starts without a message header");
}

TEST(RtmpBadInput, SetChunkSizeZeroIsClosed) { expect_rejected(set_chunk_size_message(0), true, "set chunk size out of range"); }

TEST(RtmpBadInput, SetChunkSizeOver24BitsIsClosed) { expect_rejected(set_chunk_size_message(0x1000000), true, "set chunk size out of range"); }

TEST(RtmpBadInput, MessagesOverTheAssemblingLimitAreClosed) {
    // No single length over message_size_max (0xFFFFFF, the field's maximum) can be expressed, so
    // declare three maximal messages on different chunk streams: together they pass the 32 MiB
    // assembling_bytes_max.
    Bytes bad;
    Bytes chunk_payload(rtmp::default_chunk_size, 0);
    for (std::uint8_t csid = 4; csid <= 6; ++csid) {
        Bytes header = fmt0_header(csid, rtmp::message_length_max, rtmp::message_type::video, 1);
        bad.insert(bad.end(), header.begin(), header.end());
        bad.insert(bad.end(), chunk_payload.begin(), chunk_payload.end());
    }
    expect_rejected(bad, true, "assembling_bytes_max");
}

TEST(RtmpBadInput, TruncatedAmf0CommandIsClosed) {
    // A string marker that announces 7 bytes ("connect") and carries 3.
    const Bytes payload = {0x02, 0x00, 0x07, 'c', 'o', 'n'};
    expect_rejected(chunk_message(3, rtmp::message_type::amf0_command, payload), true, "amf0: truncated string");
}

TEST(RtmpBadInput, UnknownMessageTypeIsClosed) {
    const Bytes payload = {1, 2, 3, 4};
    expect_rejected(chunk_message(3, 99, payload), true, "unknown message type");
}

TEST(RtmpBadInput, PeerStallingMidChunkIsKeptAndTheServerStillServes) {
    RtmpServer server;
    ASSERT_TRUE(server.ready()) << server.process().err();
    {
        Socket sock(connect_loopback(server.port()));
        ASSERT_TRUE(sock.valid());
        ASSERT_TRUE(handshake(sock.fd())) << server.process().err();
        // Half of a 100-byte command chunk, then silence.
        Bytes half = fmt0_header(3, 100, rtmp::message_type::amf0_command);
        Bytes filler(50, 0x05);
        half.insert(half.end(), filler.begin(), filler.end());
        ASSERT_TRUE(send_all(sock.fd(), half));
        Bytes in;
        EXPECT_EQ(recv_some(sock.fd(), in, 1s), RecvResult::timeout) << "the server answered or closed a stalled peer";
        // Others are served while it stalls.
        EXPECT_EQ(good_client_connects(server.port()), "") << server.process().err();
        EXPECT_TRUE(server.process().running()) << server.process().err();
    }
    // And after it goes away.
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(good_client_connects(server.port()), "") << server.process().err();
    EXPECT_TRUE(server.process().running()) << server.process().err();
}

}  // namespace
}  // namespace ringcast::test
