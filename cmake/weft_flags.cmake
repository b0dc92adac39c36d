# Warning and sanitizer flags as INTERFACE targets: weft's own targets link them,
# consumers of the installed package never see them.
add_library(weft_warnings INTERFACE)
target_compile_options(weft_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough
  # GCC 12 reports false -Wrestrict positives inside libstdc++ string code (GCC PR 105329).
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>
  # Declarations use designated initialisers that name only the fields they set; the rest
  # have default member initialisers. GCC's -Wextra still calls those fields "missing".
  -Wno-missing-field-initializers
  $<$<BOOL:${WEFT_WERROR}>:-Werror>)

add_library(weft_sanitizers INTERFACE)
if(WEFT_SANITIZE)
  target_compile_options(weft_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
    # GCC 12 with this instrumentation reports -Wmaybe-uninitialized inside libstdc++'s own
    # std::regex and std::function code (the job layer's output patterns); the release
    # build, which keeps the warning, checks weft's code for it.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
  target_link_options(weft_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
# libFuzzer: every weft target gets the fuzzer's coverage instrumentation with ASan and
# UBSan; the fuzz targets link libFuzzer itself (tests/fuzz).
if(WEFT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WEFT_FUZZ needs clang (the fuzz preset uses clang++-14)")
  endif()
  target_compile_options(weft_sanitizers INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  target_link_options(weft_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
# ThreadSanitizer: with clang and LLVM's OpenMP runtime, whose Archer tool (loaded at run
# time through OMP_TOOL_LIBRARIES, see weft_testing.cmake) tells TSan about OpenMP's
# synchronisation; GCC's libgomp is not instrumented and would drown the reports in
# false positives.
if(WEFT_TSAN)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WEFT_TSAN needs clang (the tsan preset uses clang++-14)")
  endif()
  # TSan's instrumentation keeps some `omp simd` loops from vectorising; clang says so.
  target_compile_options(weft_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer
    -Wno-pass-failed)
  target_link_options(weft_sanitizers INTERFACE -fsanitize=thread)
endif()

# MPI's C++ bindings (removed from the standard in MPI-3; weft uses the C API) cost 1.7 s of
# parsing in every file that includes mpi.h, against 0.03 s without them. weft's own
# targets skip them; a consumer's compile is left as the consumer sets it.
add_compile_definitions(OMPI_SKIP_MPICXX MPICH_SKIP_MPICXX)

# Build for the CPU of the build host (-march=native), as codes built from source on a
# cluster's nodes are. WEFT_PORTABLE=ON builds for any x86-64 instead; the target clones
# (weft/core/clones.hpp) still pick AVX2 or AVX-512 code for the hot loops when the
# program loads. The build info (every record's provenance) says which it is.
option(WEFT_PORTABLE "build for any x86-64, not for this machine's CPU (-march=native)" OFF)
# Where the CPU (or a target clone) has FMA, GCC fuses a*b+c, even in ISO C++ mode: the
# sums weft documents as reproducible would then differ in their last bits between a
# native and a portable build, between clones, and from a serial loop of the same order.
# No fusing, in any build.
add_compile_options($<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-ffp-contract=off>
                    $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-ffp-contract=off>)
set(WEFT_TARGET_ARCH "portable")
if(NOT WEFT_PORTABLE AND NOT CMAKE_CROSSCOMPILING)
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-march=native WEFT_HAS_MARCH_NATIVE)
  if(WEFT_HAS_MARCH_NATIVE)
    add_compile_options(-march=native)
    # What "native" resolves to here (GCC says; other compilers leave it open).
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -march=native -Q --help=target
      OUTPUT_VARIABLE _weft_target ERROR_QUIET)
    string(REGEX MATCH "-march=[ \t]+([A-Za-z0-9_.-]+)" _weft_march "${_weft_target}")
    if(CMAKE_MATCH_1)
      set(WEFT_TARGET_ARCH "native (${CMAKE_MATCH_1})")
    else()
      set(WEFT_TARGET_ARCH "native")
    endif()
  endif()
endif()
message(STATUS "weft: building for ${WEFT_TARGET_ARCH} (WEFT_PORTABLE=${WEFT_PORTABLE})")
