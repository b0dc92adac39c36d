// comm: typed MPI communication.
//
// comm_ref is a non-owning view of a communicator (world, or one owned elsewhere);
// comm owns one (made by dup() or split()) and frees it on destruction. Neither is
// copyable: creating a communicator is a collective, so it is always explicit.
//
// Buffers are std::span<T> (or a single T&) of arithmetic types or trivially copyable
// structs; nothing is copied on the way to MPI. Every function that is a collective
// says "collective over comm": every rank of the communicator must call it, in the
// same order. Failures throw weft::mpi_error with MPI's own message.
#pragma once

#include <mpi.h>

#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "weft/core/blocking.hpp"
#include "weft/core/datatype.hpp"
#include "weft/core/error.hpp"
#include "weft/core/request.hpp"

namespace weft {

enum class op { sum, prod, min, max, land, lor, band, bor };

namespace detail {
MPI_Op native_op(op o);
std::vector<int> scaled(std::span<const int> counts, int scale);
}  // namespace detail

inline constexpr int any_source = MPI_ANY_SOURCE;
inline constexpr int any_tag = MPI_ANY_TAG;

class comm;

class comm_ref {
 public:
  explicit comm_ref(MPI_Comm native) noexcept : native_(native) {}
  comm_ref(const comm_ref&) = delete;
  comm_ref& operator=(const comm_ref&) = delete;
  comm_ref(comm_ref&&) noexcept = default;
  comm_ref& operator=(comm_ref&&) noexcept = default;
  ~comm_ref() = default;

  [[nodiscard]] int rank() const;
  [[nodiscard]] int size() const;
  [[nodiscard]] MPI_Comm native_handle() const noexcept { return native_; }
  // A second non-owning view of the same communicator.
  [[nodiscard]] comm_ref ref() const noexcept { return comm_ref(native_); }

  // --- point to point ---------------------------------------------------------
  template <transferable T>
  void send(std::span<const T> data, int dest, int tag = 0) const {
    const auto w = detail::wire_of<T>();
    WEFT_MPI_BLOCKING(
        MPI_Send(data.data(), detail::mpi_count(data.size(), w.scale), w.type, dest, tag, native_));
  }
  template <transferable T>
  void send(const T& value, int dest, int tag = 0) const {
    send(std::span<const T>(&value, 1), dest, tag);
  }
  // Receives into `data`; the message may be shorter than the span (status.bytes says).
  template <transferable T>
  status recv(std::span<T> data, int source = any_source, int tag = any_tag) const {
    const auto w = detail::wire_of<T>();
    MPI_Status st;
    WEFT_MPI_BLOCKING(MPI_Recv(data.data(), detail::mpi_count(data.size(), w.scale), w.type, source,
                               tag, native_, &st));
    return to_status(st);
  }
  template <transferable T>
  T recv(int source = any_source, int tag = any_tag) const {
    T value{};
    recv(std::span<T>(&value, 1), source, tag);
    return value;
  }
  // Receives a message of unknown length (probes first).
  template <transferable T>
  std::vector<T> recv_vector(int source = any_source, int tag = any_tag,
                             status* out = nullptr) const {
    const status st = probe(source, tag);
    std::vector<T> data(st.bytes / sizeof(T));
    const status got = recv(std::span<T>(data), st.source, st.tag);
    if (out) *out = got;
    return data;
  }
  template <transferable T>
  [[nodiscard]] request isend(std::span<const T> data, int dest, int tag = 0) const {
    const auto w = detail::wire_of<T>();
    MPI_Request r;
    WEFT_MPI_CHECK(MPI_Isend(data.data(), detail::mpi_count(data.size(), w.scale), w.type, dest,
                             tag, native_, &r));
    return {r, request::kind::send};
  }
  template <transferable T>
  [[nodiscard]] request irecv(std::span<T> data, int source = any_source, int tag = any_tag) const {
    const auto w = detail::wire_of<T>();
    MPI_Request r;
    WEFT_MPI_CHECK(MPI_Irecv(data.data(), detail::mpi_count(data.size(), w.scale), w.type, source,
                             tag, native_, &r));
    return {r, request::kind::receive};
  }
  template <transferable T, transferable U>
  status sendrecv(std::span<const T> out, int dest, int send_tag, std::span<U> in, int source,
                  int recv_tag) const {
    const auto wo = detail::wire_of<T>();
    const auto wi = detail::wire_of<U>();
    MPI_Status st;
    WEFT_MPI_BLOCKING(MPI_Sendrecv(
        out.data(), detail::mpi_count(out.size(), wo.scale), wo.type, dest, send_tag, in.data(),
        detail::mpi_count(in.size(), wi.scale), wi.type, source, recv_tag, native_, &st));
    return to_status(st);
  }
  // Blocks until a matching message is pending; says its source, tag and size.
  status probe(int source = any_source, int tag = any_tag) const;
  // Like probe() but returns an empty status (bytes 0, source any_source) when nothing waits.
  [[nodiscard]] bool iprobe(status& out, int source = any_source, int tag = any_tag) const;

