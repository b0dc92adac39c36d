// crash_handler: what a rank says when it dies of a fatal signal (SIGSEGV, SIGBUS,
// SIGILL, SIGFPE, SIGABRT): one line, "NAME: rank R: fatal signal SIGSEGV", written with
// async-signal-safe calls only (no malloc, no stdio, no locks, so it cannot deadlock
// whatever the crashing code held), then the signal's default action, so the exit status
// and mpirun/srun see the signal as before. It runs on an alternate stack of its own, so
// a stack overflow is reported too. It replaces the MPI library's handler, whose
// backtrace can call malloc from the handler and hang.
//
// weft::environment installs it after MPI_Init; call it yourself only outside one.
// Free of MPI.
#pragma once

namespace weft {

// Installs the handler for this process; `rank` is printed in the line (-1: none).
// Installing again updates the rank.
void install_crash_handler(int rank) noexcept;

}  // namespace weft
