"""Results: models side by side for one evaluation, with intervals, tests and the runs' loss curves."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_EVALS
from physlab import charts
from physlab import workspace as ws

st.title("Results")

evaluations = [e for e in ws.list_evaluations() if e.summary]
if not evaluations:
    st.info(NO_EVALS)
    st.stop()

ids = [e.eval_id for e in evaluations]
chosen = evaluations[ids.index(st.selectbox("Evaluation", ids, key="res_eval"))]
summary = chosen.summary or {}
per_model = ws.model_summaries(summary)
if not per_model:
    st.warning(f"`{chosen.eval_id}/summary.json` holds no model metrics: re-run the evaluation.")
    st.stop()
models = st.multiselect("Models", list(per_model), default=list(per_model), key="res_models")
if not models:
    st.info("Pick at least one model above.")
    st.stop()
cfg = chosen.config
st.caption(f"preset **{summary.get('preset') or cfg.get('preset', '?')}** · split **{summary.get('split') or cfg.get('split', '?')}** · "
           f"answers by **{summary.get('mode') or cfg.get('mode', '?')}**")

# Small tables as static HTML (st.table): they print and screenshot reliably.
st.table([r for r in ws.headline_table(summary) if r["model"] in models])
st.plotly_chart(charts.accuracy_bars({m: ws.accuracy_intervals(per_model[m]) for m in models}), width="stretch",
                key="res_acc")

pairs = [p for p in ws.mcnemar_pairs(summary)
         if not p.get("model_a") or (p.get("model_a") in models and p.get("model_b") in models)]
if pairs:
    st.markdown("**McNemar exact test** (same scenarios, paired): a small p means the difference is unlikely to be luck.")
    keep = ("pair", "metric", "n", "b", "c", "p")
    st.table([{k: (f"{p[k]:.3g}" if k == "p" and isinstance(p.get(k), float) else p.get(k)) for k in keep if k in p}
              for p in pairs])
elif len(models) > 1:
    st.caption("No McNemar test stored in this evaluation.")

st.subheader("Confusion")
columns = st.columns(min(len(models), 3))
for i, m in enumerate(models):
    found = ws.confusion(per_model[m])
    with columns[i % len(columns)]:
        if found:
            matrix, rows, cols = found
            st.plotly_chart(charts.confusion_heatmap(matrix, rows, cols, title=m), width="stretch", key=f"res_conf_{m}")
        else:
            st.caption(f"{m}: no confusion matrix stored.")

left, right = st.columns(2)
left.plotly_chart(charts.per_mode_f1({m: ws.f1_per_label(per_model[m]) for m in models}), width="stretch", key="res_f1")
right.plotly_chart(charts.accuracy_vs_margin({m: ws.margin_buckets(per_model[m]) for m in models}), width="stretch",
                   key="res_margin")

left, right = st.columns(2)
left.plotly_chart(charts.calibration_curve({m: ws.calibration_bins(per_model[m]) for m in models}), width="stretch",
                  key="res_cal")
scores = {m: ws.probability_scores(per_model[m]) for m in models}
if any(scores.values()):
    right.markdown("**Probability quality** (score mode)")
    right.table([{"model": m, **{k: round(v, 3) for k, v in s.items()}} for m, s in scores.items()])

# Loss curves of the runs behind the compared models (specs "run:<run_id>").
runs = {r.run_id: r for r in ws.list_runs()}
curves = {m: ws.read_metrics(runs[m.split(":", 1)[1]].path) for m in models
          if m.startswith("run:") and m.split(":", 1)[1] in runs}
with right:
    if curves:
        st.plotly_chart(charts.loss_curves(curves), width="stretch", key="res_loss")
    else:
        st.caption("No training run among these models (a student appears as `run:<run_id>`).")
