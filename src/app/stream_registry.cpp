#include "app/stream_registry.h"

#include <time.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "app/hls_stream.h"
#include "app/http_flv.h"
#include "app/http_ts.h"
#include "core/log.h"
#include "media/codec_config.h"
#include "media/metadata.h"
#include "media/mix_queue.h"
#include "proto/rtmp/server_session.h"
#include "uring/reactor.h"

namespace ringcast::app {

/// On the owner shard: the sink that relays a stream's frames to one mirror shard. A full mesh
/// outbox never blocks: the frame is dropped and the mirror resumes at the next keyframe.
class StreamRegistry::RemoteRelay final : public media::FrameSink {
public:
    RemoteRelay(StreamRegistry& registry, std::size_t shard, StreamName name)
        : registry_(registry), shard_(shard), name_(std::move(name)) {}

    void on_frame(const media::MediaFrame& frame) override {
        const bool is_key = frame.is_video() && frame.flags.keyframe;
        const bool always = frame.flags.sequence_header || frame.flags.metadata;
        if (need_keyframe_ && !is_key && !always && frame.is_video()) {
            ++registry_.stats_.frames_dropped_full;
            return;
        }
        if (!registry_.send(shard_, MirrorFrame{name_, frame})) {
            ++registry_.stats_.frames_dropped_full;
            need_keyframe_ = true;
            return;
        }
        ++registry_.stats_.frames_relayed;
        if (is_key) {
            need_keyframe_ = false;
        }
    }
    void on_publishing(bool publishing) override {
        registry_.send(shard_, MirrorPublishing{name_, publishing});
    }

private:
    StreamRegistry& registry_;
    std::size_t shard_;
    StreamName name_;
    bool need_keyframe_ = false;
};

struct StreamRegistry::LocalStream {
    explicit LocalStream(const std::string& key, bool is_owner)
        : name(std::make_shared<const std::string>(key)), stream(key), owner(is_owner) {}

