// Writes small test datasets with weft's own I/O layer, in a folder every rank shares.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "test_support.hpp"
#include "weft/grid/dist_array.hpp"
#include "weft/io/block_io.hpp"
#include "weft/io/dataset.hpp"
#include "weft/io/file.hpp"

namespace weft::testing {

class dataset_folder {
 public:
  [[nodiscard]] std::string file(const std::string& name) const { return dir_ / name; }

  // Collective: writes a 2-d f64 dataset /values with value(global row-major index).
  std::string write(const std::string& name, extents shape,
                    const std::function<double(index_t)>& value) const {
    const std::string f = file(name);
    io::output_file out(world(), f, true);
    {
      grid::dist_array<double, 2> a(grid::decomposition::over(world(), shape));
      const index_t cols = shape[1];
      a.fill([&](const std::array<index_t, 2>& g) { return value(g[0] * cols + g[1]); });
      const auto d =
          io::create_dataset(out.native_handle(), "/values", io::element_type::f64, shape);
      (void)io::write_block(d, a);
    }
    out.commit();
    return f + ":/values";
  }

 private:
  scratch_dir dir_{"weft-kernel"};
};

}  // namespace weft::testing
