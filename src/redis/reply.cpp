#include "redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <stdexcept>

namespace chatstream::redis {
namespace {

Reply convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::nil;
      break;
  }
  return out;
}

redisReader* as_reader(void* p) {
  return static_cast<redisReader*>(p);
}

}  // namespace

std::optional<std::string_view> Reply::text() const noexcept {
  if (type == Type::string || type == Type::status) return std::string_view(str);
  return std::nullopt;
}

void append_command(std::string& out, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  int n = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (n < 0 || cmd == nullptr) throw std::bad_alloc();
  out.append(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
}

ReplyReader::ReplyReader() : reader_(redisReaderCreate()) {
  if (!reader_) throw std::bad_alloc();
}

ReplyReader::~ReplyReader() {
  redisReaderFree(as_reader(reader_));
}

void ReplyReader::reset() {
  redisReaderFree(as_reader(reader_));
  reader_ = redisReaderCreate();
  if (!reader_) throw std::bad_alloc();
}

bool ReplyReader::feed(const char* data, std::size_t size) {
  return redisReaderFeed(as_reader(reader_), data, size) == REDIS_OK;
}

std::optional<Reply> ReplyReader::next(bool& error) {
  error = false;
  void* raw = nullptr;
  if (redisReaderGetReply(as_reader(reader_), &raw) != REDIS_OK) {
    error = true;
    return std::nullopt;
  }
  if (!raw) return std::nullopt;
  auto* r = static_cast<redisReply*>(raw);
  Reply out = convert(r);
  freeReplyObject(r);
  return out;
}

}  // namespace chatstream::redis
