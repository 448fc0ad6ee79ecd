// ringcast-load: the project's load client (one RTMP publisher and/or thousands of RTMP or
// HTTP-FLV or HLS players on one thread and one io_uring). See options.cpp for the command line and
// load_run.h for what a run does.

#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "core/log.h"
#include "load/load_run.h"
#include "load/options.h"

namespace {

/// Thousands of sockets need more than the usual soft limit of 1024 descriptors.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace ringcast::load;
    LoadOptions options;
    std::string error;
    switch (parse_options(argc, argv, options, error)) {
    case ParseOutcome::help: std::fputs(usage(), stdout); return 0;
    case ParseOutcome::error: std::fprintf(stderr, "ringcast-load: %s\n\n%s", error.c_str(), usage()); return 2;
    case ParseOutcome::run: break;
    }
    raise_descriptor_limit();
    // The runtime's own warnings (a refused multishot, say) are worth seeing; its trace lines
    // are not, and nothing here logs per message.
    ringcast::core::log::set_level(ringcast::core::LogLevel::warn);
    LoadRun run(options);
    return run.run();
}
