// Writing protobuf wire format by hand, for messages whose bulk bytes travel
// as their own gRPC slices (not copied into a serialized message): the
// caller writes the fields before the bulk, with its length, and appends the
// bulk as a separate slice. Any protobuf parser reads the result.
//
//   std::string header;
//   common::AppendVarintField(1, clock, &header);
//   common::AppendLengthPrefix(3, values_bytes, &header);   // values follow
#ifndef GAIA_SRC_COMMON_WIRE_WRITING_H_
#define GAIA_SRC_COMMON_WIRE_WRITING_H_

#include <cstdint>
#include <string>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace gaia::common {

// Appends the varint encoding of `value` to `out`.
inline void AppendVarint(uint64_t value, std::string* out) {
  uint8_t bytes[10];
  uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(value, bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// Appends varint field `field` = `value`.
inline void AppendVarintField(int field, uint64_t value, std::string* out) {
  using google::protobuf::internal::WireFormatLite;
  AppendVarint(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_VARINT), out);
  AppendVarint(value, out);
}

// Appends the tag of length-delimited field `field` and its length `size`;
// the field's `size` bytes must follow.
inline void AppendLengthPrefix(int field, uint64_t size, std::string* out) {
  using google::protobuf::internal::WireFormatLite;
  AppendVarint(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), out);
  AppendVarint(size, out);
}

// Bytes AppendLengthPrefix writes.
inline size_t LengthPrefixSize(int field, uint64_t size) {
  using google::protobuf::io::CodedOutputStream;
  using google::protobuf::internal::WireFormatLite;
  return CodedOutputStream::VarintSize32(
             WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) +
         CodedOutputStream::VarintSize64(size);
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_WIRE_WRITING_H_
