#include "weft/io/hdf5.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace weft::io;

TEST(hdf5, a_failed_call_throws_hdf5s_own_message_and_keeps_the_call_apart) {
  quiet_hdf5();
  try {
    const file f(WEFT_H5_CHECK(H5Fopen("/no/such/file.h5", H5F_ACC_RDONLY, H5P_DEFAULT)));
    FAIL() << "opened a missing file";
  } catch (const hdf5_error& e) {
    const std::string what = e.what();
    // No C call or source path in what a user reads; both kept for developers.
    EXPECT_EQ(what.find("H5Fopen"), std::string::npos) << what;
    EXPECT_EQ(what.find(".cpp"), std::string::npos) << what;
    EXPECT_NE(e.call().find("H5Fopen"), std::string::npos) << e.call();
    EXPECT_NE(e.site().find("hdf5_test.cpp:"), std::string::npos) << e.site();
    EXPECT_NE(what.find("unable to open file"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_EQ(take_error_stack(), "") << "the stack is cleared once read";
}

TEST(hdf5, handles_close_their_object_once_and_move_ownership) {
  dataspace a(WEFT_H5_CHECK(H5Screate(H5S_SCALAR)));
  const hid_t id = a.native_handle();
  EXPECT_GT(H5Iis_valid(id), 0);
  dataspace b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.native_handle(), id);
  b = dataspace();
  EXPECT_LE(H5Iis_valid(id), 0);
  dataspace c(WEFT_H5_CHECK(H5Screate(H5S_SCALAR)));
  c.close();
  EXPECT_FALSE(c.valid());
}

TEST(hdf5, a_released_handle_is_not_closed) {
  dataspace a(WEFT_H5_CHECK(H5Screate(H5S_SCALAR)));
  const hid_t id = a.release();
  EXPECT_GT(H5Iis_valid(id), 0);
  H5Sclose(id);
}

}  // namespace
