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
//
// A file mapped into memory that shrinks while it is read (another program truncates or
// rewrites it) raises SIGBUS on the next access past its new end. guard_mapping names such
// a mapping: a SIGBUS inside it ends the process with `message` (after the usual prefix)
// and `code` instead, as an error in the input rather than a crash.
#pragma once

#include <cstddef>

#include "weft/base/error.hpp"

namespace weft {

// Installs the handler for this process; `rank` is printed in the line (-1: none).
// Installing again updates the rank.
void install_crash_handler(int rank) noexcept;

// Reports a SIGBUS at an address in [begin, begin + bytes) with `message` (one line, cut at
// 200 characters) and ends the process with `code`. Returns a slot for unguard_mapping, or
// -1 when every slot (8) is taken, in which case the mapping is not guarded.
int guard_mapping(const void* begin, std::size_t bytes, const char* message,
                  exit_code code) noexcept;
// Forgets the mapping of guard_mapping's `slot` (-1: nothing).
void unguard_mapping(int slot) noexcept;

}  // namespace weft
