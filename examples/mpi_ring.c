/* mpi_ring: a plain MPI program of the kind users benchmark with `weft job` — no weft in
 * it. Each rank passes a message of --bytes around the ring --iterations times, checks
 * what came back, and prints its figures as lines a job spec's patterns read:
 *
 *   Ring: 1048576 bytes x 20 iterations on 2 ranks
 *   Rate (MB/s): 5321.7
 *   Time per hop (us): 98.5
 *   Result: OK
 *
 * Build: mpicc -O2 -o mpi_ring examples/mpi_ring.c
 * Run:   mpirun -n 2 ./mpi_ring --bytes 1048576 --iterations 20
 * jobs/own-program.toml builds and benchmarks it against references. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long option(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], name) == 0) {
      char* end = NULL;
      const long v = strtol(argv[i + 1], &end, 10);
      if (*end != '\0' || v < 1) {
        fprintf(stderr, "mpi_ring: %s expects a positive integer, got '%s'\n", name, argv[i + 1]);
        return -1;
      }
      return v;
    }
  }
  return fallback;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const long bytes = option(argc, argv, "--bytes", 1L << 20);
  const long iterations = option(argc, argv, "--iterations", 20);
  if (bytes < 0 || iterations < 0) {
    MPI_Finalize();
    return 2;
  }
  unsigned char* out = malloc((size_t)bytes);
  unsigned char* in = malloc((size_t)bytes);
  if (!out || !in) {
    fprintf(stderr, "mpi_ring: cannot allocate 2 x %ld bytes\n", bytes);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  for (long i = 0; i < bytes; ++i) out[i] = (unsigned char)((i * 31 + rank) & 0xff);
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (long it = 0; it < iterations; ++it) {
    MPI_Sendrecv(out, (int)bytes, MPI_BYTE, next, 0, in, (int)bytes, MPI_BYTE, prev, 0,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  double elapsed = MPI_Wtime() - start;
  MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  /* What arrived must be what the previous rank sent. */
  long wrong = 0;
  for (long i = 0; i < bytes; ++i) wrong += in[i] != (unsigned char)((i * 31 + prev) & 0xff);
  MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) {
    const double moved = (double)bytes * (double)iterations * size;
    printf("Ring: %ld bytes x %ld iterations on %d ranks\n", bytes, iterations, size);
    printf("Rate (MB/s): %.1f\n", elapsed > 0 ? moved / elapsed / 1e6 : 0.0);
    printf("Time per hop (us): %.2f\n", elapsed / (double)iterations * 1e6);
    printf("Result: %s\n", wrong == 0 ? "OK" : "WRONG");
  }
  free(out);
  free(in);
  MPI_Finalize();
  return wrong == 0 ? 0 : 1;
}
