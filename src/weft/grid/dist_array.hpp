// dist_array<T, N>: one rank's block of a distributed N-d array, with an optional halo.
//
// Local block layout (this is the contract halo exchange and weft::io build on):
//   - The block owned by this rank has interior_shape() = decomposition().local_shape()
//     elements per axis, starting at global index decomposition().local_start().
//   - Storage is one contiguous row-major (C order, last axis fastest) buffer of
//     padded_shape()[d] = interior_shape()[d] + 2 * halo() elements per axis: a halo of
//     the same width surrounds the interior on every side of every axis, corners included.
//   - Local index i (per axis -halo() <= i[d] < interior_shape()[d] + halo()) lives at
//     storage()[offset(i)], offset(i) = sum over d of (i[d] + halo()) * strides()[d],
//     with strides()[N-1] = 1 and strides()[d] = strides()[d+1] * padded_shape()[d+1].
//     Local index 0 is the first interior element; negative indices are halo.
//   - A rank whose block is empty (more ranks than rows) has no storage at all:
//     padded_shape() is all zeros and storage() is empty.
// Storage starts on a cache-line boundary (weft/core/aligned.hpp) and is zero-filled by an OpenMP
// static loop over the outermost axis (first touch), so pages land near the threads that later use
// the same schedule. Move-only: copying a block is never silent. Nothing here communicates; halo
// cells are filled by a halo exchange (not by this class).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "weft/core/aligned.hpp"
#include "weft/core/error.hpp"
#include "weft/grid/decomposition.hpp"

namespace weft::grid {

template <class T, std::size_t N>
class dist_array {
  static_assert(N >= 1 && N <= 3, "dist_array supports 1 to 3 axes");

 public:
  using value_type = T;
  using index = std::array<index_t, N>;
  static constexpr std::size_t rank = N;

  // Throws usage_error when the decomposition does not have N axes or halo < 0.
  explicit dist_array(weft::grid::decomposition decomp, index_t halo = 0)
      : decomp_(std::move(decomp)), halo_(halo) {
    if (decomp_.ndims() != static_cast<int>(N)) {
      throw usage_error("a " + std::to_string(N) + "-d dist_array needs a " + std::to_string(N) +
                        "-d decomposition, not " + std::to_string(decomp_.ndims()) + "-d");
    }
    if (halo < 0) throw usage_error("negative halo width");
    const bool empty = decomp_.local_size() == 0;
    for (std::size_t d = 0; d < N; ++d) {
      interior_[d] = decomp_.local_shape()[d];
      padded_[d] = empty ? 0 : interior_[d] + 2 * halo_;
    }
    strides_[N - 1] = 1;
    for (std::size_t d = N - 1; d > 0; --d) strides_[d - 1] = strides_[d] * padded_[d];
    size_ = strides_[0] * padded_[0];
    data_.reset(new_aligned_array<T>(static_cast<std::size_t>(size_)));
    T* p = data_.get();
    const index_t outer = padded_[0];
    const index_t slice = strides_[0];
#pragma omp parallel for schedule(static) default(none) shared(p, outer, slice)
    for (index_t i = 0; i < outer; ++i) {
      for (index_t j = 0; j < slice; ++j) p[i * slice + j] = T{};
    }
  }
  dist_array(const dist_array&) = delete;
  dist_array& operator=(const dist_array&) = delete;
  dist_array(dist_array&&) noexcept = default;
  dist_array& operator=(dist_array&&) noexcept = default;
  ~dist_array() = default;

  [[nodiscard]] const weft::grid::decomposition& decomposition() const noexcept {
    return decomp_;
  }
  [[nodiscard]] index_t halo() const noexcept {
    return halo_;
  }
  [[nodiscard]] const index& interior_shape() const noexcept {
    return interior_;
  }
  [[nodiscard]] const index& padded_shape() const noexcept {
    return padded_;
  }
  [[nodiscard]] const index& strides() const noexcept {
    return strides_;
  }
  [[nodiscard]] index_t interior_size() const noexcept {
    return decomp_.local_size();
  }
  [[nodiscard]] bool empty() const noexcept {
    return interior_size() == 0;
  }

