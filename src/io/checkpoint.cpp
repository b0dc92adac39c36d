#include "weft/io/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <system_error>

#include "weft/core/log.hpp"

namespace weft::io {

namespace fs = std::filesystem;

namespace {

constexpr const char* meta_attribute = "weft_checkpoint";

fs::path folder_of(const fs::path& prefix) {
  return prefix.parent_path().empty() ? fs::path(".") : prefix.parent_path();
}

}  // namespace

checkpoint::checkpoint(const comm_ref& c, checkpoint_options options)
    : comm_(c.native_handle()), options_(std::move(options)) {
  if (options_.prefix.empty() || options_.prefix.filename().empty()) {
    throw usage_error("a checkpoint needs a file name prefix, e.g. runs/plate");
  }
  if (options_.keep < 1) throw usage_error("a checkpoint must keep at least 1 file");
}

void checkpoint::check_name(const std::string& name) const {
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  });
  if (!plain) throw usage_error("checkpoint item '" + name + "': use letters, digits and '_'");
  const auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.name == name; });
  };
  if (taken(arrays_) || taken(scalars_)) {
    throw usage_error("checkpoint item '" + name + "' is registered twice");
  }
}

void checkpoint::add(const std::string& name, long long& value) {
  check_name(name);
  scalars_.push_back({name, [&value] { return json(value); },
                      [&value](const json& j) { value = j.get<long long>(); }});
}

void checkpoint::add(const std::string& name, double& value) {
  check_name(name);
  // JSON text keeps a double's bits (shortest round-trip form); NaN and infinities are
  // stored by their bits.
  scalars_.push_back({name,
                      [&value] {
                        return std::isfinite(value) ? json(value)
                                                    : json(std::bit_cast<std::uint64_t>(value));
                      },
                      [&value](const json& j) {
                        value = j.is_number_float() ? j.get<double>()
                                                    : std::bit_cast<double>(j.get<std::uint64_t>());
                      }});
}

void checkpoint::add(const std::string& name, std::uint64_t& value) {
  check_name(name);
  scalars_.push_back({name, [&value] { return json(value); },
                      [&value](const json& j) { value = j.get<std::uint64_t>(); }});
}

fs::path checkpoint::path_of(long long step) const {
  return folder_of(options_.prefix) /
         fmt::format("{}.ckpt.{:08d}.h5", options_.prefix.filename().string(), step);
}

