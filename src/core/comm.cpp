#include "weft/core/comm.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace weft {

namespace detail {

int mpi_count(std::size_t count, int scale) {
  const auto limit = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (count > limit / static_cast<std::size_t>(scale)) {
    throw error("message of " + std::to_string(count) +
                " elements exceeds MPI's int count; "
                "split it into smaller messages");
  }
  return static_cast<int>(count) * scale;
}

MPI_Op native_op(op o) {
  switch (o) {
    case op::sum:
      return MPI_SUM;
    case op::prod:
      return MPI_PROD;
    case op::min:
      return MPI_MIN;
    case op::max:
      return MPI_MAX;
    case op::land:
      return MPI_LAND;
    case op::lor:
      return MPI_LOR;
    case op::band:
      return MPI_BAND;
    case op::bor:
      return MPI_BOR;
  }
  return MPI_OP_NULL;
}

std::vector<int> scaled(std::span<const int> counts, int scale) {
  std::vector<int> out(counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out[i] = mpi_count(static_cast<std::size_t>(counts[i]), scale);
  }
  return out;
}

}  // namespace detail

int comm_ref::rank() const {
  int r = 0;
  WEFT_MPI_CHECK(MPI_Comm_rank(native_, &r));
  return r;
}

int comm_ref::size() const {
  int s = 0;
  WEFT_MPI_CHECK(MPI_Comm_size(native_, &s));
  return s;
}

status comm_ref::to_status(const MPI_Status& st) {
  return detail::convert_status(st, false);
}

std::vector<int> comm_ref::displacements(std::span<const int> counts) {
  std::vector<int> d(counts.size(), 0);
  long long offset = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (offset > std::numeric_limits<int>::max()) {
      throw error("total message size exceeds MPI's int displacement; use smaller pieces");
    }
    d[i] = static_cast<int>(offset);
    offset += counts[i];
  }
  return d;
}

status comm_ref::probe(int source, int tag) const {
  MPI_Status st;
  WEFT_MPI_BLOCKING(MPI_Probe(source, tag, native_, &st));
  return to_status(st);
}

bool comm_ref::iprobe(status& out, int source, int tag) const {
  int flag = 0;
  MPI_Status st;
  WEFT_MPI_CHECK(MPI_Iprobe(source, tag, native_, &flag, &st));
  if (flag) out = to_status(st);
  return flag != 0;
}

void comm_ref::barrier() const {
  WEFT_MPI_BLOCKING(MPI_Barrier(native_));
}

void comm_ref::bcast(std::string& text, int root) const {
  unsigned long long n = text.size();
  bcast(n, root);
  text.resize(n);
  bcast(std::span<char>(text.data(), text.size()), root);
}

comm comm_ref::dup() const {
  MPI_Comm out = MPI_COMM_NULL;
  WEFT_MPI_BLOCKING(MPI_Comm_dup(native_, &out));
  return comm(out);
}

comm comm_ref::split(int color, int key) const {
  MPI_Comm out = MPI_COMM_NULL;
  WEFT_MPI_BLOCKING(MPI_Comm_split(native_, color < 0 ? MPI_UNDEFINED : color, key, &out));
  return comm(out);
}

comm comm_ref::split_shared() const {
  MPI_Comm out = MPI_COMM_NULL;
  WEFT_MPI_BLOCKING(
      MPI_Comm_split_type(native_, MPI_COMM_TYPE_SHARED, rank(), MPI_INFO_NULL, &out));
  return comm(out);
}

node_split split_nodes(const comm_ref& c) {
  node_split out;
  out.node = c.split_shared();
  const bool leader = out.node.rank() == 0;
  out.leaders = c.split(leader ? 0 : -1, c.rank());
  int index = leader ? out.leaders.rank() : 0;
  out.node.bcast(index, 0);
  out.node_index = index;
  out.nodes = c.allreduce(leader ? 1 : 0, op::sum);
  return out;
}

comm::comm(MPI_Comm native) : comm_ref(native) {
  if (native_ != MPI_COMM_NULL) {
    WEFT_MPI_CHECK(MPI_Comm_set_errhandler(native_, MPI_ERRORS_RETURN));
  }
}

comm::comm(comm&& other) noexcept : comm_ref(std::exchange(other.native_, MPI_COMM_NULL)) {}

comm& comm::operator=(comm&& other) noexcept {
  if (this != &other) {
    free_quietly();
    native_ = std::exchange(other.native_, MPI_COMM_NULL);
  }
  return *this;
}

comm::~comm() {
  free_quietly();
}

void comm::free_quietly() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  // After MPI_Finalize the communicator is gone with the library; freeing would be an error.
  if (native_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&native_);
  native_ = MPI_COMM_NULL;
}

agreement agree(const comm_ref& c, bool ok, const std::string& message) {
  const int me = c.rank();
  const int mine = ok ? std::numeric_limits<int>::max() : me;
  const int first = c.allreduce(mine, op::min);
  agreement a;
  if (first == std::numeric_limits<int>::max()) return a;
  a.ok = false;
  a.failed_rank = first;
  a.message = me == first ? message : std::string{};
  c.bcast(a.message, first);
  return a;
}

}  // namespace weft
