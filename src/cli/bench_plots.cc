#include "src/cli/bench_plots.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "src/cli/run_layout.h"
#include "src/cli/run_summary.h"

extern char** environ;

namespace gaia::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A gnuplot double-quoted string.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

absl::Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// The lines every script starts with: what it is and how to re-plot, then
// the PNG terminal; `Finish` adds the SVG copy.
std::string Start(const std::string& name, const std::string& what, int width, int height) {
  return absl::StrCat("# ", what, "\n# Written by gaia bench; re-plot with `gnuplot ", name,
                      ".gp` in this folder.\n", "set terminal pngcairo size ", width, ",", height,
                      " noenhanced font \"sans,10\"\n", "set output '", name, ".png'\n");
}

std::string Finish(const std::string& name, int width, int height) {
  return absl::StrCat("set terminal svg size ", width, ",", height,
                      " noenhanced font \"sans,10\"\n", "set output '", name, ".svg'\n", "replot\n",
                      "unset output\n");
}

std::string ObjectiveDat(const PlotData& d, std::vector<std::string>* modes) {
  std::string out =
      absl::StrCat("# ", d.title, ": objective vs time, one block per mode (gnuplot index)\n");
  for (const PlotData::Series& s : d.objective) {
    if (s.points.empty()) continue;
    if (!modes->empty()) out += "\n\n";
    modes->push_back(s.mode);
    absl::StrAppend(&out, "# mode ", s.mode, "\n# time_s objective\n");
    for (const auto& [t, objective] : s.points) {
      absl::StrAppend(&out, absl::StrFormat("%.6f %.10g\n", t, objective));
    }
  }
  return out;
}

std::string ObjectiveGp(const PlotData& d, const std::vector<std::string>& modes) {
  bool positive = true;
  for (const PlotData::Series& s : d.objective) {
    for (const auto& p : s.points) positive = positive && p.second > 0;
  }
  std::string gp = Start("objective", "Objective vs time per mode.", 960, 600);
  absl::StrAppend(&gp, "set title ", Quote(d.title + ": objective vs time"), "\n",
                  "set xlabel \"time (s)\"\nset ylabel \"objective\"\n",
                  positive ? "set logscale y\n" : "", "set grid\nset key top right\n");
  std::vector<std::string> plots;
  for (size_t i = 0; i < modes.size(); ++i) {
    plots.push_back(absl::StrCat("'objective.dat' index ", i,
                                 " using 1:2 with lines linewidth 2 title ", Quote(modes[i])));
  }
  if (d.target_objective) {
    plots.push_back(absl::StrFormat(
        "%.10g with lines dashtype 2 linecolor rgb \"gray40\" title \"target (lan)\"",
        *d.target_objective));
  }
  absl::StrAppend(&gp, "plot ", absl::StrJoin(plots, ", \\\n     "), "\n",
                  Finish("objective", 960, 600));
  return gp;
}

std::string LinksDat(const PlotData& d) {
  std::string out = absl::StrCat("# ", d.title, ": WAN MB (1e6 bytes) per link and mode\n# link");
  for (const std::string& m : d.link_modes) absl::StrAppend(&out, " ", m);
  out += "\n";
  for (size_t l = 0; l < d.links.size(); ++l) {
    absl::StrAppend(&out, Quote(d.links[l]));
    for (double bytes : d.link_bytes[l])
      absl::StrAppend(&out, absl::StrFormat(" %.6f", bytes / 1e6));
    out += "\n";
  }
  return out;
}

std::string LinksGp(const PlotData& d) {
  const size_t bars = d.links.size() * std::max<size_t>(1, d.link_modes.size());
  const int width = static_cast<int>(std::clamp<size_t>(200 + bars * 14, 960, 4000));
  std::string gp = Start("wan_links", "WAN bytes per link, one bar per mode.", width, 600);
  absl::StrAppend(&gp, "set title ", Quote(d.title + ": WAN traffic per link"), "\n",
                  "set ylabel \"WAN MB\"\nset grid ytics\nset key outside below horizontal\n",
                  "set style data histograms\nset style histogram clustered gap 1\n",
                  "set style fill solid 0.8 border -1\nset yrange [0:*]\n",
                  d.links.size() > 4 ? "set xtics rotate by -45\n" : "");
  std::vector<std::string> plots;
  for (size_t m = 0; m < d.link_modes.size(); ++m) {
    plots.push_back(absl::StrCat(m == 0 ? "'wan_links.dat'" : "''", " using ", m + 2,
                                 m == 0 ? ":xtic(1)" : "", " title ", Quote(d.link_modes[m])));
  }
  absl::StrAppend(&gp, "plot ", absl::StrJoin(plots, ", \\\n     "), "\n",
                  Finish("wan_links", width, 600));
  return gp;
}

std::string CostDat(const PlotData& d) {
  std::string out = absl::StrCat(
      "# ", d.title, ": EC2 cost per mode (USD)\n# mode compute_usd wait_usd wan_usd\n");
  for (const auto& [mode, c] : d.costs) {
    absl::StrAppend(&out, Quote(mode),
                    absl::StrFormat(" %.9g %.9g %.9g\n", c.compute_usd, c.wait_usd, c.wan_usd));
  }
  return out;
}

