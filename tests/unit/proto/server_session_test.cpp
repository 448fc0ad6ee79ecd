// RtmpServerSession's output paths that do not need a client: media sent per player and the
// shared copy made once per shard must be the same bytes.

#include "proto/rtmp/server_session.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace ringcast::proto::rtmp {
namespace {

struct NoHandler final : RtmpServerSession::Handler {
    void on_connect(const ConnectRequest&) override {}
    void on_publish(const StreamRequest&) override {}
    void on_play(const StreamRequest&) override {}
    void on_media(MediaKind, std::uint32_t, core::Buffer, bool) override {}
};

core::Buffer payload_of(std::size_t size) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    return core::Buffer::copy_of(std::span<const std::uint8_t>(bytes));
}

std::vector<std::uint8_t> to_vector(const core::Buffer& buffer) { return {buffer.data(), buffer.data() + buffer.size()}; }

TEST(SharedMedia, SameBytesAsThePlayersOwnEncoding) {
    for (std::uint32_t chunk_size : {128u, 4096u, 60000u}) {
        for (std::size_t size : {0u, 1u, 127u, 128u, 129u, 4096u, 100000u}) {
            for (std::uint32_t timestamp : {0u, 40u, 0xFFFFFEu, 0xFFFFFFu, 0x12345678u}) {
                for (MediaKind kind : {MediaKind::audio, MediaKind::video, MediaKind::data}) {
                    NoHandler handler;
                    ChunkPieces wire;
                    RtmpServerSession session(handler, wire, {});
                    session.accept_connect(RtmpServerSession::ConnectAnswer{.out_chunk_size = chunk_size});
                    wire.clear();
                    core::Buffer payload = payload_of(size);
                    ASSERT_TRUE(session.send_media(kind, timestamp, payload));
                    auto shared = encode_shared_media(kind, timestamp, payload, chunk_size);
                    ASSERT_TRUE(shared);
                    EXPECT_EQ(to_vector(*shared), wire.to_vector())
                        << "chunk size " << chunk_size << ", " << size << " bytes, timestamp " << timestamp;
                    EXPECT_TRUE(session.accepts_shared_media(chunk_size));
                    EXPECT_FALSE(session.accepts_shared_media(chunk_size + 1));
                }
            }
        }
    }
}

TEST(SharedMedia, SendingTheSharedCopyWritesItUnchanged) {
    NoHandler handler;
    ChunkPieces wire;
    RtmpServerSession session(handler, wire, {});
    session.accept_connect();
    wire.clear();
    auto shared = encode_shared_media(MediaKind::video, 1000, payload_of(70000), 60000);
    ASSERT_TRUE(shared);
    session.send_shared_media(*shared);
    EXPECT_EQ(wire.to_vector(), to_vector(*shared));
    EXPECT_EQ(wire.pieces().size(), 1u) << "one piece: one iovec per message per player";
}

TEST(SharedMedia, RefusesWhatNoPlayerCouldBeSent) {
    EXPECT_FALSE(encode_shared_media(MediaKind::video, 0, payload_of(10), 0));
    EXPECT_FALSE(encode_shared_media(MediaKind::video, 0, payload_of(0x1000000), 60000));
}

}  // namespace
}  // namespace ringcast::proto::rtmp
