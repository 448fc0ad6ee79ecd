#include "integration/rtmp_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/byte_io.h"
#include "integration/harness.h"
#include "proto/rtmp/handshake.h"

namespace ringcast::test {
namespace {

namespace rtmp = proto::rtmp;
using Clock = std::chrono::steady_clock;

bool send_all(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

std::chrono::milliseconds left_until(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

/// Waits up to `timeout` for bytes on `fd`; appends them to `out`. -1 on close or error, 0 on
/// timeout, else the byte count.
ssize_t recv_within(int fd, std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r < 0) {
        return errno == EINTR ? 0 : -1;
    }
    if (r == 0) {
        return 0;
    }
    std::uint8_t buffer[65536];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return 0;
    }
    if (n <= 0) {
        return -1;
    }
    out.insert(out.end(), buffer, buffer + n);
    return n;
}

/// A simple client handshake on `fd`, bounded by `timeout`. Bytes the server sent after S2 are
/// left in `leftover`.
bool client_handshake(int fd, std::vector<std::uint8_t>& leftover, std::chrono::milliseconds timeout) {
    rtmp::HandshakeClient handshake({.complex = false});
    std::vector<std::uint8_t> out;
    if (!handshake.start(out) || !send_all(fd, out)) {
        return false;
    }
    auto deadline = Clock::now() + timeout;
    std::vector<std::uint8_t> in;
    while (!handshake.done()) {
        if (Clock::now() >= deadline || recv_within(fd, in, left_until(deadline)) < 0) {
            return false;
        }
        out.clear();
        auto consumed = handshake.feed(in, out);
        if (!consumed || !send_all(fd, out)) {
            return false;
        }
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(*consumed));
    }
    leftover = std::move(in);
    return true;
}

std::vector<std::uint8_t> command_bytes(std::string_view name, double transaction_id, const rtmp::Amf0Value& object,
                                        std::initializer_list<rtmp::Amf0Value> args) {
    std::vector<std::uint8_t> bytes;
    core::ByteWriter writer(bytes);
    rtmp::write_amf0_command(writer, name, transaction_id, object, std::span<const rtmp::Amf0Value>(args.begin(), args.size()));
    return bytes;
}

/// An AMF0 command as a type 20 message, or with `amf3` as a type 17 message (Flash's AMF3
/// command: a 0 format byte, then the same AMF0 values).
bool send_command(int fd, rtmp::ChunkEncoder& encoder, std::uint32_t stream_id, std::string_view name, double tid,
                  const rtmp::Amf0Value& object, std::initializer_list<rtmp::Amf0Value> args, bool amf3 = false) {
    auto bytes = command_bytes(name, tid, object, args);
    if (amf3) {
        bytes.insert(bytes.begin(), 0);
    }
    auto chunks = encoder.encode_to_vector(
        rtmp::RtmpMessage{amf3 ? rtmp::message_type::amf3_command : rtmp::message_type::amf0_command, 0, stream_id, 3,
                          core::Buffer::copy_of(std::span(bytes))});
    return chunks && send_all(fd, *chunks);
}

bool is_command(const rtmp::RtmpMessage& message) {
    return message.type_id == rtmp::message_type::amf0_command || message.type_id == rtmp::message_type::amf3_command;
}

}  // namespace

int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream, int rcvbuf_bytes) {
    return start_raw_player(port, app, stream, RawPlayerOptions{.rcvbuf_bytes = rcvbuf_bytes});
}

