#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/process.hpp"

namespace chatstream::http {
namespace {

void write(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

Request get(std::string path) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(Mime, KnownTypes) {
  EXPECT_EQ(mime_type_for("a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("x.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("s.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("f.woff2"), "font/woff2");
  EXPECT_EQ(mime_type_for("i.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type_for("noext"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("dir.d/noext"), "application/octet-stream");
}

TEST(Etag, StableAndContentDependent) {
  EXPECT_EQ(make_etag("abc"), make_etag("abc"));
  EXPECT_NE(make_etag("abc"), make_etag("abd"));
  auto e = make_etag("abc");
  EXPECT_TRUE(etag_matches(e, e));
  EXPECT_TRUE(etag_matches("\"zzz\", " + e, e));
  EXPECT_TRUE(etag_matches("W/" + e, e));
  EXPECT_TRUE(etag_matches("*", e));
  EXPECT_FALSE(etag_matches("\"nope\"", e));
  EXPECT_FALSE(etag_matches("", e));
}

TEST(Immutable, HashedAssetsOnly) {
  EXPECT_TRUE(is_immutable_asset("assets/index-B3x9aZ_1.js"));
  EXPECT_FALSE(is_immutable_asset("assets/logo.svg"));
  EXPECT_FALSE(is_immutable_asset("index.html"));
  EXPECT_FALSE(is_immutable_asset("assets/a-b.js"));
}

TEST(StaticFiles, ServesCachesAndFallsBack) {
  testing::TempDir dir;
  write(dir.path() / "index.html", "<!doctype html><p>app</p>");
  write(dir.path() / "assets/app-abcdef12.js", "console.log(1)");
  write(dir.path() / "assets/app-abcdef12.js.br", "BROTLI");
  StaticFiles files(dir.path());

  auto index = files.serve(get("/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200u);
  EXPECT_EQ(index->body, "<!doctype html><p>app</p>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");

  auto js = files.serve(get("/assets/app-abcdef12.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, "console.log(1)");
  bool immutable = false;
  for (auto& [k, v] : js->headers) {
    if (k == "Cache-Control") immutable = v.find("immutable") != std::string::npos;
  }
  EXPECT_TRUE(immutable);

  auto br_req = get("/assets/app-abcdef12.js");
  br_req.headers.emplace_back("accept-encoding", "gzip, br");
  auto br = files.serve(br_req);
  ASSERT_TRUE(br);
  EXPECT_EQ(br->body, "BROTLI");

  auto spa = files.serve(get("/c/some-conversation"));
  ASSERT_TRUE(spa);
  EXPECT_EQ(spa->status, 200u);
  EXPECT_EQ(spa->body, index->body);

  auto missing = files.serve(get("/missing.png"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404u);

  EXPECT_FALSE(files.serve(get("/api/conversations")));
  EXPECT_FALSE(files.serve(get("/v1/models")));
}

TEST(StaticFiles, RefusesTraversal) {
  testing::TempDir dir;
  write(dir.path() / "root/index.html", "ok");
  write(dir.path() / "secret.txt", "secret");
  StaticFiles files(dir.path() / "root");
  for (const char* p : {"/../secret.txt", "/a/../../secret.txt", "/..", "/./../secret.txt"}) {
    auto r = files.serve(get(p));
    ASSERT_TRUE(r) << p;
    EXPECT_NE(r->body, "secret") << p;
    EXPECT_EQ(r->status, 404u) << p;
  }
}

TEST(StaticFiles, RevalidatesWithIfNoneMatch) {
  testing::TempDir dir;
  write(dir.path() / "index.html", "v1");
  StaticFiles files(dir.path());
  auto first = files.serve(get("/index.html"));
  std::string etag;
  for (auto& [k, v] : first->headers) {
    if (k == "ETag") etag = v;
  }
  ASSERT_FALSE(etag.empty());
  auto req = get("/index.html");
  req.headers.emplace_back("if-none-match", etag);
  EXPECT_EQ(files.serve(req)->status, 304u);
}

TEST(StaticFiles, PlaceholderWithoutWebRoot) {
  testing::TempDir dir;
  StaticFiles files(dir.path() / "does-not-exist");
  auto r = files.serve(get("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u);
  EXPECT_NE(r->body.find("chatstream is running"), std::string::npos);
}

}  // namespace
}  // namespace chatstream::http
