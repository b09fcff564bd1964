"""The domain's types, in one place: errors, predictions, submissions, training and model versions, the
records ports pass, explanations, operators. Standard library and numpy only; no use case."""
