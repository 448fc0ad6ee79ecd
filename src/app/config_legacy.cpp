#include "app/config_legacy.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace ringcast::app {

namespace {

using core::ConfDirective;

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// SRS's get_or_create: the first child with this name, else a new one placed at `origin`.
ConfDirective& child_or_create(ConfDirective& parent, std::string_view name, const ConfDirective& origin) {
    if (ConfDirective* found = parent.find(name)) {
        return *found;
    }
    ConfDirective created;
    created.name = std::string(name);
    created.has_block = true;
    created.file = origin.file;
    created.line = origin.line;
    parent.children.push_back(std::move(created));
    return parent.children.back();
}

// Sets `name args;` inside `parent`, replacing the args of an existing one (as SRS does).
void set_leaf(ConfDirective& parent, std::string_view name, std::vector<std::string> args, const ConfDirective& origin) {
    ConfDirective& leaf = child_or_create(parent, name, origin);
    leaf.has_block = false;
    leaf.args = std::move(args);
    leaf.file = origin.file;
    leaf.line = origin.line;
}

void erase_children(ConfDirective& parent, std::initializer_list<std::string_view> names) {
    std::erase_if(parent.children, [&](const ConfDirective& c) { return is_one_of(c.name, names); });
}

// ---- top level ------------------------------------------------------------------------------

void move_rtmp_directive(ConfDirective& root, const std::vector<ConfDirective>& legacy, std::string_view name,
                         std::vector<std::string>& warnings) {
    const ConfDirective* first = nullptr;
    for (const auto& d : legacy) {
        if (d.name != name) {
            continue;
        }
        if (first == nullptr) {
            first = &d;
        } else {
            warnings.push_back(d.where() + ": duplicate \"" + d.name + "\" ignored, the first one at " +
                               first->where() + " is used");
        }
    }
    if (first == nullptr) {
        return;
    }
    ConfDirective& rtmp = child_or_create(root, "rtmp", *first);
    if (const ConfDirective* inside = rtmp.find(name)) {
        warnings.push_back(first->where() + ": top-level \"" + first->name + "\" overrides rtmp." + first->name +
                           " at " + inside->where() + " (as in SRS 7)");
    }
    set_leaf(rtmp, name, first->args, *first);
}

// SRS 7: `listen` and `chunk_size` at the top level are SRS 6's spelling of `rtmp { ... }`.
void move_rtmp_legacy(ConfDirective& root, std::vector<std::string>& warnings) {
    std::vector<ConfDirective> kept;
    std::vector<ConfDirective> legacy;
    for (auto& d : root.children) {
        (is_one_of(d.name, {"listen", "chunk_size"}) ? legacy : kept).push_back(std::move(d));
    }
    root.children = std::move(kept);
    move_rtmp_directive(root, legacy, "listen", warnings);
    move_rtmp_directive(root, legacy, "chunk_size", warnings);
}

void rewrite_stream_caster(ConfDirective& caster) {
    // SRS 5 dropped these GB28181 settings and moved `host` to `sip { candidate }`.
    erase_children(caster, {"tcp_enable", "rtp_port_min", "rtp_port_max", "wait_keyframe", "rtp_idle_timeout",
                            "audio_enable", "auto_create_channel"});
    if (ConfDirective* sip = caster.find("sip")) {
        erase_children(*sip, {"serial", "realm", "ack_timeout", "keepalive_timeout", "invite_port_fixed",
                              "query_catalog_interval", "auto_play"});
    }
    std::vector<ConfDirective> hosts;
    std::vector<ConfDirective> kept;
    for (auto& d : caster.children) {
        (d.name == "host" ? hosts : kept).push_back(std::move(d));
    }
    caster.children = std::move(kept);
    for (auto& host : hosts) {
        host.name = "candidate";
        child_or_create(caster, "sip", host).children.push_back(std::move(host));
    }
}

void rewrite_top_level(ConfDirective& d) {
    if (d.name == "http_stream") {  // SRS 1
        d.name = "http_server";
    } else if (d.name == "rtc_server") {  // removed in SRS 4
        erase_children(d, {"perf_stat", "queue_length"});
    } else if (d.name == "srt_server") {  // renamed in SRS 5
        for (auto& c : d.children) {
            if (c.name == "tlpkdrop") {
                c.name = "tlpktdrop";
            }
        }
    } else if (d.name == "stream_caster") {
        rewrite_stream_caster(d);
    }
}

// ---- vhost ----------------------------------------------------------------------------------

// Rewrites a vhost child that stays where it is.
void rewrite_in_place(ConfDirective& conf) {
    if (conf.name == "http") {  // SRS 1
        conf.name = "http_static";
    } else if (conf.name == "http_remux") {  // SRS 3 made hstrs always on
        erase_children(conf, {"hstrs"});
    } else if (conf.name == "forward" && conf.children.empty() && !conf.args.empty()) {  // SRS 1/2
        ConfDirective enabled{"enabled", {"on"}, {}, false, conf.file, conf.line};
        ConfDirective destination{"destination", std::move(conf.args), {}, false, conf.file, conf.line};
        conf.args.clear();
        conf.children.push_back(std::move(enabled));
        conf.children.push_back(std::move(destination));
        conf.has_block = true;
    } else if (conf.name == "rtc") {  // SRS 4
        for (auto& c : conf.children) {
            if (c.name == "aac") {
                c = {"rtmp_to_rtc", {c.arg(0) == "transcode" ? "on" : "off"}, {}, false, c.file, c.line};
            } else if (c.name == "bframe") {
                c = {"keep_bframe", {c.arg(0) == "keep" ? "on" : "off"}, {}, false, c.file, c.line};
            }
        }
    }
}

bool moves_out(const ConfDirective& conf) {
    static constexpr std::array<std::string_view, 22> moved = {
        "refer_play", "refer_publish", "mr",        "publish_1stpkt_timeout", "publish_normal_timeout",
        "time_jitter", "mix_correct",  "atc",       "atc_auto",               "mw_latency",
        "gop_cache",  "gop_cache_max_frames", "queue_length", "send_min_interval", "reduce_sequence_header",
        "mode",       "origin",        "token_traverse", "vhost",             "debug_srs_upnode",
        "nack",       "twcc"};
    if (conf.name == "refer") {
        return conf.children.empty();  // SRS 1's `refer a b;` (SRS treats `refer {}` the same)
    }
    return std::find(moved.begin(), moved.end(), conf.name) != moved.end();
}

void move_refer(ConfDirective& vhost, const ConfDirective& conf) {
    ConfDirective& refer = child_or_create(vhost, "refer", conf);
    if (refer.find("enabled") == nullptr) {
        set_leaf(refer, "enabled", {"on"}, conf);
    }
    std::string_view target = conf.name == "refer" ? "all" : conf.name == "refer_play" ? "play" : "publish";
    set_leaf(refer, target, conf.args, conf);
}

void move_mr(ConfDirective& vhost, const ConfDirective& conf) {
    ConfDirective& publish = child_or_create(vhost, "publish", conf);
    if (const ConfDirective* enabled = conf.find("enabled")) {
        set_leaf(publish, "mr", enabled->args, *enabled);
    }
    if (const ConfDirective* latency = conf.find("latency")) {
        set_leaf(publish, "mr_latency", latency->args, *latency);
    }
}

void move_rtc_feedback(ConfDirective& vhost, const ConfDirective& conf) {
    ConfDirective& rtc = child_or_create(vhost, "rtc", conf);
    if (const ConfDirective* enabled = conf.find("enabled")) {
        set_leaf(rtc, conf.name, enabled->args, *enabled);
    }
    if (const ConfDirective* no_copy = conf.find("no_copy"); no_copy && conf.name == "nack") {
        set_leaf(rtc, "nack_no_copy", no_copy->args, *no_copy);
    }
}

void move_out(ConfDirective& vhost, const ConfDirective& conf) {
    const std::string& n = conf.name;
    if (n == "refer" || n == "refer_play" || n == "refer_publish") {
        move_refer(vhost, conf);
    } else if (n == "mr") {
        move_mr(vhost, conf);
    } else if (n == "publish_1stpkt_timeout" || n == "publish_normal_timeout") {
        std::string_view target = n == "publish_1stpkt_timeout" ? "firstpkt_timeout" : "normal_timeout";
        set_leaf(child_or_create(vhost, "publish", conf), target, conf.args, conf);
    } else if (n == "nack" || n == "twcc") {
        move_rtc_feedback(vhost, conf);
    } else if (is_one_of(n, {"mode", "origin", "token_traverse", "vhost", "debug_srs_upnode"})) {
        set_leaf(child_or_create(vhost, "cluster", conf), n, conf.args, conf);
    } else {
        set_leaf(child_or_create(vhost, "play", conf), n, conf.args, conf);
    }
}

void rewrite_vhost(ConfDirective& vhost) {
    // Two passes so that a moved directive joins a block written later in the vhost, as SRS's
    // get_or_create finds it wherever it is.
    std::vector<ConfDirective> moving;
    std::vector<ConfDirective> kept;
    for (auto& conf : vhost.children) {
        if (moves_out(conf)) {
            moving.push_back(std::move(conf));
        } else {
            rewrite_in_place(conf);
            kept.push_back(std::move(conf));
        }
    }
    vhost.children = std::move(kept);
    for (const auto& conf : moving) {
        move_out(vhost, conf);
    }
}

}  // namespace

void rewrite_legacy_spellings(ConfDirective& root, std::vector<std::string>& warnings) {
    move_rtmp_legacy(root, warnings);
    for (auto& d : root.children) {
        if (d.name == "vhost") {
            rewrite_vhost(d);
        } else {
            rewrite_top_level(d);
        }
    }
}

}  // namespace ringcast::app
