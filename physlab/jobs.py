"""Long work (training, big evaluations) as background processes anyone can re-attach to.

Design
------
A job is a folder, results/jobs/<job_id>/, holding:

    status.json   {job_id, kind, state, command, cwd, created_at, started_at, ended_at,
                   pid, pgid, child_pid, exit_code, error, outputs, cancel_requested}
    log.txt       stdout + stderr of the job's command

`submit(kind, argv, jobs_dir)` writes the folder (state "queued") and starts a small runner,
`python -m physlab.jobs run <folder>`, in a new session (its own process group, pgid = its
pid). The runner waits its turn, then starts `argv` (an argument list, never a shell string)
in the same group, waits for it and records the end state (done / failed with the exit code
and the log's last error line / cancelled).

One job at a time per jobs folder: the runner takes an exclusive fcntl lock on
<jobs_dir>/.lock before starting the command and the command inherits it, so the lock is
held until both have exited. Queued runners go in creation order (a runner waits while an
older queued job is still alive).

Re-attaching is reading the folder: `Job.load(folder).status()` from the CLI, a restarted
dashboard or a second tab. Liveness comes from the recorded process group (psutil): a job is
alive while any process of its group lives, so a runner that died while its command still
trains is still "running" (and cancellable). A job whose whole group is gone without recording
its end (killed -9, machine reboot) reads as "failed". Each process's create time is recorded
beside its pid, so a reused pid (or a reused group id) is never taken for the job.

The runner also writes proc.json (pid, pgid, create time): when status.json is corrupt,
status() and cancel() recover the process group from it (or from the processes' command lines),
and cancel raises CorruptStatusError after stopping the job, so the CLI exits non-zero.

Cancel ends the whole process group (SIGTERM, then SIGKILL after a grace period) whenever any
of it is alive, and records "cancelled", also in the run or evaluation folder the job writes
(outputs run_dir / eval_dir) when that still says queued or running. A training run also writes the same status format into its run folder
(results/runs/<run_id>/status.json, see physlab.train), so Job.load works on a run folder too.

This module imports only the standard library: the dashboard polls it every few seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from physlab import fileio
from physlab.fileio import write_json_atomic

STATES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("done", "failed", "cancelled")
STATUS_FILE = "status.json"
PROC_FILE = "proc.json"  # pid, pgid and create time of the runner: a second record of who to signal
LOG_FILE = "log.txt"
QUEUE_LOCK = ".lock"
JOB_DIR_ENV = "PHYSLAB_JOB_DIR"  # set in a job's command: where its status.json lives


class CorruptStatusError(ValueError):
    """A job's status.json cannot be read; the message says what was recovered and done."""


def default_jobs_dir() -> Path:
    """$PHYSLAB_RESULTS_DIR/jobs (physlab.fileio), where every command and page looks."""
    return fileio.jobs_dir()
_KIND = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_POLL_S = 0.25  # how often a queued runner looks at the queue, and wait()/cancel() poll


# --------------------------------------------------------------------------- files


def read_status_file(folder: Path, strict: bool = False) -> dict[str, Any]:
    """status.json as written (no liveness check); {} when missing or unreadable.

    strict: an existing but unreadable file raises CorruptStatusError instead."""
    path = Path(folder) / STATUS_FILE
    try:
        text = path.read_text()
    except OSError:
        return {}
    try:
        data = json.loads(text)
    except ValueError as err:
        if strict:
            raise CorruptStatusError(f"{path} is corrupt ({err})") from None
        return {}
    if not isinstance(data, dict):
        if strict:
            raise CorruptStatusError(f"{path} is corrupt (not a JSON object)")
        return {}
    return data


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update_status(folder: Path, **changes: Any) -> dict[str, Any]:
    """Merge `changes` into folder/status.json under a per-folder lock (several processes write it).

    `outputs` is merged key by key, not replaced.
    """
    folder = Path(folder)
    with _locked(folder / f".{STATUS_FILE}.lock"):
        status = read_status_file(folder)
        if "outputs" in changes and isinstance(changes["outputs"], Mapping):
            changes["outputs"] = {**(status.get("outputs") or {}), **changes["outputs"]}
        status.update(changes)
        write_json_atomic(folder / STATUS_FILE, status)
    return status


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# --------------------------------------------------------------------------- processes


