"""Errors: drill into one confusion cell (opened directly by a click on Results), baseline and student
side by side on the same scenario; for a worked student, its reasoning errors by kind and each
derivation next to the physics teacher's."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_EVALS, choose, load_eval_records, selected_points
from physlab import charts
from physlab import results_io as rio

st.title("Errors")

evaluations = [e for e in rio.list_evaluations() if (e.path / "records.jsonl").exists()]
if not evaluations:
    st.info(NO_EVALS)
    st.stop()

# A click on a confusion cell on Results lands here with that evaluation, model and cell chosen.
goto = st.session_state.pop("errors_goto", None)
ids = [e.eval_id for e in evaluations]
if goto and goto.get("eval_id") in ids:
    st.session_state["err_eval"] = goto["eval_id"]
preferred, _ = rio.preferred_evaluation(evaluations)
eval_id = choose("Evaluation", ids, key="err_eval", default=preferred.eval_id if preferred else None)
chosen = evaluations[ids.index(eval_id)]
records = load_eval_records(chosen.path)
if not records:
    st.info(f"`{chosen.eval_id}` has no answers yet: wait for it to run, or start one on **Evaluate**.")
    st.stop()

answer_of = rio.answer_of
by_model: dict[str, dict[str, dict]] = {}
for rec in records:
    by_model.setdefault(str(rec.get("model")), {})[str(rec.get("scenario_id"))] = rec
model_names = list(by_model)
if goto and goto.get("model") in model_names:
    st.session_state["err_focus"] = goto["model"]
c1, c2 = st.columns(2)
students = [m for m in model_names if m.startswith("run:")]
focus = choose("Model whose answers to drill into", model_names, key="err_focus",
               default=students[0] if students else model_names[-1], container=c1)
others = [m for m in model_names if m != focus]
compare = choose("Compare with", ["(none)", *others], key="err_compare", default=others[0] if others else "(none)",
                 container=c2)


def _round(v: object) -> object:
    return round(float(v), 3) if isinstance(v, (int, float)) else v


def show_derivation(student: dict, sid: str) -> None:
    """A worked answer line by line against physics, and next to the physics teacher's lines."""
    lines = student.get("derivation") or []
    teacher = [str(t) for t in student.get("teacher_derivation") or []]
    errors = student.get("reasoning_errors") or []
    st.markdown("**Reasoning errors:** " + (", ".join(f"`{e}`" for e in errors) if errors else "none"))
    st.dataframe([{k: v for k, v in rio.line_marks(line).items() if k != "ok"} for line in lines],
                 hide_index=True, width="stretch")
    if teacher:
        rows = rio.derivation_diff([str(line.get("text", "")) for line in lines], teacher)
        html = ["<table style='width:100%;font-family:monospace;font-size:0.85em;border-collapse:collapse'>",
                "<tr><th style='text-align:left'>student</th><th style='text-align:left'>physics teacher</th></tr>"]
        for s_line, t_line, tag in rows:
            if tag == "changed":
                a, b = rio.word_diff_html(s_line, t_line)
            else:
                import html as _html

                a, b = _html.escape(s_line), _html.escape(t_line)
                if tag == "extra":
                    a = f"<mark style='background:#ffd7d5'>{a}</mark>"
                elif tag == "missing":
                    b = f"<mark style='background:#ccffd8'>{b}</mark>"
            html.append(f"<tr data-tag='{tag}'><td style='padding:2px 8px;border-top:1px solid #eee'>{a}</td>"
                        f"<td style='padding:2px 8px;border-top:1px solid #eee'>{b}</td></tr>")
        html.append("</table>")
        st.markdown("**Side by side** (differences highlighted: red the student's, green the teacher's)")
        st.markdown("\n".join(html), unsafe_allow_html=True)


