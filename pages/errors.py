"""Errors: drill into one confusion cell; baseline and student side by side on the same scenario."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_EVALS, load_eval_records
from physlab import workspace as ws

st.title("Errors")

evaluations = [e for e in ws.list_evaluations() if (e.path / "records.jsonl").exists()]
if not evaluations:
    st.info(NO_EVALS)
    st.stop()

ids = [e.eval_id for e in evaluations]
chosen = evaluations[ids.index(st.selectbox("Evaluation", ids, key="err_eval"))]
records = load_eval_records(chosen.path)
if not records:
    st.info(f"`{chosen.eval_id}` has no answers yet: wait for it to run, or start one on **Evaluate**.")
    st.stop()


def answer_of(rec: dict) -> str:
    return str((rec.get("parsed") or {}).get("label") or "unparsed")


by_model: dict[str, dict[str, dict]] = {}
for rec in records:
    by_model.setdefault(str(rec.get("model")), {})[str(rec.get("scenario_id"))] = rec
model_names = list(by_model)
c1, c2 = st.columns(2)
focus = c1.selectbox("Model whose answers to drill into", model_names, index=len(model_names) - 1, key="err_focus")
others = [m for m in model_names if m != focus]
compare = c2.selectbox("Compare with", ["(none)", *others], index=1 if others else 0, key="err_compare")

# Confusion cells of the focus model, most populated wrong cells first.
cells: dict[tuple[str, str], int] = {}
for rec in by_model[focus].values():
    key = (str(rec.get("truth")), answer_of(rec))
    cells[key] = cells.get(key, 0) + 1
ordered = sorted(cells, key=lambda k: (k[0] == k[1], -cells[k], k))
labels = [f"truth {t} → answered {a} ({cells[(t, a)]}){'' if t != a else ' ✓'}" for t, a in ordered]
cell = ordered[labels.index(st.selectbox("Confusion cell", labels, key="err_cell"))]

f1, f2, f3 = st.columns(3)
in_cell = [r for r in by_model[focus].values() if (str(r.get("truth")), answer_of(r)) == cell]
objects = f1.multiselect("Object", sorted({str(r.get("object")) for r in in_cell}), key="err_object")
families = f2.multiselect("Family", sorted({str(r.get("family")) for r in in_cell}), key="err_family")
margins = [float(r["margin"]) for r in in_cell if r.get("margin") is not None]
lo, hi = (min(margins), max(margins)) if margins else (0.0, 0.0)
margin = f3.slider("Margin r", 0.0, max(1.0, round(hi + 0.05, 2)), (0.0, max(1.0, round(hi + 0.05, 2))), key="err_margin")
shown = [r for r in in_cell
         if (not objects or str(r.get("object")) in objects) and (not families or str(r.get("family")) in families)
         and (r.get("margin") is None or margin[0] <= float(r["margin"]) <= margin[1])]
st.caption(f"{len(shown)} of {len(in_cell)} scenarios in this cell")
if not shown:
    st.info("No scenario left: clear a filter or widen the margin range.")
    st.stop()

st.dataframe([{"scenario": r.get("scenario_id"), "object": r.get("object"), "margin": r.get("margin"),
               "truth": r.get("truth"), focus: answer_of(r),
               **({compare: answer_of(by_model[compare].get(str(r.get('scenario_id')), {}))} if compare in by_model else {})}
              for r in shown], hide_index=True, width="stretch", height=220)

sid = st.selectbox("Scenario", [str(r.get("scenario_id")) for r in shown], key="err_sid")
rec = by_model[focus][sid]
st.markdown(f"**Truth: {rec.get('truth')}** · margin r = {rec.get('margin')} · {rec.get('object')} · {rec.get('family')}")
st.markdown(f"> {rec.get('description', '')}")
st.markdown(f"**Physics:** {rec.get('explanation', '')}")


def answer_panel(model: str, r: dict | None) -> None:
    st.markdown(f"#### {model}")
    if not r:
        st.caption("This model did not answer this scenario.")
        return
    verdict = "right" if answer_of(r) == r.get("truth") else "wrong"
    st.markdown(f"answer **{answer_of(r)}** ({verdict})")
    probs = r.get("probabilities")
    if probs:
        st.dataframe([{"label": k, "p": round(float(v), 3)} for k, v in sorted(probs.items(), key=lambda kv: -kv[1])],
                     hide_index=True)
    st.text_area("Raw output", r.get("raw_output", ""), height=150, disabled=True, key=f"err_raw_{model}_{sid}")
    with st.expander("Parsed answer"):
        st.json(r.get("parsed") or {})


left, right = st.columns(2)
with left:
    answer_panel(focus, rec)
with right:
    if compare in by_model:
        answer_panel(compare, by_model[compare].get(sid))
    else:
        st.caption("Only one model in this evaluation.")
with st.expander("Prompt"):
    st.code(rec.get("prompt", ""), language=None)
