#include "http/router.hpp"

#include <gtest/gtest.h>

namespace chatstream::http {
namespace {

Handler noop() {
  return [](Request) { return ready(Response{}); };
}

TEST(Router, MatchesStaticAndParameterisedRoutes) {
  Router r;
  r.add("GET", "/api/conversations", noop());
  r.add("GET", "/api/conversations/{cid}", noop());
  r.add("POST", "/api/conversations/{cid}/messages", noop());
  auto m = r.match("GET", "/api/conversations/abc");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "cid");
  EXPECT_EQ(m.params[0].second, "abc");
  EXPECT_EQ(m.route_name, "/api/conversations/{cid}");
  auto m2 = r.match("POST", "/api/conversations/x1/messages");
  ASSERT_EQ(m2.kind, Router::Match::Kind::found);
  EXPECT_EQ(m2.params[0].second, "x1");
  EXPECT_EQ(r.match("GET", "/api/conversations").kind, Router::Match::Kind::found);
}

TEST(Router, EmptyParameterDoesNotMatch) {
  Router r;
  r.add("GET", "/a/{id}", noop());
  EXPECT_EQ(r.match("GET", "/a/").kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.match("GET", "/a").kind, Router::Match::Kind::not_found);
  EXPECT_EQ(r.match("GET", "/a/b/c").kind, Router::Match::Kind::not_found);
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
  Router r;
  r.add("GET", "/x/{id}", noop());
  r.add("DELETE", "/x/{id}", noop());
  auto m = r.match("PUT", "/x/1");
  EXPECT_EQ(m.kind, Router::Match::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, DELETE");
}

TEST(Router, HeadMatchesGet) {
  Router r;
  r.add("GET", "/healthz", noop());
  EXPECT_EQ(r.match("HEAD", "/healthz").kind, Router::Match::Kind::found);
}

TEST(Router, RestParameterCapturesRemainder) {
  Router r;
  r.add("GET", "/files/{path...}", noop());
  auto m = r.match("GET", "/files/a/b/c.txt");
  ASSERT_EQ(m.kind, Router::Match::Kind::found);
  EXPECT_EQ(m.params[0].first, "path");
  EXPECT_EQ(m.params[0].second, "a/b/c.txt");
}

TEST(Router, RejectsBadPatterns) {
  Router r;
  EXPECT_THROW(r.add("GET", "relative", noop()), std::invalid_argument);
  EXPECT_THROW(r.add("GET", "/a/{x...}/b", noop()), std::invalid_argument);
}

}  // namespace
}  // namespace chatstream::http
