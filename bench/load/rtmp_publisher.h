#pragma once
// The publisher: an FLV file sent in real time, as `ffmpeg -re -stream_loop -1 -c copy` would,
// except that the loops join without a timestamp jump and every H.264 frame carries a latency
// stamp (clock_stamp.h). Commands and chunking follow ffmpeg: connect, Set Chunk Size 4096,
// releaseStream, FCPublish, createStream, publish "live"; fmt 1/2/3 header compression.

#include <cstdint>
#include <string>

#include "load/flv_reader.h"
#include "load/rtmp_client.h"
#include "load/rtmp_url.h"

namespace ringcast::load {

class RtmpPublisher final : private RtmpClient::Listener {
public:
    /// What the run needs to hear; called on the loop thread.
    class Events {
    public:
        virtual ~Events() = default;
        /// The server accepted the publish and the first tags are queued.
        virtual void on_publishing() = 0;
        /// The publisher is gone before stop(): why.
        virtual void on_publisher_failed(std::string why) = 0;
    };

    /// `file`, `url` and `events` outlive the publisher.
    RtmpPublisher(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, const FlvFile& file, const RtmpUrl& url,
                  Events& events);
    ~RtmpPublisher() override;

    void start(const uring::SocketAddress& address);
    /// Closes without reporting a failure.
    void stop();

    [[nodiscard]] bool closed() const { return client_.closed() || client_.idle(); }
    [[nodiscard]] bool publishing() const { return phase_ == Phase::publishing; }
    [[nodiscard]] std::uint64_t frames_sent() const { return frames_sent_; }
    [[nodiscard]] std::uint64_t loops() const { return loop_; }

private:
    enum class Phase : std::uint8_t { idle, want_connect, want_stream, want_publish, publishing, done };

    void on_ready() override;
    core::Status on_message(proto::rtmp::RtmpMessage&& message) override;
    void on_bytes(std::size_t) override {}
    void on_closed(core::Error reason) override;

    void on_command(const proto::rtmp::RtmpMessage& message);
    /// Timer: sends every tag that is due, then sleeps until the next one.
    void pace();
    void send_tag(const FlvTag& tag, std::uint32_t timestamp);
    void fail(std::string why);

    uring::Reactor& reactor_;
    const FlvFile& file_;
    const RtmpUrl& url_;
    Events& events_;
    RtmpClient client_;
    uring::Timer pace_timer_;
    Phase phase_ = Phase::idle;
    std::uint32_t stream_id_ = 0;
    std::int64_t start_ns_ = 0;  // monotonic time of timestamp 0
    std::size_t next_tag_ = 0;
    std::uint64_t loop_ = 0;
    std::uint64_t frames_sent_ = 0;
    bool stamps_ = true;
};

}  // namespace ringcast::load
