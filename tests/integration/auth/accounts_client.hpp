// Test helpers for multi-user mode: a server with accounts made by `chatstream user add`,
// clients that log in and carry their session cookie or API token.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace chatstream::testing {

inline const std::string kPassword = "correct horse battery";

// A user's client: every request carries its cookie (after login) or bearer token.
struct Client {
  unsigned short port = 0;
  std::string cookie;  // "cs_session=..."
  std::string bearer;  // "cs_..."
  std::vector<std::string> extra_headers;

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = {}, std::vector<std::string> headers = {}) const {
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    if (!cookie.empty()) headers.push_back("Cookie: " + cookie);
    if (!bearer.empty()) headers.push_back("Authorization: Bearer " + bearer);
    for (const auto& h : extra_headers) headers.push_back(h);
    return http_request(port, method, target, body, headers);
  }
  boost::json::value json(const std::string& method, const std::string& target,
                          const std::string& body = {}, int expect = 0) const {
    auto r = call(method, target, body);
    if (expect && r.status != expect) {
      throw std::runtime_error(method + " " + target + " -> " + std::to_string(r.status) + ": " +
                               r.body);
    }
    return r.body.empty() ? boost::json::value() : boost::json::parse(r.body);
  }
  // Logs in; returns the response (the cookie is kept on success).
  HttpResponse login(const std::string& username, const std::string& password = kPassword) {
    boost::json::object body{{"username", username}, {"password", password}};
    auto r = call("POST", "/api/auth/login", boost::json::serialize(body));
    if (r.status == 200) cookie = cookie_of(r);
    return r;
  }
  static std::string cookie_of(const HttpResponse& r) {
    auto set = r.header("set-cookie");
    return set.substr(0, set.find(';'));
  }
  std::string new_conversation(const std::string& title = "") const {
    boost::json::object body{{"title", title}};
    return std::string(
        json("POST", "/api/conversations", boost::json::serialize(body), 201).at("id").as_string());
  }
  // Sends a message; returns {user message id, assistant message id}.
  std::pair<std::string, std::string> send(const std::string& cid,
                                           const std::string& content = "Hello there") const {
    boost::json::object body{{"content", content}};
    auto v =
        json("POST", "/api/conversations/" + cid + "/messages", boost::json::serialize(body), 201);
    return {std::string(v.at("user_message").at("id").as_string()),
            std::string(v.at("assistant_message").at("id").as_string())};
  }
  // Waits (bounded) until no message of the conversation is streaming.
  boost::json::object wait_settled(const std::string& cid) const {
    boost::json::object conv;
    for (int i = 0; i < 2400; ++i) {  // at most a minute
      conv = json("GET", "/api/conversations/" + cid, {}, 200).as_object();
      bool streaming = false;
      for (const auto& m : conv.at("messages").as_array()) {
        if (m.at("status").as_string() == "streaming") streaming = true;
      }
      if (!streaming) return conv;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    throw std::runtime_error("conversation still streaming: " + cid);
  }
  std::string create_token(const std::string& name, std::string* id = nullptr) const {
    boost::json::object body{{"name", name}};
    auto v = json("POST", "/api/auth/tokens", boost::json::serialize(body), 201);
    if (id) *id = std::string(v.at("id").as_string());
    return std::string(v.at("token").as_string());
  }
};

// A model configuration: the simulated model at the given speed.
inline std::string simulated_config(const TempDir& dir, int tokens_per_second = 400) {
  auto path = dir.path() / "chatstream.toml";
  std::ofstream(path) << "[[providers]]\nname = \"simulated\"\nkind = \"simulated\"\n"
                      << "tokens_per_second = " << tokens_per_second
                      << "\nfirst_token_delay_ms = 20\njitter = 0.2\n";
  return path.string();
}

struct CliResult {
  int exit_code = -1;
  std::string output;
};

class MultiUserTest : public ::testing::Test {
 protected:
  MultiUserTest() : data_dir_(dir_.path() / "data") {
    std::filesystem::create_directories(data_dir_);
  }

  // `chatstream user ...` on this test's database; `input` is its stdin.
  CliResult cli(std::vector<std::string> args, const std::string& input = {}) {
    auto in = dir_.path() / ("cli-in-" + std::to_string(++cli_runs_));
    std::ofstream(in) << input;
    auto log = dir_.path() / ("cli-out-" + std::to_string(cli_runs_));
    std::vector<std::string> argv = {built_program("src/app/chatstream").string(), "user"};
    for (auto& a : args) argv.push_back(std::move(a));
    argv.insert(argv.end(), {"--data-dir", data_dir_.string(), "--password-cost", "minimum"});
    Process p(argv, log, {}, in);
    auto code = p.wait_exit(std::chrono::seconds(30));
    return {code.value_or(-1), p.log()};
  }
  void add_user(const std::string& name, const std::string& role = "user") {
    auto r = cli({"add", name, "--role", role, "--password-stdin"}, kPassword + "\n");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  void start(std::vector<std::string> args = {}, int tokens_per_second = 400) {
    std::vector<std::string> all = {"--mode",     "multi-user",
                                    "--data-dir", data_dir_.string(),
                                    "--config",   simulated_config(dir_, tokens_per_second)};
    if (std::find(args.begin(), args.end(), "--password-cost") == args.end()) {
      all.insert(all.end(), {"--password-cost", "minimum"});
    }
    for (auto& a : args) all.push_back(std::move(a));
    server_ = std::make_unique<ChatstreamServer>(std::move(all));
  }
  Client client() const { return Client{server_->port(), {}, {}, {}}; }
  Client logged_in(const std::string& name) {
    auto c = client();
    auto r = c.login(name);
    EXPECT_EQ(r.status, 200) << r.body;
    return c;
  }
  std::string user_id(const Client& admin, const std::string& name) const {
    auto users = admin.json("GET", "/api/admin/users", {}, 200);
    for (const auto& u : users.at("users").as_array()) {
      if (u.at("username").as_string() == name) return std::string(u.at("id").as_string());
    }
    throw std::runtime_error("no user " + name);
  }

  TempDir dir_;
  std::filesystem::path data_dir_;
  std::unique_ptr<ChatstreamServer> server_;
  int cli_runs_ = 0;
};

}  // namespace chatstream::testing
