// Schema migrations, embedded into the binary at build time from
// src/store/migrations/<backend>/NNNN_name.sql (see embed_sql.cmake). Applied in version
// order, each in its own transaction, and recorded in the schema_migrations table.
#pragma once

#include <span>
#include <string_view>

namespace chatstream::store {

struct Migration {
  int version;            // NNNN of the file name
  std::string_view name;  // file name without ".sql"
  std::string_view sql;   // file contents
};

// Sorted by version, versions unique (checked at build time).
std::span<const Migration> sqlite_migrations() noexcept;

}  // namespace chatstream::store
