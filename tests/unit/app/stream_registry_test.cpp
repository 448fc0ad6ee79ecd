// Two shards' registries on one thread (each with its own ring and reactor), so the owner /
// mirror / publisher-shard paths run through the real mesh deterministically.

#include "app/stream_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "proto/rtmp/server_session.h"
#include "uring/reactor.h"
#include "uring/ring.h"

namespace ringcast::app {
namespace {

core::Buffer bytes(std::initializer_list<std::uint8_t> list) {
    std::vector<std::uint8_t> v(list);
    return core::Buffer::copy_of(std::span<const std::uint8_t>(v));
}
media::MediaFrame key(std::uint32_t ts) { return media::classify(media::FrameKind::video, ts, bytes({0x17, 1, 0, 0, 0})); }
media::MediaFrame inter(std::uint32_t ts) { return media::classify(media::FrameKind::video, ts, bytes({0x27, 1, 0, 0, 0})); }
media::MediaFrame header(std::uint32_t ts = 0) {
    return media::classify(media::FrameKind::video, ts, bytes({0x17, 0, 0, 0, 0}));
}

media::MediaFrame audio(std::uint32_t ts) { return media::classify(media::FrameKind::audio, ts, bytes({0xaf, 1, 0x21})); }

/// onMetaData with bravo_atc (AMF0: "onMetaData", then an ECMA array of one string property).
media::MediaFrame atc_metadata(const std::string& bravo_atc) {
    std::vector<std::uint8_t> v = {0x02, 0, 10};
    for (char c : std::string("onMetaData")) v.push_back(static_cast<std::uint8_t>(c));
    v.insert(v.end(), {0x08, 0, 0, 0, 1, 0, 9});
    for (char c : std::string("bravo_atc")) v.push_back(static_cast<std::uint8_t>(c));
    v.insert(v.end(), {0x02, 0, static_cast<std::uint8_t>(bravo_atc.size())});
    for (char c : bravo_atc) v.push_back(static_cast<std::uint8_t>(c));
    v.insert(v.end(), {0, 0, 9});
    media::MediaFrame frame = media::classify(media::FrameKind::data, 0, core::Buffer::copy_of(std::span<const std::uint8_t>(v)));
    frame.flags.metadata = true;
    return frame;
}

struct Player final : media::FrameSink {
    std::vector<std::uint32_t> timestamps;
    std::vector<media::MediaFrame> frames;
    std::vector<bool> publishing;
    void on_frame(const media::MediaFrame& frame) override {
        timestamps.push_back(frame.timestamp_ms);
        frames.push_back(frame);
    }
    void on_publishing(bool on) override { publishing.push_back(on); }
};

struct Publisher final : PublishHandle {
    std::optional<bool> result;
    bool revoked = false;
    void on_publish_result(bool accepted) override { result = accepted; }
    void on_publish_revoked() override { revoked = true; }
};

/// What the cluster logic hears from the owner; holds publishes when asked to (an edge).
struct Observer final : StreamObserver {
    std::vector<std::string> events;
    bool hold = false;
    void on_audience(const std::string& name, bool present, const std::string& param) override {
        events.push_back(present ? "audience+ " + name + param : "audience- " + name);
    }
    void on_publishing(const std::string& name, bool publishing) override {
        events.push_back((publishing ? "publishing+ " : "publishing- ") + name);
    }
    bool hold_publish(const std::string& name) override {
        events.push_back("hold? " + name);
        return hold;
    }
};

class TestShard final : public MeshEndpoint::Receiver {
public:
    TestShard(Mesh& mesh, std::size_t id, StreamRegistry::SettingsLookup settings = nullptr) {
        ring = std::move(*uring::Ring::create());
        reactor = std::make_unique<uring::Reactor>(*ring);
        endpoint = std::make_unique<MeshEndpoint>(mesh, id, *reactor, *this);
        mesh.register_target(id, reactor->wake_target());
        registry = std::make_unique<StreamRegistry>(id, mesh.shard_count(), *endpoint, std::move(settings));
    }
    ~TestShard() override {
        registry.reset();
        endpoint.reset();
    }
    void on_message(std::size_t from, ShardMsg&& message) override { registry->on_message(from, std::move(message)); }

    std::unique_ptr<uring::Ring> ring;
    std::unique_ptr<uring::Reactor> reactor;
    std::unique_ptr<MeshEndpoint> endpoint;
    std::unique_ptr<StreamRegistry> registry;
};

class StreamRegistryTest : public ::testing::Test {
protected:
    StreamRegistryTest() : mesh(2), s0(mesh, 0, lookup()), s1(mesh, 1, lookup()) {}

