# Peers of the dgemm, spmv and sort kernels (bench/bench_dense.py): ScaLAPACK's pdgemm on
# the same grid and BLAS, one all-core OpenBLAS dgemm, and a single-process parallel sort.
find_library(WEFT_SCALAPACK_LIBRARY NAMES scalapack-openmpi scalapack)
if(WEFT_SCALAPACK_LIBRARY)
  add_executable(bench_pdgemm_peer peers/pdgemm_peer.cpp)
  # ScaLAPACK 2.x carries BLACS in the same library.
  target_link_libraries(bench_pdgemm_peer PRIVATE ${WEFT_SCALAPACK_LIBRARY} ${BLAS_LIBRARIES}
    MPI::MPI_CXX OpenMP::OpenMP_CXX)
  set_target_properties(bench_pdgemm_peer PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
else()
  message(STATUS "ScaLAPACK not found: bench_pdgemm_peer is not built "
                 "(Debian: libscalapack-openmpi-dev)")
endif()
add_executable(bench_dgemm_blas_peer peers/dgemm_blas_peer.cpp)
target_link_libraries(bench_dgemm_blas_peer PRIVATE ${BLAS_LIBRARIES} OpenMP::OpenMP_CXX)
add_executable(bench_sort_parallel_peer peers/sort_parallel_peer.cpp)
target_link_libraries(bench_sort_parallel_peer PRIVATE weft::weft OpenMP::OpenMP_CXX)
set_target_properties(bench_dgemm_blas_peer bench_sort_parallel_peer PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
