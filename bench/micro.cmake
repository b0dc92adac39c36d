# Micro-benchmarks with Google Benchmark: library pieces against their plain counterparts
# in one run (BUILD/bench/bench_micro_*).
add_executable(bench_micro_rng ${CMAKE_CURRENT_SOURCE_DIR}/micro_rng.cpp)
target_link_libraries(bench_micro_rng PRIVATE weft::weft benchmark::benchmark weft_warnings)
set_target_properties(bench_micro_rng PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
add_executable(bench_micro_exact_sum ${CMAKE_CURRENT_SOURCE_DIR}/micro_exact_sum.cpp)
target_link_libraries(bench_micro_exact_sum PRIVATE weft::weft benchmark::benchmark weft_warnings)
set_target_properties(bench_micro_exact_sum PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
add_executable(bench_micro_checkpoint ${CMAKE_CURRENT_SOURCE_DIR}/micro_checkpoint.cpp)
target_link_libraries(bench_micro_checkpoint PRIVATE weft::weft benchmark::benchmark weft_warnings)
set_target_properties(bench_micro_checkpoint PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
add_executable(bench_micro_probe ${CMAKE_CURRENT_SOURCE_DIR}/micro_probe.cpp)
target_link_libraries(bench_micro_probe PRIVATE weft::weft benchmark::benchmark weft_warnings)
set_target_properties(bench_micro_probe PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