def proc_start_time(pid: int | None) -> float | None:
    """The process's create time (psutil, seconds since the epoch, 2 decimals); None when it is gone.

    Recorded next to the pid so a later process that reuses the pid is not taken for the job.
    """
    import psutil

    if not pid:
        return None
    try:
        return round(psutil.Process(int(pid)).create_time(), 2)
    except (psutil.Error, ValueError, OverflowError):
        return None


def _same_start(recorded: Any, now: float | None) -> bool:
    """Does a recorded start time match? Old records (/proc clock ticks, a digit string) are not
    comparable and count as a match."""
    if recorded is None or now is None:
        return True
    if isinstance(recorded, str):
        try:
            recorded = float(recorded)
        except ValueError:
            return True
        if "." not in str(recorded) and recorded < 1e8:  # legacy clock ticks since boot
            return True
    return abs(float(recorded) - now) < 0.05


def _running(proc: Any) -> bool:
    import psutil

    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def process_alive(pid: int | None, start_time: Any = None) -> bool:
    """Is `pid` a running process (not a zombie), and the same one when start_time is given?"""
    import psutil

    if not pid:
        return False
    try:
        proc = psutil.Process(int(pid))
        if not _running(proc):
            return False
        return _same_start(start_time, round(proc.create_time(), 2))
    except (psutil.Error, ValueError, OverflowError):
        return False


def group_members(pgid: int | None, not_before: Any = None) -> list[int]:
    """Live (non-zombie) processes of process group `pgid`. not_before: the group leader's
    recorded create time; a process created earlier cannot belong to the job (a reused group id)."""
    import psutil

    if not pgid:
        return []
    members = []
    floor = None
    if not_before is not None and not isinstance(not_before, str):
        floor = float(not_before) - 0.05
    for proc in psutil.process_iter(["pid", "create_time"]):
        try:
            if os.getpgid(proc.pid) != int(pgid):
                continue
        except (ProcessLookupError, PermissionError, OSError):
            continue
        if floor is not None and (proc.info.get("create_time") or 0) < floor:
            continue
        if _running(proc):
            members.append(proc.pid)
    return members


def group_alive(pgid: int | None, not_before: Any = None) -> bool:
    """Does any live (non-zombie) process remain in process group `pgid`?"""
    return bool(group_members(pgid, not_before))


def job_alive(status: Mapping[str, Any]) -> bool:
    """Is any process of this job (or run) alive: its process group when one is recorded,
    else its pid (with the recorded start time)?"""
    if status.get("pgid"):
        return group_alive(status["pgid"], status.get("proc_start"))
    return process_alive(status.get("pid"), status.get("proc_start"))


