"""Pens, and the drawings digitrec makes: synthetic digits, letters and non-digits, the canvas set."""
