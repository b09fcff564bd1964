"""The Models page as a visitor and as an operator: versions, curves, the fit sentence, the confusion heat
map, comparing two versions, fine-tune jobs and their progress, promotion (with its guard) and rollback."""

from __future__ import annotations

from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

from digitrec.adapters.torch.model import load_checkpoint, shipped_model_path
from digitrec.domain.jobs import FAILED
from digitrec.domain.types.training import EpochMetrics
from digitrec.entrypoints.webapp.wiring import __file__ as WIRING

SHIPPED = load_checkpoint(shipped_model_path())
APP = Path(WIRING).with_name("app.py")


def version_like_shipped(
    container, version: str, test_accuracy: float, history_scale: float = 1.0, per_digit: dict | None = None
) -> None:
    """A checkpoint with the shipped weights under another name, its metrics changed, registered as the
    worker registers what it fine-tunes."""
    metrics = {**SHIPPED["metrics"], "test_accuracy": test_accuracy, "per_digit": per_digit}
    metrics["history"] = [{**m, "val_loss": m["val_loss"] * history_scale} for m in metrics["history"]]
    models = Path(container.config.models_dir())
    models.mkdir(parents=True, exist_ok=True)
    payload = {**SHIPPED, "version": version, "metrics": metrics, "lineage": {"parent": SHIPPED["version"]}}
    torch.save(payload, models / f"{version}.pt")
    container.models().register(models / f"{version}.pt")


def texts(at) -> str:
    return "\n".join(
        str(e.value) for kind in ("markdown", "caption", "info", "success", "error") for e in at.get(kind)
    )


def table(at, n: int = 0):
    return at.dataframe[n].value


def test_a_visitor_sees_every_version_its_curves_and_confusion_but_no_operator_buttons(app):
    at = app("models.py")

    versions = table(at)
    assert list(versions["version"]) == [f"● {SHIPPED['version']}"]
    assert versions["canvas set"][0] == f"{100 * SHIPPED['metrics']['canvas_accuracy']:.2f}%"
    assert versions["trained on"][0] == "MNIST"
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) == 3  # loss, accuracy, confusion
    assert at.info[0].value.startswith("Neither over- nor under-fitting")
    assert not [b for b in at.button if b.label == "Start fine-tune" or b.label.startswith("Roll back")]
    assert "No fine-tunes yet." in texts(at)


def test_comparing_two_versions_overlays_their_curves_and_shows_per_digit_differences(app, container):
    version_like_shipped(container, "ft-1", 0.9955, history_scale=1.5)
    at = app("models.py")
    charts_before = len(at.get("vega_lite_chart"))

    at.selectbox(key="compare").select("ft-1").run()

    assert not at.exception and len(at.get("vega_lite_chart")) == charts_before + 3
    assert "how much better (green) or worse (red)" in texts(at)


def test_jobs_and_their_progress_are_shown_to_everyone(app, container):
    queue = container.jobs()
    queued = queue.submit("finetune", {"epochs": 3}, "ann")
    queue.claim("box-7")
    queue.report_epoch(queued.id, EpochMetrics(1, 10.0, 0.31, 0.052, 0.985, 0.987))
    at = app("models.py")

    assert "Job 1** · running · asked by ann" in texts(at)
    assert at.get("progress")[0].proto.text == "epoch 1 of 3 on box-7"
    assert "validation accuracy 98.50%" in texts(at)


def test_a_wrong_password_signs_nobody_in(app, sign_in):
    at = sign_in(app("models.py"), password="guess")
    assert "wrong operator password" in at.sidebar.error[0].value
    assert not [b for b in at.button if b.label == "Start fine-tune"]


def test_an_operator_starts_a_fine_tune_and_it_is_queued_and_audited(app, container, sign_in, seed):
    for _ in range(3):
        seed(label=1, predicted=1)
    at = sign_in(app("models.py"))
    at.number_input(key="ft-epochs").set_value(2)
    at.number_input(key="ft-limit").set_value(2000)
    at.number_input(key="ft-min").set_value(3)
    next(b for b in at.button if b.label == "Start fine-tune").click()
    at.run()

    [job] = container.jobs().latest(5)
    assert job.config == {"epochs": 2, "lr": 0.01, "seed": 0, "min_submissions": 3, "mnist_limit": 2000}
    assert job.requested_by == "ann" and "Fine-tune job 1 is queued" in texts(at)
    settings = "2 epochs, learning rate 0.01, seed 0, at least 3 submissions, the first 2,000 MNIST images"
    assert settings in texts(at) and "{" not in texts(at)  # in words, not a Python dict
    assert [(e.operator, e.action, e.detail) for e in container.reviews().entries(5)] == [
        ("ann", "start fine-tune", f"job 1: {settings}")
    ]


