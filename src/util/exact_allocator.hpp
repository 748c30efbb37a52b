// An allocator for the handler of a long-lived asynchronous wait (a stream's client watch, its
// timer, an upstream request's deadline). Asio gives a handler with the default allocator
// memory from its per-thread recycling cache, which hands out any cached block at least as
// large as asked: a wait that stays pending for the length of a stream may then hold a block
// several times its size. Bound to such a handler (asio::bind_allocator), this allocator asks
// the heap for exactly the size needed. Frequent short operations keep the recycling cache.
#pragma once

#include <cstddef>
#include <memory>

namespace chatstream::util {

template <typename T>
struct ExactAllocator {
  using value_type = T;

  ExactAllocator() noexcept = default;
  template <typename U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}  // converting, as allocators are

  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }

  template <typename U>
  bool operator==(const ExactAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace chatstream::util
