#pragma once
// StreamRegistry: one per shard; where publishers and players meet streams (DESIGN.md
// section 3). The stream "vhost/app/stream" is owned by shard hash(name) % shards. The owner
// holds the publisher, the jitter correction and the startup cache, and relays every frame once
// to each shard that has players (its mirror); players attach to the Stream on their own shard
// (the owner's, or the mirror). A publisher on another shard sends its frames to the owner.

#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/api_stats.h"
#include "app/config.h"
#include "app/shard_msg.h"
#include "media/jitter.h"
#include "media/stream.h"

namespace ringcast::uring {
class Reactor;
}

namespace ringcast::app {

class HlsStream;

/// A stream's key "vhost/app/stream" and its parts.
struct StreamKey {
    std::string name;  // the whole key
    std::string vhost;
    std::string app;
    std::string stream;
};
/// The app may have several levels ("live/sub"); the stream is the last one. A key without two
/// slashes is all vhost.
StreamKey split_stream_key(const std::string& key);

/// How a stream behaves; from the vhost's config.
struct StreamSettings {
    media::JitterMode jitter = media::JitterMode::full;  // time_jitter, when not atc
    bool atc = false;       // absolute time: timestamps pass through
    bool atc_auto = false;  // atc while the metadata says bravo_atc "true"
    bool mix_correct = false;
    bool gop_cache = true;
    std::size_t gop_cache_max_frames = 2500;
    std::uint32_t rtmp_chunk_size = 60000;  // what the vhost's players use (chunk_size)
    HlsConfig hls;                          // the vhost's hls block (HLS output when enabled)
};

/// The side of a publishing connection the registry talks back to. Lives on the publisher's
/// shard; must call StreamRegistry::unpublish (or cancel) before it dies.
class PublishHandle {
public:
    virtual ~PublishHandle() = default;
    /// The owner's answer to request_publish().
    virtual void on_publish_result(bool accepted) = 0;
    /// The owner took an accepted publish back (an edge lost its origin): close the publisher.
    virtual void on_publish_revoked() {}
    /// An edge's pull from its origin: never held for an edge push.
    [[nodiscard]] virtual bool pulls_from_upstream() const { return false; }
};

/// What the owner of a stream tells the shard's cluster logic (edge pull, forward): calls come
/// from inside registry calls, so an observer may call back into the registry only for other
/// purposes than freeing the stream it is told about.
class StreamObserver {
public:
    virtual ~StreamObserver() = default;
    /// The stream got its first player or mirror shard (true), or lost its last (false).
    /// `param` is the "?..." its first player asked with (an edge pulls with it, as SRS does).
    virtual void on_audience(const std::string& name, bool present, const std::string& param) = 0;
    /// A publisher was granted the stream (true), or left (false).
    virtual void on_publishing(const std::string& name, bool publishing) = 0;
    /// A publisher asks for the stream: true holds the answer until release_publish() (an edge
    /// first makes sure its origin takes the stream). If the publisher leaves meanwhile, an
    /// acceptance is followed by the usual unpublish.
    virtual bool hold_publish(const std::string& name) {
        (void)name;
        return false;
    }
};

struct RegistryStats {
    std::uint64_t frames_relayed = 0;       // owner -> mirror shard messages
    std::uint64_t frames_forwarded = 0;     // publisher shard -> owner messages
    std::uint64_t frames_dropped_full = 0;  // dropped because a mesh outbox was full
};

/// Shard-local. Owned by the Shard; the MeshEndpoint outlives it.
class StreamRegistry {
public:
    /// Settings of the streams of a vhost.
    using SettingsLookup = std::function<StreamSettings(std::string_view vhost)>;

    StreamRegistry(std::size_t shard_id, std::size_t shard_count, MeshEndpoint& mesh, SettingsLookup settings);
    ~StreamRegistry();
    StreamRegistry(const StreamRegistry&) = delete;
    StreamRegistry& operator=(const StreamRegistry&) = delete;

    [[nodiscard]] std::size_t owner_of(const std::string& name) const;

    // Publisher side, on the publisher's shard.
    void request_publish(const std::string& name, PublishHandle& publisher);
    /// A frame of an accepted publisher (timestamps as received; the owner corrects them).
    void publish_frame(PublishHandle& publisher, media::MediaFrame frame);
    /// The publisher leaves (or gives up waiting for the answer).
    void unpublish(PublishHandle& publisher);

