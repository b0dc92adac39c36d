#include "weft/par/channel.hpp"

#include <algorithm>
#include <thread>

#include "weft/core/error.hpp"

namespace weft::par::detail {

namespace {
// Tags on the channel's private communicator.
constexpr int data_tag = 1;
constexpr int close_tag = 2;
}  // namespace

channel_core::channel_core(const comm_ref& c, std::optional<std::vector<int>> senders)
    : comm_(c.dup()), rank_(comm_.rank()), size_(comm_.size()) {
  if (senders) {
    senders_ = std::move(*senders);
    for (int r : senders_) check_rank(r, "sender");
  } else {
    senders_.resize(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) senders_[static_cast<std::size_t>(r)] = r;
  }
  closed_.assign(static_cast<std::size_t>(size_), 0);
  closed_to_.assign(static_cast<std::size_t>(size_), 0);
}

channel_core::~channel_core() {
  if (!comm_.valid()) return;  // moved from
  // Complete our sends (their buffers are ours), then take unread messages off the
  // queue so they cannot match in a communicator that reuses this one's context.
  in_flight_.clear();
  const MPI_Comm native = comm_.native_handle();
  for (;;) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, native, &flag, &st) != MPI_SUCCESS || !flag) break;
    int bytes = 0;
    MPI_Get_count(&st, MPI_BYTE, &bytes);
    std::vector<std::byte> sink(static_cast<std::size_t>(std::max(bytes, 0)));
    if (MPI_Recv(sink.data(), bytes, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, native,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS) {
      break;
    }
  }
}

void channel_core::check_rank(int r, const char* what) const {
  if (r < 0 || r >= size_) {
    throw error("weft::par::channel: " + std::string(what) + " rank " + std::to_string(r) +
                " is outside the communicator of " + std::to_string(size_) + " ranks");
  }
}

void channel_core::reap() {
  // Sends complete roughly in order; drop the finished ones from the front.
  std::size_t done = 0;
  while (done < in_flight_.size() && in_flight_[done].pending.test()) ++done;
  if (done > 0) {
    in_flight_.erase(in_flight_.begin(), in_flight_.begin() + static_cast<std::ptrdiff_t>(done));
  }
}

void channel_core::send_bytes(std::vector<std::byte> bytes, int dest) {
  check_rank(dest, "destination");
  if (closed_to_[static_cast<std::size_t>(dest)]) {
    throw error("weft::par::channel: send to rank " + std::to_string(dest) +
                " after this rank closed the channel towards it");
  }
  reap();
  outgoing o{std::move(bytes), request{}};
  o.pending = comm_.isend(std::span<const std::byte>(o.bytes), dest, data_tag);
  in_flight_.push_back(std::move(o));
}

void channel_core::close(int dest) {
  check_rank(dest, "destination");
  if (closed_to_[static_cast<std::size_t>(dest)]) return;
  closed_to_[static_cast<std::size_t>(dest)] = 1;
  reap();
  outgoing o{{}, request{}};
  o.pending = comm_.isend(std::span<const std::byte>(o.bytes), dest, close_tag);
  in_flight_.push_back(std::move(o));
}

void channel_core::close_all() {
  for (int r = 0; r < size_; ++r) close(r);
}

void channel_core::flush() {
  for (auto& o : in_flight_) o.pending.wait();
  in_flight_.clear();
}

bool channel_core::closed(int source) const {
  return closed_[static_cast<std::size_t>(source)] != 0;
}

bool channel_core::all_closed() const {
  return std::all_of(senders_.begin(), senders_.end(),
                     [this](int r) { return closed_[static_cast<std::size_t>(r)] != 0; });
}

receive_status channel_core::next(int source, std::chrono::nanoseconds wait, status& found) {
  if (source != any_source) check_rank(source, "source");
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + wait;
  auto pause = std::chrono::microseconds(1);
  int polls = 0;
  for (;;) {
    if (source == any_source ? all_closed() : closed(source)) return receive_status::closed;
    bool have = false;
    if (wait.count() < 0) {
      found = comm_.probe(source, any_tag);
      have = true;
    } else {
      have = comm_.iprobe(found, source, any_tag);
    }
    if (have) {
      if (found.tag == close_tag) {
        comm_.recv(std::span<std::byte>(), found.source, close_tag);
        closed_[static_cast<std::size_t>(found.source)] = 1;
        continue;
      }
      return receive_status::message;
    }
    // Sends of our own may be waiting for this receiver's progress; keep them moving.
    reap();
    if (wait.count() == 0 || clock::now() >= deadline) return receive_status::empty;
    // Spin briefly (low latency), then sleep in growing steps up to 100 µs (low CPU).
    if (++polls > 64) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(100));
    }
  }
}

void channel_core::recv_bytes(void* buffer, std::size_t bytes, int source) {
  comm_.recv(std::span<std::byte>(static_cast<std::byte*>(buffer), bytes), source, data_tag);
}

}  // namespace weft::par::detail
