// im2col / col2im for one sample: the convolution as a matrix product
// out (O x P) = W (O x C*k*k) * col (C*k*k x P), P = out_h * out_w.
// Internal to apps/cnn/layers.
#ifndef GAIA_APPS_CNN_LAYERS_IM2COL_H_
#define GAIA_APPS_CNN_LAYERS_IM2COL_H_

namespace gaia::cnn::internal {

struct ConvGeometry {
  int channels = 0;
  int height = 0;
  int width = 0;
  int kernel = 1;
  int stride = 1;
  int pad = 0;
  int out_h = 0;
  int out_w = 0;

  int col_rows() const { return channels * kernel * kernel; }
  int col_cols() const { return out_h * out_w; }
};

// col[(c*k + i)*k + j][oh*out_w + ow] = image[c][oh*s - pad + i][ow*s - pad + j]
// (0 outside the image). col holds col_rows() * col_cols() floats.
void Im2Col(const ConvGeometry& g, const float* image, float* col);

// The adjoint of Im2Col: image = sum of col entries over the pixels they were
// read from. Overwrites image (channels * height * width floats).
void Col2Im(const ConvGeometry& g, const float* col, float* image);

}  // namespace gaia::cnn::internal

#endif  // GAIA_APPS_CNN_LAYERS_IM2COL_H_
