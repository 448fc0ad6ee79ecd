#include "load/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace ringcast::load {
namespace {

bool parse_number(std::string_view name, const char* text, double min, double max, double& out, std::string& error) {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !std::isfinite(value) || value < min || value > max) {
        error = std::string(name) + ": '" + text + "' is not a number in [" + std::to_string(min) + ", " +
                std::to_string(max) + "]";
        return false;
    }
    out = value;
    return true;
}

}  // namespace

const char* usage() {
    return "usage: ringcast-load [--publish URL --flv FILE] [--play URL --players N] [--ramp N_PER_SECOND]\n"
           "                     [--duration SECONDS] [--json PATH] [--warmup SECONDS] [--lag-ms MS]\n"
           "                     [--allow-remote]\n"
           "\n"
           "  --publish URL      publish FILE to URL in real time, looping forever (rtmp://HOST[:PORT]/APP/STREAM)\n"
           "  --flv FILE         the FLV file to publish\n"
           "  --play URL         play URL with --players N connections (default 1): RTMP players for\n"
           "                     rtmp://HOST[:PORT]/APP/STREAM, HTTP-FLV players for http://HOST[:PORT]/PATH\n"
           "                     (e.g. http://127.0.0.1:8080/live/stream.flv), HLS players when that\n"
           "                     path ends in .m3u8 (http://127.0.0.1:8080/live/stream.m3u8)\n"
           "  --ramp N           players connected per second (default 500)\n"
           "  --duration S       run S seconds after the last player connected (default 30)\n"
           "  --warmup S         leave the first S of those seconds out of latency and mbps (default 5)\n"
"  --lag-ms MS        count a player as lagging once its latency went over MS (default 500)\n"
           "  --json PATH        write the final JSON there (default: stdout)\n"
           "  --allow-remote     allow a HOST other than 127.0.0.1, ::1 or localhost\n";
}

ParseOutcome parse_options(int argc, char** argv, LoadOptions& out, std::string& error) {
    std::string publish_url;
    std::string play_url;
    bool players_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            return ParseOutcome::help;
        }
        if (arg == "--allow-remote") {
            out.allow_remote = true;
            continue;
        }
        if (i + 1 >= argc) {
            error = arg.substr(0, 2) == "--" && arg.size() > 2 ? std::string(arg) + " needs a value"
                                                              : "unknown argument '" + std::string(arg) + "'";
            return ParseOutcome::error;
        }
        const char* value = argv[++i];
        double number = 0;
        if (arg == "--publish") {
            publish_url = value;
        } else if (arg == "--flv") {
            out.flv = value;
        } else if (arg == "--play") {
            play_url = value;
        } else if (arg == "--json") {
            out.json_path = value;
        } else if (arg == "--players") {
            if (!parse_number(arg, value, 1, 1'000'000, number, error) || number != std::floor(number)) {
                error = error.empty() ? "--players: want a whole number" : error;
                return ParseOutcome::error;
            }
            out.players = static_cast<std::uint32_t>(number);
            players_given = true;
        } else if (arg == "--ramp") {
            if (!parse_number(arg, value, 0.001, 1e9, out.ramp_per_s, error)) {
                return ParseOutcome::error;
            }
        } else if (arg == "--duration") {
            if (!parse_number(arg, value, 0, 1e7, out.duration_s, error)) {
                return ParseOutcome::error;
            }
        } else if (arg == "--lag-ms") {
            if (!parse_number(arg, value, 0, 1e7, out.lag_ms, error)) {
                return ParseOutcome::error;
            }
        } else if (arg == "--warmup") {
            if (!parse_number(arg, value, 0, 1e7, out.warmup_s, error)) {
                return ParseOutcome::error;
            }
        } else {
            error = "unknown argument '" + std::string(arg) + "'";
            return ParseOutcome::error;
        }
    }
    if (publish_url.empty() && play_url.empty()) {
        error = "nothing to do: give --publish URL --flv FILE, --play URL --players N, or both";
        return ParseOutcome::error;
    }
    if (!publish_url.empty()) {
        if (out.flv.empty()) {
            error = "--publish needs --flv FILE";
            return ParseOutcome::error;
        }
        out.publish.emplace();
        if (!parse_rtmp_url(publish_url, *out.publish, error)) {
            return ParseOutcome::error;
        }
    } else if (!out.flv.empty()) {
        error = "--flv needs --publish URL";
        return ParseOutcome::error;
    }
    if (play_url.starts_with("http://")) {
        out.play_http.emplace();
        if (!parse_http_url(play_url, *out.play_http, error)) {
            return ParseOutcome::error;
        }
        const std::string_view target = out.play_http->target;
        out.play_hls = target.substr(0, target.find('?')).ends_with(".m3u8");
    } else if (!play_url.empty()) {
        out.play.emplace();
        if (!parse_rtmp_url(play_url, *out.play, error)) {
            return ParseOutcome::error;
        }
    } else if (players_given) {
        error = "--players needs --play URL";
        return ParseOutcome::error;
    }
    return ParseOutcome::run;
}

}  // namespace ringcast::load
