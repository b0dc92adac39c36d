// Streaming kernels (reduce, histogram): one slab processed by a whole OpenMP team while
// the master reads the next.
//
// Only the master thread may call HDF5 and MPI. share_slab starts a team; the master runs
// `first` (typically the read of slab k + 1) and then joins the other threads, which
// have begun on slab k's pieces, handed out in turn from a shared counter so the threads
// finish together however long the read took.
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <exception>

#include "weft/base/cache.hpp"
#include "weft/core/aligned.hpp"
#include "weft/grid/decomposition.hpp"
#include "weft/io/slab_reader.hpp"

namespace weft::kernels {

// Elements per piece of a shared slab: enough that taking one costs nothing, few enough
// that the threads finish together (small slabs are still split among the threads).
inline index_t slab_piece(index_t n) {
  const index_t want = n / (4 * static_cast<index_t>(omp_get_max_threads()));
  return std::clamp<index_t>(want, 1024, 32768);
}

// Runs first() on the master, and body(begin, count, thread) over pieces of [0, n) on
// every thread of the team (the master after first()). `thread` is omp_get_thread_num().
// With one thread there is nothing to overlap: body runs over all of [0, n) before
// first(), so it finds a slab that was just read still in cache.
template <class First, class Body>
void share_slab(index_t n, First first, Body body) {
  if (omp_get_max_threads() == 1) {
    body(0, n, 0);
    first();
    return;
  }
  const index_t piece = slab_piece(n);
  const index_t pieces = (n + piece - 1) / piece;
  std::atomic<index_t> next{0};
#pragma omp parallel default(none) shared(n, piece, pieces, next, first, body)
  {
    const int thread = omp_get_thread_num();
    if (thread == 0) first();
    for (index_t k = next++; k < pieces; k = next++) {
      const index_t begin = k * piece;
      body(begin, std::min(piece, n - begin), thread);
    }
  }
}

// Elements per piece when each thread reads its pieces itself (slab_reader::direct): half
// the core's L2, so a piece is scanned while it is still in the cache the copy left it in.
inline index_t direct_piece() {
  static const index_t piece = std::max<index_t>(
      1024, static_cast<index_t>(cache_bytes(2, std::size_t{1} << 20) / 2 / sizeof(double)));
  return piece;
}

// Like share_slab, for a reader with direct reads: every piece of [0, n) is read by the
// thread that scans it, just before, with reader.read_part (also with one thread: in
// pieces of direct_piece()). first() still runs on the master (it only places the next
// slab). Without direct reads it is share_slab.
template <class First, class Body>
void read_and_share(io::slab_reader& reader, index_t n, First first, Body body) {
  if (!reader.direct()) {
    share_slab(n, first, body);
    return;
  }
  const index_t piece = direct_piece();
  const index_t pieces = (n + piece - 1) / piece;
  auto run = [&](index_t k, int thread) {
    const index_t begin = k * piece;
    const index_t count = std::min(piece, n - begin);
    reader.read_part(begin, count);
    body(begin, count, thread);
  };
  if (omp_get_max_threads() == 1) {
    for (index_t k = 0; k < pieces; ++k) run(k, 0);
    first();
    return;
  }
  std::atomic<index_t> next{0};
  std::exception_ptr failed;
  std::atomic<bool> stop{false};
#pragma omp parallel default(none) shared(pieces, next, first, run, failed, stop)
  {
    const int thread = omp_get_thread_num();
    if (thread == 0) first();
    for (index_t k = next++; k < pieces && !stop.load(); k = next++) {
      try {
        run(k, thread);
      } catch (...) {
#pragma omp critical(weft_read_and_share)
        if (!failed) failed = std::current_exception();
        stop = true;
      }
    }
  }
  if (failed) std::rethrow_exception(failed);
}

// Collective: streams every slab of `reader` (as double) through body(x, count, thread)
// on every thread, x being a piece of the slab; the master reads the next slab ahead
// (slab_reader::read_ahead) while the team works, or with direct reads each thread reads
// the pieces it scans.
template <class Body>
void stream_slabs(io::slab_reader& reader, Body body) {
  for (bool more = reader.start(); more; more = reader.advance()) {
    const double* x = reader.current().values.data();
    read_and_share(
        reader, static_cast<index_t>(reader.current().values.size()), [&] { reader.read_ahead(); },
        [&](index_t begin, index_t count, int thread) { body(x + begin, count, thread); });
  }
}

}  // namespace weft::kernels
