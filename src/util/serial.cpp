#include "util/serial.hpp"

#include <boost/asio/strand.hpp>

namespace chatstream::util {
namespace asio = boost::asio;

namespace {

using IoExecutor = asio::io_context::executor_type;

// The mark: a service without behaviour, whose presence in the context's registry says that
// one thread runs it.
class SingleThreaded final : public asio::execution_context::service {
 public:
  using key_type = SingleThreaded;
  explicit SingleThreaded(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

 private:
  void shutdown() override {}
};

}  // namespace

void mark_single_threaded(asio::io_context& ctx) {
  if (!asio::has_service<SingleThreaded>(ctx)) asio::make_service<SingleThreaded>(ctx);
}

bool is_single_threaded(asio::io_context& ctx) {
  return asio::has_service<SingleThreaded>(ctx);
}

bool is_serial(const asio::any_io_executor& ex) {
  // The io_context's own executor first: on one thread it is the common case (each target
  // check compares type names).
  if (const auto* io = ex.target<IoExecutor>()) return is_single_threaded(io->context());
  return ex.target<asio::strand<IoExecutor>>() != nullptr ||
         ex.target<asio::strand<asio::any_io_executor>>() != nullptr;
}

std::optional<IoExecutor> io_executor_of(const asio::any_io_executor& ex) {
  if (const auto* io = ex.target<IoExecutor>()) return *io;
  if (const auto* s = ex.target<asio::strand<IoExecutor>>()) return s->get_inner_executor();
  if (const auto* s = ex.target<asio::strand<asio::any_io_executor>>()) {
    return io_executor_of(s->get_inner_executor());
  }
  return std::nullopt;
}

bool on_single_thread(const asio::any_io_executor& ex) {
  const auto io = io_executor_of(ex);
  return io && is_single_threaded(io->context());
}

asio::any_io_executor make_serial(const asio::any_io_executor& ex) {
  if (const auto io = io_executor_of(ex)) {
    if (is_single_threaded(io->context())) return *io;
    return asio::make_strand(*io);
  }
  // Not on an io_context: a new strand on what a strand wraps, not a strand over the strand.
  if (const auto* s = ex.target<asio::strand<asio::any_io_executor>>()) {
    return make_serial(s->get_inner_executor());
  }
  return asio::make_strand(ex);
}

bool running_in_this_thread(const asio::any_io_executor& ex) {
  if (const auto* io = ex.target<IoExecutor>()) return io->running_in_this_thread();
  if (const auto* s = ex.target<asio::strand<IoExecutor>>()) return s->running_in_this_thread();
  if (const auto* s = ex.target<asio::strand<asio::any_io_executor>>()) {
    return s->running_in_this_thread();
  }
  return false;
}

}  // namespace chatstream::util
