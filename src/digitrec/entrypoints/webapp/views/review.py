"""Review: the submissions that should not be trusted blindly before a fine-tune learns from them (the trust
check held them back, the model disagrees with the label and is sure, the model said it is not a digit, or
the same drawing was sent many times), most likely wrong first, grouped by the visitor who sent them.
Anyone may look; an operator relabels (the old label stays in the history), excludes (never trained on,
kept for audit), marks "not a digit" (a negative for the verdict) or accepts each one, excludes or confirms
a visitor's drawings together, or blocks a visitor (what they send is stored, never trained on)."""

from __future__ import annotations

import streamlit as st

from digitrec.domain.operating import block_visitor, review_submission, review_visitor
from digitrec.domain.reviewing import (
    MANY_COPIES,
    ReviewItem,
    VisitorGroup,
    due_for_review,
    group_by_visitor,
    suspicion,
)
from digitrec.domain.types.errors import DigitrecError
from digitrec.domain.types.operators import Operator
from digitrec.domain.types.predictions import NUM_CLASSES
from digitrec.domain.types.reviews import ACCEPT, EXCLUDE, MARK_NOT_A_DIGIT, RELABEL, Review
from digitrec.entrypoints.formatting import percent
from digitrec.entrypoints.webapp.components.operators import current_operator, operator_hint
from digitrec.entrypoints.webapp.wiring import get_container, use_page_style

PAGE_SIZE = 20
VISITORS_SHOWN = 1000  # visitor summaries read to head the groups (the most active ones)
BUTTONS = ((EXCLUDE, "Exclude"), (MARK_NOT_A_DIGIT, "Not a digit"), (ACCEPT, "Label is right"))


def actions(item: ReviewItem, operator: Operator) -> None:
    submission = item.submission
    label_column, relabel_column = st.columns([3, 2], vertical_alignment="bottom")
    new_label = label_column.selectbox(
        "True label", range(NUM_CLASSES), index=submission.prediction.digit, key=f"label-{submission.id}"
    )
    if relabel_column.button("Relabel", key=f"{RELABEL}-{submission.id}", type="primary"):
        act(submission.id, Review(RELABEL, int(new_label)), operator)
    with st.container(horizontal=True):
        for action, text in BUTTONS:
            if st.button(text, key=f"{action}-{submission.id}"):
                act(submission.id, Review(action), operator)


def act(submission_id: int, review: Review, operator: Operator) -> None:
    try:
        review_submission(get_container().reviews(), operator, submission_id, review)
    except DigitrecError as exc:
        st.error(f"#{submission_id} was not changed: {exc}")
        return
    st.toast(f"#{submission_id}: {review.action} saved")
    st.rerun()


def visitor_actions(group: VisitorGroup, operator: Operator) -> None:
    visitor = group.summary.visitor
    with st.container(horizontal=True):
        if st.button(f"Exclude all {group.summary.unreviewed}", key=f"exclude-visitor-{visitor}"):
            act_on_visitor(lambda: review_visitor(reviews, operator, visitor, Review(EXCLUDE)), "excluded")
        if st.button(f"Confirm all {group.summary.unreviewed}", key=f"confirm-visitor-{visitor}"):
            act_on_visitor(lambda: review_visitor(reviews, operator, visitor, Review(ACCEPT)), "confirmed")
        if not group.summary.blocked and st.button("Block visitor", key=f"block-{visitor}"):
            act_on_visitor(lambda: block_visitor(reviews, operator, visitor), "blocked")


def act_on_visitor(action, done: str) -> None:
    try:
        changed = action()
    except DigitrecError as exc:
        st.error(f"Nothing was changed: {exc}")
        return
    st.toast(f"{changed} drawings {done}" if isinstance(changed, int) else f"visitor {done}")
    st.rerun()


def group_card(group: VisitorGroup, operator: Operator | None) -> None:
    if group.summary is None:
        st.subheader("Sent without a visitor key (the operator's own, or stored before keys were kept)")
    else:
        blocked = " · blocked" if group.summary.blocked else ""
        st.subheader(group.summary.describe() + blocked)
        if operator is not None and (group.summary.unreviewed or not group.summary.blocked):
            visitor_actions(group, operator)
    for item in group.items:
        item_card(item, operator)


def item_card(item: ReviewItem, operator: Operator | None) -> None:
    s, prediction = item.submission, item.submission.prediction
    with st.container(border=True, key=f"review-{s.id}"):
        drawing, details, buttons = st.columns([1, 3, 3])
        drawing.image(s.image_png, width=96)
        verdict = "" if prediction.is_digit else ", not a digit"
        details.markdown(
            f"**#{s.id}** · label **{s.label}** · the model said **{prediction.digit}** "
            f"({percent(prediction.confidence, 0)}{verdict}) · {s.model_version} · likely wrong "
            f"{percent(suspicion(s), 0)}"
        )
        details.markdown("\n".join(f"- {reason}" for reason in item.reasons))
        if operator is not None:
            with buttons:
                actions(item, operator)


use_page_style()
st.title("Review")
operator = current_operator()
st.caption(
    "Submissions to check before a fine-tune learns from them, most likely wrong first, grouped by who sent "
    "them. " + ("" if operator else operator_hint(get_container(), "relabel, exclude or mark them"))
)
try:
    reviews = get_container().reviews()
    items = due_for_review(reviews.review_candidates(PAGE_SIZE, many_copies=MANY_COPIES))[:PAGE_SIZE]
    groups = group_by_visitor(items, reviews.visitor_summaries(VISITORS_SHOWN))
    reviewed = [e for e in reviews.entries(200) if e.submission_id is not None][:PAGE_SIZE]
except DigitrecError as exc:
    st.error(f"The submissions cannot be read: {exc}")
    st.stop()

if not items:
    st.success("Nothing to review: every submission agrees with the model, or was reviewed already.")
for group in groups:
    group_card(group, operator)

if reviewed:
    st.subheader("Recently reviewed")
    st.dataframe(
        [{"when": e.at.strftime("%Y-%m-%d %H:%M:%S"), "who": e.operator, "what": e.detail} for e in reviewed],
        hide_index=True,
        width="stretch",
    )
