# apps/cnn data: IDX files, the data spec, partitions, batches (no RPC).
gaia_add_test(cnn_idx_file_test SOURCES idx_file_test.cc
              LIBS gaia::cnn_data gaia_testing TIMEOUT 60)
gaia_add_test(cnn_image_set_test SOURCES image_set_test.cc
              LIBS gaia::cnn_data gaia_testing TIMEOUT 60)
gaia_add_test(cnn_partition_test SOURCES partition_test.cc
              LIBS gaia::cnn_data TIMEOUT 60)
gaia_add_test(cnn_data_spec_test SOURCES data_spec_test.cc
              LIBS gaia::cnn_data TIMEOUT 60)
gaia_add_test(cnn_data_source_test SOURCES data_source_test.cc
              LIBS gaia::cnn_data gaia_testing TIMEOUT 120)
gaia_add_test(cnn_data_batches_test SOURCES data_batches_test.cc
              LIBS gaia::cnn_data TIMEOUT 60)
# Loads the real Fashion-MNIST that scripts/setup.sh installs; fails (with
# the install command) when it is missing.
find_package(ZLIB REQUIRED)
gaia_add_test(cnn_data_fashion_mnist_test SOURCES data_fashion_mnist_test.cc
              LIBS gaia::cnn_data ZLIB::ZLIB TIMEOUT 300)
# Seeded random corruptions of valid IDX files, plain and gzip.
gaia_add_test(cnn_data_fuzz_test SOURCES data_fuzz_test.cc
              LIBS gaia::cnn_data gaia_testing TIMEOUT 300)
