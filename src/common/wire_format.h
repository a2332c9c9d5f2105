// Protobuf wire format by hand, for messages whose bulk bytes are not copied
// into or out of a serialized message.
//
// Writing: the caller writes the fields before the bulk, with its length, and
// appends the bulk as a separate gRPC slice. Any protobuf parser reads the
// result.
//
//   std::string header;
//   common::AppendVarintField(1, clock, &header);
//   common::AppendLengthPrefix(3, values_bytes, &header);   // values follow
//
// Reading: ReadInPlace hands out a length-delimited field's bytes where the
// input stream has them (pieces of received slices, common::SliceStream).
#ifndef GAIA_SRC_COMMON_WIRE_FORMAT_H_
#define GAIA_SRC_COMMON_WIRE_FORMAT_H_

#include <climits>
#include <cstdint>
#include <string>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace gaia::common {

// Tags of a varint and of a length-delimited field.
constexpr uint32_t VarintTag(int field) {
  return google::protobuf::internal::WireFormatLite::MakeTag(
      field, google::protobuf::internal::WireFormatLite::WIRETYPE_VARINT);
}
constexpr uint32_t LengthDelimitedTag(int field) {
  return google::protobuf::internal::WireFormatLite::MakeTag(
      field, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
}

// Reads a length prefix, as the int protobuf's stream limits take. False if
// the varint is cut short or the length does not fit (a malformed message).
inline bool ReadLength(google::protobuf::io::CodedInputStream& in, int* length) {
  uint64_t value;
  if (!in.ReadVarint64(&value) || value > static_cast<uint64_t>(INT32_MAX)) return false;
  *length = static_cast<int>(value);
  return true;
}

// Reads the next `size` bytes of `in` without copying them: piece(data, n)
// for each run the stream holds contiguously. False if the input ends first.
template <typename Fn>
bool ReadInPlace(google::protobuf::io::CodedInputStream& in, int size, Fn&& piece) {
  while (size > 0) {
    const void* data;
    int available;
    if (!in.GetDirectBufferPointer(&data, &available)) return false;
    const int take = available < size ? available : size;
    piece(static_cast<const char*>(data), static_cast<size_t>(take));
    if (!in.Skip(take)) return false;
    size -= take;
  }
  return true;
}

// Appends the varint encoding of `value` to `out`.
inline void AppendVarint(uint64_t value, std::string* out) {
  uint8_t bytes[10];
  uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(value, bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// Appends varint field `field` = `value`.
inline void AppendVarintField(int field, uint64_t value, std::string* out) {
  AppendVarint(VarintTag(field), out);
  AppendVarint(value, out);
}

// Appends the tag of length-delimited field `field` and its length `size`;
// the field's `size` bytes must follow.
inline void AppendLengthPrefix(int field, uint64_t size, std::string* out) {
  AppendVarint(LengthDelimitedTag(field), out);
  AppendVarint(size, out);
}

// Bytes AppendLengthPrefix writes.
inline size_t LengthPrefixSize(int field, uint64_t size) {
  using google::protobuf::io::CodedOutputStream;
  return CodedOutputStream::VarintSize32(LengthDelimitedTag(field)) +
         CodedOutputStream::VarintSize64(size);
}

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_WIRE_FORMAT_H_
