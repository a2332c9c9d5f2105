# The image data: IDX (MNIST-format) files, plain or gzip, Fashion-MNIST by
# name, the data spec, DC and worker partitions, mini-batches. No Gaia
# dependency. See docs/APP_CNN_DATA.md.
find_package(ZLIB REQUIRED)
add_library(gaia_cnn_data STATIC
  data_batches.cc
  data_source.cc
  data_spec.cc
  idx_file.cc
  image_set.cc
  partition.cc
)
add_library(gaia::cnn_data ALIAS gaia_cnn_data)
target_include_directories(gaia_cnn_data PUBLIC $<BUILD_INTERFACE:${GAIA_SOURCE_ROOT}>)
target_link_libraries(gaia_cnn_data
  PUBLIC absl::status absl::statusor absl::strings absl::str_format
  PRIVATE ZLIB::ZLIB)
