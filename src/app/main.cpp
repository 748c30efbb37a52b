#include <cstdio>
#include <exception>
#include <string_view>

#include "app/app.hpp"
#include "app/config.hpp"
#include "app/descriptors.hpp"
#include "app/user_command.hpp"

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "user") {
    return chatstream::app::run_user_command(argc, argv);
  }
  auto loaded = chatstream::app::load_config(argc, argv);
  if (!loaded.config) {
    std::fputs(loaded.message.c_str(), loaded.exit_code == 0 ? stdout : stderr);
    return loaded.exit_code;
  }
  if (auto problem = chatstream::app::validate(*loaded.config); !problem.empty()) {
    std::fprintf(stderr, "chatstream: %s\n", problem.c_str());
    return 2;
  }
  // Before any thread starts: two descriptors per relayed stream, plus the store's and others.
  chatstream::app::reserve_descriptor_table(2 * loaded.config->server.max_connections + 1024);
  try {
    return chatstream::app::run(std::move(*loaded.config));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chatstream: fatal: %s\n", e.what());
    return 1;
  }
}
