// A small planted-topic corpus for the sampler's tests (the real generator is
// apps/lda/synthetic.h): topic k puts 90% of its mass on its own block of
// V/K words and 10% on all words; each document mixes 1-3 topics and has
// about `mean_length` tokens.
#ifndef GAIA_TESTS_LDA_PLANTED_CORPUS_H_
#define GAIA_TESTS_LDA_PLANTED_CORPUS_H_

#include <cstdint>
#include <vector>

#include "apps/lda/corpus.h"
#include "apps/lda/random.h"

namespace gaia::lda::testing {

struct PlantedShape {
  uint32_t topics = 20;
  uint32_t vocab = 2000;
  uint32_t docs = 2000;
  uint32_t mean_length = 100;
  uint64_t seed = 7;
};

inline Corpus PlantedCorpus(const PlantedShape& shape) {
  FastRandom rng(shape.seed);
  Corpus c;
  c.vocab.resize(shape.vocab);
  const uint32_t block = shape.vocab / shape.topics;
  std::vector<uint32_t> doc;
  for (uint32_t d = 0; d < shape.docs; ++d) {
    const uint32_t mix = 1 + rng.Below(3);
    std::vector<uint32_t> topics(mix);
    for (uint32_t& t : topics) t = rng.Below(shape.topics);
    const uint32_t length = shape.mean_length / 2 + rng.Below(shape.mean_length + 1);
    doc.clear();
    for (uint32_t i = 0; i < length; ++i) {
      const uint32_t t = topics[rng.Below(mix)];
      doc.push_back(rng.Uniform() < 0.9 ? t * block + rng.Below(block) : rng.Below(shape.vocab));
    }
    c.AddDoc(doc);
  }
  return c;
}

}  // namespace gaia::lda::testing

#endif  // GAIA_TESTS_LDA_PLANTED_CORPUS_H_