  [[nodiscard]] std::span<T> storage() noexcept {
    return {data_.get(), static_cast<std::size_t>(size_)};
  }
  [[nodiscard]] std::span<const T> storage() const noexcept {
    return {data_.get(), static_cast<std::size_t>(size_)};
  }

  [[nodiscard]] index_t offset(const index& local) const noexcept {
    index_t o = 0;
    for (std::size_t d = 0; d < N; ++d) o += (local[d] + halo_) * strides_[d];
    return o;
  }
  // Element at a local index (halo included, no range check).
  T& local(const index& i) noexcept {
    return data_[static_cast<std::size_t>(offset(i))];
  }
  const T& local(const index& i) const noexcept {
    return data_[static_cast<std::size_t>(offset(i))];
  }
  template <class... I>
  requires(sizeof...(I) == N) T& operator()(I... i) noexcept {
    return local(index{static_cast<index_t>(i)...});
  }
  template <class... I>
  requires(sizeof...(I) == N) const T& operator()(I... i) const noexcept {
    return local(index{static_cast<index_t>(i)...});
  }
  // Element at a global index that this rank owns or holds in its halo (no range check).
  T& global(const index& g) noexcept {
    return local(to_local(g));
  }
  const T& global(const index& g) const noexcept {
    return local(to_local(g));
  }
  [[nodiscard]] index to_local(const index& g) const noexcept {
    index l;
    for (std::size_t d = 0; d < N; ++d) l[d] = g[d] - decomp_.local_start()[d];
    return l;
  }
  [[nodiscard]] bool owns(const index& g) const noexcept {
    for (std::size_t d = 0; d < N; ++d) {
      const index_t s = decomp_.local_start()[d];
      if (g[d] < s || g[d] >= s + interior_[d]) return false;
    }
    return true;
  }

  // Sets every interior element to f(global index), in an OpenMP static loop over the
  // outermost axis (f must be safe to call from several threads).
  template <class F>
  void fill(F f) {
    const index_t outer = interior_[0];
#pragma omp parallel for schedule(static) default(none) shared(f, outer)
    for (index_t i = 0; i < outer; ++i) fill_row(f, i);
  }

  // Calls f(global index, value) for every interior element, in index order, on the
  // calling thread (validation, statistics; fill is the parallel loop).
  template <class F>
  void for_each(F f) const {
    const auto& s = decomp_.local_start();
    for (index_t i = 0; i < interior_[0]; ++i) {
      if constexpr (N == 1) {
        f(index{s[0] + i}, local({i}));
      } else if constexpr (N == 2) {
        for (index_t j = 0; j < interior_[1]; ++j) f(index{s[0] + i, s[1] + j}, local({i, j}));
      } else {
        for (index_t j = 0; j < interior_[1]; ++j) {
          for (index_t k = 0; k < interior_[2]; ++k) {
            f(index{s[0] + i, s[1] + j, s[2] + k}, local({i, j, k}));
          }
        }
      }
    }
  }

 private:
  template <class F>
  void fill_row(F& f, index_t i) {
    const auto& s = decomp_.local_start();
    if constexpr (N == 1) {
      local({i}) = f(index{s[0] + i});
    } else if constexpr (N == 2) {
      for (index_t j = 0; j < interior_[1]; ++j) local({i, j}) = f(index{s[0] + i, s[1] + j});
    } else {
      for (index_t j = 0; j < interior_[1]; ++j) {
        for (index_t k = 0; k < interior_[2]; ++k) {
          local({i, j, k}) = f(index{s[0] + i, s[1] + j, s[2] + k});
        }
      }
    }
  }

  weft::grid::decomposition decomp_;
  index_t halo_;
  index interior_{};
  index padded_{};
  index strides_{};
  index_t size_ = 0;
  std::unique_ptr<T[], aligned_array_delete<T>> data_;
};

namespace detail {
// SplitMix64's finaliser: a cheap 64-bit mix with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The hash terms of one row: n contiguous elements whose global linear indices are
// linear, linear + 1, ...
template <class T>
std::uint64_t row_hash(std::uint64_t linear, const T* p, index_t n) noexcept {
  std::uint64_t h = 0;
  for (index_t l = 0; l < n; ++l) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, p + l, sizeof(T));
    h += mix64((linear + static_cast<std::uint64_t>(l)) ^ mix64(bits));
  }
  return h;
}

