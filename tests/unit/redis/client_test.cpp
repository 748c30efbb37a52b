#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <mutex>
#include <thread>

#include "redis/client.hpp"
#include "unit/redis/io_loop.hpp"
#include "unit/redis/redis_process.hpp"

namespace chatstream::redis {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

using chatstream::testing::Loop;

Config config_for(const testing::RedisServer& server) {
  auto c = parse_url(server.url());
  EXPECT_TRUE(c);
  c->backoff_max = 200ms;
  return *c;
}

bool wait_connected(Loop& loop, Client& client) {
  return loop.run(client.wait_connected(10s));
}

TEST(RedisUrl, Parses) {
  auto c = parse_url("redis://:secret@db.example:6380/2");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "db.example");
  EXPECT_EQ(c->port, 6380);
  EXPECT_EQ(c->password, "secret");
  EXPECT_EQ(c->db, 2);
  EXPECT_EQ(redacted(*c), "redis://***@db.example:6380/2");
  auto d = parse_url("redis://127.0.0.1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
  EXPECT_FALSE(parse_url("http://x"));
  EXPECT_FALSE(parse_url("redis://host:notaport"));
  EXPECT_FALSE(parse_url("redis://"));
}

TEST(RedisReply, EncodesAndParsesWithoutAServer) {
  std::string bytes;
  append_command(bytes, {"SET", "k", std::string("a\0b", 3)});
  EXPECT_EQ(bytes, std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\0b\r\n", 29));
  ReplyReader reader;
  const std::string wire = "*3\r\n$5\r\nhello\r\n:42\r\n$-1\r\n-ERR bad\r\n+OK\r\n";
  bool error = false;
  // Byte by byte: partial input never yields a reply.
  std::vector<Reply> replies;
  for (char ch : wire) {
    ASSERT_TRUE(reader.feed(&ch, 1));
    while (auto r = reader.next(error)) replies.push_back(std::move(*r));
    ASSERT_FALSE(error);
  }
  ASSERT_EQ(replies.size(), 3u);
  ASSERT_TRUE(replies[0].is_array());
  ASSERT_EQ(replies[0].elements.size(), 3u);
  EXPECT_EQ(replies[0].elements[0].str, "hello");
  EXPECT_EQ(replies[0].elements[1].integer, 42);
  EXPECT_TRUE(replies[0].elements[2].is_nil());
  EXPECT_TRUE(replies[1].is_error());
  EXPECT_EQ(replies[1].str, "ERR bad");
  EXPECT_EQ(replies[2].text().value_or(""), "OK");
  ASSERT_TRUE(reader.feed("?junk\r\n", 7));
  EXPECT_FALSE(reader.next(error));
  EXPECT_TRUE(error);
}

class RedisClientTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  testing::RedisServer server_{dir_.path() / "redis"};
  Loop loop_;
};

TEST_F(RedisClientTest, CommandsRepliesAndErrors) {
  Client client(loop_.executor(), config_for(server_));
  client.start();
  ASSERT_TRUE(wait_connected(loop_, client));
  auto set = loop_.run(client.command({"SET", "greeting", "héllo\r\nworld"}));
  ASSERT_TRUE(set);
  EXPECT_EQ(set->text().value_or(""), "OK");
  auto get = loop_.run(client.command({"GET", "greeting"}));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->str, "héllo\r\nworld");
  auto missing = loop_.run(client.command({"GET", "nothing-here"}));
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->is_nil());
  auto wrong = loop_.run(client.command({"INCR", "greeting"}));
  ASSERT_TRUE(wrong);  // the connection is fine: the command failed
  EXPECT_TRUE(wrong->is_error());
  auto after = loop_.run(client.command({"PING"}));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->text().value_or(""), "PONG");
}

TEST_F(RedisClientTest, PipelineIsOneWriteAndKeepsOrder) {
  Client client(loop_.executor(), config_for(server_));
  client.start();
  ASSERT_TRUE(wait_connected(loop_, client));
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 500; ++i) commands.push_back({"INCR", "counter"});
  const auto writes_before = client.stats().writes;
  auto replies = loop_.run(client.pipeline(commands));
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ((*replies)[i].integer, i + 1);
  EXPECT_EQ(client.stats().writes - writes_before, 1u);
}

TEST_F(RedisClientTest, ConcurrentCommandsFromManyCoroutinesGetTheirOwnReplies) {
  Client client(loop_.executor(), config_for(server_));
  client.start();
  ASSERT_TRUE(wait_connected(loop_, client));
  std::vector<std::future<Result<Reply>>> futures;
  asio::io_context other;  // callers on another executor
  for (int i = 0; i < 200; ++i) {
    futures.push_back(asio::co_spawn(other, client.command({"ECHO", "value-" + std::to_string(i)}),
                                     asio::use_future));
  }
  std::thread t([&other] { other.run(); });
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(futures[i].wait_for(20s), std::future_status::ready);
    auto r = futures[i].get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->str, "value-" + std::to_string(i));
  }
  t.join();
}

