"""`python -m digitrec.entrypoints.webapp.server [streamlit run options]`: the app's server, as
`digitrec serve` starts it. It is `streamlit run app.py`, plus one thing: while the server starts, the
model is loaded and the database opened (and migrated) in the background, so that the first visitor does
not wait for them."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def main(options: list[str]) -> None:
    from streamlit.web import cli as streamlit_cli

    from digitrec.entrypoints.webapp.wiring import get_container, warm_up

    def warm() -> None:
        try:
            container = get_container()
        except ValueError:  # an unusable setting: the page says so
            return
        warm_up(container)

    threading.Thread(target=warm, name="digitrec-warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *options]
    streamlit_cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