    StreamName name;
    media::Stream stream;
    bool owner;
    // Owner side.
    media::JitterCorrector jitter;
    StreamSettings settings;
    std::optional<media::MixQueue> mix;  // with mix_correct
    std::optional<std::size_t> publisher_shard;
    std::uint64_t publisher_request_id = 0;
    bool publish_held = false;  // granted, answer held by the observer (release_publish)
    std::unordered_map<std::size_t, std::unique_ptr<RemoteRelay>> relays;
    HlsStream* hls = nullptr;  // while publishing with HLS on; owned by hls_streams_
    bool audience = false;  // as last told to the observer
    std::string audience_param;  // the "?..." of the player that brought the audience
    // Mirror side.
    bool subscribed = false;
    // Both sides.
    std::size_t local_players = 0;
    std::uint32_t rtmp_chunk_size = 60000;
    std::uint32_t last_timestamp_ms = 0;  // of the last audio or video frame encoded here
    // HTTP-TS / .aac / .mp3 (http_ts.h): made when the first such player plays on this shard
    // and kept while the stream lives here, so the shared TS stream (continuity counters,
    // held audio) never restarts under players that joined earlier or frames already cached.
    std::unique_ptr<HttpRemuxEncoder> remux;
    // What the encoder made of the startup cache's frames when it started (they were cached
    // before it existed and are immutable), by payload address; the payload is held so the
    // address stays unique. Dropped once the cache has moved past that GOP.
    struct PrimedChunk {
        core::Buffer payload;
        core::Buffer chunk;
        std::uint32_t body_offset = 0;
        std::uint32_t body_bytes = 0;
    };
    std::unordered_map<const std::uint8_t*, PrimedChunk> primed;
    const std::uint8_t* primed_gop_front = nullptr;
    std::optional<media::MediaFrame> remux_tail;  // set only during set_publishing_off
};

struct StreamRegistry::PendingPublish {
    StreamName name;
    std::uint64_t request_id = 0;
    std::size_t owner = 0;
    bool accepted = false;
    bool need_keyframe = false;  // a frame was dropped on the way to the owner
};

StreamKey split_stream_key(const std::string& key) {
    const std::size_t first = key.find('/');
    const std::size_t last = key.rfind('/');
    if (first == std::string::npos || last == first) {
        return {key, key, "", ""};
    }
    return {key, key.substr(0, first), key.substr(first + 1, last - first - 1), key.substr(last + 1)};
}

StreamRegistry::StreamRegistry(std::size_t shard_id, std::size_t shard_count, MeshEndpoint& mesh,
                               SettingsLookup settings)
    : shard_id_(shard_id), shard_count_(shard_count), mesh_(mesh), settings_(std::move(settings)) {}

StreamRegistry::~StreamRegistry() = default;

std::size_t StreamRegistry::owner_of(const std::string& name) const {
    return std::hash<std::string>{}(name) % shard_count_;
}

bool StreamRegistry::send(std::size_t to, ShardMsg&& message) { return mesh_.send(to, std::move(message)); }

StreamRegistry::LocalStream* StreamRegistry::find_local(const std::string& name) {
    auto it = streams_.find(name);
    return it == streams_.end() ? nullptr : it->second.get();
}

const media::Stream* StreamRegistry::find(const std::string& name) const {
    auto it = streams_.find(name);
    return it == streams_.end() ? nullptr : &it->second->stream;
}

StreamRegistry::LocalStream& StreamRegistry::stream_for(const std::string& name) {
    if (LocalStream* existing = find_local(name)) {
        return *existing;
    }
    auto created = std::make_unique<LocalStream>(name, owner_of(name) == shard_id_);
    std::string_view vhost = std::string_view(name).substr(0, name.find('/'));
    StreamSettings settings = settings_ ? settings_(vhost) : StreamSettings{};
    created->stream.cache().set_gop_cache(settings.gop_cache, settings.gop_cache_max_frames);
    created->settings = settings;
    created->jitter.set_mode(settings.atc ? media::JitterMode::off : settings.jitter);
    if (settings.mix_correct) {
        created->mix.emplace();
    }
    created->rtmp_chunk_size = settings.rtmp_chunk_size;
    LocalStream& ref = *created;
    streams_.emplace(name, std::move(created));
    return ref;
}

void StreamRegistry::maybe_forget(const std::string& name) {
    LocalStream* stream = find_local(name);
    if (stream == nullptr) {
        return;
    }
    const bool idle = stream->owner ? !stream->publisher_shard && stream->stream.sink_count() == 0
                                    : stream->local_players == 0;
    if (idle) {
        streams_.erase(name);
    }
}

// ---- publishing ----

bool StreamRegistry::grant(LocalStream& stream, std::size_t from_shard, std::uint64_t request_id, bool may_hold,
                           bool& held) {
    held = false;
    if (stream.publisher_shard) {
        return false;  // SRS: NetStream.Publish.BadName, the first publisher keeps the stream
    }
    stream.publisher_shard = from_shard;
    stream.publisher_request_id = request_id;
    if (may_hold && observer_ != nullptr && observer_->hold_publish(*stream.name)) {
        stream.publish_held = held = true;
        return true;
    }
    activate_publish(stream);
    return true;
}

void StreamRegistry::activate_publish(LocalStream& stream) {
    stream.publish_held = false;
    stream.jitter.reset();
    stream.jitter.set_mode(stream.settings.atc ? media::JitterMode::off : stream.settings.jitter);
    if (stream.mix) {
        stream.mix->clear();
    }
    stream.stream.set_publishing(true);
    hls_publish(stream);
    if (observer_ != nullptr) {
        observer_->on_publishing(*stream.name, true);
    }
}

void StreamRegistry::release_publish(const std::string& name, bool accepted) {
    LocalStream* stream = find_local(name);
    if (stream == nullptr || !stream->publish_held || !stream->publisher_shard) {
        return;
    }
    const std::size_t shard = *stream->publisher_shard;
    const std::uint64_t request_id = stream->publisher_request_id;
    const StreamName held_name = stream->name;
    if (accepted) {
        activate_publish(*stream);
    } else {
        stream->publish_held = false;
        stream->publisher_shard.reset();
    }
    if (shard != shard_id_) {
        send(shard, PublishReply{held_name, request_id, accepted});
    } else {
        on_publish_reply(PublishReply{held_name, request_id, accepted});
    }
    if (!accepted) {
        maybe_forget(*held_name);
    }
}

void StreamRegistry::revoke_publish(const std::string& name) {
    LocalStream* stream = find_local(name);
    if (stream == nullptr || !stream->publisher_shard || stream->publish_held) {
        return;
    }
    if (*stream->publisher_shard != shard_id_) {
        send(*stream->publisher_shard, PublishRevoked{stream->name});
        return;
    }
    on_publish_revoked(*stream->name);
}

void StreamRegistry::on_publish_revoked(const std::string& name) {
    for (auto& [handle, pending] : publishers_) {
        if (pending->accepted && *pending->name == name) {
            handle->on_publish_revoked();  // the connection closes, then unpublishes
            return;
        }
    }
}

void StreamRegistry::request_publish(const std::string& name, PublishHandle& publisher) {
    auto pending = std::make_unique<PendingPublish>();
    pending->request_id = next_request_id_++;
    pending->owner = owner_of(name);
    PendingPublish& ref = *pending;
    publishers_[&publisher] = std::move(pending);
    if (ref.owner != shard_id_) {
        ref.name = std::make_shared<const std::string>(name);
        send(ref.owner, PublishRequest{ref.name, ref.request_id});
        return;
    }
    LocalStream& stream = stream_for(name);
    ref.name = stream.name;
    bool held = false;
    ref.accepted = grant(stream, shard_id_, ref.request_id, !publisher.pulls_from_upstream(), held);
    if (held) {
        ref.accepted = false;  // answered by release_publish, through on_publish_reply
        return;
    }
    if (!ref.accepted) {
        publishers_.erase(&publisher);
        maybe_forget(name);
        publisher.on_publish_result(false);
        return;
    }
    publisher.on_publish_result(true);
}

void StreamRegistry::on_publish_reply(const PublishReply& reply) {
    for (auto it = publishers_.begin(); it != publishers_.end(); ++it) {
        if (it->second->request_id != reply.request_id) {
            continue;
        }
        PublishHandle* handle = it->first;
        if (reply.accepted) {
            it->second->accepted = true;
        } else {
            publishers_.erase(it);
        }
        handle->on_publish_result(reply.accepted);
        return;
    }
    // The publisher left while waiting: give the stream back.
    if (reply.accepted) {
        if (owner_of(*reply.name) != shard_id_) {
            send(owner_of(*reply.name), Unpublish{reply.name});
        } else if (LocalStream* stream = find_local(*reply.name)) {
            owner_unpublish(*stream);
        }
    }
}

void StreamRegistry::owner_deliver(LocalStream& stream, media::MediaFrame frame) {
    if (frame.flags.metadata && stream.settings.atc_auto) {
        // SRS decides again on every onMetaData.
        const bool atc = media::atc_after_metadata(stream.settings.atc, true, frame.payload.span());
        stream.jitter.set_mode(atc ? media::JitterMode::off : stream.settings.jitter);
    }
    if (stream.mix && (frame.is_audio() || frame.is_video())) {
        std::optional<media::MediaFrame> earliest = stream.mix->mix(std::move(frame));
        if (!earliest) {
            return;
        }
        frame = std::move(*earliest);
    }
    if (frame.is_audio() || frame.is_video()) {
        frame.timestamp_ms = stream.jitter.correct(frame.timestamp_ms);
    }
    if (stream.hls != nullptr) {
        stream.hls->on_frame(frame);  // the payload and corrected timestamp only
    }
    // Always, even with no player here yet: the startup cache keeps these frames, and a player
    // that comes later sends them from there.
    encode_for_players(stream, frame);
    deliver_local(stream, frame);
}

void StreamRegistry::deliver_local(LocalStream& stream, const media::MediaFrame& frame) {
    stream.stream.deliver(frame);
    if (!stream.primed.empty()) {
        const auto& gop = stream.stream.cache().gop();
        if (gop.empty() || gop.front().payload.data() != stream.primed_gop_front) {
            stream.primed.clear();  // a new GOP (or none): no player replays the primed frames
        }
    }
}

void StreamRegistry::enable_http_remux(LocalStream& stream, media::HttpRemuxFormat format) {
    if (stream.remux) {
        if (stream.remux->format() != format) {
            // One mount per vhost: only a config change while the stream lives gets here.
            RC_WARN("{}: already served as another http_remux format; this player gets nothing", *stream.name);
        }
        return;
    }
    stream.remux = std::make_unique<HttpRemuxEncoder>(format);
    // The cache holds what a joining player is sent first, in replay order: run it through the
    // new encoder in that order, so it starts configured (sequence headers) and the primed
    // chunks followed by the live ones are one continuous TS stream. Once per stream per
    // shard, at most a GOP.
    const media::StartupCache& cache = stream.stream.cache();
    cache.replay([&](const media::MediaFrame& cached) {
        media::MediaFrame copy = cached;
        stream.remux->encode(copy);
        if (!copy.http_remux_chunk.empty() && !cached.payload.empty()) {
            stream.primed[cached.payload.data()] = LocalStream::PrimedChunk{
                cached.payload, std::move(copy.http_remux_chunk), copy.http_remux_body_offset, copy.http_remux_body_bytes};
        }
    });
    stream.primed_gop_front = cache.gop().empty() ? nullptr : cache.gop().front().payload.data();
}

bool StreamRegistry::fill_primed_http_remux(const std::string& name, media::MediaFrame& frame) const {
    auto it = streams_.find(name);
    if (it == streams_.end() || !it->second->remux || frame.payload.empty()) {
        return false;
    }
    const LocalStream& stream = *it->second;
    auto primed = stream.primed.find(frame.payload.data());
    if (primed == stream.primed.end()) {
        return false;
    }
    frame.http_remux_chunk = primed->second.chunk;
    frame.http_remux_body_offset = primed->second.body_offset;
    frame.http_remux_body_bytes = primed->second.body_bytes;
    frame.http_remux_format = stream.remux->format();
    return true;
}

const media::MediaFrame* StreamRegistry::http_remux_tail(const std::string& name) const {
    auto it = streams_.find(name);
    return it == streams_.end() || !it->second->remux_tail ? nullptr : &*it->second->remux_tail;
}

void StreamRegistry::set_publishing_off(LocalStream& stream) {
    if (stream.remux) {
        // The TS muxer holds up to 100 ms of audio for its next PES; with the publisher gone
        // no next audio frame would flush it. Players queue it behind what they hold.
        media::MediaFrame tail;
        tail.kind = media::FrameKind::data;
        tail.timestamp_ms = stream.last_timestamp_ms;
        tail.http_remux_format = stream.remux->format();
        tail.http_remux_chunk = stream.remux->flush(tail.http_remux_body_offset, tail.http_remux_body_bytes);
        if (!tail.http_remux_chunk.empty()) {
            stream.remux_tail = std::move(tail);
        }
    }
    stream.stream.set_publishing(false);
    stream.remux_tail.reset();
}

void StreamRegistry::encode_for_players(LocalStream& stream, media::MediaFrame& frame) {
    auto chunks = proto::rtmp::encode_shared_media(static_cast<proto::rtmp::MediaKind>(frame.kind), frame.timestamp_ms,
                                                   frame.payload, stream.rtmp_chunk_size);
    if (chunks) {
        frame.rtmp_chunks = std::move(*chunks);
        frame.rtmp_chunk_size = stream.rtmp_chunk_size;
    } else {
        frame.rtmp_chunks = {};  // players encode it themselves (and meet the same error)
    }
    if (frame.is_audio() || frame.is_video()) {
        stream.last_timestamp_ms = frame.timestamp_ms;
    }
    if (stream.remux) {
        // The vhost's one mount is not .flv: no FLV player can play this stream.
        stream.remux->encode(frame);
    } else {
        encode_http_flv_chunk(frame);
    }
}

void StreamRegistry::publish_frame(PublishHandle& publisher, media::MediaFrame frame) {
    auto it = publishers_.find(&publisher);
    if (it == publishers_.end() || !it->second->accepted) {
        return;
    }
    PendingPublish& state = *it->second;
    if (state.owner == shard_id_) {
        if (LocalStream* stream = find_local(*state.name)) {
            owner_deliver(*stream, std::move(frame));
        }
        return;
    }
    const bool is_key = frame.is_video() && frame.flags.keyframe;
    if (state.need_keyframe && frame.is_video() && !is_key && !frame.flags.sequence_header) {
        ++stats_.frames_dropped_full;
        return;
    }
    if (!send(state.owner, PublishFrame{state.name, std::move(frame)})) {
        ++stats_.frames_dropped_full;
        state.need_keyframe = true;
        return;
    }
    ++stats_.frames_forwarded;
    if (is_key) {
        state.need_keyframe = false;
    }
}

void StreamRegistry::owner_unpublish(LocalStream& stream) {
    if (stream.hls != nullptr) {
        stream.hls->on_unpublish();
        stream.hls = nullptr;
    }
    stream.publisher_shard.reset();
    set_publishing_off(stream);
    // The observer may detach sinks, and with the last one the stream is forgotten: hold the name.
    const StreamName name = stream.name;
    if (observer_ != nullptr) {
        observer_->on_publishing(*name, false);
    }
    maybe_forget(*name);
}

void StreamRegistry::unpublish(PublishHandle& publisher) {
    auto it = publishers_.find(&publisher);
    if (it == publishers_.end()) {
        return;
    }
    std::unique_ptr<PendingPublish> state = std::move(it->second);
    publishers_.erase(it);
    if (!state->accepted) {
        return;  // a late acceptance is answered with Unpublish in on_publish_reply
    }
    if (state->owner != shard_id_) {
        send(state->owner, Unpublish{state->name});
    } else if (LocalStream* stream = find_local(*state->name)) {
        owner_unpublish(*stream);
    }
}

// ---- playing ----

void StreamRegistry::play(const std::string& name, media::FrameSink& player, media::HttpRemuxFormat format,
                          std::string_view param) {
    LocalStream& stream = stream_for(name);
    if (stream.local_players == 0 && stream.relays.empty()) {
        stream.audience_param = std::string(param);
    }
    if (format != media::HttpRemuxFormat::flv) {
        enable_http_remux(stream, format);
    }
    ++stream.local_players;
    if (!stream.owner && !stream.subscribed) {
        stream.subscribed = true;
        send(owner_of(name), Subscribe{stream.name, true, std::string(param)});
    }
    stream.stream.attach(player);
    update_audience(stream);
}

void StreamRegistry::attach_sink(const std::string& name, media::FrameSink& sink) {
    stream_for(name).stream.attach(sink);
}

void StreamRegistry::detach_sink(const std::string& name, media::FrameSink& sink) {
    if (LocalStream* stream = find_local(name)) {
        stream->stream.detach(sink);
        maybe_forget(name);
    }
}

void StreamRegistry::update_audience(LocalStream& stream) {
    if (!stream.owner) {
        return;
    }
    const bool present = stream.local_players > 0 || !stream.relays.empty();
    if (present != stream.audience) {
        stream.audience = present;
        if (observer_ != nullptr) {
            observer_->on_audience(*stream.name, present, stream.audience_param);
        }
    }
}

void StreamRegistry::stop_play(const std::string& name, media::FrameSink& player) {
    LocalStream* stream = find_local(name);
    if (stream == nullptr) {
        return;
    }
    stream->stream.detach(player);
    if (stream->local_players > 0) {
        --stream->local_players;
    }
    if (!stream->owner && stream->local_players == 0) {
        send(owner_of(name), Subscribe{stream->name, false, {}});
    }
    update_audience(*stream);
    maybe_forget(name);
}

void StreamRegistry::on_subscribe(std::size_t from, const Subscribe& message) {
    if (!message.subscribe) {
        LocalStream* stream = find_local(*message.name);
        if (stream == nullptr) {
            return;
        }
        auto relay = stream->relays.find(from);
        if (relay != stream->relays.end()) {
            stream->stream.detach(*relay->second);
            stream->relays.erase(relay);
        }
        update_audience(*stream);
        maybe_forget(*message.name);
        return;
    }
    LocalStream& stream = stream_for(*message.name);
    if (stream.local_players == 0 && stream.relays.empty()) {
        stream.audience_param = message.param;
    }
    auto& relay = stream.relays[from];
    if (relay) {
        return;
    }
    relay = std::make_unique<RemoteRelay>(*this, from, stream.name);
    relay->on_publishing(stream.stream.publishing());
    stream.stream.attach(*relay);
    update_audience(stream);
}

void StreamRegistry::on_message(std::size_t from, ShardMsg&& message) {
    std::visit(
        [&](auto&& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, PublishRequest>) {
                LocalStream& stream = stream_for(*m.name);
                bool held = false;
                bool accepted = grant(stream, from, m.request_id, true, held);
                if (!held) {
                    send(from, PublishReply{stream.name, m.request_id, accepted});
                }
                if (!accepted) {
                    maybe_forget(*m.name);
                }
            } else if constexpr (std::is_same_v<T, PublishReply>) {
                on_publish_reply(m);
            } else if constexpr (std::is_same_v<T, PublishRevoked>) {
                on_publish_revoked(*m.name);
            } else if constexpr (std::is_same_v<T, PublishFrame>) {
                LocalStream* stream = find_local(*m.name);
                if (stream != nullptr && stream->publisher_shard == from) {
                    owner_deliver(*stream, std::move(m.frame));
                }
            } else if constexpr (std::is_same_v<T, Unpublish>) {
                LocalStream* stream = find_local(*m.name);
                if (stream != nullptr && stream->publisher_shard == from) {
                    owner_unpublish(*stream);
                }
            } else if constexpr (std::is_same_v<T, Subscribe>) {
                on_subscribe(from, m);
            } else if constexpr (std::is_same_v<T, MirrorFrame>) {
                LocalStream* stream = find_local(*m.name);
                if (stream != nullptr && !stream->owner) {
                    // This shard's own copy: every player here then counts references on a
                    // buffer no other core touches.
                    media::MediaFrame local = std::move(m.frame);
                    local.payload = core::Buffer::copy_of(local.payload.span());
                    encode_for_players(*stream, local);
                    deliver_local(*stream, local);
                }
            } else if constexpr (std::is_same_v<T, MirrorPublishing>) {
                LocalStream* stream = find_local(*m.name);
                if (stream != nullptr && !stream->owner) {
                    if (m.publishing) {
                        stream->stream.set_publishing(true);
                    } else {
                        set_publishing_off(*stream);
                    }
                }
            }
        },
        std::move(message));
}

