#include "src/worker/worker_config.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gaia::internal {
namespace {

using Json = nlohmann::json;

absl::Status FieldError(const std::string& path, std::string_view key,
                        std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": ", std::string(key), ": ", std::string(reason)));
}

absl::Status GetString(const Json& value, const std::string& path, std::string_view key,
                       std::string* out) {
  if (!value.is_string()) return FieldError(path, key, "must be a string");
  *out = value.get<std::string>();
  return absl::OkStatus();
}

// Integers in [low, high]; floats such as 1.5 and booleans are rejected.
absl::Status GetInt(const Json& value, const std::string& path, std::string_view key,
                    int64_t low, int64_t high, int64_t* out) {
  if (!value.is_number_integer()) return FieldError(path, key, "must be an integer");
  int64_t v;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError(path, key, absl::StrCat("must be in [", low, ", ", high, "]"));
    }
    v = static_cast<int64_t>(u);
  } else {
    v = value.get<int64_t>();
  }
  if (v < low || v > high) {
    return FieldError(path, key,
                      absl::StrCat("must be in [", low, ", ", high, "], got ", v));
  }
  *out = v;
  return absl::OkStatus();
}

// The option a "tls_*_file" key sets, or null.
std::string* TlsField(const std::string& key, WorkerOptions* o) {
  if (key == "tls_cert_file") return &o->tls_cert_file;
  if (key == "tls_key_file") return &o->tls_key_file;
  if (key == "tls_ca_file") return &o->tls_ca_file;
  if (key == "tls_token_file") return &o->tls_token_file;
  return nullptr;
}

absl::Status ParseInto(const Json& root, const std::string& path, WorkerOptions* o) {
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must hold a JSON object"));
  }
  constexpr int64_t kU32Max = std::numeric_limits<uint32_t>::max();
  constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
  bool have_job_id = false;
  bool have_shards = false;
  for (const auto& [key, value] : root.items()) {
    int64_t n = 0;
    absl::Status s;
    if (key == "job_id") {
      s = GetString(value, path, key, &o->job_id);
      have_job_id = true;
    } else if (key == "worker_id") {
      s = GetInt(value, path, key, 0, kU32Max, &n);
      o->worker_id = static_cast<uint32_t>(n);
    } else if (key == "shard_addresses") {
      if (!value.is_array()) return FieldError(path, key, "must be an array of strings");
      o->shard_addresses.clear();
      for (const Json& address : value) {
        if (!address.is_string() || address.get<std::string>().empty()) {
          return FieldError(path, key, "every element must be a non-empty \"host:port\"");
        }
        o->shard_addresses.push_back(address.get<std::string>());
      }
      have_shards = true;
    } else if (key == "dc") {
      s = GetString(value, path, key, &o->dc);
    } else if (key == "data_part") {
      s = GetInt(value, path, key, 0, kU32Max, &n);
      o->data_part = static_cast<uint32_t>(n);
    } else if (key == "data_parts") {
      s = GetInt(value, path, key, 1, kU32Max, &n);
      o->data_parts = static_cast<uint32_t>(n);
    } else if (key == "job_worker") {
      s = GetInt(value, path, key, 0, kU32Max, &n);
      o->job_worker = static_cast<uint32_t>(n);
    } else if (key == "job_workers") {
      s = GetInt(value, path, key, 1, kU32Max, &n);
      o->job_workers = static_cast<uint32_t>(n);
    } else if (key == "data") {
      s = GetString(value, path, key, &o->data);
    } else if (key == "dc_dir") {
      s = GetString(value, path, key, &o->dc_dir);
    } else if (key == "metrics_path") {
      s = GetString(value, path, key, &o->metrics_path);
    } else if (key == "connect_timeout_ms") {
      s = GetInt(value, path, key, 1, kI64Max, &o->connect_timeout_ms);
    } else if (key == "read_timeout_ms") {
      s = GetInt(value, path, key, 1, kI64Max, &o->read_timeout_ms);
    } else if (key == "max_batch_bytes") {
      s = GetInt(value, path, key, 1, kI64Max, &o->max_batch_bytes);
    } else if (key == "enable_cache") {
      if (!value.is_boolean()) return FieldError(path, key, "must be true or false");
      o->enable_cache = value.get<bool>();
    } else if (std::string* tls_file = TlsField(key, o); tls_file != nullptr) {
      s = GetString(value, path, key, tls_file);
    } else {
      return FieldError(path, key,
                        "unknown key (known: job_id, worker_id, shard_addresses, dc, "
                        "data_part, data_parts, job_worker, job_workers, data, dc_dir, "
                        "metrics_path, connect_timeout_ms, read_timeout_ms, max_batch_bytes, "
                        "enable_cache, tls_cert_file, tls_key_file, tls_ca_file, "
                        "tls_token_file)");
    }
    if (!s.ok()) return s;
  }
  if (!have_job_id || o->job_id.empty()) {
    return FieldError(path, "job_id", "required (a non-empty string)");
  }
  if (!have_shards || o->shard_addresses.empty()) {
    return FieldError(path, "shard_addresses", "required (a non-empty array)");
  }
  if (o->data_part >= o->data_parts) {
    return FieldError(path, "data_part",
                      absl::StrCat("must be < data_parts (", o->data_parts, "), got ",
                                   o->data_part));
  }
  if (o->job_worker >= o->job_workers) {
    return FieldError(path, "job_worker",
                      absl::StrCat("must be < job_workers (", o->job_workers, "), got ",
                                   o->job_worker));
  }
  return absl::OkStatus();
}

}  // namespace

std::string WorkerConfigJson(const WorkerOptions& options) {
  Json config;
  config["job_id"] = options.job_id;
  config["worker_id"] = options.worker_id;
  config["dc"] = options.dc;
  config["data_part"] = options.data_part;
  config["data_parts"] = options.data_parts;
  config["job_worker"] = options.job_worker;
  config["job_workers"] = options.job_workers;
  config["data"] = options.data;
  if (!options.dc_dir.empty()) config["dc_dir"] = options.dc_dir;
  config["metrics_path"] = options.metrics_path;
  config["shard_addresses"] = options.shard_addresses;
  const WorkerOptions defaults;
  if (options.connect_timeout_ms != defaults.connect_timeout_ms) {
    config["connect_timeout_ms"] = options.connect_timeout_ms;
  }
  if (options.read_timeout_ms != defaults.read_timeout_ms) {
    config["read_timeout_ms"] = options.read_timeout_ms;
  }
  if (options.max_batch_bytes != defaults.max_batch_bytes) {
    config["max_batch_bytes"] = options.max_batch_bytes;
  }
  if (options.enable_cache != defaults.enable_cache) config["enable_cache"] = options.enable_cache;
  if (!options.tls_cert_file.empty()) config["tls_cert_file"] = options.tls_cert_file;
  if (!options.tls_key_file.empty()) config["tls_key_file"] = options.tls_key_file;
  if (!options.tls_ca_file.empty()) config["tls_ca_file"] = options.tls_ca_file;
  if (!options.tls_token_file.empty()) config["tls_token_file"] = options.tls_token_file;
  return config.dump(2);
}

absl::StatusOr<WorkerOptions> ParseWorkerConfig(std::string_view text, const std::string& path) {
  // No exceptions: a parse error yields a discarded value.
  const Json root = Json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  WorkerOptions options;
  absl::Status status = ParseInto(root, path, &options);
  if (!status.ok()) return status;
  return options;
}

}  // namespace gaia::internal
