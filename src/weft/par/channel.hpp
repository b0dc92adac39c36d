// channel<T>: typed, ordered messages between ranks — the queue/pipe of weft.
//
// Any rank may send to any rank (itself included); messages from one sender to one
// receiver arrive in the order they were sent. A sender closes the channel towards a
// receiver (close(dest), or close() towards every rank); the receiver sees the end of
// the stream — receive() returns std::nullopt — once every rank it expects to hear from
// has closed (by default every rank of the communicator; pass `senders` to expect fewer).
// Many senders into one receiver is the ordinary case: each sender sends, then closes
// towards the receiver. Close only towards ranks that read to the end of the stream:
// every message, closing markers included, should be received (see Destruction).
//
// T is an arithmetic type, a trivially copyable struct, a std::vector of those, or a
// std::string; the channel moves their bytes, the user writes no serialisation.
//
//   weft::par::channel<std::string> ch(world);          // collective over world
//   ch.send("hello from " + std::to_string(world.rank()), 0);
//   ch.close(0);                                    // every rank, rank 0 included
//   if (world.rank() == 0) while (auto m = ch.receive()) use(*m);
//
// Sends never block: each copies its message once into a buffer the channel owns and
// starts MPI_Isend; finished sends are reaped by later calls (the queue is unbounded, as
// Python's multiprocessing.Queue). Receives probe (MPI_Probe / MPI_Iprobe) and then
// receive exactly the pending message. A timed receive polls MPI_Iprobe, backing off
// from spinning to sleeps of at most 100 µs, so it costs little CPU while waiting.
//
// Threads: MPI runs at MPI_THREAD_FUNNELED, so call a channel from the main thread only
// (outside OpenMP parallel regions, or from the master thread inside one).
// Destruction waits until this rank's sends have been delivered to MPI (a large,
// rendezvous-size message that nobody receives leaves its sender waiting), then receives
// and discards whatever has already arrived unread. A message still in flight when its
// receiver's channel is destroyed may surface in a later communicator that MPI gives the
// same context: programs should receive what they send, ending with end of stream.
// Errors: MPI failures throw weft::mpi_error; a message of the wrong size for T, a send
// after close, or a bad rank throw weft::error.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "weft/core/comm.hpp"
#include "weft/core/request.hpp"

namespace weft::par {

namespace detail {
template <class T>
struct is_transferable_vector : std::false_type {};
template <class U, class A>
struct is_transferable_vector<std::vector<U, A>>
    : std::bool_constant<transferable<U> && std::is_same_v<A, std::allocator<U>>> {};
}  // namespace detail

// The types a channel carries without user serialisation.
template <class T>
concept channel_value =
    transferable<T> || detail::is_transferable_vector<T>::value || std::is_same_v<T, std::string>;

enum class receive_status {
  message,  // a message arrived: receipt::value holds it
  empty,    // nothing arrived (try_receive), or not within the timeout (receive_for)
  closed,   // end of stream: every expected sender has closed
};

template <class T>
struct receipt {
  receive_status status = receive_status::empty;
  std::optional<T> value;
  int source = any_source;  // the sender, when status is message
  explicit operator bool() const noexcept { return status == receive_status::message; }
};

namespace detail {

// The untyped part of a channel: a private communicator, the sends in flight and which
// senders have closed.
class channel_core {
 public:
  // Collective over c. No `senders`: every rank of c.
  channel_core(const comm_ref& c, std::optional<std::vector<int>> senders);
  channel_core(const channel_core&) = delete;
  channel_core& operator=(const channel_core&) = delete;
  channel_core(channel_core&&) noexcept = default;
  channel_core& operator=(channel_core&&) noexcept = default;
  ~channel_core();

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] const comm_ref& communicator() const noexcept { return comm_; }

  void send_bytes(std::vector<std::byte> bytes, int dest);
  void close(int dest);
  void close_all();
  void flush();
  // Finds the next message from `source` (or any expected sender). `wait` < 0: block;
  // 0: do not wait; > 0: wait at most that long. Closing markers are consumed here.
  receive_status next(int source, std::chrono::nanoseconds wait, status& found);
  void recv_bytes(void* buffer, std::size_t bytes, int source);
  [[nodiscard]] bool closed(int source) const;

 private:
  struct outgoing {
    std::vector<std::byte> bytes;
    request pending;  // declared after bytes: destroyed (waited for) first
  };
  void reap();
  void check_rank(int r, const char* what) const;
  bool all_closed() const;

  comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::vector<int> senders_;
  std::vector<char> closed_;     // closed_[r]: rank r closed towards this rank
  std::vector<char> closed_to_;  // closed_to_[r]: this rank closed towards rank r
  std::vector<outgoing> in_flight_;
};

}  // namespace detail

template <channel_value T>
class channel {
 public:
  // Collective over c: duplicates the communicator (MPI_Comm_dup) so that channel
  // messages never mix with any other traffic. Expects every rank of c to send to this
  // rank and close.
  explicit channel(const comm_ref& c) : core_(c, std::nullopt) {}
  // Collective over c. `senders`: the ranks this rank expects to hear from (may be
  // empty on ranks that never receive from any_source).
  channel(const comm_ref& c, std::vector<int> senders) : core_(c, std::move(senders)) {}

  [[nodiscard]] int rank() const noexcept { return core_.rank(); }
  [[nodiscard]] int size() const noexcept { return core_.size(); }

  // Sends one message to `dest` without blocking (one copy into a channel-owned buffer).
  // Not collective. Throws weft::error after close(dest), mpi_error on MPI failure.
  void send(const T& value, int dest) { core_.send_bytes(to_bytes(value), dest); }

  // Tells `dest` that this rank sends no more. Not collective; does not block.
  void close(int dest) { core_.close(dest); }
  // close(dest) towards every rank not yet closed: for channels where every rank reads
  // from every other rank until end of stream.
  void close() { core_.close_all(); }

  // Blocks until a message from `source` (any expected sender by default) arrives, and
  // returns it; std::nullopt at end of stream. Throws weft::error when the message's
  // size does not fit T.
  std::optional<T> receive(int source = any_source) {
    auto r = receive_impl(source, std::chrono::nanoseconds(-1));
    return std::move(r.value);
  }
  // Returns a pending message, or status empty / closed without waiting.
  receipt<T> try_receive(int source = any_source) {
    return receive_impl(source, std::chrono::nanoseconds(0));
  }
  // Waits at most `timeout` for a message; status empty when none came in time.
  template <class Rep, class Period>
  receipt<T> receive_for(std::chrono::duration<Rep, Period> timeout, int source = any_source) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout);
    if (ns.count() <= 0) ns = std::chrono::nanoseconds(0);
    return receive_impl(source, ns);
  }

  // Blocks until this rank's sends so far were handed over to MPI (MPI_Wait on each).
  void flush() { core_.flush(); }

 private:
  receipt<T> receive_impl(int source, std::chrono::nanoseconds wait) {
    receipt<T> out;
    status found;
    out.status = core_.next(source, wait, found);
    if (out.status != receive_status::message) return out;
    out.source = found.source;
    out.value.emplace(from_wire(found));
    return out;
  }

  static std::vector<std::byte> to_bytes(const T& value) {
    const void* data = nullptr;
    std::size_t bytes = 0;
    if constexpr (std::is_same_v<T, std::string>) {
      data = value.data();
      bytes = value.size();
    } else if constexpr (detail::is_transferable_vector<T>::value) {
      data = value.data();
      bytes = value.size() * sizeof(typename T::value_type);
    } else {
      data = &value;
      bytes = sizeof(T);
    }
    std::vector<std::byte> out(bytes);
    if (bytes > 0) std::memcpy(out.data(), data, bytes);
    return out;
  }

  T from_wire(const status& found) {
    if constexpr (std::is_same_v<T, std::string>) {
      std::string s(found.bytes, '\0');
      core_.recv_bytes(s.data(), found.bytes, found.source);
      return s;
    } else if constexpr (detail::is_transferable_vector<T>::value) {
      using U = typename T::value_type;
      check_size(found, sizeof(U), false);
      T v(found.bytes / sizeof(U));
      core_.recv_bytes(v.data(), found.bytes, found.source);
      return v;
    } else {
      check_size(found, sizeof(T), true);
      T v{};
      core_.recv_bytes(&v, sizeof(T), found.source);
      return v;
    }
  }

  void check_size(const status& found, std::size_t unit, bool exact) {
    const bool ok = exact ? found.bytes == unit : found.bytes % unit == 0;
    if (!ok) {
      // Drain the message so the channel stays usable, then report.
      std::vector<std::byte> sink(found.bytes);
      core_.recv_bytes(sink.data(), found.bytes, found.source);
      throw error("weft::par::channel: a message of " + std::to_string(found.bytes) +
                  " bytes from rank " + std::to_string(found.source) + " does not hold " +
                  (exact ? "one element" : "whole elements") + " of " + std::to_string(unit) +
                  " bytes");
    }
  }

  detail::channel_core core_;
};

}  // namespace weft::par
