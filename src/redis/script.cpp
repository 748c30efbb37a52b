#include "redis/script.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace chatstream::redis {
namespace asio = boost::asio;

namespace {

std::string sha1_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr) != 1) {
    throw std::runtime_error("SHA-1 unavailable");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

std::vector<std::string> encode(const ScriptCall& call, bool by_sha) {
  std::vector<std::string> v;
  v.reserve(3 + call.keys.size() + call.args.size());
  v.emplace_back(by_sha ? "EVALSHA" : "EVAL");
  v.push_back(by_sha ? call.script->sha1() : call.script->text());
  v.push_back(std::to_string(call.keys.size()));
  v.insert(v.end(), call.keys.begin(), call.keys.end());
  v.insert(v.end(), call.args.begin(), call.args.end());
  return v;
}

bool is_noscript(const Reply& r) {
  return r.is_error() && r.str.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace

Script::Script(std::string text) : text_(std::move(text)), sha1_(sha1_hex(text_)) {}

asio::awaitable<Result<std::vector<Reply>>> run_scripts(Client& client,
                                                        std::vector<ScriptCall> calls,
                                                        std::chrono::milliseconds timeout) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& c : calls) commands.push_back(encode(c, true));
  auto replies = co_await client.pipeline_within(std::move(commands), timeout);
  if (!replies) co_return replies.error();
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < replies->size(); ++i) {
    if (is_noscript((*replies)[i])) missing.push_back(i);
  }
  if (missing.empty()) co_return replies;
  std::vector<std::vector<std::string>> again;
  for (auto i : missing) again.push_back(encode(calls[i], false));
  auto second = co_await client.pipeline_within(std::move(again), timeout);
  if (!second) co_return second.error();
  for (std::size_t j = 0; j < missing.size() && j < second->size(); ++j) {
    (*replies)[missing[j]] = std::move((*second)[j]);
  }
  co_return replies;
}

}  // namespace chatstream::redis
