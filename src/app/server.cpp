#include "app/server.h"

namespace ringcast::app {

int run_server(const Config&) { return 0; }

}  // namespace ringcast::app
