#include "src/common/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/parser.h"

namespace gaia::common::internal {
namespace {

// Longest scalar quoted back in an error message.
constexpr size_t kMaxQuotedChars = 60;

std::string Quote(absl::string_view s) {
  if (s.size() > kMaxQuotedChars) {
    return absl::StrCat("'", s.substr(0, kMaxQuotedChars), "...'");
  }
  return absl::StrCat("'", s, "'");
}

// yaml-cpp tags quoted scalars "!" and plain ones "?" (non-specific tags).
bool IsQuoted(const YAML::Node& node) { return node.Tag() == "!"; }

// Parses all of `s` as T with std::from_chars.
template <typename T>
bool ParseAll(absl::string_view s, T* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// Counts the documents of a YAML stream and notes where each starts and
// whether it holds anything but a null.
class DocumentCounter : public YAML::EventHandler {
 public:
  struct Doc {
    YAML::Mark start;
    bool has_content = false;
  };
  std::vector<Doc> docs;

  void OnDocumentStart(const YAML::Mark& mark) override { docs.push_back(Doc{mark}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { Content(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Content();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Content();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Content();
  }
  void OnMapEnd() override {}

 private:
  void Content() {
    if (!docs.empty()) docs.back().has_content = true;
  }
};

int LineOfMark(const YAML::Mark& mark) { return mark.line < 0 ? 1 : mark.line + 1; }

}  // namespace

absl::StatusOr<YAML::Node> LoadOneDocument(const std::string& text, const std::string& source) {
  const std::string shown = source.empty() ? "<string>" : source;
  auto syntax_error = [&shown](const YAML::Mark& mark, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat(shown, ":", LineOfMark(mark), ": YAML syntax error: ", what));
  };
  // yaml-cpp 0.7 never finishes on some malformed streams: at a stray ','
  // outside a flow collection it yields empty documents forever without
  // advancing (jbeder/yaml-cpp#1040), and YAML::LoadAll then allocates until
  // the process dies. So documents are walked with the event parser, a few
  // at most, and a document that starts where the previous one did is an
  // error.
  constexpr size_t kMaxDocuments = 8;
  DocumentCounter counter;
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    while (counter.docs.size() < kMaxDocuments && parser.HandleNextDocument(counter)) {
      const size_t n = counter.docs.size();
      if (n >= 2 && counter.docs[n - 1].start.pos == counter.docs[n - 2].start.pos) {
        const YAML::Mark& at = counter.docs[n - 1].start;
        const size_t pos = at.pos < 0 ? 0 : static_cast<size_t>(at.pos);
        return syntax_error(at, pos < text.size()
                                    ? absl::StrCat("unexpected ", Quote(text.substr(pos, 1)))
                                    : std::string("cannot continue parsing"));
      }
    }
    YAML::Node root = YAML::Load(text);
    for (size_t i = 1; i < counter.docs.size(); ++i) {
      if (counter.docs[i].has_content || i + 1 == kMaxDocuments) {
        return absl::InvalidArgumentError(
            absl::StrCat(shown, ":", LineOfMark(counter.docs[i].start),
                         ": (top level): only one YAML document is allowed in a job spec"));
      }
    }
    return root;
  } catch (const YAML::ParserException& e) {
    return syntax_error(e.mark, e.msg);
  }
}

std::string Child(absl::string_view path, absl::string_view key) {
  if (path.empty()) return std::string(key);
  return absl::StrCat(path, ".", key);
}

std::string Index(absl::string_view path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

int LineOf(const YAML::Node& node) {
  const int line = node.Mark().line;
  return line < 0 ? 1 : line + 1;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Null:
      return "no value";
    case YAML::NodeType::Scalar:
      return absl::StrCat(IsQuoted(node) ? "the string " : "", Quote(node.Scalar()));
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
  }
  return "an unknown node";
}

bool IsName(absl::string_view s, absl::string_view extra, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        extra.find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

const YAML::Node* YamlFields::Get(absl::string_view key, bool required) const {
  for (const YamlEntry& e : entries_) {
    if (e.key == key) return &e.value;
  }
  if (required) reader_->Fail(node_, PathOf(key), "required field missing");
  return nullptr;
}

YamlReader::YamlReader(std::string source)
    : source_(source.empty() ? "<string>" : std::move(source)) {}

bool YamlReader::FailAtLine(int line, absl::string_view path, absl::string_view reason) {
  if (status_.ok()) {
    status_ = absl::InvalidArgumentError(
        absl::StrCat(source_, ":", line, ": ", path.empty() ? "(top level)" : path, ": ", reason));
  }
  return false;
}

bool YamlReader::Fail(const YAML::Node& at, absl::string_view path, absl::string_view reason) {
  return FailAtLine(LineOf(at), path, reason);
}

bool YamlReader::Check(bool condition, const YAML::Node& at, absl::string_view path,
                       absl::string_view reason) {
  if (!condition) Fail(at, path, reason);
  return condition;
}

YamlFields YamlReader::AnyFields(const YAML::Node& node, absl::string_view path) {
  YamlFields fields(this, node, std::string(path));
  if (!ok()) return fields;
  if (!node.IsMap()) {
    Fail(node, path, absl::StrCat("expected a map, got ", Describe(node)));
    return fields;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar() || key.Scalar().empty()) {
      Fail(key, path, absl::StrCat("keys must be non-empty names, got ", Describe(key)));
      fields.entries_.clear();
      return fields;
    }
    for (const YamlEntry& e : fields.entries_) {
      if (e.key == key.Scalar()) {
        Fail(key, Child(path, e.key),
             absl::StrCat("duplicate key (first at line ", LineOf(e.key_node), ")"));
        fields.entries_.clear();
        return fields;
      }
    }
    // A key with nothing after it: the null node's mark is on the next
    // token, so the error points at the key. No field accepts null.
    if (it->second.IsNull()) {
      Fail(key, Child(path, key.Scalar()),
           "has no value (give one, or remove the key to use the default)");
      fields.entries_.clear();
      return fields;
    }
    fields.entries_.push_back(YamlEntry{key.Scalar(), key, it->second});
  }
  return fields;
}

YamlFields YamlReader::Fields(const YAML::Node& node, absl::string_view path,
                              std::initializer_list<absl::string_view> accepted) {
  YamlFields fields = AnyFields(node, path);
  for (const YamlEntry& e : fields.entries()) {
    bool known = false;
    for (absl::string_view a : accepted) known = known || a == e.key;
    if (!known) {
      Fail(e.key_node, Child(path, e.key),
           absl::StrCat("unknown key ", Quote(e.key), " (accepted: ", absl::StrJoin(accepted, ", "),
                        ")"));
      fields.entries_.clear();
      break;
    }
  }
  return fields;
}

std::vector<YAML::Node> YamlReader::Sequence(const YAML::Node& node, absl::string_view path) {
  std::vector<YAML::Node> out;
  if (!ok()) return out;
  if (!node.IsSequence()) {
    Fail(node, path, absl::StrCat("expected a list, got ", Describe(node)));
    return out;
  }
  for (auto it = node.begin(); it != node.end(); ++it) out.push_back(*it);
  return out;
}

void YamlReader::String(const YAML::Node& node, absl::string_view path, std::string* out) {
  if (!ok()) return;
  if (!node.IsScalar()) {
    Fail(node, path, absl::StrCat("expected a string, got ", Describe(node)));
    return;
  }
  *out = node.Scalar();
}

bool YamlReader::PlainScalar(const YAML::Node& node, absl::string_view path,
                             absl::string_view expected, std::string* out) {
  if (!ok()) return false;
  if (!node.IsScalar() || IsQuoted(node)) {
    return Fail(node, path, absl::StrCat("expected ", expected, ", got ", Describe(node)));
  }
  *out = node.Scalar();
  return true;
}

void YamlReader::Bool(const YAML::Node& node, absl::string_view path, bool* out) {
  std::string s;
  if (!PlainScalar(node, path, "true or false", &s)) return;
  if (s == "true" || s == "True" || s == "TRUE") {
    *out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    *out = false;
  } else {
    Fail(node, path, absl::StrCat("expected true or false, got ", Quote(s)));
  }
}

void YamlReader::Unsigned(const YAML::Node& node, absl::string_view path, uint64_t min,
                          uint64_t max, uint64_t* out) {
  std::string s;
  if (!PlainScalar(node, path, "an integer", &s)) return;
  const std::string range = max == std::numeric_limits<uint64_t>::max()
                                ? absl::StrCat("must be >= ", min)
                                : absl::StrCat("must be between ", min, " and ", max);
  absl::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  uint64_t value = 0;
  int64_t negative = 0;
  double real = 0;
  if (ParseAll(digits, &value)) {
    // An integer as written.
  } else if (ParseAll(digits, &negative)) {
    Fail(node, path, absl::StrCat(min == 0 ? "must not be negative" : range, ", got ", s));
    return;
  } else if (ParseAll(digits, &real) && std::isfinite(real)) {
    if (real != std::floor(real)) {
      Fail(node, path, absl::StrCat("expected an integer, got ", s));
      return;
    }
    if (real < 0) {
      Fail(node, path, absl::StrCat(min == 0 ? "must not be negative" : range, ", got ", s));
      return;
    }
    // 2^64 itself is not representable in uint64.
    if (real >= 18446744073709551616.0) {
      Fail(node, path, absl::StrCat(range, ", got ", s));
      return;
    }
    value = static_cast<uint64_t>(real);
  } else if (digits.find_first_not_of("0123456789") == absl::string_view::npos && !digits.empty()) {
    Fail(node, path, absl::StrCat(range, ", got ", Quote(s)));  // overflows uint64
    return;
  } else {
    Fail(node, path, absl::StrCat("expected an integer, got ", Quote(s)));
    return;
  }
  if (value < min || value > max) {
    Fail(node, path, absl::StrCat(range, ", got ", s));
    return;
  }
  *out = value;
}

void YamlReader::Number(const YAML::Node& node, absl::string_view path, double* out) {
  std::string s;
  if (!PlainScalar(node, path, "a number", &s)) return;
  absl::string_view text = s;
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double value = 0;
  const std::string lower = absl::AsciiStrToLower(s);
  if (lower == ".inf" || lower == "-.inf" || lower == "+.inf" || lower == ".nan") {
    value = std::numeric_limits<double>::infinity();  // YAML's spelling; rejected below
  } else if (!ParseAll(text, &value)) {
    Fail(node, path, absl::StrCat("expected a number, got ", Quote(s)));
    return;
  }
  if (!std::isfinite(value)) {
    Fail(node, path, absl::StrCat("must be a finite number, got ", Quote(s)));
    return;
  }
  *out = value;
}

void YamlReader::Choice(const YAML::Node& node, absl::string_view path,
                        std::initializer_list<absl::string_view> names, size_t* out) {
  std::string s;
  const std::string accepted = absl::StrJoin(names, "|");
  if (!ok()) return;
  // Quoting is allowed: `mode: "gaia"` is as clear as `mode: gaia`.
  if (!node.IsScalar()) {
    Fail(node, path, absl::StrCat("expected one of ", accepted, ", got ", Describe(node)));
    return;
  }
  s = node.Scalar();
  size_t i = 0;
  for (absl::string_view name : names) {
    if (s == name) {
      *out = i;
      return;
    }
    ++i;
  }
  Fail(node, path, absl::StrCat("unknown value ", Quote(s), " (accepted: ", accepted, ")"));
}

}  // namespace gaia::common::internal
