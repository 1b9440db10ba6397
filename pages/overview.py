"""Overview: what physlab is, what is on disk, the latest headline comparison, what to do next."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_DATA, NO_EVALS, NO_RUNS
from physlab import results_io as rio

st.title("physlab")
st.markdown(
    "Teach small language models **physical failure reasoning** for robot manipulation — will a grasp, "
    "lift, carry or placement fail, and how (tipping, slipping, crushing, sloshing, collision, dropping, "
    "rolling away)? — with LoRA fine-tuning, and measure honestly whether it worked. Every label comes "
    "from a demand / capacity ratio *r* (fails when *r* > 1)."
)

counts = rio.workspace_counts()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Datasets", counts.presets, help="data/<preset>/ folders")
c2.metric("Scenarios", counts.scenarios, help="all splits of all presets")
c3.metric("Training runs", counts.runs, help=f"{counts.runs_done} finished")
c4.metric("Evaluations", counts.evaluations)

st.subheader("Comparison")
shown, why = rio.preferred_evaluation(rio.list_evaluations())
if shown is not None:
    summary = shown.summary or {}
    st.caption(f"Evaluation `{shown.eval_id}` ({summary.get('preset') or shown.config.get('preset', '?')} / "
               f"{summary.get('split') or shown.config.get('split', '?')}): {why}. Every evaluation is on the "
               "**Results** page; every model side by side on **Compare**.")
    st.table(rio.headline_table(summary))
else:
    st.info(NO_EVALS)

st.subheader("What to do next")
steps = []
if counts.presets == 0:
    steps.append(NO_DATA)
if counts.runs_done == 0:
    steps.append(NO_RUNS)
if counts.evaluations == 0:
    steps.append(NO_EVALS)
if not steps:
    steps.append("Everything is in place: compare models on **Results**, probe one on **Predict**, "
                 "or read its mistakes on **Errors**.")
for step in steps:
    st.markdown(f"- {step}")
