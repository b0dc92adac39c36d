// Shell quoting: a quoted word is read back by bash as exactly the original text.
#include "launch/shell.hpp"

#include <gtest/gtest.h>

#include "launch/process.hpp"

namespace weft::launch {
namespace {

TEST(shell_quote, bash_reads_every_quoted_word_back_unchanged) {
  const std::vector<std::string> words = {"plain", "a b", "it's", "$(id)", "`id`",  "a;b", "x\ny",
                                          "ü ✓",   "'",   "''",   "\\",    "$HOME", "*",   ""};
  std::string script = "printf '%s\\0'";
  for (const auto& w : words) script += " " + shell_quote(w);
  process_options o;
  o.capture = true;

  const auto r = run_process({"bash", "-c", script}, o);

  std::vector<std::string> back;
  std::string cur;
  for (char c : r.output) {
    if (c == '\0') {
      back.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  EXPECT_EQ(back, words);
}

TEST(shell_quote, only_safe_words_are_left_unquoted_for_display) {
  EXPECT_EQ(shell_word("--map-by"), "--map-by");
  EXPECT_EQ(shell_word("slot:PE=2"), "slot:PE=2");
  EXPECT_EQ(shell_word("a b"), "'a b'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word(""), "''");
}

TEST(sbatch_value, refuses_control_characters_whitespace_and_quotes) {
  EXPECT_TRUE(is_sbatch_value("/shared/results/%x-%j.out"));
  EXPECT_FALSE(is_sbatch_value("a\nb"));
  EXPECT_FALSE(is_sbatch_value("a b"));
  EXPECT_FALSE(is_sbatch_value("a\"b"));
  EXPECT_FALSE(is_sbatch_value(std::string("a\x1b[2Jb")));
  EXPECT_FALSE(is_sbatch_value(""));
}

}  // namespace
}  // namespace weft::launch
