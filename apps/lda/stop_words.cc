#include "apps/lda/stop_words.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "apps/lda/text_lines.h"

namespace gaia::lda {
namespace {

// Grouped by kind; one string per group keeps the list readable.
constexpr const char* kEnglish[] = {
    // articles, determiners, quantifiers
    "a an the this that these those some any each every either neither no none all both "
    "half few fewer many much more most less least several such other another own same "
    "enough lot lots plenty",
    // personal, possessive, reflexive, relative and interrogative pronouns
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves he him "
    "his himself she her hers herself it its itself they them their theirs themselves one "
    "ones oneself who whom whose which what whatever whoever whichever whomever "
    "someone somebody something anyone anybody anything everyone everybody everything "
    "nobody nothing",
    // auxiliaries and very common verbs
    "am is are was were be been being have has had having do does did doing done shall "
    "should will would can could may might must ought get gets got getting gotten go goes "
    "went gone going make makes made let lets say says said seem seems seemed use used",
    // contraction stems left after splitting at apostrophes
    "don doesn didn isn aren wasn weren hasn haven hadn won wouldn shan shouldn can cannot "
    "couldn mustn mightn needn ain ll ve re",
    // prepositions
    "about above across after against along amid among amongst around as at before behind "
    "below beneath beside besides between beyond by despite down during except for from in "
    "inside into like near of off on onto out outside over past per since through "
    "throughout till to toward towards under underneath unlike until up upon via with within "
    "without",
    // conjunctions and connectives
    "and or but nor so yet if then else than because although though unless whereas while "
    "whether once also however therefore thus hence moreover furthermore meanwhile "
    "nevertheless nonetheless otherwise instead indeed besides accordingly",
    // adverbs of degree, time, place and manner
    "not very too quite rather really just only even still already almost always never "
    "ever often sometimes usually perhaps maybe again ago soon now today here there where "
    "when why how wherever whenever anywhere everywhere somewhere nowhere away back "
    "further yes well also else either elsewhere thereby therein hereby herein",
    "sure etc via per vs mr mrs ms dr st",
    // numbers in words
    "zero two three four five six seven eight nine ten first second third last next",
    // frequent filler words
    "thing things way ways lot kind sort bit yeah okay ok oh hey hi please thanks thank "
    "put take takes took taken give gives gave given come comes came know knows knew "
    "known think thinks thought see sees saw seen want wants wanted look looks looked "
    "find finds found tell tells told ask asks asked seemed become becomes became",
    "able across actually along already anyhow anyway anyways became beforehand below "
    "certain certainly clearly different else especially former formerly generally "
    "inc indeed latter latterly likely little long mainly mostly namely nearly necessary "
    "new old particular particularly possible possibly probably quickly rather readily "
    "recently regarding relatively seriously similarly simply somewhat specifically "
    "thereafter thereupon together truly unto upon usefully whereafter whereby wherein "
    "whereupon within",
};

}  // namespace

StopWords EnglishStopWords() {
  StopWords words;
  for (const char* group : kEnglish) {
    for (absl::string_view w : absl::StrSplit(group, ' ', absl::SkipEmpty())) words.Add(w);
  }
  return words;
}

absl::StatusOr<StopWords> LoadStopWords(const std::string& spec) {
  if (spec == "english") return EnglishStopWords();
  if (spec == "none") return StopWords();
  TextLines in(spec);
  if (absl::Status s = in.Open(); !s.ok()) return s;
  StopWords words;
  absl::string_view line;
  while (in.Next(&line)) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    words.Add(absl::AsciiStrToLower(line));
  }
  if (!in.status().ok()) return in.status();
  return words;
}

}  // namespace gaia::lda
