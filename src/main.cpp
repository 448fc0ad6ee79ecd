// ringcast: everything main does lives in app/cli.cpp, where it can be tested.
#include "app/cli.h"

int main(int argc, char** argv) { return ringcast::app::cli_main(argc, argv); }
