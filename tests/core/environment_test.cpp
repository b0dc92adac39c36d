// The start-up setting environment makes before MPI_Init: OMPI_MCA_pml=^cm only on a node
// without a fabric and only when the user chose no PML. Each case builds a node's file
// system under a temporary root.
#include "weft/core/environment.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace fs = std::filesystem;

namespace {

// A temporary node root, and OMPI_MCA_pml as it was, both restored afterwards.
class fabric_probe : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("OMPI_MCA_pml")) saved_ = v;
    ::unsetenv("OMPI_MCA_pml");
    root_ = fs::temp_directory_path() /
            ("weft-fabric-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("OMPI_MCA_pml", saved_->c_str(), 1);
    } else {
      ::unsetenv("OMPI_MCA_pml");
    }
    fs::remove_all(root_);
  }
  [[nodiscard]] static std::optional<std::string> pml() {
    const char* v = std::getenv("OMPI_MCA_pml");
    return v ? std::optional<std::string>(v) : std::nullopt;
  }
  void touch(const fs::path& relative) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << "";
  }
  fs::path root_;
  std::optional<std::string> saved_;
};

TEST_F(fabric_probe, a_node_without_devices_has_no_fabric) {
  fs::create_directories(root_ / "sys/class/infiniband");  // present but empty
  EXPECT_FALSE(weft::detail::has_fabric(root_));
}

TEST_F(fabric_probe, an_infiniband_device_or_a_psm_adapter_is_a_fabric) {
  touch("sys/class/infiniband/mlx5_0");
  EXPECT_TRUE(weft::detail::has_fabric(root_));
  fs::remove_all(root_ / "sys");
  touch("dev/hfi1_0");
  EXPECT_TRUE(weft::detail::has_fabric(root_));
  fs::remove_all(root_ / "dev");
  touch("dev/ipath");
  EXPECT_TRUE(weft::detail::has_fabric(root_));
}

#ifdef OPEN_MPI
TEST_F(fabric_probe, without_a_fabric_the_cm_pml_is_left_out) {
  weft::detail::skip_fabric_probes(root_);
  EXPECT_EQ(pml(), std::optional<std::string>("^cm"));
}

TEST_F(fabric_probe, with_a_fabric_nothing_is_set) {
  touch("sys/class/infiniband/mlx5_0");
  weft::detail::skip_fabric_probes(root_);
  EXPECT_EQ(pml(), std::nullopt);
}

TEST_F(fabric_probe, a_pml_the_user_chose_is_kept) {
  ::setenv("OMPI_MCA_pml", "ob1", 1);
  weft::detail::skip_fabric_probes(root_);
  EXPECT_EQ(pml(), std::optional<std::string>("ob1"));
}
#endif

}  // namespace
