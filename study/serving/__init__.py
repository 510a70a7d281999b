"""Serving: the chosen model exported to ONNX, and reading pictures of digits."""

UNCERTAIN_BELOW = 0.8  # a digit read with a probability below this is marked uncertain
