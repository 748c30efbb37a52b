// How the shared batching writer (common/batch_writer.hpp) drives a SQLite write
// connection: BEGIN IMMEDIATE, one SAVEPOINT per operation, COMMIT. Its WAL checkpoints run
// on a thread of their own (checkpointer.hpp).
#pragma once

#include <memory>

#include "store/common/batch_writer.hpp"
#include "store/sqlite/connection.hpp"

namespace chatstream::store::sqlite {

std::unique_ptr<common::WriterBackend> make_writer_backend(std::unique_ptr<Connection> conn);

}  // namespace chatstream::store::sqlite
