# install rules: filled in with the worker library
