# Build provenance baked into the library: version, git revision, compiler and flags.
find_package(Git QUIET)
set(WEFT_GIT_REVISION "unknown")
if(GIT_FOUND AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --abbrev=12
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE WEFT_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _weft_bt)
set(WEFT_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_weft_bt}}")
string(STRIP "${WEFT_CXX_FLAGS}" WEFT_CXX_FLAGS)
set(WEFT_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/build_info.hpp.in"
  "${CMAKE_CURRENT_BINARY_DIR}/generated/weft/build_info.hpp" @ONLY)
