#include "apps/lda/cuda/host_layout.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "apps/lda/random.h"

namespace gaia::lda::gpu {
namespace {

// Sampler::Initialize's stream ("init"): the same first state on both devices.
constexpr uint64_t kInitSalt = 0x696E6974;

template <typename C>
void Add(std::span<const int32_t> change, std::span<C> counts, std::span<C> delta) {
  for (size_t i = 0; i < change.size(); ++i) {
    counts[i] += change[i];
    delta[i] += change[i];
  }
}

}  // namespace

absl::StatusOr<LocalTokens> MapLocalWords(const Corpus& docs, uint32_t vocab_size) {
  if (docs.offsets.empty() || docs.offsets.front() != 0 ||
      docs.offsets.back() != docs.words.size()) {
    return absl::InvalidArgumentError("gpu lda: corpus offsets do not match its words");
  }
  for (size_t d = 0; d < docs.num_docs(); ++d) {
    if (docs.offsets[d + 1] < docs.offsets[d]) {
      return absl::InvalidArgumentError(
          absl::StrCat("gpu lda: document ", d, " has a negative length"));
    }
    for (uint32_t w : docs.doc(d)) {
      if (w >= vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat("gpu lda: document ", d, " has word id ",
                                                       w, " >= vocab_size ", vocab_size));
      }
    }
  }
  LocalTokens t;
  std::vector<uint32_t> row(vocab_size, UINT32_MAX);
  for (uint32_t w : docs.words) row[w] = 0;
  for (uint32_t w = 0; w < vocab_size; ++w) {
    if (row[w] == 0) {
      row[w] = static_cast<uint32_t>(t.words.size());
      t.words.push_back(w);
    }
  }
  t.doc_offsets = docs.offsets;
  t.rows.reserve(docs.words.size());
  for (uint32_t w : docs.words) t.rows.push_back(row[w]);
  return t;
}

std::vector<uint32_t> InitialTopics(uint64_t num_tokens, uint32_t topics, uint64_t seed) {
  FastRandom rng(seed, kInitSalt);
  std::vector<uint32_t> out(num_tokens);
  for (uint32_t& t : out) t = rng.Below(topics);
  return out;
}

absl::Status NarrowTotals(std::span<const int64_t> in, std::span<int32_t> out) {
  for (size_t k = 0; k < in.size(); ++k) {
    if (in[k] < std::numeric_limits<int32_t>::min() ||
        in[k] > std::numeric_limits<int32_t>::max()) {
      return absl::OutOfRangeError(absl::StrCat("gpu lda: topic ", k, " total ", in[k],
                                                " does not fit the device's int32 counts"));
    }
    out[k] = static_cast<int32_t>(in[k]);
  }
  return absl::OkStatus();
}

void AddChange(std::span<const int32_t> change, std::span<int32_t> counts,
               std::span<int32_t> delta) {
  Add(change, counts, delta);
}

void AddChange(std::span<const int32_t> change, std::span<int64_t> counts,
               std::span<int64_t> delta) {
  Add(change, counts, delta);
}

}  // namespace gaia::lda::gpu
