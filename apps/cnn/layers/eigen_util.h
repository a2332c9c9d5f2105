// Row-major Eigen views over raw float buffers (NCHW planes are row-major
// matrices). Internal to the layers' .cc files; public headers of apps/cnn do
// not include Eigen.
#ifndef GAIA_APPS_CNN_LAYERS_EIGEN_UTIL_H_
#define GAIA_APPS_CNN_LAYERS_EIGEN_UTIL_H_

#include <Eigen/Core>

namespace gaia::cnn::internal {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
using VectorMap = Eigen::Map<Eigen::VectorXf>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;

}  // namespace gaia::cnn::internal

#endif  // GAIA_APPS_CNN_LAYERS_EIGEN_UTIL_H_
