#include "apps/lda/cuda/reference_sweep.h"

#include <vector>

namespace gaia::lda::gpu {
namespace {

// The kernel's per-warp shared memory, as host vectors.
struct DocState {
  explicit DocState(uint32_t topics) : count(topics, 0), listed(topics, 0) {}
  std::vector<int32_t> count;
  std::vector<uint8_t> listed;
  std::vector<uint32_t> list;
  std::vector<float> mass;

  void Add(uint32_t k) {
    ++count[k];
    if (!listed[k]) {
      listed[k] = 1;
      list.push_back(k);
    }
  }
  void Clear() {
    for (uint32_t k : list) count[k] = listed[k] = 0;
    list.clear();
  }
};

}  // namespace

uint64_t ReferenceSweep(const LocalTokens& tokens, std::span<uint32_t> topic_of,
                        std::span<const int32_t> word_topic, std::span<const int32_t> totals,
                        uint32_t topics, const GpuPriors& priors, uint64_t seed, uint64_t sweep,
                        std::span<int32_t> delta) {
  std::vector<float> inv_total(topics);
  for (uint32_t k = 0; k < topics; ++k) inv_total[k] = InvTotal(totals[k], priors);
  std::vector<float> cdf(word_topic.size());
  for (size_t w = 0; w < tokens.words.size(); ++w) {
    float carry = 0;
    for (uint32_t k = 0; k < topics; ++k) {
      carry += WordBucketWeight(word_topic[w * topics + k], inv_total[k], priors);
      cdf[w * topics + k] = carry;
    }
  }
  DocState doc(topics);
  uint64_t changed = 0;
  for (size_t d = 0; d + 1 < tokens.doc_offsets.size(); ++d) {
    const uint64_t begin = tokens.doc_offsets[d], end = tokens.doc_offsets[d + 1];
    for (uint64_t i = begin; i < end; ++i) doc.Add(topic_of[i]);
    for (uint64_t i = begin; i < end; ++i) {
      const uint32_t w = tokens.rows[i], from = topic_of[i];
      const int32_t* row = word_topic.data() + size_t{w} * topics;
      const float* cdf_row = cdf.data() + size_t{w} * topics;
      --doc.count[from];
      const OwnTopic own = LeaveOwnOut(from, row[from], totals[from], priors);
      doc.mass.resize(doc.list.size());
      float doc_total = 0;
      for (size_t j = 0; j < doc.list.size(); ++j) {
        const uint32_t k = doc.list[j];
        doc_total += DocBucketMass(k, doc.count[k], row[k], inv_total[k], own, priors);
        doc.mass[j] = doc_total;
      }
      const float word_total = ShrunkTotal(cdf_row[topics - 1], own);
      const float x = UnitFloat(TokenBits(seed, sweep, i)) * (doc_total + word_total);
      uint32_t to = own.topic;
      if (x < doc_total) {
        for (size_t j = 0; j < doc.list.size(); ++j) {
          if (doc.mass[j] > x) {
            to = doc.list[j];
            break;
          }
        }
      } else {
        to = DrawWordBucket(cdf_row, topics, own, x - doc_total);
      }
      doc.Add(to);
      if (to != from) {
        topic_of[i] = to;
        --delta[size_t{w} * topics + from];
        ++delta[size_t{w} * topics + to];
        ++changed;
      }
    }
    doc.Clear();
  }
  return changed;
}

}  // namespace gaia::lda::gpu
