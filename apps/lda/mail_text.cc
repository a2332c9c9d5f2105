#include "apps/lda/mail_text.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gaia::lda {
namespace {

constexpr int kMaxDepth = 4;

struct Headers {
  std::string subject;
  std::string content_type;  // lowercased, e.g. "multipart/alternative; boundary=..."
  std::string raw_content_type;  // as written (the boundary is case-sensitive)
  std::string encoding;      // lowercased Content-Transfer-Encoding
};

// Splits at the first empty line; `body` is empty without one.
void SplitHeaders(absl::string_view message, absl::string_view* head, absl::string_view* body) {
  size_t pos = 0;
  while (pos < message.size()) {
    size_t nl = message.find('\n', pos);
    if (nl == absl::string_view::npos) nl = message.size();
    absl::string_view line = message.substr(pos, nl - pos);
    if (absl::StripTrailingAsciiWhitespace(line).empty()) {
      *head = message.substr(0, pos);
      *body = message.substr(std::min(nl + 1, message.size()));
      return;
    }
    pos = nl + 1;
  }
  *head = message;
  *body = absl::string_view();
}

Headers ParseHeaders(absl::string_view head) {
  Headers h;
  std::string* current = nullptr;
  for (absl::string_view line : absl::StrSplit(head, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {  // folded
      if (current != nullptr) absl::StrAppend(current, " ", absl::StripAsciiWhitespace(line));
      continue;
    }
    current = nullptr;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (name == "subject") current = &h.subject;
    if (name == "content-type") current = &h.raw_content_type;
    if (name == "content-transfer-encoding") current = &h.encoding;
    if (current != nullptr) *current = std::string(value);
  }
  h.content_type = absl::AsciiStrToLower(h.raw_content_type);
  h.encoding = absl::AsciiStrToLower(h.encoding);
  return h;
}

std::string Boundary(const Headers& h) {
  const size_t at = h.content_type.find("boundary=");
  if (at == std::string::npos) return "";
  absl::string_view b = absl::string_view(h.raw_content_type).substr(at + 9);
  if (!b.empty() && b[0] == '"') {
    b.remove_prefix(1);
    b = b.substr(0, b.find('"'));
  } else {
    b = b.substr(0, b.find_first_of("; \t"));
  }
  return std::string(b);
}

void AppendBody(const Headers& h, absl::string_view body, int depth, std::string* out);

void AppendMultipart(const std::string& boundary, absl::string_view body, int depth,
                     std::string* out) {
  const std::string delimiter = "--" + boundary;
  std::vector<absl::string_view> parts = absl::StrSplit(body, delimiter);
  for (size_t i = 1; i < parts.size(); ++i) {  // parts[0] is the preamble
    absl::string_view part = parts[i];
    if (absl::StartsWith(part, "--")) break;  // the closing delimiter
    absl::string_view head, part_body;
    SplitHeaders(part.substr(std::min(part.find('\n') + 1, part.size())), &head, &part_body);
    AppendBody(ParseHeaders(head), part_body, depth + 1, out);
  }
}

void AppendBody(const Headers& h, absl::string_view body, int depth, std::string* out) {
  if (depth > kMaxDepth) return;
  if (absl::StartsWith(h.content_type, "multipart/")) {
    const std::string boundary = Boundary(h);
    if (!boundary.empty()) AppendMultipart(boundary, body, depth, out);
    return;
  }
  if (!h.content_type.empty() && !absl::StartsWith(h.content_type, "text/")) return;
  std::string text;
  if (h.encoding == "base64") {
    text = DecodeBase64(body);
  } else if (h.encoding == "quoted-printable") {
    text = DecodeQuotedPrintable(body);
  } else {
    text = std::string(body);
  }
  const absl::string_view start = absl::StripLeadingAsciiWhitespace(text).substr(0, 64);
  if (absl::StartsWith(h.content_type, "text/html") || absl::StartsWithIgnoreCase(start, "<html") ||
      absl::StartsWithIgnoreCase(start, "<!doctype")) {
    text = StripHtml(text);
  }
  absl::StrAppend(out, "\n", text);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Skips from `pos` (just after '<') past the end of a tag or comment.
size_t SkipTag(absl::string_view html, size_t pos) {
  if (html.substr(pos, 3) == "!--") {
    const size_t end = html.find("-->", pos + 3);
    return end == absl::string_view::npos ? html.size() : end + 3;
  }
  const size_t end = html.find('>', pos);
  return end == absl::string_view::npos ? html.size() : end + 1;
}

// After a <script> or <style> tag: skips to past its closing tag.
size_t SkipElementBody(absl::string_view html, size_t pos, absl::string_view name) {
  for (size_t at = pos; (at = html.find("</", at)) != absl::string_view::npos; at += 2) {
    if (absl::StartsWithIgnoreCase(html.substr(at + 2), name)) return SkipTag(html, at + 1);
  }
  return html.size();
}

}  // namespace

std::string StripHtml(absl::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      const absl::string_view rest = html.substr(i + 1);
      i = SkipTag(html, i + 1);
      if (absl::StartsWithIgnoreCase(rest, "script")) i = SkipElementBody(html, i, "script");
      if (absl::StartsWithIgnoreCase(rest, "style")) i = SkipElementBody(html, i, "style");
      out.push_back(' ');
    } else if (c == '&') {  // an entity: "&amp;", "&#39;"; a lone '&' stays a separator
      const size_t semi = html.find(';', i);
      i = (semi != absl::string_view::npos && semi - i <= 8) ? semi + 1 : i + 1;
      out.push_back(' ');
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

std::string DecodeBase64(absl::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int have = 0;
  for (char c : text) {
    const int v = Base64Value(c);
    if (v < 0) continue;  // newlines, padding, garbage
    bits = (bits << 6) | static_cast<uint32_t>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out.push_back(static_cast<char>((bits >> have) & 0xFF));
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\n') {  // soft line break
      i += 1;
    } else if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back('=');
    }
  }
  return out;
}

std::string MailToText(absl::string_view message) {
  absl::string_view head, body;
  SplitHeaders(message, &head, &body);
  const Headers h = ParseHeaders(head);
  std::string out = h.subject;
  AppendBody(h, body, 0, &out);
  return out;
}

}  // namespace gaia::lda