def _signal_group(pgid: int | None, pid: int | None, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if pgid:
            os.killpg(int(pgid), sig)
        elif pid:
            os.kill(int(pid), sig)


def _recover_processes(folder: Path) -> dict[str, Any]:
    """pid, pgid and proc_start of a job whose status.json is unreadable: from proc.json, else
    from a live process whose command line names the folder (the runner) or whose environment
    says it runs under it (the command)."""
    import psutil

    try:
        data = json.loads((folder / PROC_FILE).read_text())
        if isinstance(data, dict) and data.get("pgid"):
            return {k: data.get(k) for k in ("pid", "pgid", "proc_start")}
    except (OSError, ValueError):
        pass
    target = str(folder.resolve())
    for proc in psutil.process_iter(["pid", "cmdline"]):
        try:
            cmdline = proc.info.get("cmdline") or []
            mine = target in cmdline or proc.environ().get(JOB_DIR_ENV) == target
            if mine:
                return {"pid": proc.pid, "pgid": os.getpgid(proc.pid), "proc_start": round(proc.create_time(), 2)}
        except (psutil.Error, OSError):
            continue
    return {}


def _job_cancelled(status: Mapping[str, Any]) -> bool:
    """Was the job this run or evaluation ran under asked to cancel (its status.json's job_dir)?"""
    job_dir = status.get("job_dir")
    return bool(job_dir) and bool(read_status_file(Path(job_dir)).get("cancel_requested"))


def _finish_outputs(status: Mapping[str, Any], state: str) -> None:
    """Record a cancelled (or failed) end in the run / evaluation folder the job writes, when
    that folder still says queued or running (its process was killed before it could)."""
    outputs = status.get("outputs") or {}
    for key in ("run_dir", "eval_dir"):
        folder = outputs.get(key)
        if not folder or not (Path(folder) / STATUS_FILE).is_file():
            continue
        inner = read_status_file(Path(folder))
        if inner.get("state") in ACTIVE_STATES and not job_alive(inner):
            update_status(Path(folder), state=state, ended_at=now_iso(),
                          **({"error": None} if state == "cancelled" else {}))


# --------------------------------------------------------------------------- jobs


class Job:
    """A job folder. Cheap to create; every method reads the folder afresh."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"Job({str(self.folder)!r})"

    @classmethod
    def load(cls, folder: Path | str) -> Job:
        """Re-attach to a job (or run) folder; ValueError when it holds no status.json."""
        folder = Path(folder)
        if not (folder / STATUS_FILE).is_file():
            raise ValueError(f"{folder} is not a job folder (no {STATUS_FILE})")
        return cls(folder)

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def log_path(self) -> Path:
        return self.folder / LOG_FILE

    def raw_status(self) -> dict[str, Any]:
        return read_status_file(self.folder)

    def status(self) -> dict[str, Any]:
        """status.json with the state checked against the processes: a queued or running job
        none of whose process group lives is reported "failed", or "cancelled" when a cancel was
        asked for (and recorded so, once). A corrupt status.json reads as state "unknown" with
        the error, and the processes recovered from proc.json ("running" while they live)."""
        try:
            status = read_status_file(self.folder, strict=True)
        except CorruptStatusError as err:
            recovered = _recover_processes(self.folder)
            alive = job_alive(recovered) if recovered else False
            return {"job_id": self.id, "state": "running" if alive else "unknown", "error": str(err),
                    "corrupt": True, **recovered}
        if status.get("state") not in ACTIVE_STATES:
            return status
        pid = status.get("pid")
        if not pid:
            # submit() records the pid right after the start; allow it a moment before judging.
            if time.time() - float(status.get("created_at_s") or 0) < 30:
                return status
        elif job_alive(status):
            return status
        # Re-read under the lock: the process may have recorded its end just now.
        latest = self.raw_status()
        if latest.get("state") in ACTIVE_STATES:
            how = "cancelled" if latest.get("cancel_requested") or _job_cancelled(latest) else "failed"
            latest = update_status(
                self.folder, state=how, ended_at=latest.get("ended_at") or now_iso(),
                error=None if how == "cancelled" else
                f"process {pid} ended without recording its end state (killed, or the machine restarted)",
            )
        return latest

    @property
    def state(self) -> str:
        return str(self.status().get("state") or "unknown")

    def add_outputs(self, **outputs: Any) -> None:
        """Record what the job produced (e.g. run_dir) so a page can link to it."""
        update_status(self.folder, outputs=outputs)

    def cancel(self, grace_s: float = 10.0) -> dict[str, Any]:
        """Stop the job: SIGTERM to its process group, SIGKILL after grace_s; state "cancelled".

        The group is signalled whenever any of it is alive, whatever status.json says (a runner
        that died leaves its command running). A job that already finished, with nothing left
        alive, keeps its state. Returns the final status. Raises CorruptStatusError (after
        stopping what it could recover) when status.json is unreadable.
        """
        corrupt = None
        try:
            status = read_status_file(self.folder, strict=True)
        except CorruptStatusError as err:
            corrupt = err
            status = _recover_processes(self.folder)
        pid, pgid, start = status.get("pid"), status.get("pgid"), status.get("proc_start")
        if corrupt is None and status.get("state") not in ACTIVE_STATES and not job_alive(status):
            return self.status()
        if corrupt is None:
            update_status(self.folder, cancel_requested=True)

        def gone() -> bool:
            return not job_alive({"pid": pid, "pgid": pgid, "proc_start": start})

        if not gone():
            _signal_group(pgid, pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while not gone() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not gone():
            _signal_group(pgid, pid, signal.SIGKILL)
            deadline = time.monotonic() + 5.0
            while not gone() and time.monotonic() < deadline:
                time.sleep(0.05)
        if corrupt is not None:
            what = (f"recovered process group {pgid} (pid {pid}) from {PROC_FILE} or the process table and stopped it"
                    if pgid or pid else "no process of it could be found")
            write_json_atomic(self.folder / STATUS_FILE, {
                "job_id": self.id, "state": "cancelled", "ended_at": now_iso(), "pid": pid, "pgid": pgid,
                "proc_start": start, "cancel_requested": True,
                "error": f"status.json was corrupt and has been rewritten; {what}"})
            raise CorruptStatusError(f"job {self.id}: {corrupt}; {what}")
        latest = self.raw_status()
        if latest.get("state") in ACTIVE_STATES or latest.get("state") == "failed":
            update_status(self.folder, state="cancelled", ended_at=latest.get("ended_at") or now_iso(), error=None)
        _finish_outputs(latest, "cancelled")
        return self.status()

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the job ends; returns its status. TimeoutError after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status()
            if status.get("state") in FINAL_STATES:
                return status
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} still {status.get('state')} after {timeout} s")
            time.sleep(_POLL_S)

    def log_tail(self, n: int = 40, max_bytes: int = 256_000) -> str:
        """The last `n` lines of the log; a progress bar's carriage-return updates show as their last state."""
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - max_bytes))
                raw = fh.read()
        except OSError:
            return ""
        lines = [line.rsplit("\r", 1)[-1] for line in raw.decode("utf-8", "replace").split("\n")]
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines[-n:]) if n > 0 else ""


