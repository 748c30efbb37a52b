// Static files for the web app: MIME types, ETag/If-None-Match, Cache-Control (hashed assets
// immutable, index.html no-cache), precompressed .br/.gz siblings, SPA fallback, and no path
// traversal. Files are read from disk on first use and cached in memory (revalidated by size
// and modification time), so a request costs a stat() once warm. Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/message.hpp"

namespace chatstream::http {

std::string_view mime_type_for(std::string_view path) noexcept;
// Vite-style hashed asset name: "index-3f9a1c2B.js" under an "assets/" folder.
bool is_immutable_asset(std::string_view relative_path) noexcept;
// Strong ETag of content (quoted hex of a 64-bit FNV-1a hash plus size).
std::string make_etag(std::string_view content);
// True when If-None-Match (a list, or "*") matches `etag`.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

class StaticFiles {
 public:
  // `root` may not exist (then a built-in placeholder page is served for "/").
  explicit StaticFiles(std::filesystem::path root);

  // Serves GET/HEAD for `request.path`. Returns nullopt when the path is not for static
  // files (API prefixes). Unknown paths without an extension fall back to index.html.
  std::optional<Response> serve(const Request& request);

  const std::filesystem::path& root() const noexcept { return root_; }

 private:
  struct Entry {
    std::string content;
    std::string etag;
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
  };
  std::shared_ptr<const Entry> load(const std::filesystem::path& file);
  std::optional<std::filesystem::path> resolve(std::string_view relative) const;
  Response placeholder(const Request& request) const;

  std::filesystem::path root_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> cache_;
};

}  // namespace chatstream::http
