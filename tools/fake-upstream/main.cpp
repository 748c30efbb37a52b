// fake-upstream: impersonates OpenAI / Anthropic / Ollama for tests and benchmarks.
// See README.md for the command line, endpoints and per-request controls.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server.hpp"

namespace fu = chatstream::fake_upstream;
namespace asio = boost::asio;

namespace {

struct Options {
  std::string listen = "127.0.0.1:0";
  bool tls = false;
  std::string cert_out;
  std::string key_out;
  std::string port_file;
  std::string fixtures = ".";
  unsigned threads = 1;
  std::size_t records = 1000;
};

// Writes `text` to a temporary name beside `path`, then renames it, so readers never see a
// partial file.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

asio::ip::tcp::endpoint parse_listen(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen needs host:port");
  std::string host = s.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto port = static_cast<unsigned short>(std::stoul(s.substr(colon + 1)));
  return {asio::ip::make_address(host), port};
}

int run(const Options& o) {
  const auto listen = parse_listen(o.listen);
  // Declared before the io_context: the connection coroutines it destroys on exit use these.
  fu::ServerState state(o.records);
  state.fixtures_dir = o.fixtures;
  std::optional<fu::TlsMaterial> tls_material;
  std::unique_ptr<fu::TlsServer> tls;
  if (o.tls) {
    tls_material = fu::generate_self_signed();
    tls = fu::make_tls_server(*tls_material);
  }
  asio::io_context ioc(static_cast<int>(o.threads));
  fu::Server server(ioc, listen, state, tls.get());
  if (tls_material && !o.cert_out.empty()) write_atomically(o.cert_out, tls_material->cert_pem);
  if (tls_material && !o.key_out.empty()) write_atomically(o.key_out, tls_material->key_pem);
  const unsigned short port = server.port();
  if (!o.port_file.empty()) write_atomically(o.port_file, std::to_string(port) + "\n");
  std::cout << "listening on " << listen.address().to_string() << ":" << port << std::endl;

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    ioc.stop();
  });
  server.start();
  std::vector<std::thread> extra;
  for (unsigned i = 1; i < o.threads; ++i) extra.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : extra) t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"fake-upstream: a fake OpenAI / Anthropic / Ollama server for tests"};
  app.add_option("--listen", o.listen, "host:port to listen on (port 0: ephemeral)");
  app.add_flag("--tls", o.tls, "serve TLS with a freshly generated self-signed certificate");
  app.add_option("--cert-out", o.cert_out, "write the certificate (PEM) here");
  app.add_option("--key-out", o.key_out, "write the private key (PEM) here");
  app.add_option("--port-file", o.port_file, "write the bound port here");
  app.add_option("--fixtures", o.fixtures, "directory of fixture files");
  app.add_option("--threads", o.threads, "I/O threads")->check(CLI::Range(1u, 64u));
  app.add_option("--max-records", o.records, "requests kept for /_fake/requests");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake-upstream: %s\n", e.what());
    return 1;
  }
}