def _new_job_id(kind: str) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(3)}"


def submit(
    kind: str,
    argv: Sequence[str],
    jobs_dir: Path | str | None = None,
    outputs: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    job_id: str | None = None,
) -> Job:
    """Queue `argv` (e.g. [sys.executable, "-m", "physlab", "train", ...]) as a background job.

    kind: a short word for listings ("train", "evaluate"); outputs: what the job will write
    (e.g. {"run_dir": ...}); env: extra environment variables for the command.
    Returns at once with the job "queued"; it starts when no older job holds the queue.
    jobs_dir: default $PHYSLAB_RESULTS_DIR/jobs, the one queue every command and page shares.
    """
    if isinstance(argv, (str, bytes)) or not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError("argv: must be a non-empty list of strings (an argument list, never a shell string)")
    if not _KIND.match(kind):
        raise ValueError(f"kind: must be a short lowercase word (letters, digits, - or _), got {kind!r}")
    jobs_dir = Path(jobs_dir) if jobs_dir is not None else default_jobs_dir()
    job_id = job_id or _new_job_id(kind)
    folder = jobs_dir / job_id
    folder.mkdir(parents=True, exist_ok=False)
    cwd = str(Path(cwd or os.getcwd()).resolve())
    write_json_atomic(folder / STATUS_FILE, {
        "job_id": job_id, "kind": kind, "state": "queued", "command": list(argv), "cwd": cwd,
        "created_at": now_iso(), "created_at_s": time.time(), "started_at": None, "ended_at": None,
        "pid": None, "pgid": None, "child_pid": None, "exit_code": None, "error": None,
        "outputs": dict(outputs or {}), "env": dict(env or {}), "cancel_requested": False,
    })
    runner_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (folder / LOG_FILE).open("ab") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "physlab.jobs", "run", str(folder.resolve())],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=cwd, env=runner_env, start_new_session=True,  # own process group: cancel kills all of it
        )
    start = proc_start_time(runner.pid)
    _write_proc_file(folder, runner.pid, runner.pid, start)
    update_status(folder, pid=runner.pid, pgid=runner.pid, **({"proc_start": start} if start else {}))
    return Job(folder)


def _write_proc_file(folder: Path, pid: int, pgid: int, start: float | None) -> None:
    with contextlib.suppress(OSError):
        write_json_atomic(folder / PROC_FILE, {"pid": pid, "pgid": pgid, "proc_start": start})


