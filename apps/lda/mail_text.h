// The words of an e-mail message for a topic model: its Subject and the
// text of its body, without the other headers, markup or encodings.
//
//   std::string text = MailToText(raw_rfc822_message);
//
// What it does, reasonably rather than completely:
// - headers (up to the first empty line; folded lines joined) are dropped
//   except Subject's value;
// - a multipart body is split at its boundary and each part handled alike
//   (nested up to 4 levels); parts whose type is not text/* are dropped;
// - base64 and quoted-printable parts are decoded;
// - text/html (or a body that starts like HTML) loses its tags, comments,
//   <script>/<style> contents and character entities.
// Never fails: malformed input gives whatever text could be recovered.
#ifndef GAIA_APPS_LDA_MAIL_TEXT_H_
#define GAIA_APPS_LDA_MAIL_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gaia::lda {

std::string MailToText(absl::string_view message);

// Exposed for tests.
std::string StripHtml(absl::string_view html);
std::string DecodeBase64(absl::string_view text);
std::string DecodeQuotedPrintable(absl::string_view text);

}  // namespace gaia::lda

#endif  // GAIA_APPS_LDA_MAIL_TEXT_H_
