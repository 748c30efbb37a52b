// loadgen: opens many concurrent LLM-style streams against a relay and measures what a client
// sees (time to first token, gaps between tokens, tokens, bytes, errors) and its own CPU use.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace {

// Streams need descriptors: raise the soft limit to the hard one.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int code = 0;
  auto options = chatstream::loadgen::parse_options(argc, argv, code);
  if (!options) return code;
  raise_fd_limit();
  chatstream::loadgen::Runner runner(*options);
  auto results = runner.run();
  if (!options->quiet) std::cout << chatstream::loadgen::to_table(*options, results) << std::flush;
  if (!options->json_path.empty()) {
    std::string json = chatstream::loadgen::to_json(*options, results);
    if (options->json_path == "-") {
      std::cout << json << "\n";
    } else {
      std::ofstream(options->json_path) << json << "\n";
    }
  }
  return 0;
}
