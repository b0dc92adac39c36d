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
// first(), so it finds a slab that was just read still in cache. An exception thrown by
// first() or body stops the team (pieces not yet begun are left) and is rethrown here.
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
  std::exception_ptr failed;
#pragma omp parallel default(none) shared(n, piece, pieces, next, first, body, failed)
  {
    const int thread = omp_get_thread_num();
    try {
      if (thread == 0) first();
      for (index_t k = next++; k < pieces; k = next++) {
        const index_t begin = k * piece;
        body(begin, std::min(piece, n - begin), thread);
      }
    } catch (...) {
      next = pieces;
#pragma omp critical(weft_share_slab)
      if (!failed) failed = std::current_exception();
    }
  }
  if (failed) std::rethrow_exception(failed);
}

// Collective: streams every slab of `reader` (as double) through body(x, count, thread)
// on every thread, x being a piece of the slab; the master reads the next slab ahead
// (slab_reader::read_ahead) while the team works, and with direct reads each thread
// brings in the pieces it scans (slab_reader::read_part).
template <class Body>
void stream_slabs(io::slab_reader& reader, Body body) {
  for (bool more = reader.start(); more; more = reader.advance()) {
    double* x = reader.current().part.data();
    share_slab(
        static_cast<index_t>(reader.current().part.size()), [&] { reader.read_ahead(); },
        [&](index_t begin, index_t count, int thread) {
          reader.read_part(begin, count);
          body(x + begin, count, thread);
        });
  }
}

}  // namespace weft::kernels