# ------------------------------------------------------------------ reasoning errors (worked students)
per_model = rio.model_summaries(chosen.summary or {})
reasoning = {m: rio.reasoning_errors(per_model.get(m, {})) for m in model_names}
reasoning = {m: r for m, r in reasoning.items() if r}
if reasoning:
    st.subheader("Reasoning errors")
    copied = {m: rio.copied_numbers(per_model.get(m, {})) for m in reasoning}
    st.caption(" · ".join(f"{m}: {k} of {n} numbers copied exactly" for m, c in copied.items() if c for k, n in [c])
               or "Each bar counts the scenarios with that kind of error. Click a bar to list them.")
    cats = [c for c in rio.REASONING_ERRORS if any(c in r for r in reasoning.values())]
    cats += [c for r in reasoning.values() for c in r if c not in cats]
    event = st.plotly_chart(charts.reasoning_error_bars(reasoning, cats), width="stretch",
                            key=f"err_reasoning_{chosen.eval_id}", on_select="rerun", selection_mode="points")
    points = selected_points(event)
    rmodels = list(reasoning)
    options = [f"{m} · {c}" for m in rmodels for c in cats if reasoning[m].get(c, {}).get("count")]
    if points:
        p = points[0]
        curve = int(p.get("curve_number", 0))
        picked_key = f"{rmodels[min(curve, len(rmodels) - 1)]} · {p.get('x')}"
        if picked_key in options:
            st.session_state["err_kind"] = picked_key
    if options:
        kind = choose("Scenarios with the error", options, key="err_kind",
                            format_func=lambda o: f"{o} ({rio.REASONING_ERROR_TEXT.get(o.split(' · ')[1], '')})")
        kmodel, category = kind.split(" · ", 1)
        with_error = rio.scenarios_with_error(records, kmodel, category)
        st.dataframe([{"scenario": r.get("scenario_id"), "truth": r.get("truth"), "answer": answer_of(r),
                       "margin": _round(r.get("margin")), "errors": ", ".join(r.get("reasoning_errors") or [])}
                      for r in with_error], hide_index=True, width="stretch", height=200)
        if with_error:
            rsid = st.selectbox("Derivation of", [str(r.get("scenario_id")) for r in with_error], key="err_kind_sid")
            rec = by_model[kmodel][rsid]
            st.markdown(f"> {rec.get('description', '')}")
            show_derivation(rec, rsid)

# ------------------------------------------------------------------ confusion cells
st.subheader("Confusion cell")
cells: dict[tuple[str, str], int] = {}
for rec in by_model[focus].values():
    key = (str(rec.get("truth")), answer_of(rec))
    cells[key] = cells.get(key, 0) + 1
ordered = sorted(cells, key=lambda k: (k[0] == k[1], -cells[k], k))
labels = [f"truth {t} → answered {a} ({cells[(t, a)]}){'' if t != a else ' ✓'}" for t, a in ordered]
if goto and (goto.get("truth"), goto.get("answer")) in cells:
    st.session_state["err_cell"] = labels[ordered.index((goto["truth"], goto["answer"]))]
elif goto:
    st.info(f"No answer of {focus} is in the cell truth {goto.get('truth')} → {goto.get('answer')}.")
cell = ordered[labels.index(choose("Confusion cell", labels, key="err_cell"))]

f1, f2, f3 = st.columns(3)
in_cell = [r for r in by_model[focus].values() if (str(r.get("truth")), answer_of(r)) == cell]
objects = f1.multiselect("Object", sorted({str(r.get("object")) for r in in_cell}), key="err_object")
families = f2.multiselect("Family", sorted({str(r.get("family")) for r in in_cell}), key="err_family")
margins = [float(r["margin"]) for r in in_cell if r.get("margin") is not None]
lo, hi = (min(margins), max(margins)) if margins else (0.0, 0.0)
top = max(1.0, round(hi + 0.05, 2))
margin = f3.slider("Margin r", 0.0, top, (0.0, top), key="err_margin")
shown = [r for r in in_cell
         if (not objects or str(r.get("object")) in objects) and (not families or str(r.get("family")) in families)
         and (r.get("margin") is None or margin[0] <= float(r["margin"]) <= margin[1])]
st.caption(f"{len(shown)} of {len(in_cell)} scenarios in this cell")
if not shown:
    st.info("No scenario left: clear a filter or widen the margin range.")
    st.stop()

st.dataframe([{"scenario": r.get("scenario_id"), "object": r.get("object"), "margin": _round(r.get("margin")),
               "truth": r.get("truth"), focus: answer_of(r),
               **({compare: answer_of(by_model[compare].get(str(r.get('scenario_id')), {}))} if compare in by_model else {})}
              for r in shown], hide_index=True, width="stretch", height=220)

sid = st.selectbox("Scenario", [str(r.get("scenario_id")) for r in shown], key="err_sid")
rec = by_model[focus][sid]
margin_text = f"{float(rec['margin']):.2f}" if isinstance(rec.get("margin"), (int, float)) else "?"
st.markdown(f"**Truth: {rec.get('truth')}** · margin r = {margin_text} · {rec.get('object')} · {rec.get('family')}")
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
    if isinstance(r.get("derivation"), list):
        show_derivation(r, sid)
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
