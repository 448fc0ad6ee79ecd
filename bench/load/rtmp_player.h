#pragma once
// One RTMP player: connect, createStream, play (the order ffmpeg and ffplay use), then it only
// counts what arrives (Player records it).

#include <cstdint>

#include "load/player.h"
#include "load/rtmp_client.h"

namespace ringcast::load {

class RtmpPlayer final : public Player, private RtmpClient::Listener {
public:
    /// context.rtmp_url is set.
    RtmpPlayer(PlayerContext& context, std::uint32_t index);

    [[nodiscard]] bool closed() const override { return client_.closed() || client_.idle(); }

private:
    enum class Step : std::uint8_t { want_connect, want_stream, want_play };

    void connect() override;
    void close_connection(core::Error reason) override { client_.close(reason); }
    [[nodiscard]] const char* setup_step() const override;

    void on_ready() override;
    core::Status on_message(proto::rtmp::RtmpMessage&& message) override;
    void on_bytes(std::size_t count) override { record_bytes(count); }
    void on_closed(core::Error reason) override { closed_by_peer(reason); }

    void on_command(const proto::rtmp::RtmpMessage& message);

    const RtmpUrl& url_;
    RtmpClient client_;
    Step step_ = Step::want_connect;
    std::uint32_t stream_id_ = 0;
};

}  // namespace ringcast::load
