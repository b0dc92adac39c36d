// spmv: y += A·x for a sparse matrix, as in the Parallel Research Kernels' Sparse. The
// matrix arrives in CSR and is multiplied from a packed form of it (packed_matrix: 16-bit
// column offsets in row blocks where they fit, no row pointers where rows are alike, rows
// four at a time in vector lanes, one column list for four rows that are shifted copies
// of each other).
//
// The generated matrix is PRK's: the unknowns of a 2^scale x 2^scale periodic grid, each
// row coupled to its neighbours in a star of the given radius (4·radius + 1 nonzeros per
// row), A(row, col) = 1 / (col + 1), with columns optionally bit-reversed ("scramble") to
// spread them over the whole vector. A matrix can also be read from HDF5 (CSR as three
// datasets GROUP/row_ptr, GROUP/col_index, GROUP/values).
//
// Rows, and the entries of x and y, are split over ranks in blocks. A communication plan
// is built once: every rank finds the columns it touches that other ranks own, asks each
// owner for exactly those (one alltoallv of indices), and renumbers its columns into a
// local x that holds its own entries followed by the fetched ones. Every iteration then
// only packs, sends and receives values, to and from the ranks the plan names.
//
// Each iteration (PRK): x(c) += c + 1, then y += A·x. Validation: the sum of y after
// iterations + 1 passes is (iterations+1)(iterations+2)/2 · Σ A(r,c)·(c+1), which for the
// generated matrix is PRK's closed form nnz·(iterations+1)(iterations+2)/2.
#include <omp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "registry.hpp"
#include "weft/base/cache.hpp"
#include "weft/core/error.hpp"
#include "weft/core/request.hpp"
#include "weft/core/timer.hpp"
#include "weft/grid/decomposition.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace weft::kernels {

