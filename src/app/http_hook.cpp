#include "app/http_hook.h"

#include <fmt/format.h>

#include <utility>

namespace ringcast::app {

HttpHook::HttpHook(uring::Reactor& reactor, uring::ProvidedBufRing* buffers, Listener& listener, Limits limits)
    : reactor_(reactor),
      listener_(listener),
      limits_(limits),
      tcp_(reactor, buffers, *this),
      reader_(proto::http::ResponseReaderLimits{.head_bytes_max = limits.head_bytes_max}) {
    timeout_.bind<&HttpHook::on_timeout>(this);
}

HttpHook::~HttpHook() { reactor_.cancel(timeout_); }

void HttpHook::post(const uring::SocketAddress& address, std::string host_header, std::string path, std::string json) {
    if (posted_ || canceled_) {
        return;
    }
    posted_ = true;
    // Header values come from the config, but a CR or LF would still split the request: drop them.
    const auto clean = [](std::string text) {
        std::erase_if(text, [](char c) { return c == '\r' || c == '\n'; });
        return text;
    };
    request_ = fmt::format(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ringcast/{}\r\nAccept: application/json\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        clean(std::move(path)), clean(std::move(host_header)), RINGCAST_VERSION, json.size());
    request_ += json;
    reactor_.arm(timeout_, limits_.timeout_ms);
    address_ = address;  // the connect SQE points at it until the kernel has taken it
    in_post_ = true;
    tcp_.start(address_, true);
    in_post_ = false;
}

void HttpHook::cancel() {
    canceled_ = true;
    reactor_.cancel(timeout_);
    tcp_.close(core::Error::make(core::Errc::canceled, "hook canceled"));
}

void HttpHook::on_connected() {
    connected_ = true;
    if (finished_) {
        return;
    }
    if (!tcp_.send(core::Buffer::copy_of(std::string_view(request_)).slice())) {
        finish("cannot send the request");
    }
}

void HttpHook::on_data(std::span<const std::uint8_t> bytes) {
    if (finished_) {
        return;
    }
    if (core::Status fed = reader_.feed(bytes, *this); !fed) {
        finish(fmt::format("bad answer: {}", fed.error().describe()));
        return;
    }
    if (reader_.body_done()) {
        finish({});
    }
}

core::Status HttpHook::on_head(const proto::http::ParsedResponseHead& head) {
    // A declared length over the bound fails now rather than after reading that much.
    if (head.content_length && *head.content_length > limits_.body_bytes_max) {
        return core::fail(core::Errc::too_large, "hook answer body too large");
    }
    result_.status = head.status;
    return {};
}

core::Status HttpHook::on_body(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > limits_.body_bytes_max - result_.body.size()) {
        return core::fail(core::Errc::too_large, "hook answer body too large");
    }
    result_.body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return {};
}

void HttpHook::on_timeout() { finish(fmt::format("no answer within {} ms", limits_.timeout_ms)); }

void HttpHook::finish(std::string error) {
    if (finished_) {
        return;
    }
    finished_ = true;
    result_.error = std::move(error);
    reactor_.cancel(timeout_);
    tcp_.close(core::Error::make(result_.ok() ? core::Errc::ok : core::Errc::canceled, "hook done"));
}

void HttpHook::on_closed(core::Error reason) {
    reactor_.cancel(timeout_);
    if (!finished_) {
        finished_ = true;
        if (reason.code != core::Errc::closed) {
            result_.error = fmt::format("{}: {}", connected_ ? "connection" : "connect", reason.describe());
        } else if (!reader_.head_done()) {
            result_.error = "closed by the hook server before an answer";
        } else if (core::Status complete = reader_.finish(); !complete) {
            // A close-delimited body ends here; a framed one that stops short is an error.
            result_.error = fmt::format("answer cut short: {}", complete.error().describe());
        }
    }
    if (canceled_ || reported_) {
        return;
    }
    if (in_post_) {
        // The socket could not even be created: report from the loop, not inside the owner's
        // post() call, which may not expect its listener yet.
        report_deferred_ = true;
        reactor_.defer([](void* self) { static_cast<HttpHook*>(self)->report(); }, this);
        return;
    }
    report();
}

void HttpHook::report() {
    report_deferred_ = false;
    if (canceled_ || reported_) {
        return;
    }
    reported_ = true;
    listener_.on_hook_done(*this, result_);
}

}  // namespace ringcast::app