TEST_F(RedisClientTest, FailsWhileDownAndReconnectsWhenTheServerReturns) {
  Client client(loop_.executor(), config_for(server_));
  client.start();
  ASSERT_TRUE(wait_connected(loop_, client));
  ASSERT_TRUE(loop_.run(client.command({"SET", "k", "v"})));
  const auto first = client.connection();
  ASSERT_TRUE(loop_.run(client.pipeline({{"PING"}}, first)));
  server_.kill();
  // Bounded: the loss is noticed by the read loop.
  bool failed = false;
  for (int i = 0; i < 200 && !failed; ++i) {
    failed = !loop_.run(client.command({"PING"}));
    if (!failed) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(failed);
  EXPECT_FALSE(client.connected());
  server_.start();
  ASSERT_TRUE(wait_connected(loop_, client));
  auto r = loop_.run(client.command({"PING"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text().value_or(""), "PONG");
  EXPECT_GE(client.stats().connects, 2u);
  // Pipelines bound to the old connection are refused: the server may have lost data.
  EXPECT_NE(client.connection(), first);
  auto stale = loop_.run(client.pipeline({{"SET", "k", "v2"}}, first));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), asio::error::try_again);
  auto current = loop_.run(client.pipeline({{"PING"}}, client.connection()));
  ASSERT_TRUE(current);
}

TEST_F(RedisClientTest, NotConnectedFailsAtOnce) {
  auto c = config_for(server_);
  c.port = testing::free_port();  // nobody there
  Client client(loop_.executor(), c);
  client.start();
  auto r = loop_.run(client.command({"PING"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), asio::error::not_connected);
}

TEST_F(RedisClientTest, BlockingReadOnItsOwnConnectionSeesLaterAppends) {
  Client reader(loop_.executor(), config_for(server_));
  Client writer(loop_.executor(), config_for(server_));
  reader.start();
  writer.start();
  ASSERT_TRUE(wait_connected(loop_, reader));
  ASSERT_TRUE(wait_connected(loop_, writer));
  auto blocked = asio::co_spawn(loop_.executor(),
                                reader.command({"XREAD", "BLOCK", "10000", "STREAMS", "s", "$"}),
                                asio::use_future);
  std::this_thread::sleep_for(100ms);
  // The writer is not held up by the blocked reader.
  auto added = loop_.run(writer.command({"XADD", "s", "7-0", "t", "hello"}));
  ASSERT_TRUE(added);
  EXPECT_EQ(added->str, "7-0");
  ASSERT_EQ(blocked.wait_for(20s), std::future_status::ready);
  auto r = blocked.get();
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->is_array());
  // [[ "s", [[ "7-0", ["t", "hello"] ]] ]]
  const auto& entries = r->elements.at(0).elements.at(1);
  EXPECT_EQ(entries.elements.at(0).elements.at(0).str, "7-0");
  EXPECT_EQ(entries.elements.at(0).elements.at(1).elements.at(1).str, "hello");
}

TEST_F(RedisClientTest, PushModeReceivesMessagesAndResubscribesAfterReconnect) {
  std::mutex mutex;
  std::vector<std::string> messages;
  Client subscriber(loop_.executor(), config_for(server_));
  subscriber.set_push_handler([&](Reply r) {
    if (r.is_array() && r.elements.size() == 3 && r.elements[0].str == "message") {
      std::lock_guard lock(mutex);
      messages.push_back(r.elements[2].str);
    }
  });
  subscriber.set_on_connect([&subscriber] { subscriber.send({"SUBSCRIBE", "news"}); });
  subscriber.start();
  Client publisher(loop_.executor(), config_for(server_));
  publisher.start();
  ASSERT_TRUE(wait_connected(loop_, publisher));
  auto publish_until_heard = [&](const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      auto n = loop_.run(publisher.command({"PUBLISH", "news", text}));
      if (n && n->integer > 0) break;
      std::this_thread::sleep_for(10ms);
    }
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard lock(mutex);
        if (!messages.empty() && messages.back() == text) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  };
  EXPECT_TRUE(publish_until_heard("first"));
  server_.kill();
  server_.start();
  ASSERT_TRUE(wait_connected(loop_, publisher));
  EXPECT_TRUE(publish_until_heard("second"));
}

TEST_F(RedisClientTest, StopCompletesPendingBlockedCommands) {
  auto client = std::make_unique<Client>(loop_.executor(), config_for(server_));
  client->start();
  ASSERT_TRUE(wait_connected(loop_, *client));
  auto blocked =
      asio::co_spawn(loop_.executor(), client->command({"BLPOP", "never", "30"}), asio::use_future);
  std::this_thread::sleep_for(50ms);
  client->stop();
  ASSERT_EQ(blocked.wait_for(20s), std::future_status::ready);
  EXPECT_FALSE(blocked.get());
}

}  // namespace
}  // namespace chatstream::redis
