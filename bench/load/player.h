#pragma once
// What every player records, whatever protocol brings the stream: RTMP players (rtmp_player.h)
// and HTTP-FLV players (http_flv_player.h) derive from Player and hand it the wire bytes and
// each audio and video frame (an FLV tag body, which is what an RTMP media message carries);
// HLS players (hls_player.h) hand it each frame's keyframe flag and stamp, read from MPEG-TS.
// Per frame it does a few integer updates and, for stamped H.264 frames, one clock read:
// thousands of players share one core with the kernel's TCP receive path.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"
#include "load/rtmp_url.h"
#include "load/stats.h"
#include "uring/buf_ring.h"
#include "uring/reactor.h"
#include "uring/socket.h"

namespace ringcast::load {

/// What every player shares: owned by the run, outlives the players. Exactly one of the URLs
/// is set: the protocol the players speak.
struct PlayerContext {
    uring::Reactor& reactor;
    uring::ProvidedBufRing* buffers;
    const uring::SocketAddress& address;
    const RtmpUrl* rtmp_url = nullptr;
    const HttpUrl* http_url = nullptr;  // HTTP-FLV, or HLS when `hls` is set
    bool hls = false;                    // http_url names an .m3u8 playlist
    RunStats& stats;
    bool after_warmup = false;  // latency samples count from here on
    bool counting = true;       // false once the run has stopped: teardown is not measured
};

/// An FLV/RTMP video tag body that starts decoding (a keyframe), not a sequence header.
bool is_video_keyframe(std::span<const std::uint8_t> payload);

class Player {
public:
    Player(PlayerContext& context, std::uint32_t index) : context_(context), index_(index) {}
    virtual ~Player() = default;
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;

    /// Starts connecting; the startup clock starts here.
    void start();
    /// Closes without counting a failure (the end of the run).
    void stop();

    /// Nothing is in flight: the player may be destroyed.
    [[nodiscard]] virtual bool closed() const = 0;
    [[nodiscard]] bool started() const { return started_; }
    [[nodiscard]] bool reached_playing() const { return reached_playing_; }
    [[nodiscard]] bool failed() const { return failed_; }
    /// TCP connect start to the first video keyframe, once one arrived.
    [[nodiscard]] std::optional<double> startup_ms() const;
    /// TCP connect start to the server accepting the play (or the first media): the part of
    /// startup spent in TCP, handshake and commands, before any media is due.
    [[nodiscard]] std::optional<double> setup_ms() const;
    /// Where a player that never started playing got stuck, for the report.
    [[nodiscard]] const char* waiting_for() const;
    [[nodiscard]] std::uint32_t index() const { return index_; }
    /// The largest publish-to-play latency seen after the warmup (0 if none).
    [[nodiscard]] double max_latency_ms() const { return max_latency_ms_; }

protected:
    /// Opens the connection (start() has counted the player and started the clock).
    virtual void connect() = 0;
    /// Closes the connection; the subclass's close callback then calls closed_by_peer(),
    /// which ignores it because the player is done.
    virtual void close_connection(core::Error reason) = 0;
    /// The setup step a player that is neither playing nor done waits for.
    [[nodiscard]] virtual const char* setup_step() const = 0;

    /// Wire bytes received (handshakes and headers included).
    void record_bytes(std::size_t count);
    void record_video(std::uint32_t timestamp, std::span<const std::uint8_t> payload);
    /// The same for a frame whose container was not FLV (HLS: MPEG-TS with Annex B), where the
    /// caller has found the keyframe flag and the stamp itself.
    void record_video_frame(std::uint32_t timestamp, bool keyframe, std::optional<std::uint64_t> stamp_ns);
    void record_audio(std::uint32_t timestamp);
    /// The server accepted the play (or media came first): counts the player as playing.
    void mark_playing();
    /// Records `why` as this player's failure and closes; nothing if already done.
    void fail(std::string why);
    /// The connection closed: a failure unless the player is already done.
    void closed_by_peer(core::Error reason);

    [[nodiscard]] bool playing() const { return playing_; }
    [[nodiscard]] bool done() const { return done_; }
    /// Neither playing nor done: the protocol's setup may still advance.
    [[nodiscard]] bool in_setup() const { return started_ && !playing_ && !done_; }

    PlayerContext& context_;

private:
    std::uint32_t index_;
    bool started_ = false;
    bool playing_ = false;  // counted in players_playing right now
    bool done_ = false;
    bool reached_playing_ = false;
    bool failed_ = false;
    bool have_video_ts_ = false;
    bool have_audio_ts_ = false;
    std::uint32_t last_video_ts_ = 0;
    std::uint32_t last_audio_ts_ = 0;
    std::int64_t connect_start_ns_ = 0;
    std::int64_t playing_ns_ = 0;
    std::int64_t first_keyframe_ns_ = 0;
    double max_latency_ms_ = 0;
};

}  // namespace ringcast::load
