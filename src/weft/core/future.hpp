// future<T>: a value that arrives when nonblocking communication completes — the
// async/await of weft.
//
// A future holds a set of weft::request objects and a completion function. When every
// request has completed, the completion runs once and produces the value (or throws,
// and get() re-throws that exception). Anything built from nonblocking operations can
// return one: a receive (recv_async), a send that owns its buffer (send_async), the
// overlapped halo exchange (its requests plus an unpack step as completion).
//
//   auto f = weft::recv_async<double>(world, 100, 0, 7)
//                .then([](std::vector<double> v) { return std::accumulate(...); });
//   ... compute while the message travels ...
//   double total = f.get();
//
// Progress: MPI is initialised with MPI_THREAD_FUNNELED, so no background thread drives
// the requests. A future advances only when its owner calls ready(), wait() or get() —
// from the main thread, outside OpenMP parallel regions (or on the master thread) — and
// continuations (then) run there, at that moment, in the order they were attached.
// Cost: ready() is one MPI_Test per still-active request; wait() is MPI_Wait on each;
// then() and when_all() allocate one std::function and move the requests (no MPI call).
// Nothing here is collective. Failures of MPI calls throw weft::mpi_error.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/request.hpp"

namespace weft {

template <class T>
class future;

namespace detail {

// The stored form of a future's value: std::monostate stands for void.
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Calls f(args...) and returns its result, or std::monostate when f returns void.
template <class F, class... Args>
auto invoke_stored(F& f, Args&&... args) {
  using R = std::invoke_result_t<F&, Args...>;
  if constexpr (std::is_void_v<R>) {
    std::invoke(f, std::forward<Args>(args)...);
    return std::monostate{};
  } else {
    return std::invoke(f, std::forward<Args>(args)...);
  }
}

// MPI_Test on every active request; true when none is left active. Throws mpi_error.
bool test_all(std::span<request> requests);
// MPI_Wait on every active request. Throws mpi_error.
void wait_all(std::span<request> requests);

// The result type of a continuation f applied to a future<T>'s value (f() when T is void).
template <class T, class F>
struct continuation_result {
  using type = std::invoke_result_t<F&, T>;
};
template <class F>
struct continuation_result<void, F> {
  using type = std::invoke_result_t<F&>;
};

}  // namespace detail

template <class T>
class future {
 public:
  using value_type = T;
  using stored_type = detail::stored_t<T>;
  using completion = std::function<stored_type()>;

  // An empty future: valid() is false.
  future() = default;
  // Ready when every request has completed; then `finish` produces the value. `finish`
  // runs exactly once, on the thread that calls ready(), wait() or get().
  future(std::vector<request> requests, completion finish)
      : requests_(std::move(requests)), finish_(std::move(finish)), valid_(true) {}
  future(request r, completion finish) : finish_(std::move(finish)), valid_(true) {
    requests_.push_back(std::move(r));
  }
  future(const future&) = delete;
  future& operator=(const future&) = delete;
  future(future&&) noexcept = default;
  future& operator=(future&&) noexcept = default;
  // Destroying a future that never completed completes its requests (see weft::request:
  // a pending receive is cancelled, a pending send is waited for); the completion does
  // not run.
  ~future() = default;

  [[nodiscard]] bool valid() const noexcept { return valid_; }

  // Nonblocking: true once every request has completed and the completion has run.
  // Throws weft::error on an empty future, mpi_error when MPI_Test fails.
  bool ready() {
    check_valid();
    if (!done_ && detail::test_all(requests_)) complete();
    return done_;
  }

  // Blocks until every request has completed and the completion has run. Does not throw
  // the completion's exception (get() does); throws mpi_error when MPI_Wait fails.
  void wait() {
    check_valid();
    if (done_) return;
    detail::wait_all(requests_);
    complete();
  }

  // wait(), then the value: re-throws the completion's exception. The future becomes
  // empty (valid() false) afterwards.
  T get() {
    wait();
    valid_ = false;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if constexpr (!std::is_void_v<T>) {
      T v = std::move(*value_);
      value_.reset();
      return v;
    }
  }

