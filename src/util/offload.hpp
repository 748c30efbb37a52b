// Run a blocking function on another executor (a thread pool, a dedicated thread) and get
// its result back on the caller's executor:
//
//   asio::thread_pool blocking_pool{2};
//   std::string text = co_await util::run_on(blocking_pool.get_executor(), [] { return read_file();
//   });
//
// The function runs on `ex`; its result (or the exception it threw) is delivered through
// the completion handler's associated executor (for a coroutine: the coroutine's own
// executor, so the coroutine resumes where it was). While the function runs, the caller's
// executor counts outstanding work, so its io_context::run() does not return early.
// Cancellation is not supported: once started, the function runs to completion.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace chatstream::util {
namespace detail {

template <class R>
struct offload_signature {
  static_assert(std::is_default_constructible_v<R>,
                "run_on: the result type must be default-constructible (or use void)");
  using type = void(std::exception_ptr, R);
};

template <>
struct offload_signature<void> {
  using type = void(std::exception_ptr);
};

struct offload_initiation {
  template <class Handler, class Executor, class F>
  void operator()(Handler handler, Executor ex, F f) const {
    auto home = boost::asio::prefer(boost::asio::get_associated_executor(handler, ex),
                                    boost::asio::execution::outstanding_work.tracked);
    boost::asio::post(
        ex, [handler = std::move(handler), home = std::move(home), f = std::move(f)]() mutable {
          using R = std::invoke_result_t<F&>;
          std::exception_ptr error;
          if constexpr (std::is_void_v<R>) {
            try {
              f();
            } catch (...) {
              error = std::current_exception();
            }
            auto target = home;
            boost::asio::dispatch(target, [handler = std::move(handler), home = std::move(home),
                                           error]() mutable { std::move(handler)(error); });
          } else {
            std::optional<R> result;
            try {
              result.emplace(f());
            } catch (...) {
              error = std::current_exception();
              result.emplace();
            }
            auto target = home;
            boost::asio::dispatch(target, [handler = std::move(handler), home = std::move(home),
                                           error, result = std::move(result)]() mutable {
              std::move(handler)(error, std::move(*result));
            });
          }
        });
  }
};

}  // namespace detail

// The result type of run_on(ex, f): what `f()` returns.
template <class F>
using offload_result_t = std::invoke_result_t<std::decay_t<F>&>;

// Generic form: completes with (std::exception_ptr, R) or (std::exception_ptr) for void.
template <class Executor, class F, class CompletionToken>
auto async_run_on(Executor ex, F f, CompletionToken&& token) {
  using Signature = typename detail::offload_signature<offload_result_t<F>>::type;
  return boost::asio::async_initiate<CompletionToken, Signature>(
      detail::offload_initiation{}, token, std::move(ex), std::move(f));
}

// Coroutine form: `co_await run_on(ex, f)` returns f()'s result or rethrows its exception.
template <class F>
boost::asio::awaitable<offload_result_t<F>> run_on(boost::asio::any_io_executor ex, F f) {
  return async_run_on(std::move(ex), std::move(f), boost::asio::use_awaitable);
}

}  // namespace chatstream::util
