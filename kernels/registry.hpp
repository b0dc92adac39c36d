// One factory per kernel, each defined in kernels/<name>.cpp. registry.cpp lists them.
#pragma once

#include "kernel.hpp"

namespace weft::kernels {

kernel make_nstream();
kernel make_pingpong();
kernel make_reduce();
kernel make_histogram();
kernel make_stencil();
kernel make_transpose();
kernel make_heat();
kernel make_montecarlo();
kernel make_taskfarm();
kernel make_dgemm();
kernel make_spmv();
kernel make_sort();

}  // namespace weft::kernels
