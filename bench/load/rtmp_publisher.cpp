#include "load/rtmp_publisher.h"

#include "core/clock.h"
#include "load/clock_stamp.h"

namespace ringcast::load {

namespace rtmp = proto::rtmp;

namespace {

// ffmpeg's chunk streams (rtmppkt.h): system 3, audio 4, video 6, source (stream commands) 8;
// data on 5 as the test publisher does.
constexpr std::uint32_t kCsidCommand = 3;
constexpr std::uint32_t kCsidAudio = 4;
constexpr std::uint32_t kCsidData = 5;
constexpr std::uint32_t kCsidVideo = 6;
constexpr std::uint32_t kCsidStream = 8;
constexpr std::uint32_t kChunkSize = 4096;  // ffmpeg's
constexpr double kConnectTid = 1;
constexpr double kReleaseStreamTid = 2;
constexpr double kFcPublishTid = 3;
constexpr double kCreateStreamTid = 4;
constexpr double kPublishTid = 5;
// A server that stops reading would otherwise grow the send queue without bound; 16 MiB is
// more than a minute of the sample stream.
constexpr std::size_t kQueuedBytesMax = 16u * 1024 * 1024;
// Tags sent per timer run when behind (after a stall): the rest go on the next turn, so
// players are served in between.
constexpr int kBurstMax = 256;

}  // namespace

RtmpPublisher::RtmpPublisher(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, const FlvFile& file,
                             const RtmpUrl& url, Events& events)
    : reactor_(reactor), file_(file), url_(url), events_(events), client_(reactor, buffers, *this) {
    pace_timer_.bind<&RtmpPublisher::pace>(this);
    stamps_ = file.nal_length_size == 4;
}

RtmpPublisher::~RtmpPublisher() { reactor_.cancel(pace_timer_); }

void RtmpPublisher::start(const uring::SocketAddress& address) {
    phase_ = Phase::want_connect;
    // Nagle would hold small audio messages behind unacknowledged video and show up as latency
    // that is the tool's, not the server's.
    client_.start(address, true);
}

void RtmpPublisher::stop() {
    phase_ = Phase::done;
    reactor_.cancel(pace_timer_);
    client_.close(core::Error::make(core::Errc::canceled, "end of run"));
}

void RtmpPublisher::on_ready() {
    // The connect object ffmpeg sends for a publisher.
    client_.send_command(0, kCsidCommand, "connect", kConnectTid,
                         rtmp::Amf0Value::object({{"app", url_.app},
                                                  {"type", "nonprivate"},
                                                  {"flashVer", "FMLE/3.0 (compatible; ringcast-load)"},
                                                  {"tcUrl", url_.tc_url}}),
                         {});
}

core::Status RtmpPublisher::on_message(rtmp::RtmpMessage&& message) {
    if (message.type_id == rtmp::message_type::amf0_command) {
        on_command(message);
    }
    return {};
}

void RtmpPublisher::on_command(const rtmp::RtmpMessage& message) {
    auto command = read_server_command(message);
    if (!command) {
        return;
    }
    const std::string& name = command->name;
    const double tid = command->transaction_id;
    const std::vector<rtmp::Amf0Value>* values = &command->values;
    if (name == "_error" && (tid == kConnectTid || tid == kCreateStreamTid || tid == kPublishTid)) {
        fail("_error for transaction " + std::to_string(static_cast<int>(tid)));
        return;
    }
    if (name == "_result" && tid == kConnectTid && phase_ == Phase::want_connect) {
        phase_ = Phase::want_stream;
        client_.set_out_chunk_size(kChunkSize);
        const rtmp::Amf0Value stream(url_.stream);
        client_.send_command(0, kCsidCommand, "releaseStream", kReleaseStreamTid, rtmp::Amf0Value::null(), {stream});
        client_.send_command(0, kCsidCommand, "FCPublish", kFcPublishTid, rtmp::Amf0Value::null(), {stream});
        client_.send_command(0, kCsidCommand, "createStream", kCreateStreamTid, rtmp::Amf0Value::null(), {});
        return;
    }
    if (name == "_result" && tid == kCreateStreamTid && phase_ == Phase::want_stream) {
        auto id = values->size() >= 4 ? (*values)[3].as_number() : std::nullopt;
        if (!id) {
            fail("createStream _result without a stream id");
            return;
        }
        stream_id_ = static_cast<std::uint32_t>(*id);
        phase_ = Phase::want_publish;
        client_.send_command(stream_id_, kCsidStream, "publish", kPublishTid, rtmp::Amf0Value::null(),
                             {rtmp::Amf0Value(url_.stream), rtmp::Amf0Value("live")});
        return;
    }
    if (name == "onStatus" && values->size() >= 4) {
        const std::string* code = (*values)[3].get_string("code");
        const std::string* level = (*values)[3].get_string("level");
        if (level != nullptr && *level == "error") {
            fail("onStatus " + (code != nullptr ? *code : std::string("error")));
        } else if (code != nullptr && *code == "NetStream.Publish.Start" && phase_ == Phase::want_publish) {
            phase_ = Phase::publishing;
            start_ns_ = core::monotonic_ns();
            pace();
            if (phase_ == Phase::publishing) {
                events_.on_publishing();
            }
        }
    }
}

void RtmpPublisher::pace() {
    if (phase_ != Phase::publishing) {
        return;
    }
    const std::int64_t now = core::monotonic_ns();
    for (int sent = 0; sent < kBurstMax; ++sent) {
        const FlvTag& tag = file_.tags[next_tag_];
        const std::uint64_t timestamp = loop_ * file_.loop_ms + tag.timestamp;
        const std::int64_t due = start_ns_ + static_cast<std::int64_t>(timestamp * 1'000'000);
        if (due > now) {
            reactor_.arm_ns(pace_timer_, static_cast<std::uint64_t>(due - now));
            return;
        }
        if (loop_ == 0 || !tag.config) {
            // RTMP timestamps are 32-bit and wrap after 49 days, as every peer expects.
            send_tag(tag, static_cast<std::uint32_t>(timestamp));
            if (phase_ != Phase::publishing) {
                return;
            }
        }
        if (++next_tag_ == file_.tags.size()) {
            next_tag_ = 0;
            ++loop_;
        }
    }
    reactor_.arm_ns(pace_timer_, 0);
}

void RtmpPublisher::send_tag(const FlvTag& tag, std::uint32_t timestamp) {
    rtmp::RtmpMessage message{.type_id = tag.type, .timestamp = timestamp, .stream_id = stream_id_, .csid = kCsidData,
                              .payload = tag.payload};
    if (tag.type == rtmp::message_type::video) {
        message.csid = kCsidVideo;
        if (stamps_ && is_avc_nalu_payload(tag.payload.span())) {
            message.payload = stamp_avc_payload(tag.payload.span(), realtime_ns());
        }
    } else if (tag.type == rtmp::message_type::audio) {
        message.csid = kCsidAudio;
    }
    client_.send(message);
    ++frames_sent_;
    if (client_.queued_bytes() > kQueuedBytesMax) {
        fail("the server does not read: 16 MiB queued");
    }
}

void RtmpPublisher::fail(std::string why) {
    if (phase_ == Phase::done) {
        return;
    }
    phase_ = Phase::done;
    reactor_.cancel(pace_timer_);
    client_.close(core::Error::make(core::Errc::protocol, "publisher failed"));
    events_.on_publisher_failed("publisher: " + why);
}

void RtmpPublisher::on_closed(core::Error reason) {
    if (phase_ != Phase::done) {
        fail(std::string(reason.describe()));
    }
}

}  // namespace ringcast::load
