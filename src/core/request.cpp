#include "weft/core/request.hpp"

#include <utility>

#include "weft/core/blocking.hpp"
#include "weft/core/error.hpp"
#include "weft/core/log.hpp"

namespace weft {

namespace detail {
status convert_status(const MPI_Status& st, bool check_cancelled) {
  status s;
  s.source = st.MPI_SOURCE;
  s.tag = st.MPI_TAG;
  // Messages are limited to INT_MAX bytes (detail::mpi_count), so an int count suffices.
  int bytes = 0;
  MPI_Get_count(&st, MPI_BYTE, &bytes);
  s.bytes = bytes == MPI_UNDEFINED ? 0 : static_cast<std::size_t>(bytes);
  if (check_cancelled) {
    int cancelled = 0;
    MPI_Test_cancelled(&st, &cancelled);
    s.cancelled = cancelled != 0;
  }
  return s;
}
}  // namespace detail

request::request(request&& other) noexcept
    : native_(std::exchange(other.native_, MPI_REQUEST_NULL)), kind_(other.kind_) {}

request& request::operator=(request&& other) noexcept {
  if (this != &other) {
    finish_quietly();
    native_ = std::exchange(other.native_, MPI_REQUEST_NULL);
    kind_ = other.kind_;
  }
  return *this;
}

request::~request() {
  finish_quietly();
}

void request::finish_quietly() noexcept {
  if (native_ == MPI_REQUEST_NULL) return;
  // A receive nobody will match would block forever: cancel it first. A send must
  // complete, since its buffer belongs to the caller and may be freed right after.
  if (kind_ == kind::receive) MPI_Cancel(&native_);
  if (MPI_Wait(&native_, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
    log::write(log::level::error, "weft::request: MPI_Wait failed while destroying a request");
    native_ = MPI_REQUEST_NULL;
  }
}

status request::wait() {
  MPI_Status st;
  WEFT_MPI_BLOCKING(MPI_Wait(&native_, &st));
  return detail::convert_status(st, true);
}

std::optional<status> request::test() {
  int done = 0;
  MPI_Status st;
  WEFT_MPI_CHECK(MPI_Test(&native_, &done, &st));
  if (!done) return std::nullopt;
  return detail::convert_status(st, true);
}

void request::cancel() {
  if (native_ != MPI_REQUEST_NULL) WEFT_MPI_CHECK(MPI_Cancel(&native_));
}

void wait_all(std::span<request> requests) {
  for (auto& r : requests) r.wait();
}

std::optional<std::size_t> wait_any(std::span<request> requests) {
  std::vector<MPI_Request> natives;
  natives.reserve(requests.size());
  for (auto& r : requests) natives.push_back(r.native_handle());
  int index = MPI_UNDEFINED;
  MPI_Status st;
  WEFT_MPI_BLOCKING(MPI_Waitany(static_cast<int>(natives.size()), natives.data(), &index, &st));
  if (index == MPI_UNDEFINED) return std::nullopt;
  // MPI completed and freed that request: forget the handle without waiting again.
  requests[static_cast<std::size_t>(index)].native_ = MPI_REQUEST_NULL;
  return static_cast<std::size_t>(index);
}

}  // namespace weft
