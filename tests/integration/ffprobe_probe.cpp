#include "integration/ffprobe_probe.h"

#include <simdjson.h>

#include <algorithm>
#include <string_view>
#include <thread>

#include "integration/harness.h"

namespace ringcast::test {

using namespace std::chrono_literals;

Probe probe(const std::string& url, std::chrono::seconds timeout) {
    const auto start = std::chrono::steady_clock::now();
    ProcessResult r = run_command({"ffprobe", "-hide_banner", "-v", "error", "-rw_timeout",
                                   std::to_string(std::chrono::microseconds(timeout - 3s).count()), "-show_entries",
                                   "stream=codec_type,codec_name", "-of", "json", url},
                                  timeout);
    Probe result;
    result.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    result.output = "ffprobe " + url + (r.timed_out ? " timed out" : " exit " + std::to_string(r.exit_code)) +
                    "\nstdout: " + r.out + "\nstderr: " + r.err;
    simdjson::dom::parser parser;
    simdjson::dom::array streams;
    if (parser.parse(r.out).get_object()["streams"].get(streams) != simdjson::SUCCESS) {
        return result;
    }
    for (simdjson::dom::element stream : streams) {
        std::string_view type;
        std::string_view name;
        if (stream["codec_type"].get(type) == simdjson::SUCCESS &&
            stream["codec_name"].get(name) == simdjson::SUCCESS) {
            result.codecs[std::string(type)] = std::string(name);
        }
    }
    return result;
}

Probe probe_until_av(const std::string& url, std::chrono::seconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    const auto start = std::chrono::steady_clock::now();
    Probe last;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
        last = probe(url, std::max(left, 5s));
        if (last.codecs.size() >= 2 || std::chrono::steady_clock::now() >= deadline) {
            last.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            return last;
        }
        std::this_thread::sleep_for(500ms);
    }
}

}  // namespace ringcast::test