std::string CostGp(const PlotData& d) {
  std::string gp =
      Start("cost", "EC2 cost per mode: computing, waiting on the network, WAN.", 960, 600);
  absl::StrAppend(&gp, "set title ", Quote(d.title + ": cost breakdown"), "\n",
                  "set ylabel \"cost (USD)\"\nset format y \"%.2g\"\nset grid ytics\n",
                  "set key outside below horizontal\nset style data histograms\n",
                  "set style histogram rowstacked\nset style fill solid 0.8 border -1\n",
                  "set boxwidth 0.6\nset yrange [0:*]\n",
                  "plot 'cost.dat' using 2:xtic(1) linecolor rgb \"#4e79a7\" "
                  "title \"machine time computing\", \\\n",
                  "     '' using 3 linecolor rgb \"#f28e2b\" "
                  "title \"machine time waiting on the network\", \\\n",
                  "     '' using 4 linecolor rgb \"#59a14f\" title \"WAN transfer\"\n",
                  Finish("cost", 960, 600));
  return gp;
}

}  // namespace

absl::StatusOr<PlotData> ReadPlotData(const std::string& run_dir) {
  PlotData data;
  absl::StatusOr<json> read = ReadSummaryJson(run_dir);
  if (!read.ok()) return read.status();
  const json& summary = *read;
  if (auto c = summary.find("comparison"); c != summary.end() && c->is_object()) {
    if (auto t = c->find("target_objective"); t != c->end() && t->is_number()) {
      data.target_objective = t->get<double>();
    }
  }
  std::vector<std::vector<std::pair<std::string, double>>> per_mode;  // link, bytes
  for (const json& run : summary["runs"]) {
    if (!run.is_object() || !run.contains("mode") || !run["mode"].is_string()) continue;
    if (!run.contains("wan_links") || !run["wan_links"].is_array() || run["wan_links"].empty()) {
      continue;
    }
    data.link_modes.push_back(run["mode"].get<std::string>());
    per_mode.emplace_back();
    for (const json& l : run["wan_links"]) {
      if (!l.is_object() || !l.contains("link") || !l["link"].is_string()) continue;
      const std::string name = l["link"].get<std::string>();
      per_mode.back().emplace_back(name, l.value("bytes", 0.0));
      if (std::find(data.links.begin(), data.links.end(), name) == data.links.end()) {
        data.links.push_back(name);
      }
    }
  }
  data.link_bytes.assign(data.links.size(), std::vector<double>(data.link_modes.size(), 0));
  for (size_t m = 0; m < per_mode.size(); ++m) {
    for (const auto& [name, bytes] : per_mode[m]) {
      const size_t l = std::find(data.links.begin(), data.links.end(), name) - data.links.begin();
      data.link_bytes[l][m] += bytes;
    }
  }

  std::ifstream metrics(RunLayout(run_dir).metrics_jsonl());
  std::string line;
  while (std::getline(metrics, line)) {
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    auto mode = j.find("mode");
    auto t = j.find("time_s");
    auto objective = j.find("objective");
    if (mode == j.end() || !mode->is_string() || t == j.end() || !t->is_number() ||
        objective == j.end() || !objective->is_number()) {
      continue;
    }
    const std::string name = mode->get<std::string>();
    auto series = std::find_if(data.objective.begin(), data.objective.end(),
                               [&name](const PlotData::Series& s) { return s.mode == name; });
    if (series == data.objective.end()) {
      data.objective.push_back(PlotData::Series{name, {}});
      series = data.objective.end() - 1;
    }
    series->points.emplace_back(t->get<double>(), objective->get<double>());
  }
  return data;
}

absl::StatusOr<std::vector<std::string>> WritePlotFiles(const PlotData& data,
                                                        const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::vector<std::string> scripts;
  auto write = [&](const std::string& name, const std::string& dat,
                   const std::string& gp) -> absl::Status {
    if (absl::Status s = WriteFile(fs::path(dir) / (name + ".dat"), dat); !s.ok()) return s;
    if (absl::Status s = WriteFile(fs::path(dir) / (name + ".gp"), gp); !s.ok()) return s;
    scripts.push_back(name + ".gp");
    return absl::OkStatus();
  };
  std::vector<std::string> modes;
  const std::string objective_dat = ObjectiveDat(data, &modes);
  if (!modes.empty()) {
    if (absl::Status s = write("objective", objective_dat, ObjectiveGp(data, modes)); !s.ok()) {
      return s;
    }
  }
  if (!data.links.empty() && !data.link_modes.empty()) {
    if (absl::Status s = write("wan_links", LinksDat(data), LinksGp(data)); !s.ok()) return s;
  }
  if (!data.costs.empty()) {
    if (absl::Status s = write("cost", CostDat(data), CostGp(data)); !s.ok()) return s;
  }
  return scripts;
}

std::string FindGnuplot() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view entry : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(entry, "/gnuplot");
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

absl::Status RunGnuplot(const std::string& gnuplot, const std::string& dir,
                        const std::string& script, std::chrono::seconds timeout) {
  const std::string log = (fs::path(dir) / "gnuplot.log").string();
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    return absl::UnavailableError(absl::StrCat("cannot open ", log, ": ", strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  std::vector<std::string> args = {gnuplot, script};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(log_fd);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot start ", gnuplot, ": ", strerror(rc)));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat(
          "gnuplot ", script, " in ", dir, " took over ", timeout.count(), " s; see ", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("gnuplot ", script, " in ", dir, " failed (",
                                            WIFEXITED(status)
                                                ? absl::StrCat("exit code ", WEXITSTATUS(status))
                                                : std::string("killed by a signal"),
                                            "); see ", log));
  }
  return absl::OkStatus();
}

}  // namespace gaia::cli
