#pragma once
// One RTMP player: connect, createStream, play (the order ffmpeg and ffplay use), then it only
// counts what arrives. Per message it does a few integer updates and, for stamped H.264 frames,
// one clock read: thousands of these share one core with the kernel's TCP receive path.

#include <cstdint>
#include <optional>
#include <string>

#include "load/rtmp_client.h"
#include "load/rtmp_url.h"
#include "load/stats.h"

namespace ringcast::load {

/// What every player shares: owned by the run, outlives the players.
struct PlayerContext {
    uring::Reactor& reactor;
    uring::ProvidedBufRing* buffers;
    const uring::SocketAddress& address;
    const RtmpUrl& url;
    RunStats& stats;
    bool after_warmup = false;  // latency samples count from here on
    bool counting = true;       // false once the run has stopped: teardown is not measured
};

class RtmpPlayer final : private RtmpClient::Listener {
public:
    RtmpPlayer(PlayerContext& context, std::uint32_t index);

    /// Starts connecting; the startup clock starts here.
    void start();
    /// Closes without counting a failure (the end of the run).
    void stop();

    [[nodiscard]] bool started() const { return phase_ != Phase::idle; }
    [[nodiscard]] bool closed() const { return client_.closed() || client_.idle(); }
    [[nodiscard]] bool reached_playing() const { return reached_playing_; }
    [[nodiscard]] bool failed() const { return failed_; }
    /// TCP connect start to the first video keyframe, once one arrived.
    [[nodiscard]] std::optional<double> startup_ms() const;
    /// Where a player that never started playing got stuck, for the report.
    [[nodiscard]] const char* waiting_for() const;
    [[nodiscard]] std::uint32_t index() const { return index_; }
    /// The largest publish-to-play latency seen after the warmup (0 if none).
    [[nodiscard]] double max_latency_ms() const { return max_latency_ms_; }

private:
    enum class Phase : std::uint8_t { idle, want_connect, want_stream, want_play, playing, done };

    void on_ready() override;
    core::Status on_message(proto::rtmp::RtmpMessage&& message) override;
    void on_bytes(std::size_t count) override;
    void on_closed(core::Error reason) override;

    void on_command(const proto::rtmp::RtmpMessage& message);
    void on_video(const proto::rtmp::RtmpMessage& message);
    void on_audio(const proto::rtmp::RtmpMessage& message);
    void mark_playing();
    /// Records `why` as this player's failure and closes.
    void fail(std::string why);

    PlayerContext& context_;
    RtmpClient client_;
    std::uint32_t index_;
    Phase phase_ = Phase::idle;
    bool reached_playing_ = false;
    bool failed_ = false;
    bool have_video_ts_ = false;
    bool have_audio_ts_ = false;
    std::uint32_t last_video_ts_ = 0;
    std::uint32_t last_audio_ts_ = 0;
    std::uint32_t stream_id_ = 0;
    std::int64_t connect_start_ns_ = 0;
    std::int64_t first_keyframe_ns_ = 0;
    double max_latency_ms_ = 0;
};

}  // namespace ringcast::load