  // --- collectives (each: collective over comm) --------------------------------
  void barrier() const;

  template <transferable T>
  void bcast(std::span<T> data, int root = 0) const {
    const auto w = detail::wire_of<T>();
    WEFT_MPI_BLOCKING(
        MPI_Bcast(data.data(), detail::mpi_count(data.size(), w.scale), w.type, root, native_));
  }
  template <transferable T>
  void bcast(T& value, int root = 0) const {
    bcast(std::span<T>(&value, 1), root);
  }
  // Broadcasts a string or vector whose length only the root knows.
  void bcast(std::string& text, int root = 0) const;
  template <transferable T>
  void bcast(std::vector<T>& data, int root = 0) const {
    unsigned long long n = data.size();
    bcast(n, root);
    data.resize(n);
    bcast(std::span<T>(data), root);
  }

  // Element-wise reduction of `in` into `out` on `root` (out is ignored elsewhere).
  template <reducible T>
  void reduce(std::span<const T> in, std::span<T> out, op o, int root = 0) const {
    WEFT_MPI_BLOCKING(MPI_Reduce(in.data(), rank() == root ? out.data() : nullptr,
                                 detail::mpi_count(in.size(), 1), detail::arithmetic_type<T>(),
                                 detail::native_op(o), root, native_));
  }
  template <reducible T>
  T reduce(T value, op o, int root = 0) const {
    T result{};
    reduce(std::span<const T>(&value, 1), std::span<T>(&result, 1), o, root);
    return result;
  }
  template <reducible T>
  void allreduce(std::span<const T> in, std::span<T> out, op o) const {
    WEFT_MPI_BLOCKING(MPI_Allreduce(in.data(), out.data(), detail::mpi_count(in.size(), 1),
                                    detail::arithmetic_type<T>(), detail::native_op(o), native_));
  }
  // In-place element-wise reduction over all ranks.
  template <reducible T>
  void allreduce(std::span<T> inout, op o) const {
    WEFT_MPI_BLOCKING(MPI_Allreduce(MPI_IN_PLACE, inout.data(), detail::mpi_count(inout.size(), 1),
                                    detail::arithmetic_type<T>(), detail::native_op(o), native_));
  }
  template <reducible T>
  T allreduce(T value, op o) const {
    allreduce(std::span<T>(&value, 1), o);
    return value;
  }

