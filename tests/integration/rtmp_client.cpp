#include "integration/rtmp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <span>
#include <vector>

#include "core/byte_io.h"
#include "integration/harness.h"
#include "proto/rtmp/amf0.h"
#include "proto/rtmp/chunk_encoder.h"
#include "proto/rtmp/handshake.h"
#include "proto/rtmp/message.h"

namespace ringcast::test {
namespace {

namespace rtmp = proto::rtmp;

bool send_all(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool send_command(int fd, rtmp::ChunkEncoder& encoder, std::uint32_t stream_id, std::string_view name, double tid,
                  const rtmp::Amf0Value& object, std::initializer_list<rtmp::Amf0Value> args) {
    std::vector<std::uint8_t> bytes;
    core::ByteWriter writer(bytes);
    rtmp::write_amf0_command(writer, name, tid, object, std::span<const rtmp::Amf0Value>(args.begin(), args.size()));
    auto chunks = encoder.encode_to_vector(
        rtmp::RtmpMessage{rtmp::message_type::amf0_command, 0, stream_id, 3, core::Buffer::copy_of(std::span(bytes))});
    return chunks && send_all(fd, *chunks);
}

}  // namespace

int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream, int rcvbuf_bytes) {
    int fd = connect_loopback(port, rcvbuf_bytes);
    if (fd < 0) {
        return -1;
    }
    rtmp::HandshakeClient handshake({.complex = false});
    std::vector<std::uint8_t> out;
    if (!handshake.start(out) || !send_all(fd, out)) {
        ::close(fd);
        return -1;
    }
    std::uint8_t buffer[4096];
    while (!handshake.done()) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            ::close(fd);
            return -1;
        }
        out.clear();
        auto consumed = handshake.feed({buffer, static_cast<std::size_t>(n)}, out);
        if (!consumed || !send_all(fd, out)) {
            ::close(fd);
            return -1;
        }
    }
    rtmp::ChunkEncoder encoder(rtmp::ChunkEncoderOptions{.chunk_size = 128});
    std::string tc_url = "rtmp://127.0.0.1:" + std::to_string(port) + "/" + app;
    bool ok = send_command(fd, encoder, 0, "connect", 1, rtmp::Amf0Value::object({{"app", app}, {"tcUrl", tc_url}}), {}) &&
              send_command(fd, encoder, 0, "createStream", 2, rtmp::Amf0Value::null(), {}) &&
              send_command(fd, encoder, 1, "play", 0, rtmp::Amf0Value::null(), {rtmp::Amf0Value(stream)});
    if (!ok) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace ringcast::test