std::vector<std::pair<long long, fs::path>> checkpoint::list() const {
  std::vector<std::pair<long long, fs::path>> out;
  const std::string head = options_.prefix.filename().string() + ".ckpt.";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder_of(options_.prefix), ec)) {
    const std::string name = e.path().filename().string();
    if (!name.starts_with(head) || !name.ends_with(".h5")) continue;
    const std::string digits = name.substr(head.size(), name.size() - head.size() - 3);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    out.emplace_back(std::stoll(digits), e.path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

fs::path checkpoint::write(long long step) {
  const comm_ref c(comm_);
  json meta = json::object();
  meta["step"] = step;
  meta["fingerprint"] = options_.fingerprint;
  json scalars = json::object();
  for (const auto& s : scalars_) scalars[s.name] = s.get();
  meta["scalars"] = scalars;
  json hashes = json::object();
  for (const auto& a : arrays_) hashes[a.name] = fmt::format("{:016x}", a.hash());
  meta["hashes"] = hashes;
  fs::path target = path_of(step);
  {
    output_file out(c, target, true, options_.parameters);
    for (const auto& a : arrays_) a.write(out);
    out.write_attribute(meta_attribute, meta.dump());
    out.commit();
  }
  if (options_.verify) verify(target, hashes);
  if (c.rank() == 0) {
    const auto all = list();
    for (std::size_t k = static_cast<std::size_t>(options_.keep); k < all.size(); ++k) {
      std::error_code ec;
      fs::remove(all[k].second, ec);
    }
  }
  c.barrier();  // nobody lists the folder while rank 0 prunes it
  return target;
}

void checkpoint::verify(const fs::path& path, const json& hashes) const {
  const comm_ref c(comm_);
  std::string bad;
  try {
    const file f = open_file(c, path);
    for (const auto& a : arrays_) {
      const std::string got = fmt::format("{:016x}", a.stored_hash(f));
      const std::string want = hashes.at(a.name).get<std::string>();
      if (got != want && bad.empty()) {
        bad = fmt::format("'{}' reads back with hash {}, written as {}", a.name, got, want);
      }
    }
  } catch (const std::exception& e) {
    bad = e.what();
  }
  const agreement agreed = agree(c, bad.empty(), bad);
  if (agreed.ok) return;
  const fs::path damaged = fs::path(path.string() + ".damaged");
  if (c.rank() == 0) {
    std::error_code ec;
    fs::rename(path, damaged, ec);
  }
  c.barrier();
  throw error(fmt::format("checkpoint {} does not read back as written ({}); it is kept as {} "
                          "and the older checkpoints are untouched: check the file system",
                          path.string(), agreed.message, damaged.string()),
              exit_code::run_failed, true);
}

void checkpoint::verify(long long step) const {
  const comm_ref c(comm_);
  const fs::path path = path_of(step);
  std::string text;
  std::string why;
  try {
    const file f = open_file(c, path);
    text = f.read_string_attribute(meta_attribute).value_or("");
    if (text.empty()) why = "no checkpoint metadata";
  } catch (const std::exception& e) {
    why = e.what();
  }
  agree_or_throw<input_error>(c, why.empty(), "checkpoint " + path.string() + ": " + why);
  verify(path, json::parse(text).at("hashes"));
}

bool checkpoint::try_restore(const fs::path& path, long long step) {
  const comm_ref c(comm_);
  // Rank 0 reads the metadata serially first: a damaged file fails there, alone, and the
  // ranks then agree to skip it rather than fail inside a collective open.
  int status = 0;  // 0 usable, 1 damaged, 2 other parameters
  std::string text, why;
  if (c.rank() == 0) {
    try {
      const file f = open_file_serial(path);
      const auto m = f.read_string_attribute(meta_attribute);
      if (!m) throw input_error("no checkpoint metadata");
      const json meta = json::parse(*m);
      if (meta.at("step").get<long long>() != step) throw input_error("its step disagrees");
      const std::string fp = meta.value("fingerprint", "");
      if (!options_.fingerprint.empty() && fp != options_.fingerprint) {
        status = 2;
        why = fp;
      }
      for (const auto& a : arrays_) {
        if (const std::string bad = a.mismatch(f.open_dataset("/" + a.name).info("/" + a.name));
            !bad.empty()) {
          throw input_error("'" + a.name + "' has " + bad);
        }
      }
      for (const auto& s : scalars_) (void)meta.at("scalars").at(s.name);
      text = meta.dump();
    } catch (const std::exception& e) {
      status = std::max(status, 1);
      why = e.what();
    }
  }
  c.bcast(status, 0);
  c.bcast(why, 0);
  if (status == 2) {
    throw usage_error(fmt::format("checkpoint {} was written with other parameters ({}); this "
                                  "run has {}",
                                  path.string(), why, options_.fingerprint),
                      true);
  }
  if (status == 1) {
    if (c.rank() == 0) log::warn("skipping checkpoint {}: {}", path.string(), why);
    return false;
  }
  c.bcast(text, 0);
  const json meta = json::parse(text);
  bool read = true;
  std::string failure;
  try {
    const file f = open_file(c, path);
    for (const auto& a : arrays_) a.read(f);
  } catch (const std::exception& e) {
    read = false;
    failure = e.what();
  }
  if (const auto agreed = agree(c, read, failure); !agreed.ok) {
    if (c.rank() == 0) log::warn("skipping checkpoint {}: {}", path.string(), agreed.message);
    return false;
  }
  for (const auto& a : arrays_) {
    const std::string got = fmt::format("{:016x}", a.hash());
    const std::string want = meta.at("hashes").value(a.name, "");
    if (got != want) {
      if (c.rank() == 0) {
        log::warn("skipping checkpoint {}: '{}' reads back with hash {}, written as {}",
                  path.string(), a.name, got, want);
      }
      return false;
    }
  }
  for (const auto& s : scalars_) s.set(meta.at("scalars").at(s.name));
  return true;
}

std::optional<long long> checkpoint::restore() {
  const comm_ref c(comm_);
  std::vector<long long> steps;
  std::vector<std::string> paths;
  if (c.rank() == 0) {
    for (const auto& [st, p] : list()) {
      steps.push_back(st);
      paths.push_back(p.string());
    }
  }
  int n = static_cast<int>(steps.size());
  c.bcast(n, 0);
  for (int k = 0; k < n; ++k) {
    long long step = c.rank() == 0 ? steps[static_cast<std::size_t>(k)] : 0;
    std::string path = c.rank() == 0 ? paths[static_cast<std::size_t>(k)] : std::string();
    c.bcast(step, 0);
    c.bcast(path, 0);
    if (try_restore(path, step)) {
      if (c.rank() == 0) log::info("resuming from {} at step {}", path, step);
      return step;
    }
  }
  if (c.rank() == 0) {
    log::info("no usable checkpoint under {} yet; starting afresh", options_.prefix.string());
  }
  return std::nullopt;
}

}  // namespace weft::io