inline constexpr std::size_t max_axes = 32;  // HDF5's limit (H5S_MAX_RANK)

// Calls f(row, linear, local) for each of `rows` rows of a block of shape `count` at
// global `start` in an array of shape `global`: `linear` is the global linear index of
// the row's first element and `local` (an array of count.size()) its index within the
// block, last axis 0. At most max_axes axes. OpenMP
// over the rows; the hash sum is order-independent, so the split does not matter.
template <class F>
std::uint64_t sum_over_rows(const extents& global, const extents& start, const extents& count,
                            F&& f) {
  const std::size_t n = count.size();
  if (n == 0 || n > max_axes || element_count(count) == 0) return 0;
  index_t rows = 1;
  for (std::size_t d = 0; d + 1 < n; ++d) rows *= count[d];
  unsigned long long h = 0;
#pragma omp parallel for schedule(static) reduction(+ : h) default(none) \
    shared(global, start, count, rows, n, f)
  for (index_t r = 0; r < rows; ++r) {
    std::array<index_t, max_axes> local{};
    index_t rest = r;
    for (std::size_t d = n - 1; d-- > 0;) {
      local[d] = rest % count[d];
      rest /= count[d];
    }
    std::uint64_t linear = 0;
    for (std::size_t d = 0; d < n; ++d) {
      linear = linear * static_cast<std::uint64_t>(global[d]) +
               static_cast<std::uint64_t>(start[d] + local[d]);
    }
    h += f(r, linear, local.data());
  }
  return h;
}

// What a contiguous row-major block `data` of shape `count`, lying at `start` in an array
// of shape `global`, adds to content_hash (no communication): the hash of data read back
// from a file, piece by piece, without a second dist_array.
template <class T>
std::uint64_t block_hash(const extents& global, const extents& start, const extents& count,
                         const T* data) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8);
  if (count.empty()) return 0;
  const index_t last = count.back();
  return sum_over_rows(global, start, count,
                       [&](index_t row, std::uint64_t linear, const index_t*) {
                         return row_hash(linear, data + row * last, last);
                       });
}
}  // namespace detail

// The smallest and largest interior value of a distributed array and their sum.
struct value_range {
  double min = 0;
  double max = 0;
  double sum = 0;
};
// Collective over c: value_range over every rank's interior (for a maximum principle, a
// conserved total, a plot's scale). One pass on the calling thread and one allreduce of
// three values per statistic; the sum is a plain one (par::reproducible_sum is exact).
template <class T, std::size_t N>
value_range global_range(const comm_ref& c, const dist_array<T, N>& a) {
  double lo = std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::lowest();
  double sum = 0;
  a.for_each([&](const auto&, const T& x) {
    const auto v = static_cast<double>(x);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  });
  return {c.allreduce(lo, op::min), c.allreduce(hi, op::max), c.allreduce(sum, op::sum)};
}

// Collective over c: a 64-bit hash of a whole distributed array that depends on every
// element's global index and bits but not on the decomposition — the same array on any
// rank grid, at any thread count, hashes to the same value (a sum mod 2^64 of one mixed
// word per element). Checkpoints use it to prove a restored array is the written one.
// Cost: one pass over the local interior (OpenMP over its rows) and one allreduce.
template <class T, std::size_t N>
std::uint64_t content_hash(const comm_ref& c, const dist_array<T, N>& a) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "content_hash covers element types of at most 8 bytes");
  const auto& dec = a.decomposition();
  const index_t last = a.interior_shape()[N - 1];
  const std::uint64_t h =
      detail::sum_over_rows(dec.global_shape(), dec.local_start(), dec.local_shape(),
                            [&](index_t, std::uint64_t linear, const index_t* local) {
                              std::array<index_t, N> at{};
                              for (std::size_t d = 0; d < N; ++d) at[d] = local[d];
                              return detail::row_hash(linear, &a.local(at), last);
                            });
  return c.allreduce(h, op::sum);
}

}  // namespace weft::grid
