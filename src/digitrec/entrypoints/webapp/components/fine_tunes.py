"""The Models page's fine-tune section: the jobs and their live progress (for everyone), and for an operator
the form that queues a fine-tune, Promote for a finished one, Rollback, and the audit log. Jobs run in
`digitrec worker`, never in this server; the page only reads their progress from the database."""

from __future__ import annotations

import streamlit as st

from digitrec.containers import Container
from digitrec.domain.jobs import DONE, FAILED, QUEUED, RUNNING, describe_settings
from digitrec.domain.model_versions import digit_changes, promote_version, rollback_version
from digitrec.domain.operating import current_jobs, request_finetune
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.operators import Operator
from digitrec.domain.types.records import Job
from digitrec.domain.types.training import FineTuneConfig
from digitrec.entrypoints.formatting import percent, trust_lines

REFRESH_SECONDS = 2.0
WORKER_HINT = "Jobs are run by `digitrec worker` (started beside the app, with the same --database-url)."


def fine_tune_section(container: Container, operator: Operator | None) -> None:
    st.subheader("Fine-tunes")
    st.caption(WORKER_HINT)
    if operator is not None:
        start_form(container, operator)
    jobs_view(container, operator)
    if operator is not None:
        rollback_button(container, operator)
        with st.expander("Audit log: every operator action"):
            entries = container.reviews().entries(50)
            st.dataframe(
                [{"when": e.at.strftime("%Y-%m-%d %H:%M:%S"), "who": e.operator, "what": e.action,
                  "detail": e.detail} for e in entries],
                hide_index=True,
                width="stretch",
            )  # fmt: skip


def start_form(container: Container, operator: Operator) -> None:
    with st.form("fine-tune", border=True):
        st.markdown("**Start a fine-tune** of the live model on MNIST plus the submissions")
        epochs_column, lr_column, limit_column, minimum_column = st.columns(4)
        epochs = epochs_column.number_input("Epochs", 1, 50, FineTuneConfig.epochs, key="ft-epochs")
        lr = lr_column.number_input("Learning rate", 1e-4, 1.0, FineTuneConfig.lr, format="%.4f", key="ft-lr")
        limit = limit_column.number_input(
            "MNIST images an epoch (0: all)", 0, 55_000, 0, step=1000, key="ft-limit",
            help="A quick trial uses a few thousand.",
        )  # fmt: skip
        minimum = minimum_column.number_input(
            "Minimum submissions", 1, 100_000, FineTuneConfig.min_submissions, key="ft-min"
        )
        if st.form_submit_button("Start fine-tune"):
            settings = {"epochs": int(epochs), "lr": float(lr), "min_submissions": int(minimum)}
            settings["mnist_limit"] = int(limit) or None
            try:
                stored = container.submissions()
                job = request_finetune(container.jobs(), container.reviews(), operator, settings, stored)
            except DigitrecError as exc:
                st.error(f"The fine-tune was not started: {exc}")
            else:
                st.success(f"Fine-tune job {job.id} is queued: a worker will take it.")


def jobs_view(container: Container, operator: Operator | None) -> None:
    try:
        jobs = current_jobs(container.jobs())
    except DigitrecError as exc:
        st.error(f"The jobs cannot be read: {exc}")
        return
    active = any(job.status in (QUEUED, RUNNING) for job in jobs)

    @st.fragment(run_every=REFRESH_SECONDS if active else None)
    def live_jobs() -> None:
        shown = current_jobs(container.jobs())
        if not shown:
            st.caption("No fine-tunes yet.")
        # Which version is live decides whether a finished job offers Promote: read once, not per job.
        promotable = operator is not None and any(job.status == DONE for job in shown)
        live = container.models().live().version if promotable else None
        for job in shown:
            job_card(container, job, operator, live)
        if active and not any(job.status in (QUEUED, RUNNING) for job in shown):
            st.rerun()  # the last job ended: refresh the whole page (the versions table, the sidebar)

    live_jobs()


def job_card(container: Container, job: Job, operator: Operator | None, live: str | None) -> None:
    with st.container(border=True, key=f"job-{job.id}"):
        st.markdown(
            f"**Job {job.id}** · {job.status} · asked by {job.requested_by} · {describe_settings(job.config)}"
        )
        if job.status == QUEUED:
            st.caption("Waiting for a worker.")
        elif job.status == RUNNING:
            done = len(job.progress)
            st.progress(done / job.epochs, text=f"epoch {done} of {job.epochs} on {job.worker}")
        if job.progress:
            last = job.progress[-1]
            st.caption(
                f"epoch {last.epoch}: train loss {last.train_loss:.4f}, validation loss {last.val_loss:.4f}, "
                f"validation accuracy {percent(last.val_accuracy)}, MNIST test {percent(last.test_accuracy)}"
            )
        if job.status == FAILED:
            st.error(f"Failed: {job.error}")
        if job.status == DONE:
            outcome(container, job, operator, live)


def outcome(container: Container, job: Job, operator: Operator | None, live: str | None) -> None:
    r = job.result
    st.success(
        f"{job.version} (from {r.get('parent')}, {r.get('submissions_used')} submissions): held-out "
        f"submissions {percent(r.get('heldout_before'))} -> {percent(r.get('heldout_after'))}, MNIST test "
        f"{percent(r.get('test_before'))} -> {percent(r.get('test_after'))}, canvas set "
        f"{percent(r.get('canvas_before'))} -> {percent(r.get('canvas_after'))}"
    )
    if r.get("trust"):
        st.caption("\n\n".join(trust_lines(r["trust"], r.get("trust_reasons") or [])))
    per_digit_view(r.get("per_digit"), key=f"job-{job.id}")
    if operator is None or live == job.version:
        return
    if st.button(f"Promote {job.version}", key=f"promote-{job.id}", type="primary"):
        try:
            record = promote_version(container.models(), container.reviews(), operator, job.version)
        except DigitrecError as exc:
            st.error(f"Not promoted: {exc}")
        else:
            st.toast(f"{record.version} is live")
            st.rerun(scope="app")


def rollback_button(container: Container, operator: Operator) -> None:
    """Roll back, offered only when a promotion stands, naming the version it would make live."""
    try:
        target = container.models().rollback_target()
    except DigitrecError as exc:
        st.caption(f"Roll back is not available now: {exc}")
        return
    if target is None:
        st.caption("Nothing to roll back: no version has been promoted since the shipped model.")
        return
    if st.button(f"Roll back to {target}", key="rollback"):
        try:
            record = rollback_version(container.models(), container.reviews(), operator)
        except DigitrecError as exc:
            st.error(f"Not rolled back: {exc}")
        else:
            st.toast(f"{record.version} is live again")
            st.rerun()


def per_digit_view(per_digit: dict | None, key: str) -> None:
    """A fine-tune's per-digit accuracies before and after, on each set it measured, naming each digit that
    the promotion guard counts as more than 1 point worse."""
    changes = digit_changes(per_digit)
    if not changes:
        return
    if worse := [c for c in changes if c.worse]:
        st.warning("Promote refuses it: " + "; ".join(c.describe() for c in worse))
    with st.expander("Per digit, before and after", expanded=bool(worse)):
        rows = []
        for test_set in dict.fromkeys(c.test_set for c in changes):
            of_set = {c.digit: c for c in changes if c.test_set == test_set}
            rows.append(
                {"set": test_set}
                | {
                    str(d): f"{100 * c.before:.1f} → {100 * c.after:.1f}{' !' if c.worse else ''}"
                    for d, c in of_set.items()
                }
            )
        st.dataframe(rows, hide_index=True, width="stretch", key=f"per-digit-{key}")