namespace {

api::VideoCodec api_video_codec(media::Codec codec) {
    switch (codec) {
    case media::Codec::h264: return api::VideoCodec::h264;
    case media::Codec::h265: return api::VideoCodec::hevc;
    case media::Codec::av1: return api::VideoCodec::av1;
    case media::Codec::vp9: return api::VideoCodec::vp9;
    default: return api::VideoCodec::other;
    }
}

api::AudioCodec api_audio_codec(media::Codec codec) {
    switch (codec) {
    case media::Codec::aac: return api::AudioCodec::aac;
    case media::Codec::mp3: return api::AudioCodec::mp3;
    case media::Codec::opus: return api::AudioCodec::opus;
    default: return api::AudioCodec::other;
    }
}

/// What SRS's /api/v1/streams says of a stream's media, from its startup cache: codecs,
/// profile and level from the sequence headers, the size from the H.264 SPS as SRS reads it
/// (else from onMetaData).
void describe_media(const media::StartupCache& cache, StreamPart& out) {
    if (const auto& header = cache.video_sequence_header()) {
        api::VideoInfo video;
        video.codec = api_video_codec(header->codec);
        if (auto config = media::parse_video_sequence_header(header->payload.span())) {
            video.profile = config->profile_idc;
            video.level = config->level_idc;
            if (config->codec == media::Codec::h264 && !config->sps.empty()) {
                if (auto size = media::h264_sps_size(config->sps.front())) {
                    video.width = size->width;
                    video.height = size->height;
                }
            }
        }
        // Other codecs (and an unreadable SPS): the size the encoder declared in onMetaData.
        if (const auto& metadata = cache.metadata(); metadata && video.width == 0) {
            video.width = static_cast<int>(media::metadata_number_property(metadata->payload.span(), "width").value_or(0));
            video.height = static_cast<int>(media::metadata_number_property(metadata->payload.span(), "height").value_or(0));
        }
        out.video = video;
    }
    if (const auto& header = cache.audio_sequence_header()) {
        api::AudioInfo audio;
        audio.codec = api_audio_codec(header->codec);
        if (auto config = media::parse_aac_sequence_header(header->payload.span())) {
            audio.sample_rate_hz = static_cast<int>(config->sampling_frequency_hz);
            audio.channels = config->channel_configuration;
            audio.aac_object_type = config->object_type;
        }
        out.audio = audio;
    }
}

}  // namespace

