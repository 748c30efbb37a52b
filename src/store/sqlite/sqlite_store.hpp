// The SQLite implementation of Store: one writer thread (writer.hpp) and a pool of
// read-only connections on their own threads (WAL lets them read while the writer writes).
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace chatstream::store::sqlite {

// Opens (creating and migrating) the database file at `path`. Throws StoreFailure.
std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreConfig& config);

}  // namespace chatstream::store::sqlite
