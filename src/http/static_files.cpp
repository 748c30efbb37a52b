#include "http/static_files.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "http/error.hpp"
#include "http/security.hpp"

namespace chatstream::http {
namespace fs = std::filesystem;

std::string_view mime_type_for(std::string_view path) noexcept {
  struct Item {
    std::string_view ext, type;
  };
  static constexpr Item kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".avif", "image/avif"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  auto dot = path.rfind('.');
  auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  std::string_view ext = path.substr(dot);
  for (const auto& item : kTypes) {
    if (item.ext.size() != ext.size()) continue;
    bool equal = true;
    for (std::size_t i = 0; i < ext.size() && equal; ++i) {
      char c = ext[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      equal = c == item.ext[i];
    }
    if (equal) return item.type;
  }
  return "application/octet-stream";
}

bool is_immutable_asset(std::string_view rel) noexcept {
  if (!rel.starts_with("assets/")) return false;
  auto slash = rel.rfind('/');
  std::string_view name = rel.substr(slash + 1);
  auto dot = name.rfind('.');
  auto dash = name.rfind('-', dot);
  if (dot == std::string_view::npos || dash == std::string_view::npos) return false;
  std::string_view hash = name.substr(dash + 1, dot - dash - 1);
  if (hash.size() < 8) return false;
  for (char c : hash) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string make_etag(std::string_view content) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("\"{:016x}-{:x}\"", h, content.size());
}

bool etag_matches(std::string_view inm, std::string_view etag) {
  if (inm.empty()) return false;
  while (!inm.empty()) {
    auto comma = inm.find(',');
    std::string_view item = inm.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string_view::npos) break;
    inm.remove_prefix(comma + 1);
  }
  return false;
}

StaticFiles::StaticFiles(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  auto canonical = fs::weakly_canonical(root_, ec);
  if (!ec) root_ = canonical;
}

std::optional<fs::path> StaticFiles::resolve(std::string_view rel) const {
  // Refuse any dot segment, backslash or empty segment games before touching the disk.
  std::string_view rest = rel;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (seg == ".." || seg == "." || seg.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  fs::path candidate = root_ / fs::path(std::string(rel));
  std::error_code ec;
  auto canonical = fs::weakly_canonical(candidate, ec);
  if (ec) return std::nullopt;
  auto root_str = root_.native();
  const auto& c = canonical.native();
  if (c.size() < root_str.size() || c.compare(0, root_str.size(), root_str) != 0) {
    return std::nullopt;
  }
  if (!fs::is_regular_file(canonical, ec)) return std::nullopt;
  return canonical;
}

std::shared_ptr<const StaticFiles::Entry> StaticFiles::load(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return nullptr;
  auto mtime = fs::last_write_time(file, ec);
  if (ec) return nullptr;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(file.native());
    if (it != cache_.end() && it->second->size == size && it->second->mtime == mtime) {
      return it->second;
    }
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream ss;
  ss << in.rdbuf();
  auto entry = std::make_shared<Entry>();
  entry->content = std::move(ss).str();
  entry->etag = make_etag(entry->content);
  entry->size = size;
  entry->mtime = mtime;
  std::lock_guard lock(mutex_);
  cache_[file.native()] = entry;
  return entry;
}

Response StaticFiles::placeholder(const Request& request) const {
  Response r;
  r.content_type = "text/html; charset=utf-8";
  r.body =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>chatstream</title></head><body><main><h1>chatstream is running</h1>"
      "<p>The web app has not been built. Run <code>./scripts/run</code>, which builds it into "
      "<code>web/dist</code>, or pass <code>--web-root</code>.</p>"
      "<p>Health: <a href=\"/healthz\">/healthz</a> · API: <code>/api</code>, "
      "<code>/v1</code></p></main></body></html>";
  r.set_header("Cache-Control", "no-cache");
  add_html_security_headers(r);
  (void)request;
  return r;
}

std::optional<Response> StaticFiles::serve(const Request& request) {
  std::string_view path = request.path;
  if (path.starts_with("/api/") || path == "/api" || path.starts_with("/v1/") || path == "/v1") {
    return std::nullopt;
  }
  std::string rel(path.substr(1));
  if (rel.empty() || rel.back() == '/') rel += "index.html";

  std::optional<fs::path> file = resolve(rel);
  bool fallback = false;
  if (!file && rel == "index.html") return placeholder(request);
  if (!file) {
    if (rel.find("..") != std::string::npos || rel.find('\\') != std::string::npos) {
      return json_error(404, "not_found", "No such file.");
    }
    // SPA fallback: client-side routes have no extension in their last segment.
    auto last = rel.substr(rel.rfind('/') + 1);
    if (last.find('.') != std::string::npos) {
      return json_error(404, "not_found", "No such file.");
    }
    file = resolve("index.html");
    fallback = true;
    rel = "index.html";
  }
  if (!file) {
    if (rel == "index.html") return placeholder(request);
    return json_error(404, "not_found", "No such file.");
  }

  // Precompressed siblings, when the client accepts them.
  std::string_view accept = request.header("accept-encoding");
  std::shared_ptr<const Entry> entry;
  std::string encoding;
  auto accepts = [&accept](std::string_view coding) {
    return accept.find(coding) != std::string_view::npos;
  };
  for (std::string_view coding : {std::string_view("br"), std::string_view("gzip")}) {
    if (!accepts(coding)) continue;
    fs::path sibling = *file;
    sibling += coding == "br" ? ".br" : ".gz";
    std::error_code ec;
    if (fs::is_regular_file(sibling, ec)) {
      entry = load(sibling);
      if (entry) {
        encoding = std::string(coding);
        break;
      }
    }
  }
  if (!entry) entry = load(*file);
  if (!entry) return json_error(500, "read_failed", "The file could not be read.");

  Response r;
  r.content_type = std::string(mime_type_for(file->native()));
  std::string etag = entry->etag;
  if (!encoding.empty()) {
    etag.insert(etag.size() - 1, "-" + encoding);
    r.set_header("Content-Encoding", encoding);
  }
  r.set_header("Vary", "Accept-Encoding");
  r.set_header("ETag", etag);
  bool immutable = !fallback && is_immutable_asset(rel);
  r.set_header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (r.content_type.starts_with("text/html")) add_html_security_headers(r);
  if (etag_matches(request.header("if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  r.body = entry->content;  // the session omits it for HEAD
  return r;
}

}  // namespace chatstream::http