def list_jobs(jobs_dir: Path | str | None = None) -> list[Job]:
    """Every job folder under jobs_dir (default $PHYSLAB_RESULTS_DIR/jobs), newest first."""
    jobs_dir = Path(jobs_dir) if jobs_dir is not None else default_jobs_dir()
    if not jobs_dir.is_dir():
        return []
    jobs = [Job(p) for p in jobs_dir.iterdir() if p.is_dir() and (p / STATUS_FILE).is_file()]
    return sorted(jobs, key=lambda j: (float(j.raw_status().get("created_at_s") or 0), j.id), reverse=True)


def current_job() -> Job | None:
    """The job this process runs under (PHYSLAB_JOB_DIR set by the runner), if any."""
    folder = os.environ.get(JOB_DIR_ENV)
    return Job(folder) if folder and (Path(folder) / STATUS_FILE).is_file() else None


# --------------------------------------------------------------------------- the runner


def _older_job_waiting(folder: Path) -> bool:
    """Is a job created before this one still queued (and alive)? Keeps the queue first-in first-out."""
    mine = read_status_file(folder)
    key = (float(mine.get("created_at_s") or 0), folder.name)
    for job in list_jobs(folder.parent):
        if job.folder.resolve() == folder.resolve():
            continue
        other = job.raw_status()
        if other.get("state") == "queued" and (float(other.get("created_at_s") or 0), job.id) < key:
            if job.status().get("state") == "queued":
                return True
    return False


def _last_error_line(log_path: Path) -> str:
    tail = Job(log_path.parent).log_tail(30)
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower() or line.startswith(("Traceback", "physlab:")):
            return line[:500]
    return lines[-1][:500] if lines else ""


def run_job(folder: Path | str) -> int:
    """The runner: wait for the queue, run the command, record how it ended. Returns the exit code."""
    folder = Path(folder)
    status = read_status_file(folder)
    argv = list(status.get("command") or [])
    cancelled = False
    child: subprocess.Popen | None = None

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal cancelled
        cancelled = True
        if child is not None and child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    me = os.getpid()
    _write_proc_file(folder, me, os.getpgrp(), proc_start_time(me))
    update_status(folder, pid=me, pgid=os.getpgrp(), proc_start=proc_start_time(me))

    lock_fd = os.open(folder.parent / QUEUE_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    while True:
        if cancelled or read_status_file(folder).get("cancel_requested"):
            update_status(folder, state="cancelled", ended_at=now_iso(), error=None)
            return 130
        if not _older_job_waiting(folder):
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
        time.sleep(_POLL_S)

    update_status(folder, state="running", started_at=now_iso())
    print(f"[physlab.jobs] {now_iso()} running: {' '.join(argv)}", flush=True)
    env = {**os.environ, **(status.get("env") or {}), JOB_DIR_ENV: str(folder.resolve()), "PYTHONUNBUFFERED": "1"}
    try:
        # The command inherits the queue lock, so the queue stays held until it exits too.
        child = subprocess.Popen(argv, cwd=status.get("cwd") or None, env=env, stdin=subprocess.DEVNULL,
                                 pass_fds=(lock_fd,))
    except OSError as err:
        update_status(folder, state="failed", ended_at=now_iso(), error=f"could not start {argv[0]!r}: {err}")
        return 127
    update_status(folder, child_pid=child.pid)
    code = child.wait()
    if cancelled or read_status_file(folder).get("cancel_requested"):
        state, error = "cancelled", None
    elif code == 0:
        state, error = "done", None
    else:
        state, error = "failed", f"exit code {code}: {_last_error_line(folder / LOG_FILE)}".rstrip(": ")
    print(f"[physlab.jobs] {now_iso()} {state} (exit code {code})", flush=True)
    final = update_status(folder, state=state, ended_at=now_iso(), exit_code=code, error=error)
    if state != "done":
        _finish_outputs(final, state)
    return 0 if state == "done" else (130 if state == "cancelled" else 1)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 2 and args[0] == "run":
        return run_job(Path(args[1]))
    print("usage: python -m physlab.jobs run JOB_FOLDER   (started by physlab.jobs.submit)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
