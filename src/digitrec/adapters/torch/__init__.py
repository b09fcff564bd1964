"""The torch adapters: the CNN (DigitNet), its training, calibration, explanations and ONNX export."""
