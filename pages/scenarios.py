"""Scenarios: browse, filter and search a dataset; a detail view with the physics behind a label."""

from __future__ import annotations

import importlib.util
import json

import streamlit as st

from pages._common import NO_DATA, load_split, show_error
from physlab import charts, launch
from physlab import results_io as rio

st.title("Scenarios")

presets = rio.list_presets()
if not presets:
    st.info(NO_DATA)
    with st.form("generate", enter_to_submit=False):
        preset_name = st.selectbox("Preset", launch.generatable_presets(),
                                   help="seed: the published experiment's size (seconds); standard: >= 1,200 train (under a minute)")
        seed = st.number_input("Seed", min_value=0, value=0, step=1, help="the same seed gives byte-identical files")
        if st.form_submit_button("Generate", type="primary"):
            with st.spinner(f"Generating the {preset_name} preset ..."):
                try:
                    counts = launch.generate_preset(preset_name, int(seed))
                except (ValueError, OSError) as err:
                    show_error(err, "Generation failed")
                else:
                    st.success(f"Generated {preset_name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
                    st.rerun()
    st.stop()

names = [p.name for p in presets]
top = st.columns([1, 2])
preset = presets[names.index(top[0].selectbox("Preset", names, key="scen_preset"))]
splits = top[1].multiselect("Splits", list(preset.counts), default=list(preset.counts), key="scen_splits")

records: list[dict] = []
for split in splits:
    try:
        for rec in load_split(preset.name, split):
            records.append({**rec, "split": rec.get("split") or split})
    except ValueError as err:
        show_error(err, f"Cannot read {split}")
rows = rio.records_table(records)
if not rows:
    st.info("No scenarios in the chosen splits: pick at least one split above.")
    st.stop()

def _options(column: str) -> list[str]:
    return sorted({str(r[column]) for r in rows})

f1, f2, f3, f4 = st.columns(4)
labels = f1.multiselect("Label", _options("label"), key="scen_label")
objects = f2.multiselect("Object", _options("object"), key="scen_object")
families = f3.multiselect("Family", _options("family"), key="scen_family")
actions = f4.multiselect("Action", _options("action"), key="scen_action")
m1, m2 = st.columns([1, 2])
top_margin = max(1.0, max(r["margin"] for r in rows))
margin = m1.slider("Margin r", 0.0, float(round(top_margin + 0.05, 2)), (0.0, float(round(top_margin + 0.05, 2))),
                   key="scen_margin")
query = m2.text_input("Search id or description", key="scen_query").strip().lower()

shown = [r for r in rows
         if (not labels or r["label"] in labels) and (not objects or r["object"] in objects)
         and (not families or r["family"] in families) and (not actions or r["action"] in actions)
         and margin[0] <= r["margin"] <= margin[1]
         and (not query or query in r["id"].lower() or query in r["description"].lower())]
st.caption(f"{len(shown)} of {len(rows)} scenarios")
if not shown:
    st.warning("No scenario matches these filters: widen the margin range or clear a filter.")
    st.stop()

tab_table, tab_charts = st.tabs(["Table", "Charts"])
with tab_table:
    st.dataframe([{k: r[k] for k in ("id", "split", "label", "margin", "object", "family", "action")} for r in shown],
                 hide_index=True, width="stretch", height=300)
with tab_charts:
    c1, c2 = st.columns(2)
    c1.plotly_chart(charts.label_counts(shown), width="stretch")
    c2.plotly_chart(charts.margin_histogram(shown), width="stretch")

st.subheader("Detail")
ids = [r["id"] for r in shown]
chosen = st.selectbox("Scenario", ids, key="scen_id")
record = next(r for r in records if r.get("id") == chosen)
st.markdown(f"**{record.get('label')}** · margin r = {float(record.get('margin', 0)):.2f} · "
            f"{record.get('object')} · {record.get('family')}")
st.markdown(f"> {record.get('description', '')}")

left, right = st.columns(2)
ratios = record.get("ratios") or {}
left.plotly_chart(charts.ratio_bars(ratios, record.get("label")), width="stretch")
right.plotly_chart(charts.setup_drawing(record.get("params") or {}), width="stretch")

st.markdown("**Physics**")
st.write(record.get("explanation", ""))
try:
    from physlab.physics import assess, explain_ratios

    assessment = assess(rio.scenario_from_record(record))
    st.code("\n".join(explain_ratios(assessment)) or "no check applies", language=None)
except ValueError as err:
    show_error(err, "These parameters do not validate")
with st.expander("Simulate (MuJoCo)"):
    if importlib.util.find_spec("mujoco") is None:
        st.info("The simulator is an optional extra: `pip install 'physlab[sim]'` (package mujoco).")
    elif st.button("Run the simulation", key="scen_sim"):
        from physlab.sim import simulate

        try:
            result = simulate(rio.scenario_from_record(record))
        except ValueError as err:
            show_error(err, "These parameters do not validate")
        else:
            if result.outcome is None:
                st.markdown(f"Simulated: **no verdict**: this check stays analytic here · {result.reason}")
            else:
                agree = "agrees with" if result.outcome == record.get("label") else "differs from"
                st.markdown(f"Simulated: **{result.outcome}** ({agree} the physics label "
                            f"**{record.get('label')}**) · {result.reason}")
            st.plotly_chart(charts.sim_trajectory(result), width="stretch")
            st.caption(", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                                 for k, v in sorted(result.measured.items())))
with st.expander("Parameters"):
    st.code(json.dumps(record.get("params") or {}, indent=2), language="json")
