#include "apps/lda/named_corpora.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/lda/mail_text.h"

namespace gaia::lda {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSpamGroups[] = {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1",
                                       "spam-2"};

bool IsBrownText(const std::string& name) {
  return name.size() == 4 && name[0] == 'c' && name[1] >= 'a' && name[1] <= 'r' &&
         absl::ascii_isdigit(name[2]) && absl::ascii_isdigit(name[3]);
}

// Sorted names of the regular files in `dir` that `keep` accepts.
absl::StatusOr<std::vector<std::string>> SortedFiles(const fs::path& dir,
                                                     bool (*keep)(const std::string&)) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && keep(name)) names.push_back(name);
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir.string(), ": cannot list: ", ec.message()));
  std::sort(names.begin(), names.end());
  return names;
}

bool IsMailFile(const std::string& name) { return absl::EndsWith(name, ".txt"); }

}  // namespace

std::vector<std::string> DefaultCorporaSearchDirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GAIA_CORPORA_DIR"); env != nullptr && *env != '\0') {
    dirs.push_back(env);
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    dirs.push_back(absl::StrCat(xdg, "/gaia/npm"));
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dirs.push_back(absl::StrCat(home, "/.local/share/gaia/npm"));
  }
  dirs.push_back("/usr/local/lib/node_modules");
  dirs.push_back("/usr/lib/node_modules");
  return dirs;
}

std::string NpmInstallCommand(const std::string& package,
                              const std::vector<std::string>& search_dirs) {
  // The first directory that is an npm prefix, not a node_modules folder.
  for (const std::string& dir : search_dirs) {
    if (!absl::EndsWith(dir, "node_modules")) {
      return absl::StrCat("scripts/setup.sh (or: npm install --prefix ", dir, " ", package, ")");
    }
  }
  return absl::StrCat("scripts/setup.sh (or: npm install -g ", package, ")");
}

absl::StatusOr<std::string> FindNpmPackage(const std::string& package,
                                           const std::vector<std::string>& search_dirs) {
  std::error_code ec;
  for (const std::string& dir : search_dirs) {
    for (const fs::path& candidate :
         {fs::path(dir) / "node_modules" / package, fs::path(dir) / package}) {
      if (fs::is_regular_file(candidate / "package.json", ec)) return candidate.string();
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "npm package ", package, " not found in ", absl::StrJoin(search_dirs, ", "),
      "; install it with: ", NpmInstallCommand(package, search_dirs)));
}

std::string StripBrownTags(absl::string_view tagged) {
  std::string out;
  out.reserve(tagged.size());
  size_t i = 0;
  while (i < tagged.size()) {
    const size_t end = std::min(tagged.find_first_of(" \t\n\r", i), tagged.size());
    absl::string_view token = tagged.substr(i, end - i);
    const size_t slash = token.rfind('/');
    if (slash != absl::string_view::npos) token = token.substr(0, slash);
    absl::StrAppend(&out, token, " ");
    i = end + 1;
  }
  return out;
}

absl::Status AddBrownTexts(const std::string& dir, TextCorpusBuilder* builder) {
  absl::StatusOr<std::vector<std::string>> names = SortedFiles(dir, IsBrownText);
  if (!names.ok()) return names.status();
  if (names->empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no Brown texts (files ca01..cr09)"));
  }
  for (const std::string& name : *names) {
    absl::StatusOr<std::string> text = ReadWholeFile((fs::path(dir) / name).string());
    if (!text.ok()) return text.status();
    builder->AddDocument(StripBrownTags(*text));
  }
  return absl::OkStatus();
}

absl::Status AddSpamAssassinMails(const std::string& dir, TextCorpusBuilder* builder) {
  for (const char* group : kSpamGroups) {
    const fs::path group_dir = fs::path(dir) / "data" / group;
    absl::StatusOr<std::vector<std::string>> names = SortedFiles(group_dir, IsMailFile);
    if (!names.ok()) return names.status();
    if (names->empty()) {
      return absl::NotFoundError(absl::StrCat(group_dir.string(), ": no mails (*.txt)"));
    }
    for (const std::string& name : *names) {
      absl::StatusOr<std::string> mail = ReadWholeFile((group_dir / name).string());
      if (!mail.ok()) return mail.status();
      builder->AddDocument(MailToText(*mail));
    }
  }
  return absl::OkStatus();
}

}  // namespace gaia::lda
