"""Entrypoints: the click CLI and the Streamlit app. Thin: they parse, call a use case, show."""
