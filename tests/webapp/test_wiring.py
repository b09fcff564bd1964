"""How the app builds its container from the environment `digitrec serve` hands it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from digitrec.entrypoints import cli as cli_module
from digitrec.entrypoints.webapp import wiring

APP = Path(wiring.__file__).with_name("app.py")


def test_the_environment_configures_database_model_and_timeout(tmp_path):
    environ = {
        "DIGITREC_DATABASE_URL": f"sqlite:///{tmp_path}/app.db",
        "DIGITREC_DATABASE_TIMEOUT": "2.5",
        "DIGITREC_MODEL": str(tmp_path / "m.pt"),
        "DIGITREC_MODELS_DIR": str(tmp_path / "models"),
    }

    config = wiring.build_container(environ).config

    assert config.database_url() == f"sqlite:///{tmp_path}/app.db"
    assert config.database_timeout() == 2.5
    assert (config.model_path(), config.models_dir()) == (str(tmp_path / "m.pt"), str(tmp_path / "models"))


def test_without_a_timeout_in_the_environment_the_default_holds():
    assert wiring.build_container({}).config.database_timeout() == 15.0


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "7200"])
def test_an_unusable_timeout_is_refused_naming_the_variable(value):
    with pytest.raises(ValueError, match=f"DIGITREC_DATABASE_TIMEOUT must be .* not '{value}'"):
        wiring.build_container({"DIGITREC_DATABASE_TIMEOUT": value})


def test_the_app_says_which_setting_is_unusable_instead_of_failing(monkeypatch):
    monkeypatch.setenv("DIGITREC_DATABASE_TIMEOUT", "soon")
    wiring.get_container.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=30).run()
    finally:
        wiring.get_container.clear()

    assert not at.exception
    assert [e.value for e in at.error] == [
        "digitrec cannot start: DIGITREC_DATABASE_TIMEOUT must be a number of seconds above 0 and at most "
        "3600, not 'soon'"
    ]


def test_serve_hands_its_options_to_the_app_through_the_environment(monkeypatch, tmp_path):
    started = {}
    monkeypatch.setattr(cli_module.os, "execvpe", lambda file, args, env: started.update(args=args, env=env))
    url = f"sqlite:///{tmp_path}/served.db"

    result = CliRunner().invoke(
        cli_module.cli,
        [
            "serve",
            "--port",
            "8765",
            "--database-url",
            url,
            "--database-timeout",
            "4",
            "--models-dir",
            str(tmp_path),
        ],
    )

    assert result.exit_code == 0, result.output
    assert started["args"][started["args"].index("--server.port") + 1] == "8765"
    config = wiring.build_container(started["env"]).config
    assert (config.database_url(), config.database_timeout(), config.models_dir()) == (
        url,
        4.0,
        str(tmp_path),
    )


def test_memory_url_gives_the_app_a_throwaway_store_and_no_database_file(tmp_path, monkeypatch):
    from digitrec.adapters.memory.repository import InMemorySubmissionRepository

    monkeypatch.chdir(tmp_path)
    container = wiring.build_container({"DIGITREC_DATABASE_URL": "memory://"})
    assert isinstance(container.submissions(), InMemorySubmissionRepository)
    assert container.submissions().count() == 0
    assert list(tmp_path.iterdir()) == []
