#include "load/http_flv_player.h"

#include <string>

namespace ringcast::load {

HttpFlvPlayer::HttpFlvPlayer(PlayerContext& context, std::uint32_t index)
    : Player(context, index), url_(*context.http_url), tcp_(context.reactor, context.buffers, *this) {}

void HttpFlvPlayer::connect() { tcp_.start(context_.address, false); }

const char* HttpFlvPlayer::setup_step() const {
    return !tcp_.open() ? "the TCP connect" : "the response head";
}

void HttpFlvPlayer::on_connected() {
    // What a player like ffplay sends, minus its Range/Icy headers.
    const std::string request = "GET " + url_.target + " HTTP/1.1\r\nHost: " + url_.host_header +
                                "\r\nUser-Agent: ringcast-load\r\nAccept: */*\r\n\r\n";
    tcp_.send(core::Buffer::copy_of(std::span<const std::uint8_t>(
                                        reinterpret_cast<const std::uint8_t*>(request.data()), request.size()))
                  .slice());
}

void HttpFlvPlayer::on_data(std::span<const std::uint8_t> bytes) {
    record_bytes(bytes.size());
    if (done()) {
        return;  // closing: the rest is moot
    }
    if (auto fed = response_.feed(bytes, *this); !fed) {
        fail(std::string(fed.error().describe()));
    }
}

void HttpFlvPlayer::on_closed(core::Error reason) {
    if (done()) {
        return;
    }
    // The server ended a live stream: always a failure; say where the response stopped.
    if (reason.code == core::Errc::closed && response_.head_done()) {
        auto finished = response_.finish();
        fail(finished ? "the server closed the stream (" + std::to_string(response_.body_bytes()) + " body bytes)"
                      : std::string(finished.error().describe()));
        return;
    }
    closed_by_peer(reason);
}

core::Status HttpFlvPlayer::on_head(const proto::http::ParsedResponseHead& head) {
    if (head.status != 200) {
        fail("HTTP status " + std::to_string(head.status));
        return core::fail(core::Errc::protocol, "http response: status not 200");  // stops the feed
    }
    // A 200 is the server's NetStream.Play.Start.
    mark_playing();
    return {};
}

core::Status HttpFlvPlayer::on_body(std::span<const std::uint8_t> bytes) {
    if (done()) {
        return {};
    }
    return flv_.feed(bytes, [this](const media::FlvTagView& tag) {
        switch (tag.kind) {
        case media::FrameKind::video: record_video(tag.timestamp_ms, tag.payload); break;
        case media::FrameKind::audio: record_audio(tag.timestamp_ms); break;
        case media::FrameKind::data: break;
        }
    });
}

}  // namespace ringcast::load
