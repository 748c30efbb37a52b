// How the shared batching writer (common/batch_writer.hpp) drives a PostgreSQL write
// connection: BEGIN, one SAVEPOINT per operation, COMMIT.
//
// A broken connection is re-opened before the next transaction begins (never inside one):
// the batch that was running when it broke fails as a whole, the next one reconnects.
#pragma once

#include <memory>

#include "store/common/batch_writer.hpp"
#include "store/postgres/connection.hpp"

namespace chatstream::store::postgres {

std::unique_ptr<common::WriterBackend> make_writer_backend(std::unique_ptr<Connection> conn);

}  // namespace chatstream::store::postgres
