#include "src/cli/metrics_collector.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace gaia::cli {

MetricsCollector::MetricsCollector(std::vector<WorkerSource> workers,
                                   uint32_t num_host_dcs, double start_unix_s)
    : num_host_dcs_(num_host_dcs), start_unix_s_(start_unix_s) {
  readers_.resize(workers.size());
  for (size_t i = 0; i < workers.size(); ++i) readers_[i].source = std::move(workers[i]);
}

void MetricsCollector::Poll() {
  for (Reader& reader : readers_) {
    if (!reader.in.is_open()) {
      reader.in.open(reader.source.metrics_path);
      if (!reader.in.is_open()) continue;  // the worker has not started yet
    }
    char buffer[1 << 14];
    while (true) {
      reader.in.read(buffer, sizeof(buffer));
      const std::streamsize got = reader.in.gcount();
      if (got <= 0) break;
      reader.partial.append(buffer, static_cast<size_t>(got));
    }
    reader.in.clear();  // clear EOF so the next Poll reads appended data
    size_t start = 0;
    for (size_t nl; (nl = reader.partial.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      Consume(reader, reader.partial.substr(start, nl - start));
    }
    reader.partial.erase(0, start);
  }
  // Promote clocks every worker has reported, in order.
  while (true) {
    auto it = partial_.find(next_complete_);
    if (it == partial_.end() || it->second.reports < readers_.size()) break;
    ClockRecord record = it->second.record;
    if (it->second.objectives == readers_.size()) {
      record.objective = it->second.objective_sum;
      series_.push_back({record.clock, record.time_s, *record.objective});
    }
    const Partial& p = it->second;
    if (p.held_outs == readers_.size() && p.held_out_agree && p.held_out_count > 0) {
      const double mean = p.held_out_sum / p.held_out_count;
      record.held_out = p.held_out_root ? std::sqrt(std::max(mean, 0.0)) : mean;
      record.held_out_name = p.held_out_name;
      held_out_series_.push_back({record.clock, record.time_s, *record.held_out});
      held_out_name_ = p.held_out_name;
    }
    total_rows_pushed_ += record.rows_pushed;
    completed_.push_back(record);
    partial_.erase(it);
    ++next_complete_;
  }
}

void MetricsCollector::Consume(Reader& reader, const std::string& line) {
  if (line.empty()) return;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("clock") ||
      !j["clock"].is_number_integer()) {
    ++malformed_lines_;
    return;
  }
  const int64_t clock = j["clock"].get<int64_t>();
  if (clock < next_complete_ || clock <= reader.last_clock) {
    ++malformed_lines_;  // a repeated or out-of-order clock
    return;
  }
  reader.last_clock = clock;
  Partial& p = partial_[clock];
  p.record.clock = clock;
  ++p.reports;
  const double t = j.value("unix_time_s", 0.0) - start_unix_s_;
  p.record.time_s = std::max(p.record.time_s, t);
  p.record.rows_pushed += j.value("rows_pushed", uint64_t{0});
  p.record.bytes_pushed += j.value("bytes_pushed", uint64_t{0});
  p.record.read_wait_s += j.value("read_wait_s", 0.0);
  if (j.contains("objective") && j["objective"].is_number()) {
    ++p.objectives;
    p.objective_sum += j["objective"].get<double>();
  }
  ConsumeHeldOut(j, p);
}

void MetricsCollector::ConsumeHeldOut(const nlohmann::json& j, Partial& p) {
  const auto it = j.find("held_out");
  if (it == j.end() || !it->is_object()) return;
  const nlohmann::json& h = *it;
  const auto name = h.find("name");
  const auto sum = h.find("sum");
  const auto count = h.find("count");
  const auto root = h.find("root");
  // null sum/count (a non-finite value) or a negative count: not reported.
  if (name == h.end() || !name->is_string() || sum == h.end() || !sum->is_number() ||
      count == h.end() || !count->is_number() || count->get<double>() < 0) {
    return;
  }
  const bool is_root = root != h.end() && root->is_boolean() && root->get<bool>();
  if (p.held_outs == 0) {
    p.held_out_name = name->get<std::string>();
    p.held_out_root = is_root;
  } else if (p.held_out_name != name->get<std::string>() || p.held_out_root != is_root) {
    p.held_out_agree = false;  // workers disagree on what they measure
  }
  ++p.held_outs;
  p.held_out_sum += sum->get<double>();
  p.held_out_count += count->get<double>();
}

std::vector<ClockRecord> MetricsCollector::TakeCompleted() {
  std::vector<ClockRecord> out;
  out.swap(completed_);
  return out;
}

std::vector<int64_t> MetricsCollector::DcClocks() const {
  std::vector<int64_t> clocks(num_host_dcs_, -1);
  std::vector<bool> seen(num_host_dcs_, false);
  for (const Reader& r : readers_) {
    const uint32_t dc = r.source.host_dc;
    if (dc >= num_host_dcs_) continue;
    clocks[dc] = seen[dc] ? std::min(clocks[dc], r.last_clock) : r.last_clock;
    seen[dc] = true;
  }
  return clocks;
}

}  // namespace gaia::cli