def test_a_fine_tune_with_fewer_stored_submissions_than_its_minimum_is_not_queued(
    app, container, sign_in, seed
):
    for _ in range(13):
        seed(label=1, predicted=1)
    at = sign_in(app("models.py"))
    next(b for b in at.button if b.label == "Start fine-tune").click()
    at.run()

    assert container.jobs().latest(5) == [] and container.reviews().entries(5) == []
    assert "13 submissions are stored and this fine-tune needs at least 50" in texts(at)


def finished(container, version: str) -> None:
    queue = container.jobs()
    job = queue.submit("finetune", {"epochs": 1}, "ann")
    queue.claim("w")
    queue.finish(job.id, {"version": version, "parent": SHIPPED["version"], "submissions_used": 40})


def test_an_operator_promotes_a_finished_fine_tune_and_rolls_back(app, container, sign_in):
    version_like_shipped(container, "ft-good", 0.9960)
    finished(container, "ft-good")
    at = sign_in(app("models.py"))
    assert not [b for b in at.button if b.key == "rollback"]  # nothing was ever promoted: no Roll back
    assert "Nothing to roll back" in texts(at)

    at.button(key="promote-1").click().run()
    assert container.models().live().version == "ft-good"
    assert table(at)["version"].tolist()[1] == "● ft-good"
    assert not [b for b in at.button if b.key == "promote-1"]  # it is live: nothing to promote

    assert at.button(key="rollback").label == f"Roll back to {SHIPPED['version']}"
    at.button(key="rollback").click().run()
    assert container.models().live().version == SHIPPED["version"]
    assert [e.action for e in container.reviews().entries(5)] == ["rollback", "promote"]
    assert not [b for b in at.button if b.key == "rollback"]


def test_promotion_of_a_worse_model_is_refused_with_the_reason(app, container, sign_in):
    version_like_shipped(container, "ft-worse", 0.9800)
    finished(container, "ft-worse")
    at = sign_in(app("models.py"))

    at.button(key="promote-1").click().run()

    assert container.models().live().version == SHIPPED["version"]
    assert "Not promoted: ft-worse scores 98.00% on MNIST test" in texts(at)


def test_a_failed_job_says_why(app, container):
    queue = container.jobs()
    job = queue.submit("finetune", {"epochs": 1}, "ann")
    queue.fail(job.id, "only 3 submissions to learn from")
    at = app("models.py")
    assert queue.get(job.id).status == FAILED and "Failed: only 3 submissions to learn from" in texts(at)


def test_a_session_that_forged_its_operator_state_gets_no_operator_buttons(app, container):
    version_like_shipped(container, "ft-good", 0.9960)
    finished(container, "ft-good")
    at = app("models.py")
    at.session_state["operator"] = "ann"  # not an Operator from sign_in
    at.run()
    assert not [b for b in at.button if b.key in ("promote-1", "rollback")]


def test_without_an_operator_password_there_is_no_sign_in(app, container):
    container.config.admin_password.from_value(None)
    at = app("models.py")
    assert "Operator actions are off: set DIGITREC_ADMIN_PASSWORD" in at.sidebar.caption[-1].value
    assert not [b for b in at.sidebar.button if b.label == "Sign in"]


def test_the_operator_password_can_come_from_streamlit_secrets(app, container, sign_in):
    container.config.admin_password.from_value(None)
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets["DIGITREC_ADMIN_PASSWORD"] = "from secrets"
    at.run()
    at.switch_page("views/models.py").run()
    sign_in(at, password="from secrets")
    assert "Signed in as **ann**" in at.sidebar.caption[-1].value


POISONED_SEVENS = {
    "MNIST test": {"n": [1000] * 10, "before": [0.995] * 10, "after": [0.995] * 10},
    "trusted hold-out": {"n": [10] * 10, "before": [1.0] * 10, "after": [1.0] * 7 + [0.3] + [1.0] * 2},
}


def test_a_fine_tune_that_loses_a_digit_shows_the_trust_check_and_names_the_digit_everywhere(
    app, container, sign_in
):
    version_like_shipped(container, "ft-poisoned", 0.9963, per_digit=POISONED_SEVENS)
    queue = container.jobs()
    job = queue.submit("finetune", {"epochs": 1}, "ann")
    queue.claim("w")
    queue.finish(
        job.id,
        {
            "version": "ft-poisoned", "parent": SHIPPED["version"], "submissions_used": 120,
            "trust": {"trusted": 120, "held_back": 79},
            "trust_reasons": [
                ["trusted", "model agrees", 120], ["held_back", "model and similar drawings disagree", 79]
            ],
            "per_digit": POISONED_SEVENS,
        },
    )  # fmt: skip
    at = sign_in(app("models.py"))

    assert "120 trusted, 0 down-weighted, 79 held back for review" in texts(at)
    refusal = "digit 7 on trusted hold-out: 100.00% -> 30.00% (10 drawings)"
    assert refusal in "\n".join(w.value for w in at.warning)
    at.button(key="promote-1").click().run()
    assert container.models().live().version == SHIPPED["version"] and refusal in texts(at)
    at.selectbox(key="version").select("ft-poisoned").run()
    assert any("against its parent" in s.value for s in at.subheader)