    /// Every stream gets `settings`, read when the stream is created.
    StreamRegistry::SettingsLookup lookup() {
        return [this](std::string_view) { return settings; };
    }

    void settle() {
        for (int i = 0; i < 6; ++i) {
            s0.reactor->turn(s0.reactor->now_ns());
            s1.reactor->turn(s1.reactor->now_ns());
        }
    }
    /// A stream name whose owner is `owner`.
    std::string name_owned_by(std::size_t owner) {
        for (int i = 0;; ++i) {
            std::string name = "__defaultVhost__/live/s" + std::to_string(i);
            if (s0.registry->owner_of(name) == owner) {
                return name;
            }
        }
    }

    StreamSettings settings;
    Mesh mesh;
    TestShard s0;
    TestShard s1;
};

TEST_F(StreamRegistryTest, PublisherOnOneShardPlayersOnBoth) {
    const std::string name = name_owned_by(1);  // publisher on shard 0: frames cross to the owner
    Publisher publisher;
    s0.registry->request_publish(name, publisher);
    settle();
    ASSERT_EQ(publisher.result, std::optional<bool>(true));
    Player local, remote;
    s0.registry->play(name, local);   // shard 0 is a mirror for this stream
    s1.registry->play(name, remote);  // shard 1 owns it
    settle();
    s0.registry->publish_frame(publisher, header(1000));
    s0.registry->publish_frame(publisher, key(1000));
    s0.registry->publish_frame(publisher, inter(1040));
    settle();
    // Jitter correction at the owner: the stream starts at 0.
    EXPECT_EQ(remote.timestamps, (std::vector<std::uint32_t>{0, 0, 40}));
    EXPECT_EQ(local.timestamps, (std::vector<std::uint32_t>{0, 0, 40}));
    EXPECT_EQ(s1.registry->stats().frames_relayed, 3u) << "one relay per frame to the one mirror shard";

    // A late player on the mirror shard gets the startup cache from the mirror.
    Player late;
    s0.registry->play(name, late);
    EXPECT_EQ(late.timestamps.size(), 3u);
    s0.registry->stop_play(name, late);
    s0.registry->stop_play(name, local);
    s1.registry->stop_play(name, remote);
    s0.registry->unpublish(publisher);
    settle();
    EXPECT_EQ(s0.registry->stream_count(), 0u);
    EXPECT_EQ(s1.registry->stream_count(), 0u);
}

TEST_F(StreamRegistryTest, SecondPublisherIsRefusedAndTheFirstKeepsTheStream) {
    const std::string name = name_owned_by(0);
    Publisher first, second;
    s1.registry->request_publish(name, first);
    settle();
    ASSERT_EQ(first.result, std::optional<bool>(true));
    s0.registry->request_publish(name, second);  // on the owner shard itself
    EXPECT_EQ(second.result, std::optional<bool>(false));
    Player player;
    s0.registry->play(name, player);
    s1.registry->publish_frame(first, key(0));
    settle();
    EXPECT_EQ(player.timestamps.size(), 1u);
    // After the first leaves, a new publisher takes over and the attached player keeps playing.
    s1.registry->unpublish(first);
    settle();
    Publisher third;
    s0.registry->request_publish(name, third);
    EXPECT_EQ(third.result, std::optional<bool>(true));
    s0.registry->publish_frame(third, key(5000));
    EXPECT_EQ(player.timestamps.size(), 2u);
    EXPECT_EQ(player.publishing, (std::vector<bool>{false, true}));
    s0.registry->stop_play(name, player);
    s0.registry->unpublish(third);
}

TEST_F(StreamRegistryTest, PlayerBeforePublisherGetsTheStreamWhenItStarts) {
    const std::string name = name_owned_by(1);
    Player early;
    s0.registry->play(name, early);
    settle();
    Publisher publisher;
    s1.registry->request_publish(name, publisher);
    s1.registry->publish_frame(publisher, header());
    s1.registry->publish_frame(publisher, key(0));
    settle();
    EXPECT_EQ(early.timestamps.size(), 2u);
    EXPECT_EQ(early.publishing, (std::vector<bool>{true}));
    s0.registry->stop_play(name, early);
    s1.registry->unpublish(publisher);
    settle();
}

TEST_F(StreamRegistryTest, PublisherThatLeavesBeforeTheAnswerReleasesTheStream) {
    const std::string name = name_owned_by(1);
    Publisher impatient;
    s0.registry->request_publish(name, impatient);
    s0.registry->unpublish(impatient);  // gone before the owner answered
    settle();
    Publisher next;
    s0.registry->request_publish(name, next);
    settle();
    EXPECT_EQ(next.result, std::optional<bool>(true)) << "the stream stayed locked by a publisher that left";
    s0.registry->unpublish(next);
    settle();
}

TEST_F(StreamRegistryTest, EveryShardWithPlayersEncodesItsOwnSharedChunks) {
    settings.rtmp_chunk_size = 4096;
    const std::string name = name_owned_by(1);
    Publisher publisher;
    s0.registry->request_publish(name, publisher);
    settle();
    Player mirror_player, owner_player;
    s0.registry->play(name, mirror_player);
    s1.registry->play(name, owner_player);
    settle();
    s0.registry->publish_frame(publisher, key(0));
    settle();
    ASSERT_EQ(mirror_player.frames.size(), 1u);
    ASSERT_EQ(owner_player.frames.size(), 1u);
    const media::MediaFrame& on_mirror = mirror_player.frames[0];
    const media::MediaFrame& on_owner = owner_player.frames[0];
    auto expected = proto::rtmp::encode_shared_media(proto::rtmp::MediaKind::video, 0, on_owner.payload, 4096);
    ASSERT_TRUE(expected);
    for (const media::MediaFrame* frame : {&on_mirror, &on_owner}) {
        EXPECT_EQ(frame->rtmp_chunk_size, 4096u);
        ASSERT_EQ(frame->rtmp_chunks.size(), expected->size());
        EXPECT_TRUE(std::equal(frame->rtmp_chunks.data(), frame->rtmp_chunks.data() + frame->rtmp_chunks.size(),
                               expected->data()));
    }
    // The mirror's players count references on the mirror's own copies, not the owner's.
    EXPECT_NE(on_mirror.payload.data(), on_owner.payload.data());
    EXPECT_NE(on_mirror.rtmp_chunks.data(), on_owner.rtmp_chunks.data());
    s0.registry->stop_play(name, mirror_player);
    s1.registry->stop_play(name, owner_player);
    s0.registry->unpublish(publisher);
    settle();
}

TEST_F(StreamRegistryTest, MixCorrectHandsFramesOnInTimestampOrder) {
    settings.mix_correct = true;
    settings.jitter = media::JitterMode::off;  // SRS: mix_correct wants atc or time_jitter off
    const std::string name = name_owned_by(0);
    Publisher publisher;
    s0.registry->request_publish(name, publisher);
    Player player;
    s0.registry->play(name, player);
    // Video runs ahead of audio by three frames, as some encoders send it.
    for (std::uint32_t ts : {0u, 40u, 80u, 120u}) {
        s0.registry->publish_frame(publisher, ts == 0 ? key(ts) : inter(ts));
    }
    for (std::uint32_t ts : {20u, 60u, 100u, 140u}) {
        s0.registry->publish_frame(publisher, audio(ts));
    }
    // Nothing leaves until both kinds are queued; then each frame in lets the earliest out, so
    // the four frames the video ran ahead stay queued, and what comes out is in order.
    EXPECT_EQ(player.timestamps, (std::vector<std::uint32_t>{0, 20, 40, 60}));
    s0.registry->stop_play(name, player);
    s0.registry->unpublish(publisher);
}

TEST_F(StreamRegistryTest, AtcAutoPassesTimestampsThroughWhileTheMetadataAsks) {
    settings.atc_auto = true;
    const std::string name = name_owned_by(0);
    Publisher publisher;
    s0.registry->request_publish(name, publisher);
    Player player;
    s0.registry->play(name, player);
    s0.registry->publish_frame(publisher, atc_metadata("true"));
    s0.registry->publish_frame(publisher, key(90000));
    s0.registry->publish_frame(publisher, inter(90040));
    s0.registry->publish_frame(publisher, atc_metadata("false"));
    s0.registry->publish_frame(publisher, inter(90080));
    // Absolute time while bravo_atc is "true"; then time_jitter full again, which moves on by
    // its default step from where it stood (it saw nothing while atc was on).
    ASSERT_EQ(player.timestamps.size(), 5u);
    EXPECT_EQ(player.timestamps[1], 90000u);
    EXPECT_EQ(player.timestamps[2], 90040u);
    EXPECT_LT(player.timestamps[4], 90000u);
    s0.registry->stop_play(name, player);
    s0.registry->unpublish(publisher);
}

}  // namespace
}  // namespace ringcast::app