  // Gathers one value per rank; the result has size() elements on root, is empty elsewhere.
  template <transferable T>
  std::vector<T> gather(const T& value, int root = 0) const {
    std::vector<T> out(rank() == root ? size() : 0);
    const auto w = detail::wire_of<T>();
    WEFT_MPI_BLOCKING(
        MPI_Gather(&value, w.scale, w.type, out.data(), w.scale, w.type, root, native_));
    return out;
  }
  template <transferable T>
  std::vector<T> allgather(const T& value) const {
    std::vector<T> out(size());
    const auto w = detail::wire_of<T>();
    WEFT_MPI_BLOCKING(MPI_Allgather(&value, w.scale, w.type, out.data(), w.scale, w.type, native_));
    return out;
  }
  // Gathers spans of different lengths in rank order onto root (empty elsewhere).
  template <transferable T>
  std::vector<T> gatherv(std::span<const T> data, int root = 0) const {
    const auto counts = gather(static_cast<int>(data.size()), root);
    return gatherv_impl<T>(data, counts, root, false);
  }
  template <transferable T>
  std::vector<T> allgatherv(std::span<const T> data) const {
    const auto counts = allgather(static_cast<int>(data.size()));
    return gatherv_impl<T>(data, counts, 0, true);
  }
  // Root sends size() equal chunks of `data` (ignored elsewhere); every rank gets its chunk.
  template <transferable T>
  std::vector<T> scatter(std::span<const T> data, std::size_t chunk, int root = 0) const {
    std::vector<T> out(chunk);
    const auto w = detail::wire_of<T>();
    const int n = detail::mpi_count(chunk, w.scale);
    WEFT_MPI_BLOCKING(MPI_Scatter(data.data(), n, w.type, out.data(), n, w.type, root, native_));
    return out;
  }
  // Root sends counts[r] elements to rank r (counts and data ignored elsewhere).
  template <transferable T>
  std::vector<T> scatterv(std::span<const T> data, std::span<const int> counts,
                          int root = 0) const {
    const auto w = detail::wire_of<T>();
    std::vector<int> c, d;
    int mine = 0;
    if (rank() == root) {
      c = detail::scaled(counts, w.scale);
      d = displacements(c);
    }
    WEFT_MPI_BLOCKING(MPI_Scatter(c.data(), 1, MPI_INT, &mine, 1, MPI_INT, root, native_));
    std::vector<T> out(static_cast<std::size_t>(mine / w.scale));
    WEFT_MPI_BLOCKING(MPI_Scatterv(data.data(), c.data(), d.data(), w.type, out.data(), mine,
                                   w.type, root, native_));
    return out;
  }
  // Sends `chunk` elements to every rank: data holds size()·chunk elements.
  template <transferable T>
  std::vector<T> alltoall(std::span<const T> data, std::size_t chunk) const {
    std::vector<T> out(chunk * static_cast<std::size_t>(size()));
    const auto w = detail::wire_of<T>();
    const int n = detail::mpi_count(chunk, w.scale);
    WEFT_MPI_BLOCKING(MPI_Alltoall(data.data(), n, w.type, out.data(), n, w.type, native_));
    return out;
  }
  // Sends send_counts[r] consecutive elements to rank r; returns what arrived, in rank
  // order, and fills recv_counts when given.
  template <transferable T>
  std::vector<T> alltoallv(std::span<const T> data, std::span<const int> send_counts,
                           std::vector<int>* recv_counts = nullptr) const {
    const auto w = detail::wire_of<T>();
    std::vector<int> rc(size());
    WEFT_MPI_BLOCKING(MPI_Alltoall(send_counts.data(), 1, MPI_INT, rc.data(), 1, MPI_INT, native_));
    const auto sc = detail::scaled(send_counts, w.scale);
    const auto rcs = detail::scaled(rc, w.scale);
    const auto sd = displacements(sc);
    const auto rd = displacements(rcs);
    const long long total = rd.empty() ? 0 : static_cast<long long>(rd.back()) + rcs.back();
    std::vector<T> out(static_cast<std::size_t>(total / w.scale));
    WEFT_MPI_BLOCKING(MPI_Alltoallv(data.data(), sc.data(), sd.data(), w.type, out.data(),
                                    rcs.data(), rd.data(), w.type, native_));
    if (recv_counts) *recv_counts = std::move(rc);
    return out;
  }

