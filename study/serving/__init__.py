"""Serving: the chosen model exported to ONNX, and reading pictures of digits."""
