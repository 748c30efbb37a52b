// The PostgreSQL implementation of Store (libpq, synchronous API on the store's own
// threads): one writer thread with one connection that groups queued writes into one
// transaction (writer.hpp), and a pool of read connections on their own threads. Prepared
// statements per connection; migrations under an advisory lock; broken connections are
// re-opened between operations.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace chatstream::store::postgres {

// Connects to `url` (postgres://... or postgresql://...), applies the migrations, starts
// the threads. Throws StoreFailure (its message never contains a password).
std::unique_ptr<Store> open_postgres_store(const std::string& url, const StoreConfig& config);

}  // namespace chatstream::store::postgres
