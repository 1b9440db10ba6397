"""Background jobs: a job folder anyone can re-attach to, one job at a time, cancel that stops."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from physlab import jobs
from physlab.fileio import write_json_atomic


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_for(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


SLEEPER = "import time; print('star' + 'ted', flush=True); time.sleep(60)"  # the log's command line must not match


def test_submit_refuses_a_shell_string(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="argument list"):
        jobs.submit("demo", "echo hello", tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        jobs.submit("Bad Kind!", python("pass"), tmp_path)


def test_job_runs_to_done_with_log_and_outputs(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from physlab.jobs import current_job\n"
        "print('hello from the job')\n"
        "print('to stderr', file=sys.stderr)\n"
        "current_job().add_outputs(answer=42)\n"
    )
    job = jobs.submit("demo", python(code), tmp_path, outputs={"planned": "x"})
    assert job.status()["state"] in ("queued", "running", "done")
    final = job.wait(timeout=30)
    assert final["state"] == "done", job.log_tail()
    assert final["exit_code"] == 0 and final["error"] is None
    assert final["outputs"] == {"planned": "x", "answer": 42}
    assert final["command"] == python(code)
    assert final["started_at"] and final["ended_at"]
    log = job.log_tail(50)
    assert "hello from the job" in log and "to stderr" in log
    # Re-attaching from the folder alone (a restarted dashboard) sees the same job.
    again = jobs.Job.load(job.folder)
    assert again.status()["state"] == "done"
    assert [j.id for j in jobs.list_jobs(tmp_path)] == [job.id]


def test_failing_command_is_failed_with_its_error(tmp_path: Path) -> None:
    code = "import sys; print('working'); print('physlab: error: curriculum not found', file=sys.stderr); sys.exit(2)"
    final = jobs.submit("demo", python(code), tmp_path).wait(timeout=30)
    assert final["state"] == "failed"
    assert final["exit_code"] == 2
    assert "exit code 2" in final["error"] and "curriculum not found" in final["error"]


def test_cancel_stops_the_running_process_group(tmp_path: Path) -> None:
    job = jobs.submit("demo", python(SLEEPER), tmp_path)
    wait_for(lambda: "started" in job.log_tail() and job.raw_status().get("child_pid"), what="the child to start")
    status = job.status()
    assert status["state"] == "running"
    child = status["child_pid"]
    assert jobs.process_alive(child)
    started = time.monotonic()
    final = job.cancel(grace_s=5)
    assert final["state"] == "cancelled"
    assert time.monotonic() - started < 5, "SIGTERM should end a sleeping python at once"
    wait_for(lambda: not jobs.process_alive(child), timeout=5, what="the child to exit")
    assert not jobs.group_alive(status["pgid"])
    # A second cancel, or a re-attached reader, keeps the recorded end.
    assert job.cancel()["state"] == "cancelled"
    assert jobs.Job.load(job.folder).status()["state"] == "cancelled"


def test_second_job_waits_for_the_first(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    first_code = (f"import time; open({str(marks / 'a_start')!r}, 'w').write(repr(time.time())); "
                  f"time.sleep(1.5); open({str(marks / 'a_end')!r}, 'w').write(repr(time.time()))")
    second_code = f"import time; open({str(marks / 'b_start')!r}, 'w').write(repr(time.time()))"
    jobs_dir = tmp_path / "jobs"
    first = jobs.submit("demo", python(first_code), jobs_dir)
    second = jobs.submit("demo", python(second_code), jobs_dir)
    wait_for(lambda: (marks / "a_start").exists(), what="the first job to start")
    assert second.status()["state"] == "queued"
    assert not (marks / "b_start").exists()
    assert first.wait(timeout=30)["state"] == "done"
    assert second.wait(timeout=30)["state"] == "done"
    assert float((marks / "b_start").read_text()) >= float((marks / "a_end").read_text())


def test_cancelling_a_queued_job_never_runs_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    first = jobs.submit("demo", python(SLEEPER), tmp_path / "jobs")
    second = jobs.submit("demo", python(f"open({str(marker)!r}, 'w').write('x')"), tmp_path / "jobs")
    wait_for(lambda: first.status()["state"] == "running", what="the first job to run")
    assert second.cancel(grace_s=5)["state"] == "cancelled"
    assert first.status()["state"] == "running"  # cancelling the queued job left the running one alone
    assert first.cancel(grace_s=5)["state"] == "cancelled"
    time.sleep(0.5)
    assert not marker.exists()


def test_dead_process_reads_as_failed(tmp_path: Path) -> None:
    job = jobs.submit("demo", python(SLEEPER), tmp_path)
    wait_for(lambda: "started" in job.log_tail(), what="the child to start")
    status = job.status()
    # kill -9 the runner and its command: nothing gets to record an end state.
    os.killpg(status["pgid"], signal.SIGKILL)
    wait_for(lambda: not jobs.process_alive(status["pid"]), timeout=5, what="the runner to die")
    assert jobs.read_status_file(job.folder)["state"] == "running"  # what the file still says
    final = job.status()
    assert final["state"] == "failed"
    assert "without recording" in final["error"]


def test_reused_pid_is_not_taken_for_the_job(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    # Our own (live) pid, but with a start time that is not ours: a pid reused by another process.
    real_start = jobs.proc_start_time(os.getpid())
    assert isinstance(real_start, float)  # psutil's create time, on any platform
    write_json_atomic(folder / jobs.STATUS_FILE, {"state": "running", "pid": os.getpid(), "proc_start": real_start - 3600})
    assert jobs.Job.load(folder).status()["state"] == "failed"
    # The same with a process group: our own group, but its leader started an hour later than us.
    write_json_atomic(folder / jobs.STATUS_FILE, {"state": "running", "pid": os.getpid(), "pgid": os.getpgrp(),
                                                  "proc_start": real_start + 3600})
    assert jobs.Job.load(folder).status()["state"] == "failed"


def test_load_refuses_a_folder_without_status(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a job folder"):
        jobs.Job.load(tmp_path)


def test_log_tail_shows_the_last_state_of_progress_bars(tmp_path: Path) -> None:
    folder = tmp_path / "job"
    write_json_atomic(folder / jobs.STATUS_FILE, {"state": "done"})
    (folder / jobs.LOG_FILE).write_text("line 1\nstep 1/3\rstep 2/3\rstep 3/3\nlast line\n\n")
    job = jobs.Job.load(folder)
    assert job.log_tail(2) == "step 3/3\nlast line"
    assert job.log_tail(10).splitlines()[0] == "line 1"


def test_update_status_merges_outputs(tmp_path: Path) -> None:
    jobs.update_status(tmp_path, state="running", outputs={"a": 1})
    merged = jobs.update_status(tmp_path, outputs={"b": 2})
    assert merged == {"state": "running", "outputs": {"a": 1, "b": 2}}
    assert jobs.read_status_file(tmp_path) == merged
    assert not list(tmp_path.glob("*.tmp")), "atomic writes leave no temp files behind"


# --------------------------------------------------------------------------- issue 14, items 5-8


def _start(tmp_path: Path, code: str = SLEEPER) -> tuple[jobs.Job, dict]:
    job = jobs.submit("demo", python(code), tmp_path / "jobs")
    wait_for(lambda: "started" in job.log_tail() and job.raw_status().get("child_pid"), what="the child to start")
    return job, job.status()


def test_liveness_is_the_process_group_and_cancel_reaches_an_orphaned_child(tmp_path: Path) -> None:
    """A runner that dies leaves its command running: the job stays running and cancellable."""
    job, status = _start(tmp_path)
    child = status["child_pid"]
    os.kill(status["pid"], signal.SIGKILL)  # the runner only
    wait_for(lambda: not jobs.process_alive(status["pid"]), timeout=5, what="the runner to die")
    assert jobs.process_alive(child)
    assert job.status()["state"] == "running"  # its group still works
    final = job.cancel(grace_s=5)
    assert final["state"] == "cancelled"
    wait_for(lambda: not jobs.process_alive(child), timeout=5, what="the orphaned child to stop")


def test_cancel_signals_a_live_group_even_when_the_file_says_it_ended(tmp_path: Path) -> None:
    job, status = _start(tmp_path)
    child = status["child_pid"]
    jobs.update_status(job.folder, state="failed", error="marked failed by an older physlab")
    assert job.cancel(grace_s=5)["state"] == "cancelled"
    wait_for(lambda: not jobs.process_alive(child), timeout=5, what="the child to stop")


def test_a_corrupt_status_is_an_error_and_cancel_still_stops_the_job(tmp_path: Path, capsys) -> None:
    from physlab import cli

    job, status = _start(tmp_path)
    child = status["child_pid"]
    (job.folder / jobs.STATUS_FILE).write_text('{"state": "runn')  # torn by a crash or a full disk
    shown = job.status()
    assert shown["corrupt"] and shown["state"] == "running" and shown["pgid"] == status["pgid"]
    code = cli.main(["jobs", "cancel", job.id, "--jobs-dir", str(job.folder.parent)])
    err = capsys.readouterr().err
    assert code != 0 and "corrupt" in err and f"process group {status['pgid']}" in err and "Traceback" not in err
    wait_for(lambda: not jobs.process_alive(child), timeout=15, what="the child to stop")
    assert jobs.read_status_file(job.folder)["state"] == "cancelled"


def test_a_cancelled_job_marks_its_run_folder_cancelled_not_failed(tmp_path: Path) -> None:
    """Issue 13, fault 5: the run folder's own status said running; its process was killed."""
    run_dir = tmp_path / "runs" / "r1"
    code = ("import os, sys, time; from physlab import jobs; "
            f"jobs.update_status({str(run_dir)!r}, state='running', pid=os.getpid(), "
            "proc_start=jobs.proc_start_time(os.getpid()), pgid=os.getpgrp(), job_dir=os.environ['PHYSLAB_JOB_DIR']); "
            "import signal; signal.signal(signal.SIGTERM, lambda *a: os._exit(143)); "  # dies without recording
            "print('star' + 'ted', flush=True); time.sleep(60)")
    job = jobs.submit("demo", python(code), tmp_path / "jobs", outputs={"run_dir": str(run_dir)})
    wait_for(lambda: "started" in job.log_tail(), what="the child to start")
    assert job.cancel(grace_s=5)["state"] == "cancelled"
    wait_for(lambda: jobs.read_status_file(run_dir).get("state") != "running", timeout=10, what="the run's end")
    assert jobs.Job.load(run_dir).status()["state"] == "cancelled"
    from physlab.commands.train import run_state

    assert run_state(run_dir)["state"] == "cancelled"


def test_no_hand_written_proc_parsing_is_left() -> None:
    source = (Path(jobs.__file__)).read_text()
    assert "/proc/" not in source and "psutil" in source
