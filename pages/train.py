"""Train: a recipe (the published answer format, or the worked student: formula lines and a
calculator), a validated LoRA config launched as a background job; live progress and loss; the queue,
cancel, and every run with its status. A reload or a second tab re-attaches (state lives on disk)."""

from __future__ import annotations

import streamlit as st

from pages._common import NO_DATA, NO_RUNS, active_jobs_panel, show_error
from physlab import charts, launch
from physlab import results_io as rio

st.title("Train")

presets = rio.list_presets()
if not presets:
    st.info(NO_DATA)
    st.stop()

recipe = st.radio("Recipe", list(launch.RECIPES), format_func=lambda name: launch.RECIPES[name].title,
                  horizontal=True, key="train_recipe")
spec = launch.RECIPES[recipe]
st.caption(spec.about)

missing = [p.name for p in presets if not launch.has_curriculum(p.name, recipe)]
if missing:
    st.info(f"This recipe trains on `data/<preset>/{spec.curriculum}`. Missing for: "
            + ", ".join(f"**{m}**" for m in missing) + ". Build it here with the offline physics teacher, or with "
            f"`{launch.curriculum_command('<preset>', recipe)}`"
            + (" (that command also offers LLM teachers)." if recipe == "answer" else "."))
    cols = st.columns(min(len(missing), 4))
    label = "Build worked curriculum for" if recipe == "worked" else "Build curriculum for"
    for i, name in enumerate(missing):
        if cols[i % len(cols)].button(f"{label} {name}", key=f"curriculum_{recipe}_{name}"):
            with st.spinner(f"Writing the {name} curriculum ..."):
                try:
                    path = launch.build_physics_curriculum(name, recipe)
                except ValueError as err:
                    show_error(err, "Cannot build the curriculum")
                else:
                    st.success(f"Wrote {path}")
                    st.rerun()

for p in presets:
    differences = launch.curriculum_differences(p.name, recipe)
    if differences:
        st.warning(f"**{p.name}**: `{spec.curriculum}` was built differently from this recipe ("
                   + "; ".join(differences) + "). Training uses it as it is; rebuild it with "
                   f"`{launch.curriculum_command(p.name, recipe)}` to train the recipe itself.")

start = launch.recipe_form(recipe, preset="")
# Enter in a field does not submit (it used to queue a job on every Enter); numbers have no
# widget bounds, so an out-of-range value reaches the validation and gets a message naming it.
# Widget keys carry the recipe, so switching it shows that recipe's starting values.
with st.form("train", enter_to_submit=False):
    st.markdown(f"LoRA fine-tuning. {launch.recipe_summary(recipe)} (BENCHMARKS.md)")
    c1, c2, c3 = st.columns(3)
    preset = c1.selectbox("Preset (training data)", [p.name for p in presets])
    base_model = c2.text_input("Base model", value="embedded",
                               help="embedded (SmolLM2-135M, ships with physlab), a Hugging Face id, or a local folder")
    epochs = c3.number_input("Epochs", value=start.epochs, step=1.0, format="%g", key=f"train_epochs_{recipe}")
    c4, c5, c6 = st.columns(3)
    lora_r = c4.number_input("LoRA rank r", value=start.lora_r, step=1, key=f"train_r_{recipe}")
    lora_alpha = c5.number_input("LoRA alpha", value=start.lora_alpha, step=1, key=f"train_alpha_{recipe}")
    learning_rate = c6.number_input("Learning rate", value=start.learning_rate, format="%.1e", key=f"train_lr_{recipe}")
    c7, c8 = st.columns([2, 1])
    target_modules = c7.text_input("Target modules (comma-separated)", value=start.target_modules,
                                   help="module names, or all-linear for every linear layer",
                                   key=f"train_modules_{recipe}")
    max_steps = c8.number_input("Max steps (0 = all epochs)", value=start.max_steps or 0, step=1,
                                help="a few steps for a quick check; 0 trains the full number of epochs",
                                key=f"train_steps_{recipe}")
    c9, c10, c11 = st.columns(3)
    lora_layers = c9.number_input("LoRA blocks (last N, 0 = all)", value=start.lora_layers, step=1,
                                  help="adapt only the last N transformer blocks: the backward pass stops there, "
                                       "so a step is cheaper (BENCHMARKS.md, Training speed)",
                                  key=f"train_layers_{recipe}")
    batch_size = c10.number_input("Batch size", value=start.batch_size, step=1, key=f"train_batch_{recipe}")
    max_minutes = c11.number_input("Time budget, minutes (0 = none)", value=start.max_minutes, step=5.0, format="%g",
                                   help="training stops at the first step past it and saves the adapter as usual",
                                   key=f"train_minutes_{recipe}")
    submitted = st.form_submit_button("Start training", type="primary")

