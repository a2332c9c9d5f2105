// How a model's flat parameter vector lies over the rows of one parameter
// table: float i is column i % width of row i / width (the last row's tail
// unused). The model is one table whatever its layers, so a job declares
// one `weights` table of ceil(params / width) rows, and the significance
// filter scores every weight on its own (one row holds parts of adjacent
// layers; that changes nothing, as significance is per element).
//
//   const gaia::cnn::ParamRows layout(model.params().size(), table.width());
//   std::vector<uint64_t> rows = layout.AllRows();
//   table.GetMany(rows, layout.Padded(buffer));          // read the model
//   gaia::cnn::RowRange mine = layout.Share(rank, ranks);  // push a share
//
// Pure arithmetic; thread-safe.
#ifndef GAIA_APPS_CNN_PARAM_ROWS_H_
#define GAIA_APPS_CNN_PARAM_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gaia::cnn {

// Rows [begin, end) of the table.
struct RowRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - begin; }
};

class ParamRows {
 public:
  // REQUIRES: width > 0.
  ParamRows(size_t params, uint32_t width) : params_(params), width_(width) {}

  size_t params() const { return params_; }
  uint32_t width() const { return width_; }
  // Rows that hold the parameters: ceil(params / width).
  uint64_t rows() const { return (params_ + width_ - 1) / width_; }
  // Floats of `rows()` whole rows (>= params).
  size_t padded_size() const { return static_cast<size_t>(rows()) * width_; }

  // The table rows of `range`, in order.
  std::vector<uint64_t> RowIds(RowRange range) const;
  std::vector<uint64_t> AllRows() const { return RowIds({0, rows()}); }

  // Rank `rank` of `ranks`' share of the rows when a DC's workers split one
  // push: contiguous, sizes differing by at most one, covering every row
  // once over the ranks. REQUIRES: rank < ranks.
  RowRange Share(uint32_t rank, uint32_t ranks) const;

 private:
  size_t params_;
  uint32_t width_;
};

}  // namespace gaia::cnn

#endif  // GAIA_APPS_CNN_PARAM_ROWS_H_
