// HDF5 files: opening and creating them over a communicator, atomic outputs, provenance
// attributes, and the FILE:/path notation weft's commands use for datasets.
//
// Files opened over a communicator use the MPI-IO driver with collective metadata
// operations: opening, creating and closing them are collective over that communicator,
// as is every structural change (creating datasets and attributes).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/base/json.hpp"
#include "weft/base/staged_file.hpp"
#include "weft/core/comm.hpp"
#include "weft/io/hdf5.hpp"

namespace weft::io {

// A dataset named on the command line as FILE:/path/in/file, or one numeric field of a
// compound dataset as FILE:/path#field (a nested field as #outer.inner).
struct dataset_ref {
  std::string file;
  std::string path;  // starts with '/'; empty when the path was optional and not given
  std::vector<std::string> field;  // the member names down to the field; empty: whole elements
  [[nodiscard]] std::string field_text() const;  // "pos.x"; "" without a field
  [[nodiscard]] std::string text() const {
    if (path.empty()) return file;
    return field.empty() ? file + ":" + path : file + ":" + path + "#" + field_text();
  }
};

// Parses FILE:/path[#field[.field...]] (the last ':' followed by '/' separates file and
// path; a '#' in the path starts the field). Throws usage_error naming `option` when the
// text is malformed: no ":/" (unless !path_required, then the whole text is the file), an
// empty file name, a path that is "/" or has an empty component ("//", a trailing '/'),
// or an empty field name ("#", "#a..b"). Local; the same text gives the same answer
// anywhere.
[[nodiscard]] dataset_ref parse_dataset_ref(const std::string& text, const std::string& option,
                                            bool path_required = true);

// Collective over c: every rank sees the file rank 0 sees (same size), so a collective open
// cannot hang or mix files. On several nodes a path in a node's own file system (/tmp)
// fails here: input_error naming the first rank that does not see it and its host.
void require_same_file(const comm_ref& c, const std::filesystem::path& path);
// Collective over c: a file rank 0 creates in `folder` is seen by every rank (a marker,
// removed again). usage_error naming the first rank that does not see it and its host.
void require_shared_folder(const comm_ref& c, const std::filesystem::path& folder);

// Collective over c: opens an existing file with the MPI-IO driver (read-only unless
// `writable`), after require_same_file. Throws hdf5_error.
[[nodiscard]] file open_file(const comm_ref& c, const std::filesystem::path& path,
                             bool writable = false);
// Collective over c: after require_same_file, every rank opens `path` itself, read-only,
// with HDF5's POSIX driver: no MPI-IO (whose first open in a process loads a dozen
// Open MPI components, milliseconds). For inputs read by mapping the file; reads of
// blocks through it are independent (block_io.hpp).
[[nodiscard]] file open_file_independently(const comm_ref& c, const std::filesystem::path& path);
// Local: true when `path` is a readable HDF5 file (checks its signature only).
[[nodiscard]] bool is_hdf5(const std::filesystem::path& path);
// Local: opens an existing file read-only with the default (POSIX) driver.
[[nodiscard]] file open_file_serial(const std::filesystem::path& path);
// Collective over c: creates (truncates) a file with the MPI-IO driver, after
// require_shared_folder on its folder.
[[nodiscard]] file create_file(const comm_ref& c, const std::filesystem::path& path);

// An HDF5 output published atomically: written under a temporary name in the target's
// folder, renamed onto the target by commit(). Creating one is collective over c: rank 0
// checks the target (an existing file is refused unless `overwrite`, a usage error
// thrown on every rank) and names the temporary; every rank creates it with MPI-IO. The
// file carries provenance attributes from the start (see write_provenance).
// Destroying an uncommitted output_file closes it and removes the temporary, so a failed
// run leaves nothing under either name; a killed run leaves at most a hidden temporary
// (".NAME.tmp.PID", matched by .gitignore) and never a half-written target.
class output_file : public attribute_access<output_file>, public location_access<output_file> {
 public:
  output_file(const comm_ref& c, std::filesystem::path target, bool overwrite,
              const json& parameters = json::object());
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  output_file(output_file&&) = delete;
  output_file& operator=(output_file&&) = delete;
  ~output_file();

  [[nodiscard]] const file& h5() const noexcept { return file_; }
  [[nodiscard]] hid_t native_handle() const noexcept { return file_.native_handle(); }
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  [[nodiscard]] const std::filesystem::path& temporary() const noexcept { return temporary_; }

  // Collective over c: closes the file, then rank 0 fsyncs it and renames it onto the
  // target. Every handle into the file (datasets, attributes) must be closed before.
  void commit();

 private:
  MPI_Comm comm_;
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  std::optional<staged_file> staged_;  // rank 0 only
  file file_;
};

// The hid_t layer under the typed objects' members (file, group, dataset in hdf5.hpp:
// write_attribute, read_string_attribute, read_number_attribute, attributes). Use those.
namespace detail {

// Collective over c: writes the provenance of this run as attributes of `object` (the
// root group of every file weft writes): software, softwareVersion, date, git_revision,
// compiler, mpi, hdf5, host, command_line, ranks, threads and the run's parameters (as
// JSON text). Rank 0's values are used on every rank.
void write_provenance(const comm_ref& c, hid_t object, const json& parameters);

// Writes a scalar attribute (collective when the file is open in parallel). Replaces an
// attribute of the same name.
void write_attribute(hid_t object, const std::string& name, const std::string& value);
void write_attribute(hid_t object, const std::string& name, double value);
void write_attribute(hid_t object, const std::string& name, long long value);

// Every attribute of `object` as (name, value as text); numbers in full precision,
// small arrays as "[a, b, ...]", other types by their class name.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> list_attributes(hid_t object);
// The value of one string attribute, or std::nullopt when absent or not a string.
[[nodiscard]] std::optional<std::string> read_string_attribute(hid_t object,
                                                               const std::string& name);
// A numeric attribute holding one value, as a double; nullopt when absent or not one number.
[[nodiscard]] std::optional<double> read_number_attribute(hid_t object, const std::string& name);

}  // namespace detail

}  // namespace weft::io
