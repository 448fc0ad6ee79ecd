#include "core/result.h"

#include <cstdio>
#include <algorithm>
#include <cstring>

namespace ringcast::core {

std::string_view errc_name(Errc code) {
    switch (code) {
    case Errc::ok: return "ok";
    case Errc::system: return "system";
    case Errc::protocol: return "protocol error";
    case Errc::too_large: return "too large";
    case Errc::closed: return "closed";
    case Errc::timeout: return "timeout";
    case Errc::canceled: return "canceled";
    case Errc::unsupported: return "unsupported";
    case Errc::invalid: return "invalid";
    case Errc::full: return "full";
    case Errc::not_found: return "not found";
    }
    return "unknown";
}

std::string_view Error::describe() const {
    thread_local char text[160];
    int n = 0;
    if (code == Errc::system) {
        n = std::snprintf(text, sizeof text, "%s: %s (errno %d)", where, std::strerror(sys_errno), sys_errno);
    } else {
        n = std::snprintf(text, sizeof text, "%s: %.*s", where, static_cast<int>(errc_name(code).size()),
                          errc_name(code).data());
    }
    if (n < 0) {
        return "error";
    }
    return {text, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof text - 1)};
}

}  // namespace ringcast::core
