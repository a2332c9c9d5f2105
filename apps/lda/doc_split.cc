#include "apps/lda/doc_split.h"

#include <algorithm>

#include "apps/lda/data_random.h"

namespace gaia::lda {
namespace {
// Salts keep the test and DC streams of a document apart.
constexpr uint64_t kTestSalt = 0x68656C646F7574;  // "heldout"
constexpr uint64_t kDcSalt = 0x646373706C6974;    // "dcsplit"
}  // namespace

DocSelector::DocSelector(const SplitOptions& options, uint64_t source_docs, uint32_t part,
                         uint32_t parts)
    : options_(options), source_docs_(std::max<uint64_t>(source_docs, 1)), part_(part),
      parts_(parts) {}

bool DocSelector::IsTest(uint64_t doc) const {
  if (options_.test <= 0) return false;
  return DataRandom(options_.seed, kTestSalt, doc).Uniform() < options_.test;
}

uint32_t DocSelector::DcOf(uint64_t doc) const {
  if (options_.dcs <= 1) return 0;
  if (options_.dc_split == DcSplit::kHash) {
    return static_cast<uint32_t>(DataRandom(options_.seed, kDcSalt, doc).Below(options_.dcs));
  }
  const unsigned __int128 scaled = static_cast<unsigned __int128>(doc) * options_.dcs;
  return static_cast<uint32_t>(
      std::min<unsigned __int128>(scaled / source_docs_, options_.dcs - 1));
}

bool DocSelector::Keep(uint64_t doc) {
  if (IsTest(doc) != options_.want_test) return false;
  if (DcOf(doc) != options_.dc) return false;
  return next_local_++ % parts_ == part_;
}

}  // namespace gaia::lda
