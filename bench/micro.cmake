# Micro-benchmarks with Google Benchmark: library pieces against their plain counterparts
# in one run (BUILD/bench/bench_micro_NAME, from bench/micro_NAME.cpp).
foreach(name rng exact_sum checkpoint probe)
  add_executable(bench_micro_${name} ${CMAKE_CURRENT_SOURCE_DIR}/micro_${name}.cpp)
  target_link_libraries(bench_micro_${name} PRIVATE weft::weft benchmark::benchmark weft_warnings)
  set_target_properties(bench_micro_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                       ${PROJECT_BINARY_DIR}/bench)
endforeach()