  // A future of f(value) (or f() when T is void). The requests move into the new future
  // and this one becomes empty; f runs when the new future completes. An exception from
  // an earlier step skips f and reaches the new future's get().
  template <class F>
  auto then(F f) {
    using R = typename detail::continuation_result<T, F>::type;
    auto [requests, finish] = release();
    typename future<R>::completion next = [finish = std::move(finish), f = std::move(f)]() mutable {
      if constexpr (std::is_void_v<T>) {
        finish();
        return detail::invoke_stored(f);
      } else {
        return detail::invoke_stored(f, std::move(finish()));
      }
    };
    return future<R>(std::move(requests), std::move(next));
  }

  // The requests and a completion that yields the value (or re-throws), leaving this
  // future empty. Used by then() and when_all().
  std::pair<std::vector<request>, completion> release() {
    check_valid();
    valid_ = false;
    std::pair<std::vector<request>, completion> out;
    if (!done_) {
      out.first = std::move(requests_);
      out.second = std::move(finish_);
    } else if (error_) {
      out.second = [e = std::exchange(error_, nullptr)]() -> stored_type {
        std::rethrow_exception(e);
      };
    } else {
      auto held = std::make_shared<stored_type>(std::move(*value_));
      value_.reset();
      out.second = [held]() -> stored_type { return std::move(*held); };
    }
    return out;
  }

 private:
  void check_valid() const {
    if (!valid_) throw error("weft::future: used after get(), then() or when_all(), or empty");
  }
  void complete() {
    done_ = true;
    try {
      value_.emplace(finish_());
    } catch (...) {
      error_ = std::current_exception();
    }
    finish_ = nullptr;
  }

  std::vector<request> requests_;
  completion finish_;
  std::optional<stored_type> value_;
  std::exception_ptr error_;
  bool valid_ = false;
  bool done_ = false;
};

// A future that is ready at once with `value`.
template <class T>
future<std::decay_t<T>> make_ready_future(T&& value) {
  auto held = std::make_shared<std::decay_t<T>>(std::forward<T>(value));
  return future<std::decay_t<T>>(std::vector<request>{}, [held] { return std::move(*held); });
}
inline future<void> make_ready_future() {
  return future<void>(std::vector<request>{}, [] { return std::monostate{}; });
}

// One future for many: ready when all are; its value holds theirs in the same order
// (future<void> when T is void). The input futures become empty. Completions run in
// input order; the first exception among them reaches get().
template <class T>
auto when_all(std::vector<future<T>> futures) {
  using R = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;
  std::vector<request> all;
  std::vector<typename future<T>::completion> finishes;
  finishes.reserve(futures.size());
  for (auto& f : futures) {
    auto [requests, finish] = f.release();
    for (auto& r : requests) all.push_back(std::move(r));
    finishes.push_back(std::move(finish));
  }
  typename future<R>::completion done = [finishes = std::move(finishes)]() mutable {
    if constexpr (std::is_void_v<T>) {
      for (auto& f : finishes) f();
      return std::monostate{};
    } else {
      std::vector<T> values;
      values.reserve(finishes.size());
      for (auto& f : finishes) values.push_back(f());
      return values;
    }
  };
  return future<R>(std::move(all), std::move(done));
}

// Sends `data` without blocking; the future owns the buffer until the send completed.
// Not collective; the matching receive may be any receive of the same size and tag.
template <transferable T>
future<void> send_async(const comm_ref& c, std::vector<T> data, int dest, int tag = 0) {
  auto held = std::make_shared<std::vector<T>>(std::move(data));
  request r = c.isend(std::span<const T>(*held), dest, tag);
  return future<void>(std::move(r), [held] { return std::monostate{}; });
}

// Receives `count` elements without blocking; the future's value is the vector (a
// shorter message leaves the tail value-initialised). Not collective.
template <transferable T>
future<std::vector<T>> recv_async(const comm_ref& c, std::size_t count, int source = any_source,
                                  int tag = any_tag) {
  auto held = std::make_shared<std::vector<T>>(count);
  request r = c.irecv(std::span<T>(*held), source, tag);
  return future<std::vector<T>>(std::move(r), [held] { return std::move(*held); });
}

}  // namespace weft
