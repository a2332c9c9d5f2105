#include "apps/lda/vocab_builder.h"

#include <algorithm>
#include <cmath>

namespace gaia::lda {

VocabMap BuildVocabulary(const std::vector<WordStats>& stats, uint64_t docs,
                         const VocabOptions& options) {
  // A word in more than max_df * docs documents is dropped.
  const double max_docs = options.max_df >= 1 ? static_cast<double>(docs)
                                              : options.max_df * static_cast<double>(docs);
  std::vector<uint32_t> kept;
  for (uint32_t id = 0; id < stats.size(); ++id) {
    const WordStats& s = stats[id];
    if (s.count == 0 || s.count < options.min_count) continue;
    if (static_cast<double>(s.docs) > max_docs) continue;
    kept.push_back(id);
  }
  std::sort(kept.begin(), kept.end(), [&stats](uint32_t a, uint32_t b) {
    if (stats[a].count != stats[b].count) return stats[a].count > stats[b].count;
    if (stats[a].word != stats[b].word) return stats[a].word < stats[b].word;
    return a < b;
  });
  if (options.max_vocab > 0 && kept.size() > options.max_vocab) kept.resize(options.max_vocab);
  VocabMap map;
  map.new_id.assign(stats.size(), kDropped);
  map.vocab.reserve(kept.size());
  for (uint32_t id : kept) {
    map.new_id[id] = static_cast<uint32_t>(map.vocab.size());
    map.vocab.push_back(stats[id].word);
  }
  return map;
}

}  // namespace gaia::lda
