#pragma once
// ffprobe as a player at the far end of a relay: which codecs it finds at an RTMP URL, for the
// cluster tests (edge, forward, interop with nginx-rtmp).

#include <chrono>
#include <map>
#include <string>

namespace ringcast::test {

/// What ffprobe found at a URL: codec_type -> codec_name, plus its output for failure messages.
struct Probe {
    std::map<std::string, std::string> codecs;
    std::string output;  // the command, how it ended, its stdout and stderr
    std::chrono::milliseconds took{0};

    /// What the cluster tests expect at the far end: an H.264 track and an AAC track.
    [[nodiscard]] bool h264_and_aac() const {
        const auto video = codecs.find("video");
        const auto audio = codecs.find("audio");
        return video != codecs.end() && video->second == "h264" && audio != codecs.end() && audio->second == "aac";
    }
};

/// One ffprobe of `url`, bounded by `timeout` (its own -rw_timeout is 3 s shorter, so that a
/// stalled stream ends in ffprobe's error rather than our kill).
Probe probe(const std::string& url, std::chrono::seconds timeout = std::chrono::seconds(15));

/// Probes until both tracks show or the deadline passes: the far end of a relay may not have the
/// stream yet when the first ffprobe asks (a server may answer "not found" instead of waiting).
/// `took` is the time of all attempts.
Probe probe_until_av(const std::string& url, std::chrono::seconds within);

}  // namespace ringcast::test