int start_raw_player(std::uint16_t port, const std::string& app, const std::string& stream,
                     const RawPlayerOptions& options) {
    const int rcvbuf_bytes = options.rcvbuf_bytes;
    const bool amf3 = options.amf3_commands;
    int fd = connect_loopback(port, rcvbuf_bytes);
    if (fd < 0) {
        return -1;
    }
    std::vector<std::uint8_t> leftover;  // the server says nothing before connect
    if (!client_handshake(fd, leftover, std::chrono::seconds(10))) {
        ::close(fd);
        return -1;
    }
    rtmp::ChunkEncoder encoder(rtmp::ChunkEncoderOptions{.chunk_size = 128});
    std::string tc_url = "rtmp://127.0.0.1:" + std::to_string(port) + "/" + app;
    rtmp::Amf0Value connect = rtmp::Amf0Value::object({{"app", app}, {"tcUrl", tc_url}});
    if (amf3) {
        connect = rtmp::Amf0Value::object({{"app", app}, {"tcUrl", tc_url}, {"objectEncoding", 3.0}});
    }
    bool ok = send_command(fd, encoder, 0, "connect", 1, connect, {}, amf3) &&
              send_command(fd, encoder, 0, "createStream", 2, rtmp::Amf0Value::null(), {}, amf3) &&
              send_command(fd, encoder, 1, "play", 0, rtmp::Amf0Value::null(), {rtmp::Amf0Value(stream)}, amf3);
    if (!ok) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool send_player_command(int fd, std::string_view name, std::initializer_list<rtmp::Amf0Value> args) {
    // A fresh encoder writes a full header: what it sent before does not matter.
    rtmp::ChunkEncoder encoder(rtmp::ChunkEncoderOptions{.chunk_size = 128});
    return send_command(fd, encoder, 1, name, 0, rtmp::Amf0Value::null(), args);
}

// ---- RtmpReader ----------------------------------------------------------------------------

bool RtmpReader::feed(std::span<const std::uint8_t> bytes) {
    if (!error_.empty()) {
        return false;
    }
    auto status = decoder_.feed(bytes, [this](rtmp::RtmpMessage&& message) { ready_.push_back(std::move(message)); });
    if (!status) {
        error_ = "chunk stream: " + std::string(status.error().describe());
        return false;
    }
    return true;
}

bool RtmpReader::receive(std::chrono::milliseconds timeout) {
    if (closed_ || !error_.empty()) {
        return false;
    }
    std::vector<std::uint8_t> bytes;
    ssize_t n = recv_within(fd_, bytes, timeout);
    if (n < 0) {
        closed_ = true;
        return false;
    }
    return n == 0 || feed(bytes);
}

std::optional<rtmp::RtmpMessage> RtmpReader::next(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (held_.empty() && ready_.empty()) {
        if (Clock::now() >= deadline || !receive(left_until(deadline))) {
            return std::nullopt;
        }
    }
    std::deque<rtmp::RtmpMessage>& from = held_.empty() ? ready_ : held_;
    rtmp::RtmpMessage message = std::move(from.front());
    from.pop_front();
    return message;
}

std::optional<std::vector<rtmp::Amf0Value>> RtmpReader::wait_for_command(std::chrono::milliseconds timeout,
                                                                         const std::string& what,
                                                                         const CommandVerdict& verdict) {
    auto deadline = Clock::now() + timeout;
    while (true) {
        while (!ready_.empty()) {
            rtmp::RtmpMessage message = std::move(ready_.front());
            ready_.pop_front();
            if (!is_command(message)) {
                held_.push_back(std::move(message));
                continue;
            }
            if (message.type_id != rtmp::message_type::amf0_command) {
                continue;  // the server answers in AMF0
            }
            auto values = rtmp::read_amf0_all(message.payload.span());
            if (!values || values->empty() || values->front().as_string() == nullptr) {
                continue;
            }
            switch (verdict(*values)) {
            case Verdict::found: return std::move(*values);
            case Verdict::failed: return std::nullopt;
            case Verdict::other: break;
            }
        }
        if (Clock::now() >= deadline || !receive(left_until(deadline))) {
            if (error_.empty()) {
                error_ = (closed_ ? "connection closed while waiting for " : "no ") + what + (closed_ ? "" : " in time");
            }
            return std::nullopt;
        }
    }
}

bool RtmpReader::wait_for_status(std::string_view code, std::chrono::milliseconds timeout) {
    return wait_for_command(timeout, std::string(code), [&](const std::vector<rtmp::Amf0Value>& values) {
               if (values.size() < 4 || *values.front().as_string() != "onStatus") {
                   return Verdict::other;
               }
               const std::string* got = values[3].get_string("code");
               const std::string* level = values[3].get_string("level");
               if (got != nullptr && *got == code) {
                   return Verdict::found;
               }
               if (level != nullptr && *level == "error") {
                   error_ = "onStatus error: " + (got != nullptr ? *got : std::string("?"));
                   return Verdict::failed;
               }
               return Verdict::other;
           })
        .has_value();
}

std::optional<std::vector<rtmp::Amf0Value>> RtmpReader::wait_for_result(double transaction_id,
                                                                        std::chrono::milliseconds timeout) {
    const std::string what = "_result for transaction " + std::to_string(transaction_id);
    return wait_for_command(timeout, what, [&](const std::vector<rtmp::Amf0Value>& values) {
        if (values.size() < 2 || values[1].as_number() != transaction_id) {
            return Verdict::other;
        }
        const std::string& name = *values.front().as_string();
        if (name == "_error") {
            error_ = "_error for transaction " + std::to_string(transaction_id);
            return Verdict::failed;
        }
        return name == "_result" ? Verdict::found : Verdict::other;
    });
}

// ---- RtmpPublisher -------------------------------------------------------------------------

namespace {
constexpr std::uint32_t kCsidCommand = 3;
constexpr std::uint32_t kCsidAudio = 4;
constexpr std::uint32_t kCsidData = 5;
constexpr std::uint32_t kCsidVideo = 6;
constexpr std::uint32_t kCsidStreamCommand = 8;  // ffmpeg's RTMP_SOURCE_CHANNEL
}  // namespace

bool RtmpPublisher::fail(std::string what) {
    error_ = std::move(what);
    if (reader_ && !reader_->error().empty()) {
        error_ += " (" + reader_->error() + ")";
    }
    return false;
}

bool RtmpPublisher::send_message(const rtmp::RtmpMessage& message) {
    auto chunks = encoder_.encode_to_vector(message);
    if (!chunks) {
        return fail("encode: " + std::string(chunks.error().describe()));
    }
    if (!send_all(fd_, *chunks)) {
        return fail("send: the server closed the connection");
    }
    return true;
}

bool RtmpPublisher::send_command(std::uint32_t stream_id, std::uint32_t csid, std::string_view name,
                                 double transaction_id, const rtmp::Amf0Value& object,
                                 std::initializer_list<rtmp::Amf0Value> args) {
    auto bytes = command_bytes(name, transaction_id, object, args);
    return send_message(rtmp::RtmpMessage{rtmp::message_type::amf0_command, 0, stream_id, csid,
                                          core::Buffer::copy_of(std::span<const std::uint8_t>(bytes))});
}

bool RtmpPublisher::start(std::uint16_t port, const std::string& app, const std::string& stream, Options options) {
    close();
    error_.clear();
    fd_ = connect_loopback(port);
    if (fd_ < 0) {
        return fail("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    auto deadline = Clock::now() + options.timeout;
    std::vector<std::uint8_t> leftover;
    if (!client_handshake(fd_, leftover, options.timeout)) {
        return fail("handshake failed");
    }
    reader_.emplace(fd_);
    if (!reader_->feed(leftover)) {
        return fail("bad bytes after the handshake");
    }
    encoder_ = rtmp::ChunkEncoder(rtmp::ChunkEncoderOptions{.chunk_size = rtmp::default_chunk_size,
                                                            .compression = rtmp::HeaderCompression::per_connection});
    next_transaction_ = 1;

    // connect, as ffmpeg 5.1 sends it for a publisher.
    const std::string tc_url = "rtmp://127.0.0.1:" + std::to_string(port) + "/" + app;
    const double connect_tid = next_transaction_++;
    if (!send_command(0, kCsidCommand, "connect", connect_tid,
                      rtmp::Amf0Value::object({{"app", app},
                                               {"type", "nonprivate"},
                                               {"flashVer", "FMLE/3.0 (compatible; ringcast-test)"},
                                               {"tcUrl", tc_url}}),
                      {})) {
        return false;
    }
    if (!reader_->wait_for_result(connect_tid, left_until(deadline))) {
        return fail("connect was not accepted");
    }
    // Our chunk size from now on; the message itself goes out at the old size.
    if (!send_message(rtmp::make_set_chunk_size(options.chunk_size))) {
        return false;
    }
    if (!encoder_.set_chunk_size(options.chunk_size)) {
        return fail("bad chunk size " + std::to_string(options.chunk_size));
    }
    const double release_tid = next_transaction_++;
    const double fcpublish_tid = next_transaction_++;
    const double create_tid = next_transaction_++;
    if (!send_command(0, kCsidCommand, "releaseStream", release_tid, rtmp::Amf0Value::null(), {rtmp::Amf0Value(stream)}) ||
        !send_command(0, kCsidCommand, "FCPublish", fcpublish_tid, rtmp::Amf0Value::null(), {rtmp::Amf0Value(stream)}) ||
        !send_command(0, kCsidCommand, "createStream", create_tid, rtmp::Amf0Value::null(), {})) {
        return false;
    }
    auto created = reader_->wait_for_result(create_tid, left_until(deadline));
    if (!created || created->size() < 4 || !(*created)[3].as_number()) {
        return fail("createStream got no stream id");
    }
    stream_id_ = static_cast<std::uint32_t>(*(*created)[3].as_number());
    stream_name_ = stream;
    if (!send_command(stream_id_, kCsidStreamCommand, "publish", next_transaction_++, rtmp::Amf0Value::null(),
                      {rtmp::Amf0Value(stream), rtmp::Amf0Value("live")})) {
        return false;
    }
    if (!reader_->wait_for_status("NetStream.Publish.Start", left_until(deadline))) {
        return fail("publish was not accepted");
    }
    return true;
}

bool RtmpPublisher::send(std::uint8_t type_id, std::uint32_t timestamp, std::span<const std::uint8_t> payload) {
    if (fd_ < 0) {
        return fail("not started");
    }
    const std::uint32_t csid = type_id == rtmp::message_type::audio   ? kCsidAudio
                               : type_id == rtmp::message_type::video ? kCsidVideo
                                                                      : kCsidData;
    return send_message(rtmp::RtmpMessage{type_id, timestamp, stream_id_, csid, core::Buffer::copy_of(payload)});
}

bool RtmpPublisher::unpublish() {
    if (fd_ < 0) {
        return fail("not started");
    }
    // As ffmpeg: FCUnpublish carries the stream name, deleteStream the stream id.
    return send_command(0, kCsidCommand, "FCUnpublish", next_transaction_++, rtmp::Amf0Value::null(),
                        {rtmp::Amf0Value(stream_name_)}) &&
           send_command(0, kCsidCommand, "deleteStream", next_transaction_++, rtmp::Amf0Value::null(),
                        {rtmp::Amf0Value(double(stream_id_))});
}

void RtmpPublisher::close() {
    reader_.reset();
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    stream_id_ = 0;
}

}  // namespace ringcast::test
