"""What the pages are made of: the probability bars, charts, the Submit button, Inside the model, the
fine-tune section and the operator's sign-in."""
