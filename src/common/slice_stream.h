// A protobuf input stream over received gRPC slices, without copying them:
// what it hands out points into the slices, which the caller keeps alive.
// Used to decode bulk messages in place (src/worker/shard_reply_decoding.h,
// src/server/shard_message_encoding.h).
//
// (gRPC's ProtoBufferReader is not used for this: a slice of up to 23 bytes
// keeps its bytes inside the slice struct itself, and that reader points into
// the byte buffer's own copy of the struct, which dies with the buffer. ASan
// caught it.)
#ifndef GAIA_SRC_COMMON_SLICE_STREAM_H_
#define GAIA_SRC_COMMON_SLICE_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include <google/protobuf/io/zero_copy_stream.h>
#include <grpcpp/support/slice.h>

namespace gaia::common {

class SliceStream final : public google::protobuf::io::ZeroCopyInputStream {
 public:
  explicit SliceStream(const std::vector<grpc::Slice>& slices) : slices_(slices) {}

  bool Next(const void** data, int* size) override {
    while (index_ < slices_.size()) {
      const grpc::Slice& slice = slices_[index_];
      if (offset_ < slice.size()) {
        *data = slice.begin() + offset_;
        *size = static_cast<int>(slice.size() - offset_);
        count_ += slice.size() - offset_;
        ++index_;
        offset_ = 0;
        return true;
      }
      ++index_;
      offset_ = 0;
    }
    return false;
  }

  void BackUp(int count) override {
    // Only the span returned by the last Next(), as the interface requires.
    --index_;
    offset_ = slices_[index_].size() - static_cast<size_t>(count);
    count_ -= static_cast<size_t>(count);
  }

  bool Skip(int count) override {
    const void* data;
    int size;
    while (count > 0) {
      if (!Next(&data, &size)) return false;
      if (size > count) {
        BackUp(size - count);
        return true;
      }
      count -= size;
    }
    return true;
  }

  int64_t ByteCount() const override { return static_cast<int64_t>(count_); }

 private:
  const std::vector<grpc::Slice>& slices_;
  size_t index_ = 0;   // next slice to hand out
  size_t offset_ = 0;  // of slices_[index_]
  size_t count_ = 0;
};

}  // namespace gaia::common

#endif  // GAIA_SRC_COMMON_SLICE_STREAM_H_