  // Collective over comm: a new communicator with the same group (MPI_Comm_dup).
  [[nodiscard]] comm dup() const;
  // Collective over comm: ranks with the same color form a communicator, ordered by key.
  // A rank passing color < 0 gets a null communicator (comm::valid() is false).
  [[nodiscard]] comm split(int color, int key) const;
  // Collective over comm: the ranks that share memory with this one (a node).
  [[nodiscard]] comm split_shared() const;

 protected:
  static status to_status(const MPI_Status& st);
  static std::vector<int> displacements(std::span<const int> counts);

  template <transferable T>
  std::vector<T> gatherv_impl(std::span<const T> data, std::span<const int> counts, int root,
                              bool all) const {
    const auto w = detail::wire_of<T>();
    const auto c = detail::scaled(counts, w.scale);
    const auto d = displacements(c);
    const long long total = d.empty() ? 0 : static_cast<long long>(d.back()) + c.back();
    std::vector<T> out(static_cast<std::size_t>(total / w.scale));
    const int n = detail::mpi_count(data.size(), w.scale);
    const int rc = all ? MPI_Allgatherv(data.data(), n, w.type, out.data(), c.data(), d.data(),
                                        w.type, native_)
                       : MPI_Gatherv(data.data(), n, w.type, out.data(), c.data(), d.data(), w.type,
                                     root, native_);
    detail::check_mpi(rc, all ? "MPI_Allgatherv" : "MPI_Gatherv", __FILE__, __LINE__);
    return out;
  }

  MPI_Comm native_;
};

// An owned communicator: freed (MPI_Comm_free) when destroyed. Move-only.
class comm : public comm_ref {
 public:
  comm() noexcept : comm_ref(MPI_COMM_NULL) {}
  // Takes ownership of `native` and sets MPI_ERRORS_RETURN on it.
  explicit comm(MPI_Comm native);
  comm(comm&& other) noexcept;
  comm& operator=(comm&& other) noexcept;
  ~comm();
  [[nodiscard]] bool valid() const noexcept { return native_ != MPI_COMM_NULL; }

 private:
  void free_quietly() noexcept;
};

// The node split of a communicator: the ranks on this rank's node, and the node leaders.
struct node_split {
  comm node;           // the ranks sharing memory with this one (MPI_COMM_TYPE_SHARED)
  comm leaders;        // rank 0 of every node, ordered by rank; null (valid() false) elsewhere
  int node_index = 0;  // this node's place among the nodes, 0 .. nodes-1, ordered by leader rank
  int nodes = 1;
};
// Collective over c. Use `node` for work within a node (shared-memory windows, one reader
// per node) and `leaders` for the step between nodes (a hierarchical reduction, a file
// per node); every rank learns its node's index and the node count.
[[nodiscard]] node_split split_nodes(const comm_ref& c);

// Every rank passes its own `ok`; all learn whether every rank was ok, and, when not,
// the message of the lowest failing rank. Collective over comm. Use it before a
// collective that must not start unless all ranks are ready, so that an error found on
// one rank cannot leave the others waiting.
struct agreement {
  bool ok = true;
  int failed_rank = -1;
  std::string message;
};
agreement agree(const comm_ref& c, bool ok, const std::string& message = {});

// Like agree(), but throws on every rank when any rank failed: an error of type E whose
// message names the failing rank, marked collective (see weft::error).
template <class E = error>
void agree_or_throw(const comm_ref& c, bool ok, const std::string& message = {}) {
  auto a = agree(c, ok, message);
  if (!a.ok) {
    const std::string text =
        c.size() > 1 ? "rank " + std::to_string(a.failed_rank) + ": " + a.message : a.message;
    if constexpr (std::is_same_v<E, error>) {
      throw error(text, exit_code::run_failed, true);
    } else {
      throw E(text, true);
    }
  }
}

}  // namespace weft
