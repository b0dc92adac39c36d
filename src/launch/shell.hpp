// Quoting for the shell and checks for strings that reach batch scripts. Every argument a
// generated script passes is single-quoted (a quote inside becomes '\''), so `$(...)`,
// backticks, `;`, newlines and globs arrive literally. Values on `#SBATCH` lines cannot
// be quoted (sbatch reads them itself): they must pass is_sbatch_value.
#pragma once

#include <string>
#include <vector>

namespace weft::launch {

// 'text', with each ' written as '\''. Always quoted, even when plain.
[[nodiscard]] std::string shell_quote(const std::string& text);
// Quoted only when it contains anything but [A-Za-z0-9_@%+=:,./-]: for messages that
// show a command a user may copy.
[[nodiscard]] std::string shell_word(const std::string& text);
// Words joined with spaces, each through shell_word.
[[nodiscard]] std::string shell_line(const std::vector<std::string>& words);
// True when text has a byte below 0x20 or 0x7f.
[[nodiscard]] bool has_control_chars(const std::string& text);
// True when text may follow `#SBATCH --opt=`: non-empty, no control characters, no
// whitespace, quotes or backslashes.
[[nodiscard]] bool is_sbatch_value(const std::string& text);

}  // namespace weft::launch
