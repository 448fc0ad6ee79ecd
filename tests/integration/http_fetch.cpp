#include "integration/http_fetch.h"

#include "integration/harness.h"

namespace ringcast::test {

std::string http_fetch(const std::string& url, const std::vector<std::string>& extra, std::chrono::seconds timeout) {
    std::vector<std::string> args = {"curl", "-s", "--max-time", std::to_string(timeout.count())};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url);
    // curl enforces --max-time itself; the outer bound only catches a curl that does not.
    return run_command(args, timeout + std::chrono::seconds(5)).out;
}

}  // namespace ringcast::test