namespace {

// The block (0..parts-1) of n rows that holds row k (see weft::grid::block_start).
int owner_of(index_t n, int parts, index_t k) {
  const index_t base = n / parts;
  const index_t rem = n % parts;
  if (k < rem * (base + 1)) return static_cast<int>(k / (base + 1));
  return static_cast<int>(rem + (k - rem * (base + 1)) / base);
}

std::int64_t bit_reverse(std::int64_t v, int bits) {
  std::int64_t r = 0;
  for (int b = 0; b < bits; ++b) r |= ((v >> b) & 1) << (bits - 1 - b);
  return r;
}

// This rank's rows of the matrix, with global column indices.
struct csr_block {
  index_t order = 0;  // global rows = columns
  index_t first_row = 0;
  std::vector<std::int64_t> row_ptr;  // local: starts at 0, rows + 1 entries
  std::vector<std::int64_t> col;      // global column of each entry
  std::vector<double> val;
  [[nodiscard]] index_t rows() const { return static_cast<index_t>(row_ptr.size()) - 1; }
};

csr_block generate(const comm_ref& world, int scale, int radius, bool scramble) {
  const std::int64_t size = std::int64_t{1} << scale;
  const index_t order = size * size;
  const int stencil = 4 * radius + 1;
  csr_block m;
  m.order = order;
  m.first_row = grid::block_start(order, world.size(), world.rank());
  const index_t rows = grid::block_count(order, world.size(), world.rank());
  m.row_ptr.resize(static_cast<std::size_t>(rows) + 1);
  m.col.resize(static_cast<std::size_t>(rows * stencil));
  m.val.resize(m.col.size());
  std::int64_t* ptr = m.row_ptr.data();
  std::int64_t* col = m.col.data();
  double* val = m.val.data();
  const index_t first = m.first_row;
#pragma omp parallel for schedule(static) default(none) \
    shared(ptr, col, val, rows, first, size, scale, radius, stencil, scramble)
  for (index_t l = 0; l < rows; ++l) {
    const std::int64_t row = first + l;
    const std::int64_t i = row % size;
    const std::int64_t j = row / size;
    auto lin = [&](std::int64_t ii, std::int64_t jj) {
      const std::int64_t v = ii + jj * size;
      return scramble ? bit_reverse(v, 2 * scale) : v;
    };
    std::int64_t* c = col + l * stencil;
    c[0] = lin(i, j);
    for (int r = 1; r <= radius; ++r) {
      c[4 * r - 3] = lin((i + r) % size, j);
      c[4 * r - 2] = lin((i - r + size) % size, j);
      c[4 * r - 1] = lin(i, (j + r) % size);
      c[4 * r] = lin(i, (j - r + size) % size);
    }
    // Increasing columns, so a row walks x forwards (PRK sorts them too).
    std::sort(c, c + stencil);
    for (int e = 0; e < stencil; ++e) val[l * stencil + e] = 1.0 / static_cast<double>(c[e] + 1);
    ptr[l + 1] = (l + 1) * stencil;
  }
  m.row_ptr[0] = 0;
  return m;
}

// Reads this rank's rows of a CSR matrix stored as GROUP/row_ptr (order + 1 integers,
// starting at 0), GROUP/col_index and GROUP/values (nnz each). Collective over world.
csr_block read_matrix(const comm_ref& world, const arguments& args) {
  const auto ref = args.dataset("matrix");
  const std::string text = ref.text();
  auto dataset_of = [&](const char* name) {
    return io::dataset_ref{ref.file, ref.path + "/" + name};
  };
  csr_block m;
  std::vector<std::int64_t> ptr;
  {
    auto in = io::open_input(world, dataset_of("row_ptr"), 1);
    const index_t entries = in.info.shape[0];
    agree_or_throw<input_error>(world, entries >= 2,
                                text + "/row_ptr: needs at least 2 entries (order + 1)");
    m.order = entries - 1;
    m.first_row = grid::block_start(m.order, world.size(), world.rank());
    const index_t rows = grid::block_count(m.order, world.size(), world.rank());
    ptr.resize(static_cast<std::size_t>(rows) + 1);
    (void)io::read_box(in.d, box{{m.first_row}, {rows + 1}}, std::span<std::int64_t>(ptr));
  }
  auto col_in = io::open_input(world, dataset_of("col_index"), 1);
  auto val_in = io::open_input(world, dataset_of("values"), 1);
  const index_t nnz = col_in.info.shape[0];
  bool ok = val_in.info.shape[0] == nnz;
  for (std::size_t k = 1; k < ptr.size(); ++k) ok = ok && ptr[k] >= ptr[k - 1];
  ok = ok && ptr.front() >= 0 && ptr.back() <= nnz && (m.first_row > 0 || ptr.front() == 0);
  // The last rank's final entry closes the matrix.
  if (world.rank() == world.size() - 1) ok = ok && ptr.back() == nnz;
  agree_or_throw<input_error>(
      world, ok,
      fmt::format("{}: row_ptr must rise from 0 to the length of col_index and values", text));
  const index_t begin = ptr.front();
  const index_t count = ptr.back() - ptr.front();
  m.col.resize(static_cast<std::size_t>(count));
  m.val.resize(static_cast<std::size_t>(count));
  (void)io::read_box(col_in.d, box{{begin}, {count}}, std::span<std::int64_t>(m.col));
  (void)io::read_box(val_in.d, box{{begin}, {count}}, std::span<double>(m.val));
  for (auto& p : ptr) p -= begin;
  m.row_ptr = std::move(ptr);
  const bool in_range = std::all_of(m.col.begin(), m.col.end(),
                                    [&](std::int64_t c) { return c >= 0 && c < m.order; });
  agree_or_throw<input_error>(
      world, in_range, fmt::format("{}/col_index: a column lies outside 0..{}", text, m.order - 1));
  return m;
}

// The exchange plan: which of my x entries each rank needs, and where the entries I
// need from each rank go. Built once, collective over world.
struct exchange_plan {
  std::vector<int> send_ranks, send_offsets;  // offsets into send_index, size+1
  std::vector<std::int32_t> send_index;       // local x entries, grouped by rank
  std::vector<int> recv_ranks, recv_offsets;  // offsets into the ghost part of x
  index_t ghosts = 0;
  // Where owned row l's entry of x lives (first-use numbering); empty: at l.
  std::vector<std::int32_t> own_at;
  bool first_use = false;
};

// Gathers from x that miss a cache of 2^bits lines of 8 doubles, modelled as direct-mapped
// with hashed sets (so that regions a power of two apart do not alias, as they would not
// in a set-associative cache): a cheap, machine-scaled measure of how scattered a
// numbering of x makes the multiply's reads.
std::int64_t gather_misses(const std::vector<std::int32_t>& local_col, int bits) {
  std::vector<std::int64_t> tag(std::size_t{1} << bits, -1);
  std::int64_t misses = 0;
  for (const auto c : local_col) {
    const auto line = static_cast<std::uint64_t>(c / 8);
    auto& slot = tag[(line * 0x9E3779B97F4A7C15ULL) >> (64 - bits)];
    misses += static_cast<std::int64_t>(slot != static_cast<std::int64_t>(line));
    slot = static_cast<std::int64_t>(line);
  }
  return misses;
}

// The order in which entries are first read: rank[k] for each k in 0..count-1 that
// `key(e)` names for some entry e, unread ones after all read ones.
template <class Key>
std::vector<std::int32_t> first_use_rank(std::size_t entries, std::size_t count, Key key) {
  std::vector<std::int32_t> rank(count, -1);
  std::int32_t next = 0;
  for (std::size_t e = 0; e < entries; ++e) {
    const auto k = key(e);
    if (k >= 0 && rank[static_cast<std::size_t>(k)] < 0) rank[static_cast<std::size_t>(k)] = next++;
  }
  for (auto& r : rank) {
    if (r < 0) r = next++;
  }
  return rank;
}

// numbering: "owner" keeps x as owned entries in row order, then fetched ones by owner and
// global column; "first-use" orders owned entries, and fetched ones within each owner, as
// the rows first read them, so that scattered columns (--scramble, or a file numbered
// without locality) are read nearly in sequence; "auto" takes first use where it at
// least halves the gathers that miss a cache of the core's L2 size (decided together).
exchange_plan build_plan(const comm_ref& world, csr_block& m, std::vector<std::int32_t>& local_col,
                         const std::string& numbering) {
  const int p = world.size();
  const index_t rows = m.rows();
  const index_t lo = m.first_row;
  const index_t hi = lo + rows;
  std::vector<std::int64_t> needed;
  for (const auto c : m.col) {
    if (c < lo || c >= hi) needed.push_back(c);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  const bool fits =
      rows + static_cast<index_t>(needed.size()) < std::numeric_limits<std::int32_t>::max();
  agree_or_throw<usage_error>(world, fits, "too many rows on one rank for 32-bit local indices");

  // Sorted columns are grouped by owner, because owners hold consecutive blocks.
  std::vector<int> ask(p, 0);
  for (const auto c : needed) ++ask[owner_of(m.order, p, c)];
  const std::int64_t* gcol = m.col.data();
  const std::size_t entries = m.col.size();

  // Both numberings: ghost_slot[g] is where sorted ghost g goes in the ghost part of x.
  std::vector<std::int32_t> own_at;
  std::vector<std::int32_t> ghost_slot(needed.size());
  for (std::size_t g = 0; g < needed.size(); ++g) ghost_slot[g] = static_cast<std::int32_t>(g);
  auto number = [&](std::vector<std::int32_t>& out) {
    out.resize(entries);
    std::int32_t* lcol = out.data();
    const std::int32_t* own = own_at.empty() ? nullptr : own_at.data();
    const std::int32_t* slot = ghost_slot.data();
    const std::int64_t* ghost = needed.data();
    const std::size_t ghost_count = needed.size();
#pragma omp parallel for schedule(static) default(none) \
    shared(gcol, lcol, own, slot, entries, ghost, ghost_count, lo, hi, rows)
    for (std::size_t e = 0; e < entries; ++e) {
      const std::int64_t c = gcol[e];
      if (c >= lo && c < hi) {
        lcol[e] = own != nullptr ? own[c - lo] : static_cast<std::int32_t>(c - lo);
      } else {
        const auto g = std::lower_bound(ghost, ghost + ghost_count, c) - ghost;
        lcol[e] = static_cast<std::int32_t>(rows + slot[g]);
      }
    }
  };
  number(local_col);
  bool first_use = numbering == "first-use";
  if (numbering != "owner") {
    // The owner numbering holds each entry's owned row, or rows + its sorted ghost.
    const std::int32_t* owner_col = local_col.data();
    std::vector<std::int32_t> own_rank = first_use_rank(
        entries, static_cast<std::size_t>(rows),
        [&](std::size_t e) -> std::int64_t { return owner_col[e] < rows ? owner_col[e] : -1; });
    std::vector<std::int32_t> ghost_rank =
        first_use_rank(entries, needed.size(), [&](std::size_t e) -> std::int64_t {
          return owner_col[e] < rows ? -1 : owner_col[e] - rows;
        });
    // Ghosts stay grouped by owner (each owner's group is a contiguous run of the sorted
    // list), ordered within it by first use.
    std::vector<std::int32_t> order(needed.size());
    std::size_t begin = 0;
    for (int r = 0; r < p; ++r) {
      const auto end = begin + static_cast<std::size_t>(ask[r]);
      for (std::size_t g = begin; g < end; ++g) order[g] = static_cast<std::int32_t>(g);
      std::sort(order.begin() + static_cast<std::ptrdiff_t>(begin),
                order.begin() + static_cast<std::ptrdiff_t>(end),
                [&](std::int32_t x, std::int32_t y) { return ghost_rank[x] < ghost_rank[y]; });
      begin = end;
    }
    std::vector<std::int32_t> slot(needed.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      slot[static_cast<std::size_t>(order[k])] = static_cast<std::int32_t>(k);
    }
    std::vector<std::int32_t> renumbered;
    std::swap(own_at, own_rank);
    std::swap(ghost_slot, slot);
    number(renumbered);
    if (!first_use) {
      int bits = 6;  // lines of 64 B in the core's L2, rounded down to a power of two
      while (bits < 30 && (std::size_t{64} << (bits + 1)) <= cache_bytes(2, std::size_t{1} << 20)) {
        ++bits;
      }
      std::array<long long, 2> misses{gather_misses(local_col, bits),
                                      gather_misses(renumbered, bits)};
      world.allreduce(std::span<long long>(misses), op::sum);
      first_use = 2 * misses[1] <= misses[0];
    }
    if (first_use) {
      local_col = std::move(renumbered);
      std::vector<std::int64_t> reordered(needed.size());
      for (std::size_t k = 0; k < order.size(); ++k) reordered[k] = needed[order[k]];
      needed = std::move(reordered);
    } else {
      own_at.clear();
    }
  }
  std::vector<int> asked;
  const auto requests = world.alltoallv(std::span<const std::int64_t>(needed), ask, &asked);

  exchange_plan plan;
  plan.first_use = first_use;
  plan.ghosts = static_cast<index_t>(needed.size());
  plan.send_offsets.push_back(0);
  std::size_t at = 0;
  for (int r = 0; r < p; ++r) {
    if (asked[r] == 0) continue;
    plan.send_ranks.push_back(r);
    for (int k = 0; k < asked[r]; ++k) {
      const auto l = static_cast<std::size_t>(requests[at++] - lo);
      plan.send_index.push_back(own_at.empty() ? static_cast<std::int32_t>(l) : own_at[l]);
    }
    plan.send_offsets.push_back(static_cast<int>(plan.send_index.size()));
  }
  plan.recv_offsets.push_back(0);
  int total = 0;
  for (int r = 0; r < p; ++r) {
    if (ask[r] == 0) continue;
    plan.recv_ranks.push_back(r);
    total += ask[r];
    plan.recv_offsets.push_back(total);
  }
  plan.own_at = std::move(own_at);
  return plan;
}

// The matrix as the multiply streams it. Rows go in blocks of at most block_rows; a
// block whose columns span fewer than 2^16 entries of x (a band, or a scattered matrix
// after first-use numbering) stores each column as a 16-bit offset from its smallest
// column ("narrow"), any other block as 32-bit local columns in two 16-bit halves
// ("wide"). A block whose rows all hold the same number of entries (stencils, most
// finite-difference and many finite-element matrices) needs no row pointers; the others
// keep a 32-bit end per row, counted from the block's first entry. A 9-point row then
// streams 72 B of values and 18 B of columns instead of 72 + 36 + 8 (row pointer).
// The values are the packed matrix's own copy: each group of `together` rows stores its
// rows' first entries side by side, then their second ones, and so on, as far as its
// shortest row goes (as sliced ELLPACK does), then the rest of each row (slot()), so that
// the multiply, which works on such a group at once, reads the values strictly in
// sequence and `together` of them with one load. The columns follow the same order,
// except in a "shifted" group: one whose every row reads the columns of the row before it
// plus one (a stencil's rows, a band's), which stores its first row's columns only. The
// multiply then reads the group's entries of x as one run of `together` values instead of
// gathering them one by one.
struct packed_matrix {
  static constexpr index_t block_rows = 512;
  static constexpr std::int64_t narrow_span = std::int64_t{1} << 16;
  struct block {
    index_t first_row = 0;         // local row
    std::int64_t first_entry = 0;  // into the values
    std::int64_t first_index = 0;  // into index (16-bit units)
    std::int64_t first_end = 0;    // into row_end; unused when row_length >= 0
    std::int32_t base = 0;         // narrow: the column offsets are from here
    std::int32_t row_length = -1;  // >= 0: every row holds this many entries
    bool wide = false;
    // Alike rows: bit q set where group q's rows are its first row shifted (see pack()).
    std::array<std::uint64_t, 2> shifted{};
    [[nodiscard]] bool is_shifted(index_t group) const {
      return ((shifted[static_cast<std::size_t>(group / 64)] >> (group % 64)) & 1U) != 0;
    }
  };
  // Followed by one whose first_row is the row count and first_entry the entry count.
  std::vector<block> blocks;
  std::vector<std::uint16_t> index;
  std::vector<std::uint32_t> row_end;
  std::vector<double> values;  // in the order of index
  [[nodiscard]] long long entries() const { return blocks.back().first_entry; }
  // Groups whose rows read one column list shifted by one per row.
  [[nodiscard]] long long shifted_groups() const {
    long long groups = 0;
    for (const auto& b : blocks) {
      for (const auto bits : b.shifted) groups += std::popcount(bits);
    }
    return groups;
  }
  // Entries whose columns are 16-bit offsets.
  [[nodiscard]] long long narrow_entries() const {
    long long narrow = 0;
    for (std::size_t k = 0; k + 1 < blocks.size(); ++k) {
      if (!blocks[k].wide) narrow += blocks[k + 1].first_entry - blocks[k].first_entry;
    }
    return narrow;
  }
  // Bytes the multiply reads per iteration for the matrix itself (values, columns, row
  // ends, block descriptors).
  [[nodiscard]] double matrix_bytes() const {
    return 8.0 * static_cast<double>(entries()) + 2.0 * static_cast<double>(index.size()) +
           4.0 * static_cast<double>(row_end.size()) +
           static_cast<double>(blocks.size() * sizeof(block));
  }
};

// The validation's weight of global row r (see run_spmv).
double row_weight(index_t r) {
  return static_cast<double>(1 + r % 8);
}

// Alike rows are multiplied `together` at a time.
constexpr int together = 4;

static_assert(packed_matrix::block_rows / together <= 128,
              "a block's shifted groups must fit packed_matrix::block::shifted");

// Every block's rows go in groups of `together` (the rows after its last whole group stay
// in CSR order). Within a group, the first `shortest` entries of each row, as many as its
// shortest row holds, lie side by side: entry 0 of each row, then entry 1 of each, and so
// on (sliced ELLPACK), so the multiply reads them in one sequential stream, `together` at a
// time; the entries past `shortest` follow, row after row. In a block of alike rows that
// is every entry.
struct group_shape {
  std::array<std::int64_t, together> length{};
  std::int64_t shortest = 0;
  std::int64_t entries = 0;
};

group_shape shape_of(const std::int64_t* row_ptr, index_t first) {
  group_shape g;
  g.shortest = std::numeric_limits<std::int64_t>::max();
  for (int r = 0; r < together; ++r) {
    const auto length = row_ptr[first + r + 1] - row_ptr[first + r];
    g.length[static_cast<std::size_t>(r)] = length;
    g.shortest = std::min(g.shortest, length);
    g.entries += length;
  }
  return g;
}

// Where entry j of row r of a group is stored, counted from the group's first entry.
std::int64_t slot(const group_shape& g, int r, std::int64_t j) {
  if (j < g.shortest) return j * together + r;
  std::int64_t at = together * g.shortest;
  for (int s = 0; s < r; ++s) at += g.length[static_cast<std::size_t>(s)] - g.shortest;
  return at + j - g.shortest;
}

// Packs the local columns of CSR rows; wide_only keeps 32-bit columns everywhere.
packed_matrix pack(const csr_block& m, const std::vector<std::int32_t>& local_col, bool wide_only) {
  const index_t rows = m.rows();
  const std::int64_t* ptr = m.row_ptr.data();
  const std::int32_t* col = local_col.data();
  // Each row's smallest and largest column (an empty row fits any block).
  std::vector<std::int32_t> lowest(static_cast<std::size_t>(rows));
  std::vector<std::int32_t> highest(static_cast<std::size_t>(rows));
  std::int32_t* lo = lowest.data();
  std::int32_t* hi = highest.data();
#pragma omp parallel for schedule(static) default(none) shared(ptr, col, lo, hi, rows)
  for (index_t l = 0; l < rows; ++l) {
    std::int32_t a = std::numeric_limits<std::int32_t>::max();
    std::int32_t b = -1;
    for (std::int64_t e = ptr[l]; e < ptr[l + 1]; ++e) {
      a = std::min(a, col[e]);
      b = std::max(b, col[e]);
    }
    lo[l] = a;
    hi[l] = b;
  }
  auto fits = [](std::int64_t a, std::int64_t b) {
    return b < 0 || b - a < packed_matrix::narrow_span;
  };
  // Whether row l + 1 reads the columns of row l, each plus one (a stencil's or a band's
  // neighbouring rows); --indices 32 stores every column as it is.
  std::vector<std::uint8_t> shifted_next(wide_only ? 0 : static_cast<std::size_t>(rows), 0);
  if (!wide_only) {
    std::uint8_t* next = shifted_next.data();
    const index_t pairs = rows - 1;
#pragma omp parallel for schedule(static) default(none) shared(ptr, col, next, pairs)
    for (index_t l = 0; l < pairs; ++l) {
      const std::int64_t length = ptr[l + 1] - ptr[l];
      bool same = ptr[l + 2] - ptr[l + 1] == length;
      for (std::int64_t j = 0; same && j < length; ++j) {
        same = col[ptr[l + 1] + j] == col[ptr[l] + j] + 1;
      }
      next[l] = same ? 1 : 0;
    }
  }

  packed_matrix pm;
  // Row ends count from the block's first entry in 32 bits.
  auto room = [&](index_t first, index_t next) {
    return ptr[next + 1] - ptr[first] <= std::numeric_limits<std::uint32_t>::max();
  };
  // Where a narrow block from row `from` of at most `limit` rows ends (`from` where that
  // row alone does not fit), and the smallest column in it.
  auto narrow_run = [&](index_t from, index_t limit, std::int64_t& base) {
    if (wide_only || !fits(lo[from], hi[from])) return from;
    std::int64_t a = lo[from];
    std::int64_t z = hi[from];
    index_t end = from + 1;
    while (end < rows && end - from < limit && room(from, end)) {
      const std::int64_t na = std::min<std::int64_t>(a, lo[end]);
      const std::int64_t nz = std::max<std::int64_t>(z, hi[end]);
      if (!fits(na, nz)) break;
      a = na;
      z = nz;
      ++end;
    }
    base = z < 0 ? 0 : a;
    return end;
  };
  // A narrow block pays its descriptor (64 B) for a few rows only where it is long: rows
  // that each fit but not together (a banded matrix with its rows permuted) go wide.
  constexpr index_t min_narrow = 16;
  auto long_enough = [&](index_t from, index_t end) {
    return end - from >= min_narrow || (end > from && end == rows);
  };
  std::int64_t indices = 0;
  std::int64_t ends = 0;
  for (index_t l = 0; l < rows;) {
    packed_matrix::block b;
    b.first_row = l;
    b.first_entry = ptr[l];
    b.first_index = indices;
    std::int64_t base = 0;
    index_t end = narrow_run(l, packed_matrix::block_rows, base);
    b.wide = !long_enough(l, end);
    if (b.wide) {
      // Up to the next row that starts a long narrow run.
      end = l + 1;
      while (end < rows && end - l < packed_matrix::block_rows && room(l, end)) {
        std::int64_t unused = 0;
        if (long_enough(end, narrow_run(end, min_narrow, unused))) break;
        ++end;
      }
    }
    b.base = b.wide ? 0 : static_cast<std::int32_t>(base);
    const std::int64_t length = ptr[l + 1] - ptr[l];
    bool uniform = length <= std::numeric_limits<std::int32_t>::max();
    for (index_t r = l + 1; uniform && r < end; ++r) uniform = ptr[r + 1] - ptr[r] == length;
    if (uniform) {
      b.row_length = static_cast<std::int32_t>(length);
    } else {
      b.first_end = ends;
      ends += end - l;
    }
    // Shifted groups (rows of one length by construction of shifted_next) store one
    // row's columns.
    std::int64_t columns = ptr[end] - ptr[l];
    for (index_t q = 0; !wide_only && q < (end - l) / together; ++q) {
      const index_t first = l + q * together;
      bool shifted = ptr[first + 1] > ptr[first];
      for (index_t r = 0; r + 1 < together; ++r) {
        shifted = shifted && shifted_next[static_cast<std::size_t>(first + r)] != 0;
      }
      if (shifted) {
        b.shifted[static_cast<std::size_t>(q / 64)] |= std::uint64_t{1} << (q % 64);
        columns -= (together - 1) * (ptr[first + 1] - ptr[first]);
      }
    }
    indices += b.wide ? 2 * columns : columns;
    pm.blocks.push_back(b);
    l = end;
  }
  packed_matrix::block last;
  last.first_row = rows;
  last.first_entry = ptr[rows];
  pm.blocks.push_back(last);
  pm.index.resize(static_cast<std::size_t>(indices));
  pm.row_end.resize(static_cast<std::size_t>(ends));

  const packed_matrix::block* blocks = pm.blocks.data();
  const auto block_count = static_cast<index_t>(pm.blocks.size()) - 1;
  std::uint16_t* index = pm.index.data();
  std::uint32_t* row_end = pm.row_end.data();
  pm.values.resize(m.val.size());
  double* values = pm.values.data();
  const double* val = m.val.data();
#pragma omp parallel for schedule(static) default(none) \
    shared(blocks, block_count, index, row_end, ptr, col, values, val)
  for (index_t k = 0; k < block_count; ++k) {
    const auto& b = blocks[k];
    const index_t in_block = blocks[k + 1].first_row - b.first_row;
    const std::int64_t count = blocks[k + 1].first_entry - b.first_entry;
    std::uint16_t* out = index + b.first_index;
    auto put = [&](std::int64_t at, std::int32_t local) {
      const auto c = static_cast<std::uint32_t>(local);
      if (b.wide) {
        out[2 * at] = static_cast<std::uint16_t>(c & 0xFFFFU);
        out[2 * at + 1] = static_cast<std::uint16_t>(c >> 16);
      } else {
        out[at] = static_cast<std::uint16_t>(c - static_cast<std::uint32_t>(b.base));
      }
    };
    // Values in slot() order; columns in the same order, less shifted groups' copies.
    std::int64_t at = 0;  // columns stored so far
    index_t q = 0;
    for (; q < in_block / together; ++q) {
      const index_t first = b.first_row + q * together;
      const group_shape g = shape_of(ptr, first);
      const std::int64_t from = ptr[first];
      if (b.is_shifted(q)) {
        for (std::int64_t j = 0; j < g.shortest; ++j) put(at + j, col[from + j]);
      }
      for (int r = 0; r < together; ++r) {
        for (std::int64_t j = 0; j < g.length[static_cast<std::size_t>(r)]; ++j) {
          const std::int64_t e = ptr[first + r] + j;
          const std::int64_t to = slot(g, r, j);
          values[from + to] = val[e];
          if (!b.is_shifted(q)) put(at + to, col[e]);
        }
      }
      at += b.is_shifted(q) ? g.shortest : g.entries;
    }
    for (std::int64_t e = ptr[b.first_row + q * together] - b.first_entry; e < count; ++e) {
      values[b.first_entry + e] = val[b.first_entry + e];
      put(at++, col[b.first_entry + e]);
    }
    if (b.row_length < 0) {
      for (index_t r = b.first_row; r < blocks[k + 1].first_row; ++r) {
        row_end[b.first_end + (r - b.first_row)] =
            static_cast<std::uint32_t>(ptr[r + 1] - b.first_entry);
      }
    }
  }
  return pm;
}

// Block-local column of entry e.
template <bool Wide>
std::uint32_t column(const std::uint16_t* c, std::uint32_t e) {
  if constexpr (Wide) {
    // One 32-bit load of the two halves, low half first (x86 and the other little-endian
    // targets; elsewhere the halves are combined).
    if constexpr (std::endian::native == std::endian::little) {
      std::uint32_t col = 0;
      std::memcpy(&col, c + 2 * static_cast<std::size_t>(e), sizeof col);
      return col;
    } else {
      return std::uint32_t{c[2 * e]} | (std::uint32_t{c[2 * e + 1]} << 16);
    }
  } else {
    return c[e];
  }
}

// `together` doubles, added and multiplied lane by lane (GCC's and Clang's vector
// extension): each lane rounds as the scalar operation does, so a lane's sum has the bits
// of the same adds done one at a time.
using lanes = double __attribute__((vector_size(together * sizeof(double))));

lanes load_lanes(const double* p) {
  lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// y += A·x over one block; each row sums its entries in order, as plain CSR does. A group
// of `together` rows goes at once, one row per lane, over as many entries as its shortest
// row holds: the adds of one row no longer wait only on each other (a 9-entry row is
// otherwise a chain of 9 adds, slower than memory on some cores), and the group's values
// come `together` to a load. A shifted group's entries of x are one run of `together` (one
// load); another group's are gathered one at a time. Each row then adds its own further
// entries, if any, one at a time. Each row's own order, and so its bits, stay the same.
template <bool Wide, bool Uniform>
void multiply_block(const packed_matrix::block& b, index_t end_row, const double* val,
                    const std::uint16_t* index, const std::uint32_t* row_end, const double* px,
                    double* py) {
  const double* v = val + b.first_entry;  // at the current group's or row's first entry
  const std::uint16_t* c = index + b.first_index;
  const double* xb = px + b.base;
  const std::uint32_t* ends = row_end + b.first_end;
  constexpr std::uint32_t width = Wide ? 2 : 1;  // 16-bit units per column
  const auto k = static_cast<std::uint32_t>(b.row_length);
  std::uint32_t begin = 0;  // the current row's first entry, from the block's
  auto row_end_at = [&](index_t l) { return Uniform ? begin + k : ends[l - b.first_row]; };
  index_t l = b.first_row;
  for (index_t q = 0; l + together <= end_row; l += together, ++q) {
    std::array<std::uint32_t, together> length{};
    std::uint32_t shortest = k;
    std::uint32_t entries = together * k;
    if constexpr (!Uniform) {
      std::uint32_t at = begin;
      entries = 0;
      shortest = std::numeric_limits<std::uint32_t>::max();
      for (std::size_t r = 0; r < together; ++r) {
        const std::uint32_t next = ends[l - b.first_row + static_cast<index_t>(r)];
        length[r] = next - at;
        shortest = std::min(shortest, length[r]);
        entries += length[r];
        at = next;
      }
    }
    lanes sum{};
    const bool shifted = b.is_shifted(q);
    if (shifted) {
      for (std::uint32_t e = 0; e < shortest; ++e) {
        sum += load_lanes(v + e * together) * load_lanes(xb + column<Wide>(c, e));
      }
    } else {
      for (std::uint32_t e = 0; e < shortest; ++e) {
        lanes x;
        for (std::uint32_t r = 0; r < together; ++r) {
          x[r] = xb[column<Wide>(c, e * together + r)];
        }
        sum += load_lanes(v + e * together) * x;
      }
    }
    if (Uniform || entries == together * shortest) {
      const lanes y = load_lanes(py + l) + sum;
      std::memcpy(py + l, &y, sizeof y);
    } else {
      std::uint32_t at = together * shortest;
      for (std::size_t r = 0; r < together; ++r) {
        double row = sum[r];
        for (std::uint32_t e = at; e < at + length[r] - shortest; ++e) {
          row += v[e] * xb[column<Wide>(c, e)];
        }
        py[l + static_cast<index_t>(r)] += row;
        at += length[r] - shortest;
      }
    }
    v += entries;
    c += width * (shifted ? shortest : entries);
    begin += entries;
  }
  for (; l < end_row; ++l) {
    const std::uint32_t end = row_end_at(l);
    double sum = 0;
    for (std::uint32_t e = 0; e < end - begin; ++e) sum += v[e] * xb[column<Wide>(c, e)];
    py[l] += sum;
    v += end - begin;
    c += width * (end - begin);
    begin = end;
  }
}

void multiply(const packed_matrix& pm, const double* px, double* py) {
  const double* val = pm.values.data();
  const packed_matrix::block* blocks = pm.blocks.data();
  const auto block_count = static_cast<index_t>(pm.blocks.size()) - 1;
  const std::uint16_t* index = pm.index.data();
  const std::uint32_t* row_end = pm.row_end.data();
#pragma omp parallel for schedule(static) default(none) \
    shared(blocks, block_count, index, row_end, val, px, py)
  for (index_t k = 0; k < block_count; ++k) {
    const auto& b = blocks[k];
    const index_t end = blocks[k + 1].first_row;
    if (b.wide) {
      if (b.row_length >= 0) {
        multiply_block<true, true>(b, end, val, index, row_end, px, py);
      } else {
        multiply_block<true, false>(b, end, val, index, row_end, px, py);
      }
    } else if (b.row_length >= 0) {
      multiply_block<false, true>(b, end, val, index, row_end, px, py);
    } else {
      multiply_block<false, false>(b, end, val, index, row_end, px, py);
    }
  }
}

record run_spmv(const context& ctx) {
  const auto& world = ctx.world;
  const auto& args = ctx.args;
  const long long iterations = args.integer("iterations");
  const bool from_file = args.given("matrix");
  const int scale = static_cast<int>(args.integer("scale"));
  const int radius = static_cast<int>(args.integer("radius"));
  if (!from_file && (std::int64_t{1} << scale) < 2 * radius + 1) {
    throw usage_error(fmt::format("--radius {} needs a grid of at least {} points per side; "
                                  "2^{} is too small",
                                  radius, 2 * radius + 1, scale),
                      true);
  }

  phase_timer timer;
  csr_block m;
  {
    const auto setup = timer.time(from_file ? "io" : "setup");
    m = from_file ? read_matrix(world, args)
                  : generate(world, scale, radius, args.flag("scramble"));
  }
  std::vector<std::int32_t> local_col;
  exchange_plan plan;
  {
    const auto setup = timer.time("setup");
    plan = build_plan(world, m, local_col, args.text("renumber"));
  }
  packed_matrix packed;
  {
    const auto setup = timer.time("setup");
    packed = pack(m, local_col, args.text("indices") == "32");
    std::vector<std::int32_t>().swap(local_col);  // the multiply reads the packed columns
  }
  // What the validation needs of the CSR form, taken before it goes (the multiply reads
  // the packed copy): this rank's entries, its sum of A(r,c)·(c+1), and the same with
  // each row weighted by row_weight (so that a row's result landing in another row, which
  // leaves the plain sum alone, fails the check).
  const auto local_nnz = static_cast<long long>(m.col.size());
  double local_weight = 0;
  double local_row_weight = 0;
  {
    const std::int64_t* ptr = m.row_ptr.data();
    const std::int64_t* gcol = m.col.data();
    const double* val = m.val.data();
    const index_t rows = m.rows();
    const index_t first = m.first_row;
#pragma omp parallel for schedule(static) default(none) shared(ptr, gcol, val, rows, first) \
    reduction(+ : local_weight, local_row_weight)
    for (index_t l = 0; l < rows; ++l) {
      double row = 0;
      for (std::int64_t e = ptr[l]; e < ptr[l + 1]; ++e) {
        row += val[e] * static_cast<double>(gcol[e] + 1);
      }
      local_weight += row;
      local_row_weight += row_weight(first + l) * row;
    }
  }
  std::vector<std::int64_t>().swap(m.col);
  std::vector<double>().swap(m.val);
  const index_t rows = m.rows();
  const index_t first = m.first_row;
  const auto xs = static_cast<std::size_t>(rows + plan.ghosts);
  std::vector<double> x(xs), y(static_cast<std::size_t>(rows));
  std::vector<double> send_buffer(plan.send_index.size());
  double* px = x.data();
  double* py = y.data();
#pragma omp parallel for schedule(static) default(none) shared(px, py, rows)
  for (index_t l = 0; l < rows; ++l) {
    px[l] = 0.0;
    py[l] = 0.0;
  }
  // Renumbered, PRK's x(c) += c + 1 reads each owned entry's increment.
  std::vector<double> step(plan.own_at.empty() ? 0 : static_cast<std::size_t>(rows));
  double* pstep = step.data();
  const std::int32_t* own_at = plan.own_at.data();
  if (!step.empty()) {
#pragma omp parallel for schedule(static) default(none) shared(pstep, own_at, rows, first)
    for (index_t l = 0; l < rows; ++l) pstep[own_at[l]] = static_cast<double>(first + l + 1);
  }

  std::vector<request> pending;
  double start = 0;
  for (long long iter = 0; iter <= iterations; ++iter) {
    if (iter == 1) {
      world.barrier();
      start = now();
    }
    const double t0 = now();
    if (pstep != nullptr) {
#pragma omp parallel for simd schedule(static) default(none) shared(px, pstep, rows)
      for (index_t k = 0; k < rows; ++k) px[k] += pstep[k];
    } else {
#pragma omp parallel for simd schedule(static) default(none) shared(px, rows, first)
      for (index_t l = 0; l < rows; ++l) px[l] += static_cast<double>(first + l + 1);
    }

    // Fetch the ghost entries of x from their owners, as the plan says.
    const double t1 = now();
    pending.clear();
    for (std::size_t k = 0; k < plan.recv_ranks.size(); ++k) {
      const auto off = static_cast<std::size_t>(rows + plan.recv_offsets[k]);
      const auto len = static_cast<std::size_t>(plan.recv_offsets[k + 1] - plan.recv_offsets[k]);
      pending.push_back(world.irecv(std::span<double>(px + off, len), plan.recv_ranks[k], 7));
    }
    for (std::size_t s = 0; s < plan.send_index.size(); ++s) {
      send_buffer[s] = px[plan.send_index[s]];
    }
    for (std::size_t k = 0; k < plan.send_ranks.size(); ++k) {
      const auto off = static_cast<std::size_t>(plan.send_offsets[k]);
      const auto len = static_cast<std::size_t>(plan.send_offsets[k + 1] - plan.send_offsets[k]);
      pending.push_back(world.isend(std::span<const double>(send_buffer.data() + off, len),
                                    plan.send_ranks[k], 7));
    }
    wait_all(pending);
    const double t2 = now();

    multiply(packed, px, py);
    const double t3 = now();
    if (iter > 0) {
      timer.add("compute", (t1 - t0) + (t3 - t2));
      timer.add("communication", t2 - t1);
    }
  }
  const double elapsed = world.allreduce(now() - start, op::max);

  // Validation: x(c) = (t+1)(c+1) in pass t, so Σy = Σ_t (t+1) · Σ A(r,c)(c+1).
  double local_y = 0;
  double local_weighted_y = 0;
#pragma omp parallel for schedule(static) default(none) shared(py, rows, first) \
    reduction(+ : local_y, local_weighted_y)
  for (index_t l = 0; l < rows; ++l) {
    local_y += py[l];
    local_weighted_y += row_weight(first + l) * py[l];
  }
  const double sum = world.allreduce(local_y, op::sum);
  const auto nnz = world.allreduce(local_nnz, op::sum);
  const double passes =
      static_cast<double>(iterations + 1) * static_cast<double>(iterations + 2) / 2;
  const double weight =
      from_file ? world.allreduce(local_weight, op::sum) : static_cast<double>(nnz);
  const double expected = passes * weight;

  record rec;
  rec.kernel = "spmv";
  rec.phases = summarize(world, timer);
  check_closed_form(rec, "sum", sum, expected, 1e-8,
                    from_file
                        ? "sum of y against (iterations+1)(iterations+2)/2 * sum of A(r,c)*(c+1)"
                        : "sum of y against PRK's closed form nnz*(iterations+1)(iterations+2)/2");
  // Row by row: the sum of row_weight(r) * y(r) against the same of each row's expected.
  const double weighted = world.allreduce(local_weighted_y, op::sum);
  const double weighted_expected = passes * world.allreduce(local_row_weight, op::sum);
  const double weighted_error = relative_error(weighted, weighted_expected);
  rec.check.method +=
      "; each row: sum of (1 + row mod 8) * y(row) against the same of its "
      "(iterations+1)(iterations+2)/2 * sum of A(row,c)*(c+1)";
  if (rec.check.passed && !(weighted_error <= 1e-8)) {
    rec.check.passed = false;
    rec.check.detail = fmt::format(
        "rows mixed up: sum of (1 + row mod 8) * y(row) {:.17g}, expected {:.17g}, relative "
        "error {:.3g} (limit 1e-08)",
        weighted, weighted_expected, weighted_error);
  }

  const double per_iteration = elapsed / static_cast<double>(iterations);
  const double order = static_cast<double>(m.order);
  // Per iteration: the packed matrix (values, columns, row ends, block descriptors); each
  // row reads and writes x (16 B, the update) and y (16 B) and gathers x once more at best
  // (8 B).
  const double matrix_bytes = world.allreduce(packed.matrix_bytes(), op::sum);
  const double bytes_per_nonzero = (matrix_bytes + 40.0 * order) / static_cast<double>(nnz);
  const auto narrow = world.allreduce(packed.narrow_entries(), op::sum);
  rec.metrics.push_back(
      {"rate", per_iteration > 0 ? 2.0 * static_cast<double>(nnz) / per_iteration / 1e9 : 0,
       "GFlop/s", true, "2 nnz / (slowest rank's time per iteration)"});
  rec.metrics.push_back({"time_per_iteration", per_iteration, "s", false, "slowest rank"});
  rec.metrics.push_back(
      {"bytes_per_nonzero", bytes_per_nonzero, "B", false,
       "packed matrix (8 B value, 2 or 4 B column or a quarter of that in shifted "
       "groups, row ends) + 40 B per row "
       "(x update, y, one gather of x) / nnz"});
  long long fetched = static_cast<long long>(plan.ghosts);
  rec.extra["order"] = m.order;
  rec.extra["nonzeros"] = nnz;
  rec.extra["fetched_entries_per_iteration"] = world.allreduce(fetched, op::sum);
  rec.extra["max_neighbours"] = world.allreduce(static_cast<int>(plan.recv_ranks.size()), op::max);
  rec.extra["x_numbering"] = plan.first_use ? "first-use" : "owner";
  rec.extra["narrow_index_fraction"] =
      nnz > 0 ? static_cast<double>(narrow) / static_cast<double>(nnz) : 0.0;
  const auto shifted = world.allreduce(together * packed.shifted_groups(), op::sum);
  rec.extra["shifted_row_fraction"] =
      m.order > 0 ? static_cast<double>(shifted) / static_cast<double>(m.order) : 0.0;
  return rec;
}

}  // namespace

kernel make_spmv() {
  return {
      "spmv",
      "sparse y += A*x in CSR with a fixed exchange plan (PRK sparse)",
      {
          {.name = "scale",
           .type = param_type::integer,
           .default_value = "10",
           .help = "grid of 2^scale x 2^scale unknowns",
           .min = 1,
           .max = 30},
          {.name = "radius",
           .type = param_type::integer,
           .default_value = "2",
           .help = "star stencil radius (4r+1 nonzeros per row)",
           .min = 1},
          {.name = "iterations",
           .type = param_type::integer,
           .default_value = "10",
           .help = "timed iterations (one more untimed warm-up)",
           .min = 1},
          {.name = "scramble",
           .type = param_type::flag,
           .default_value = "false",
           .help = "bit-reverse column indices (PRK's scramble: irregular access)"},
          {.name = "renumber",
           .type = param_type::choice,
           .default_value = "auto",
           .help = "order of x in memory: as the rows first read it, owned then fetched, "
                   "or auto (first use where it halves the gathers that miss L2)",
           .choices = {"auto", "first-use", "owner"}},
          {.name = "indices",
           .type = param_type::choice,
           .default_value = "auto",
           .help = "column indices as the multiply reads them: 16-bit offsets in the row "
                   "blocks whose columns span under 2^16 entries of x, and one column list "
                   "for four rows that are shifted copies (auto), or a 32-bit column per entry",
           .choices = {"auto", "32"}},
          {.name = "matrix",
           .type = param_type::text,
           .default_value = "none",
           .help = "read the matrix from FILE:/GROUP (row_ptr, col_index, values)",
           .input = true},
      },
      run_spmv,
  };
}

}  // namespace weft::kernels
