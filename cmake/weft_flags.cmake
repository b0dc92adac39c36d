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
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
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
