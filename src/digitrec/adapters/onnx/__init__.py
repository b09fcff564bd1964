"""Serving on ONNX Runtime, without torch: the classifier and Inside the model."""