if submitted:
    try:
        if int(max_steps) < 0:
            raise ValueError(f"max_steps: 0 (all epochs) or more (got {int(max_steps)})")
        form = launch.TrainForm(preset=preset, base_model=base_model.strip(), epochs=float(epochs), lora_r=int(lora_r),
                                lora_alpha=int(lora_alpha), learning_rate=float(learning_rate),
                                target_modules=target_modules, max_steps=int(max_steps) or None, recipe=recipe,
                                lora_layers=int(lora_layers), batch_size=int(batch_size),
                                max_minutes=float(max_minutes))
        job = launch.submit_training(form)
    except launch.DuplicateJob as err:
        st.warning(f"Not started: {err}.")
    except ValueError as err:
        show_error(err, "Cannot start training")
    else:
        st.success(f"Training queued (job {getattr(job, 'id', '')}): progress below. You can leave this page; "
                   "the run keeps going and this page re-attaches when you come back.")


@st.fragment(run_every="2s")
def live() -> None:
    st.subheader("Queue")
    active_jobs_panel("train")

    runs = rio.list_runs()
    running = [r for r in runs if r.state in rio.ACTIVE_STATES]
    for run in running:
        metrics = rio.read_metrics(run.path)
        st.markdown(f"**{run.title}** · {run.state} · {run.base_model} on {run.preset}")
        fraction = rio.run_progress(run, metrics)
        train_rows, _ = rio.loss_rows(metrics)
        last = train_rows[-1] if train_rows else {}
        loss = last.get("loss")
        text = (f"step {last.get('step', 0)} of {run.status.get('total_steps') or '?'} · "
                f"loss {'-' if loss is None else f'{loss:.3f}'} · "
                f"{last.get('tokens_per_s') or 0:.0f} tokens/s · {last.get('elapsed_s') or 0:.0f} s"
                if last else "starting (loading the model) ...")
        st.progress(fraction if fraction is not None else 0.0, text=text)
        st.plotly_chart(charts.loss_curves({run.run_id: metrics}), width="stretch", key=f"train_loss_{run.run_id}")

    st.subheader("Runs")
    if not runs:
        st.info(NO_RUNS)
        return
    latest = runs[0]
    st.markdown(f"Latest run **{latest.title}**: `{latest.state}`"
                + (f" ({latest.status.get('error')})" if latest.state == "failed" and latest.status.get("error") else ""))
    st.dataframe([{"run": r.run_id, "name": r.name, "state": r.state, "base model": r.base_model, "preset": r.preset,
                   "steps": rio.run_steps(r, rio.read_metrics(r.path)),
                   "wall time (s)": r.manifest.get("wall_time_s")} for r in runs], hide_index=True, width="stretch")
    st.caption("States are physlab.jobs' own (a cancelled run reads `cancelled`). Compare runs' configs, "
               "name, tag or delete them, and download adapters on **Compare**.")
    finished = [r for r in runs if r.state not in rio.ACTIVE_STATES]
    if finished:
        ids = [r.run_id for r in finished]
        default = [r.run_id for r in rio.preferred_runs(finished)[:3]] or ids[:1]
        chosen = st.multiselect("Loss curves of", ids, default=default, key="train_curves")
        if chosen:
            by_id = {r.run_id: r for r in finished}
            st.plotly_chart(charts.loss_curves({rid: rio.read_metrics(by_id[rid].path) for rid in chosen}),
                            width="stretch", key="train_loss_finished")
            note = rio.loss_weight_note([by_id[rid] for rid in chosen])
            if note:
                st.caption(note)


live()
