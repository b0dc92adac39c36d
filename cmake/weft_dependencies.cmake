# Finds weft's dependencies: all of them are Debian 12 packages (scripts/install-deps).
find_package(MPI 3.1 REQUIRED COMPONENTS C CXX)
find_package(OpenMP 4.5 REQUIRED COMPONENTS CXX)

set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR
    "weft needs the parallel (MPI) build of HDF5, but found a serial one (${HDF5_C_LIBRARIES}). "
    "On Debian/Ubuntu install 'libhdf5-openmpi-dev' (scripts/install-deps does this).")
endif()

find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
set(BLA_VENDOR OpenBLAS)
find_package(BLAS REQUIRED)
if(WEFT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(WEFT_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