void StreamRegistry::describe_streams(std::vector<StreamPart>& out) const {
    for (const auto& [key, local] : streams_) {
        StreamPart part;
        part.key = key;
        part.owner = local->owner;
        part.publishing = local->stream.publishing();
        if (local->owner) {
            part.video_frames = local->stream.video_frames_delivered;
            part.audio_frames = local->stream.audio_frames_delivered;
            describe_media(local->stream.cache(), part);
        }
        out.push_back(std::move(part));
    }
}

// ---- HLS ----

void StreamRegistry::enable_hls(uring::Reactor& reactor) {
    hls_reactor_ = &reactor;
    // hls_ts_file's date variables use localtime_r, which reads the zone file on first use:
    // read it now, at startup, not on the first segment of a stream.
    ::tzset();
}

void StreamRegistry::hls_publish(LocalStream& stream) {
    if (!stream.settings.hls.enabled || hls_stopped_) {
        return;
    }
    if (hls_reactor_ == nullptr || !hls_reactor_->ring().features().file_ops) {
        RC_WARN("hls {}: not written: {}", *stream.name,
                hls_reactor_ == nullptr ? "no file I/O on this shard" : "this kernel's io_uring has no file operations");
        return;
    }
    auto it = hls_streams_.find(*stream.name);
    if (it == hls_streams_.end()) {
        if (hls_streams_.size() >= kHlsStreamsMax) {
            // Free the idle output unused for longest (its sequence restarts if that stream
            // comes back); O(n), only at the bound.
            auto oldest = hls_streams_.end();
            for (auto candidate = hls_streams_.begin(); candidate != hls_streams_.end(); ++candidate) {
                const HlsStream& hls = *candidate->second;
                if (!hls.publishing() && hls.idle() &&
                    (oldest == hls_streams_.end() || hls.last_active_ms() < oldest->second->last_active_ms())) {
                    oldest = candidate;
                }
            }
            if (oldest == hls_streams_.end()) {
                RC_WARN("hls {}: not written: {} HLS outputs busy on this shard", *stream.name, hls_streams_.size());
                return;
            }
            hls_streams_.erase(oldest);
        }
        it = hls_streams_.emplace(*stream.name, std::make_unique<HlsStream>(*hls_reactor_, *stream.name)).first;
    }
    stream.hls = it->second.get();
    stream.hls->on_publish(stream.settings.hls);
}

void StreamRegistry::stop_hls() {
    hls_stopped_ = true;
    for (auto& [name, hls] : hls_streams_) {
        hls->stop();
    }
    for (auto& [name, stream] : streams_) {
        stream->hls = nullptr;
    }
}

bool StreamRegistry::hls_idle() const {
    return std::all_of(hls_streams_.begin(), hls_streams_.end(), [](const auto& entry) { return entry.second->idle(); });
}

}  // namespace ringcast::app
