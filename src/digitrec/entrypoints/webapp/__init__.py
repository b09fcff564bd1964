"""The Streamlit app: `app.py` is the entry (`streamlit run .../webapp/app.py`, or `digitrec serve`)."""
