// request: a move-only handle on one nonblocking MPI operation (isend, irecv, ...).
//
// wait() blocks until the operation completes; test() polls. A request that is
// destroyed while still active completes the operation first: a receive is cancelled
// then completed, a send is waited for (so its buffer is never freed under MPI's feet).
// The destructor never throws; a failure there is logged.
#pragma once

#include <mpi.h>

#include <optional>
#include <span>
#include <vector>

namespace weft {

struct status {
  int source = MPI_ANY_SOURCE;
  int tag = MPI_ANY_TAG;
  std::size_t bytes = 0;
  bool cancelled = false;
};

namespace detail {
// A weft::status from MPI's: source, tag, size in bytes, and (for requests, which can be
// cancelled) whether it was cancelled.
status convert_status(const MPI_Status& st, bool check_cancelled);
}  // namespace detail

class request;
std::optional<std::size_t> wait_any(std::span<request> requests);

class request {
 public:
  enum class kind { send, receive, collective };

  request() noexcept = default;
  request(MPI_Request native, kind k) noexcept : native_(native), kind_(k) {}
  request(const request&) = delete;
  request& operator=(const request&) = delete;
  request(request&& other) noexcept;
  request& operator=(request&& other) noexcept;
  ~request();

  // Blocks until the operation completes. Throws mpi_error on failure.
  status wait();
  // Returns the status when complete, std::nullopt when still in flight.
  std::optional<status> test();
  // Cancels a pending receive; completion still needs wait().
  void cancel();
  [[nodiscard]] bool active() const noexcept { return native_ != MPI_REQUEST_NULL; }
  [[nodiscard]] MPI_Request native_handle() const noexcept { return native_; }

 private:
  friend std::optional<std::size_t> wait_any(std::span<request> requests);
  void finish_quietly() noexcept;
  MPI_Request native_ = MPI_REQUEST_NULL;
  kind kind_ = kind::send;
};

// Waits for every request in the span (MPI_Waitall).
void wait_all(std::span<request> requests);
// Waits for any one; returns its index, or std::nullopt when none is active.
std::optional<std::size_t> wait_any(std::span<request> requests);

}  // namespace weft
