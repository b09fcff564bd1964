"""Files: images (Pillow), labelled folders, exported submission folders, plots (matplotlib)."""
