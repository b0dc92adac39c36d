// weft/io/block_io.hpp for the kernels: read_box/write_box build their selection with
// aggregate initialisation that leaves the dist_array-only members (origin, global) to
// their defaults, which GCC's -Wextra reports as missing initialisers when the templates
// are instantiated. The defaults are what a plain box needs, so the warning is silenced
// for that header alone.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "weft/io/block_io.hpp"
#pragma GCC diagnostic pop
