// The PostgreSQL schema migrations, embedded at build time from
// src/store/migrations/postgres/NNNN_name.sql (see store/migrations.hpp, embed_sql.cmake).
#pragma once

#include <span>

#include "store/migrations.hpp"

namespace chatstream::store {

// Sorted by version, versions unique (checked at build time).
std::span<const Migration> postgres_migrations() noexcept;

}  // namespace chatstream::store
