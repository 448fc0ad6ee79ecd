#pragma once
// One HTTP-FLV player: connect, one GET for the stream, then the response: its head (status
// 200 wanted), the body de-chunked (HttpResponseReader) and read as FLV (media::FlvTagReader).
// It records what an RTMP player records (Player): the FLV tag body of an audio or video tag is
// the payload of the RTMP message, so the keyframe test and the latency stamp read the same
// bytes. Wire bytes count everything received, the response head and chunk framing included,
// as the RTMP player counts its handshake and chunk headers.

#include <cstdint>

#include "proto/http/response_reader.h"
#include "load/player.h"
#include "uring/tcp_client.h"
#include "media/flv.h"

namespace ringcast::load {

class HttpFlvPlayer final : public Player,
                            private uring::TcpClient::Handler,
                            private proto::http::HttpResponseReader::Sink {
public:
    /// context.http_url is set.
    HttpFlvPlayer(PlayerContext& context, std::uint32_t index);

    [[nodiscard]] bool closed() const override { return tcp_.closed() || tcp_.idle(); }

private:
    void connect() override;
    void close_connection(core::Error reason) override { tcp_.close(reason); }
    [[nodiscard]] const char* setup_step() const override;

    void on_connected() override;
    void on_data(std::span<const std::uint8_t> bytes) override;
    void on_closed(core::Error reason) override;

    core::Status on_head(const proto::http::ParsedResponseHead& head) override;
    core::Status on_body(std::span<const std::uint8_t> bytes) override;

    const HttpUrl& url_;
    uring::TcpClient tcp_;
    proto::http::HttpResponseReader response_;
    media::FlvTagReader flv_;
};

}  // namespace ringcast::load
