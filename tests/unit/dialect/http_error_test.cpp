#include <gtest/gtest.h>

#include "support.hpp"

namespace chatstream::providers::dialect::test {
namespace {

TEST(HttpError, OpenAi429) {
  const StreamError e =
      decode_http_error(Dialect::openai_chat, 429, read_fixture("openai_http_error_429.json"));
  EXPECT_EQ(e.kind, ErrorKind::http_status);
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.type, "tokens");
  EXPECT_EQ(e.code, "rate_limit_exceeded");
  EXPECT_EQ(e.message.rfind("Rate limit reached for gpt-4o-mini", 0), 0u);
  EXPECT_TRUE(e.retryable);
}

TEST(HttpError, Anthropic529) {
  const StreamError e =
      decode_http_error(Dialect::anthropic, 529, read_fixture("anthropic_http_error_529.json"));
  EXPECT_EQ(e.kind, ErrorKind::http_status);
  EXPECT_EQ(e.http_status, 529);
  EXPECT_EQ(e.type, "overloaded_error");
  EXPECT_EQ(e.message, "Overloaded");
  EXPECT_TRUE(e.retryable);
}

TEST(HttpError, Ollama404) {
  const StreamError e =
      decode_http_error(Dialect::ollama, 404, read_fixture("ollama_http_error_404.json"));
  EXPECT_EQ(e.http_status, 404);
  EXPECT_EQ(e.message, "model \"llama3.3\" not found, try pulling it first");
  EXPECT_EQ(e.type, "");
  EXPECT_FALSE(e.retryable);
}

TEST(HttpError, NonJsonAndEmptyBodies) {
  StreamError e = decode_http_error(Dialect::openai_chat, 502,
                                    "<html>\r\n<body>Bad Gateway</body>\r\n</html>\r\n");
  EXPECT_EQ(e.message, "upstream answered HTTP 502: <html>  <body>Bad Gateway</body>  </html>");
  EXPECT_TRUE(e.retryable);
  e = decode_http_error(Dialect::openai_chat, 401, "");
  EXPECT_EQ(e.message, "upstream answered HTTP 401");
  EXPECT_FALSE(e.retryable);
  e = decode_http_error(Dialect::openai_chat, 400, "{\"detail\":\"Not Found\"}");
  EXPECT_EQ(e.message, "Not Found");
  e = decode_http_error(Dialect::openai_chat, 500, std::string(5000, 'x'));
  EXPECT_LT(e.message.size(), 260u);
}

TEST(HttpError, RetryableStatuses) {
  for (int s : {408, 409, 429, 500, 502, 503, 504, 529}) {
    EXPECT_TRUE(is_retryable_status(s)) << s;
  }
  for (int s : {200, 400, 401, 403, 404, 413, 422}) {
    EXPECT_FALSE(is_retryable_status(s)) << s;
  }
}

}  // namespace
}  // namespace chatstream::providers::dialect::test