    // Player side, on the player's shard. The sink gets the startup cache, then live frames.
    /// `format` other than flv (an HTTP-TS, .aac or .mp3 player) makes this shard encode the
    /// stream's frames in that format from now on (MediaFrame::http_remux_chunk), for as long
    /// as the stream lives here; the startup cache's frames, received before, are encoded then
    /// and found through fill_primed_http_remux.
    /// `param` is the player's "?..." query, kept for an edge's pull when it is the first.
    void play(const std::string& name, media::FrameSink& player,
              media::HttpRemuxFormat format = media::HttpRemuxFormat::flv, std::string_view param = {});
    /// For a frame of the startup cache that arrived before the stream's http_remux encoder
    /// existed on this shard: sets its http_remux_* fields from what the encoder made of it
    /// when it started. False when there is none (the frame adds no bytes, or is unknown).
    bool fill_primed_http_remux(const std::string& name, media::MediaFrame& frame) const;
    /// While the publisher-left notice is delivered (FrameSink::on_publishing(false)): the
    /// audio the stream's TS muxer still held, as a data frame carrying only an
    /// http_remux_chunk, for HTTP-TS players to queue last; nullptr at any other time.
    [[nodiscard]] const media::MediaFrame* http_remux_tail(const std::string& name) const;
    void stop_play(const std::string& name, media::FrameSink& player);
    /// On the owner shard: answers a publish that StreamObserver::hold_publish held.
    void release_publish(const std::string& name, bool accepted);
    /// On the owner shard: closes the stream's accepted publisher, wherever it is.
    void revoke_publish(const std::string& name);
    /// On the owner shard: a sink that is not a player (a forwarder) gets the stream like one,
    /// without counting as its audience.
    void attach_sink(const std::string& name, media::FrameSink& sink);
    void detach_sink(const std::string& name, media::FrameSink& sink);
    /// Set once, on the shard thread; the observer outlives the registry's streams.
    void set_observer(StreamObserver* observer) { observer_ = observer; }

    void on_message(std::size_t from, ShardMsg&& message);

    [[nodiscard]] const RegistryStats& stats() const { return stats_; }
    [[nodiscard]] std::size_t stream_count() const { return streams_.size(); }
    /// This shard's part of every stream it knows, for the HTTP API (api_stats.h).
    void describe_streams(std::vector<StreamPart>& out) const;
    /// The local Stream (owner or mirror) of a name, or nullptr.
    [[nodiscard]] const media::Stream* find(const std::string& name) const;

    // HLS (hls_stream.h), run by the owner of each stream whose vhost enables it.
    /// HLS files go through this reactor's ring; until this is called (unit tests) HLS is off.
    /// On the shard thread, before serving; the reactor outlives the registry.
    void enable_hls(uring::Reactor& reactor);
    /// Server stop: every HLS output closes its segment and writes its playlist now (and
    /// removes its files with hls_dispose, as SRS does at stop). Frames after it are ignored.
    void stop_hls();
    /// No HLS file operation is queued or in flight: the shard may free the registry.
    [[nodiscard]] bool hls_idle() const;

private:
    class RemoteRelay;
    struct LocalStream;
    struct PendingPublish;

    LocalStream& stream_for(const std::string& name);
    LocalStream* find_local(const std::string& name);
    void maybe_forget(const std::string& name);
    /// Reserves the stream for a publisher; false when it has one. `held` says the observer
    /// holds the answer (then activate_publish comes with release_publish).
    bool grant(LocalStream& stream, std::size_t from_shard, std::uint64_t request_id, bool may_hold, bool& held);
    void activate_publish(LocalStream& stream);
    void on_publish_reply(const PublishReply& reply);
    void on_publish_revoked(const std::string& name);
    void owner_deliver(LocalStream& stream, media::MediaFrame frame);
    /// Encodes a frame's RTMP chunks once for this shard's players, and its FLV tag or (when
    /// the stream has HTTP-TS, .aac or .mp3 players here) its http_remux chunk.
    void encode_for_players(LocalStream& stream, media::MediaFrame& frame);
    /// Delivers an encoded frame to the local Stream, then forgets primed http_remux chunks
    /// that the startup cache can no longer replay.
    void deliver_local(LocalStream& stream, const media::MediaFrame& frame);
    /// A player of `format` plays here: starts the stream's encoder, primed with the cache.
    void enable_http_remux(LocalStream& stream, media::HttpRemuxFormat format);
    /// The publisher left: the stream's players get the TS muxer's held audio, then the news.
    void set_publishing_off(LocalStream& stream);
    void owner_unpublish(LocalStream& stream);
    void on_subscribe(std::size_t from, const Subscribe& message);
    /// On the owner: tells the observer when the stream's audience appears or goes.
    void update_audience(LocalStream& stream);
    bool send(std::size_t to, ShardMsg&& message);
    /// The owner granted a publish: start the stream's HLS output if its vhost has one.
    void hls_publish(LocalStream& stream);

    std::size_t shard_id_;
    std::size_t shard_count_;
    MeshEndpoint& mesh_;
    SettingsLookup settings_;
    StreamObserver* observer_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<LocalStream>> streams_;
    std::unordered_map<PublishHandle*, std::unique_ptr<PendingPublish>> publishers_;
    std::uint64_t next_request_id_ = 1;
    RegistryStats stats_;
    // HLS outputs by stream key, kept across publishes so a republish continues the sequence
    // (SRS keeps SrsHls with the source). At most kHlsStreamsMax per shard: past it the idle
    // output unused for longest is freed. Declared last: freed first, before the streams that
    // point at them.
    static constexpr std::size_t kHlsStreamsMax = 4096;
    uring::Reactor* hls_reactor_ = nullptr;
    bool hls_stopped_ = false;  // stop_hls(): no new HLS output while the shard drains
    std::unordered_map<std::string, std::unique_ptr<HlsStream>> hls_streams_;
};

}  // namespace ringcast::app
