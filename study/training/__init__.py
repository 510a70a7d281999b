"""Training: the engine, one run, the hyper-parameter search, the precision rule."""
