#include "src/cli/model_io.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "proto/gaia.grpc.pb.h"
#include "src/common/packing.h"
#include "src/common/rpc_options.h"

namespace gaia::cli {
namespace fs = std::filesystem;

constexpr uint64_t kDumpPageBytes = 4 << 20;

absl::StatusOr<Model> FetchModel(const common::JobSpec& spec,
                                 const std::vector<std::string>& shard_addresses,
                                 const common::LinkSecurity& security) {
  Model model;
  for (const common::TableSpec& t : spec.tables) model.values.emplace_back(t.rows * t.width, 0.0f);
  for (const std::string& address : shard_addresses) {
    auto stub = rpc::Control::NewStub(
        security.Channel(address, common::ClientChannelArguments(common::ServerKind::kShard)));
    for (uint32_t t = 0; t < spec.tables.size(); ++t) {
      const uint32_t width = spec.tables[t].width;
      // Pages of about kDumpPageBytes, so neither side holds a whole table
      // in one message.
      const uint64_t page_rows = std::max<uint64_t>(1, kDumpPageBytes / (width * sizeof(float)));
      for (uint64_t first = 0;; first += page_rows) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        rpc::DumpRequest request;
        request.set_table_id(t);
        request.set_first(first);
        request.set_max_rows(page_rows);
        rpc::DumpReply reply;
        grpc::Status status = stub->Dump(&context, request, &reply);
        if (!status.ok()) {
          return absl::UnavailableError(absl::StrCat("dump of table ", spec.tables[t].name,
                                                     " from ", address, ": ",
                                                     status.error_message()));
        }
        const std::vector<uint64_t> rows = common::Unpack<uint64_t>(reply.row_ids());
        if (reply.values().size() != rows.size() * width * sizeof(float) ||
            rows.size() > page_rows) {
          return absl::DataLossError(absl::StrCat("dump of table ", spec.tables[t].name,
                                                  " from ", address, " has a wrong size"));
        }
        for (size_t i = 0; i < rows.size(); ++i) {
          if (rows[i] >= spec.tables[t].rows) continue;
          std::memcpy(model.values[t].data() + rows[i] * width,
                      reply.values().data() + i * width * sizeof(float), width * sizeof(float));
        }
        if (rows.size() < page_rows) break;
      }
    }
  }
  return model;
}

absl::StatusOr<double> MaxAbsDifference(const Model& a, const Model& b) {
  if (a.values.size() != b.values.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the copies have ", a.values.size(), " and ", b.values.size(), " tables"));
  }
  double diff = 0;
  for (size_t t = 0; t < a.values.size(); ++t) {
    const std::vector<float>& x = a.values[t];
    const std::vector<float>& y = b.values[t];
    if (x.size() != y.size()) {
      return absl::InvalidArgumentError(absl::StrCat("table ", t, " has ", x.size(), " and ",
                                                     y.size(), " values in the two copies"));
    }
    for (size_t i = 0; i < x.size(); ++i) {
      if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
        // Non-finite in both copies: the model diverged, rather than the
        // copies disagreeing.
        const bool both = !std::isfinite(x[i]) && !std::isfinite(y[i]);
        return absl::DataLossError(absl::StrCat(
            "table ", t, " element ", i, " is ", x[i], " in one copy and ", y[i],
            " in the other", both ? " (the model diverged)" : ""));
      }
      diff = std::max(diff, std::abs(static_cast<double>(x[i]) - y[i]));
    }
  }
  return diff;
}

uint64_t Fnv1a64(const void* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

absl::Status SaveModel(const common::JobSpec& spec, const Model& model, const std::string& dc,
                       const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  for (size_t t = 0; t < spec.tables.size(); ++t) {
    const std::vector<float>& values = model.values[t];
    const fs::path bin = fs::path(dir) / (spec.tables[t].name + ".f32");
    {
      std::ofstream out(bin, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(values.data()),
                static_cast<std::streamsize>(values.size() * sizeof(float)));
      if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", bin.string()));
    }
    nlohmann::json meta = {
        {"table", spec.tables[t].name},
        {"dc", dc},
        {"rows", spec.tables[t].rows},
        {"width", spec.tables[t].width},
        {"dtype", "float32-le"},
        {"layout", "row-major"},
        {"fnv1a64", absl::StrFormat("%016x", Fnv1a64(values.data(), values.size() * sizeof(float)))}};
    std::ofstream(fs::path(dir) / (spec.tables[t].name + ".json")) << meta.dump(2) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace gaia::cli
