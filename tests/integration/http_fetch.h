#pragma once
// HTTP requests from tests, through curl: the tests then speak HTTP the way a real client does,
// and a server that hangs costs at most the timeout.

#include <chrono>
#include <string>
#include <vector>

namespace ringcast::test {

/// The body curl gets for `url` ("" when it cannot connect or times out); `extra` goes before the
/// URL (e.g. {"-X", "DELETE"}). Whatever the status, the body is returned: ask curl for the code
/// with {"-w", ...} if it matters.
std::string http_fetch(const std::string& url, const std::vector<std::string>& extra = {},
                       std::chrono::seconds timeout = std::chrono::seconds(5));

}  // namespace ringcast::test