namespace ringcast::app {
namespace {

TEST_F(StreamRegistryTest, OwnerTellsTheObserverWhenTheAudienceComesAndGoes) {
    const std::string name = name_owned_by(1);
    Observer observer;
    s1.registry->set_observer(&observer);
    Player remote1, remote2, local;
    // A mirror shard subscribes: the owner's audience, with its first player's query.
    s0.registry->play(name, remote1, media::HttpRemuxFormat::flv, "?token=1");
    s0.registry->play(name, remote2, media::HttpRemuxFormat::flv, "?token=2");
    settle();
    s1.registry->play(name, local);
    EXPECT_EQ(observer.events, (std::vector<std::string>{"audience+ " + name + "?token=1"}));
    s1.registry->stop_play(name, local);
    s0.registry->stop_play(name, remote1);
    settle();
    EXPECT_EQ(observer.events.size(), 1u) << "players remain on the mirror";
    s0.registry->stop_play(name, remote2);
    settle();
    EXPECT_EQ(observer.events, (std::vector<std::string>{"audience+ " + name + "?token=1", "audience- " + name}));
    // A forwarder's sink is not audience.
    Player forwarder;
    s1.registry->attach_sink(name, forwarder);
    EXPECT_EQ(observer.events.size(), 2u);
    s1.registry->detach_sink(name, forwarder);
    EXPECT_EQ(s1.registry->stream_count(), 0u);
    s1.registry->set_observer(nullptr);
}

TEST_F(StreamRegistryTest, HeldPublishIsAnsweredByReleaseAndCanBeRevoked) {
    const std::string name = name_owned_by(1);
    Observer observer;
    observer.hold = true;
    s1.registry->set_observer(&observer);
    Publisher publisher;  // on the other shard: the answer travels back over the mesh
    s0.registry->request_publish(name, publisher);
    settle();
    EXPECT_FALSE(publisher.result.has_value()) << "held until the origin took the stream";
    Publisher second;
    s1.registry->request_publish(name, second);
    EXPECT_EQ(second.result, std::optional<bool>(false)) << "the held publisher has the stream";
    s1.registry->release_publish(name, true);
    settle();
    ASSERT_EQ(publisher.result, std::optional<bool>(true));
    EXPECT_EQ(observer.events.back(), "publishing+ " + name);
    Player player;
    s1.registry->play(name, player);
    s0.registry->publish_frame(publisher, key(0));
    settle();
    EXPECT_EQ(player.timestamps.size(), 1u);
    s1.registry->revoke_publish(name);
    settle();
    EXPECT_TRUE(publisher.revoked);
    s0.registry->unpublish(publisher);
    settle();
    EXPECT_EQ(observer.events.back(), "publishing- " + name);
    s1.registry->stop_play(name, player);
    s1.registry->set_observer(nullptr);
}

TEST_F(StreamRegistryTest, RefusedHeldPublishFreesTheStreamForTheNext) {
    const std::string name = name_owned_by(0);
    Observer observer;
    observer.hold = true;
    s0.registry->set_observer(&observer);
    Publisher local;  // on the owner shard: answered directly
    s0.registry->request_publish(name, local);
    EXPECT_FALSE(local.result.has_value());
    s0.registry->release_publish(name, false);
    EXPECT_EQ(local.result, std::optional<bool>(false));
    EXPECT_EQ(s0.registry->stream_count(), 0u);
    observer.hold = false;
    Publisher next;
    s0.registry->request_publish(name, next);
    EXPECT_EQ(next.result, std::optional<bool>(true));
    s0.registry->unpublish(next);
    s0.registry->set_observer(nullptr);
}

struct UpstreamPull final : PublishHandle {
    std::optional<bool> result;
    void on_publish_result(bool accepted) override { result = accepted; }
    [[nodiscard]] bool pulls_from_upstream() const override { return true; }
};

TEST_F(StreamRegistryTest, AnEdgePullIsNeverHeld) {
    const std::string name = name_owned_by(0);
    Observer observer;
    observer.hold = true;
    s0.registry->set_observer(&observer);
    UpstreamPull pull;
    s0.registry->request_publish(name, pull);
    EXPECT_EQ(pull.result, std::optional<bool>(true));
    EXPECT_EQ(observer.events, (std::vector<std::string>{"publishing+ " + name}));
    s0.registry->unpublish(pull);
    s0.registry->set_observer(nullptr);
}

}  // namespace
}  // namespace ringcast::app
