"""The app's pages (views), one script each, run by Streamlit's navigation (app.py lists them)."""
