# TrainStep throughput of gaia_cnn_model; compare with bench/cnn_torch.py
# (PyTorch, CPU) on the same machine.
if(TARGET gaia_cnn_model)
  add_executable(cnn_train_bench cnn_train_bench.cc)
  target_link_libraries(cnn_train_bench PRIVATE gaia::cnn_model benchmark::benchmark)
endif()
