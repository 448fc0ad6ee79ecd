// libFuzzer target: the config parser must turn any bytes into a tree or a ConfigError, and
// nothing else (no crash, no other exception, bounded memory and time).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/config.h"
#include "core/conf_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto tree = ringcast::core::parse_config_text(text, "fuzz.conf");
        ringcast::app::build_config(tree);
    } catch (const ringcast::core::ConfigError&) {
    }
    return 0;
}
