// A Redis reply (RESP2) as a plain value, and command encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chatstream::redis {

struct Reply {
  enum class Type { string, array, integer, nil, status, error };
  Type type = Type::nil;
  std::string str;  // string, status and error
  long long integer = 0;
  std::vector<Reply> elements;  // array

  bool is_error() const noexcept { return type == Type::error; }
  bool is_nil() const noexcept { return type == Type::nil; }
  bool is_array() const noexcept { return type == Type::array; }
  // The text of a string or status reply, else nullopt.
  std::optional<std::string_view> text() const noexcept;
};

// The RESP encoding of one command (an array of bulk strings), appended to `out`.
void append_command(std::string& out, const std::vector<std::string>& args);

// Feeds bytes and pops complete replies (a thin wrapper of hiredis' redisReader).
class ReplyReader {
 public:
  ReplyReader();
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  // False on a protocol error.
  bool feed(const char* data, std::size_t size);
  // The next complete reply, nullopt when more bytes are needed. Sets `error` on a protocol
  // error.
  std::optional<Reply> next(bool& error);
  void reset();

 private:
  void* reader_ = nullptr;
};

}  // namespace chatstream::redis
