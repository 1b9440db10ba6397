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
dashboard or a second tab. A job whose process died without recording its end (killed -9,
machine reboot) reads as "failed": status() checks the recorded pid (and its start time, so a
reused pid does not count) whenever the file says queued or running.

Cancel ends the whole process group (SIGTERM, then SIGKILL after a grace period) and records
"cancelled". A training run also writes the same status format into its run folder
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

from physlab.fileio import write_json_atomic

STATES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("done", "failed", "cancelled")
STATUS_FILE = "status.json"
LOG_FILE = "log.txt"
QUEUE_LOCK = ".lock"
JOB_DIR_ENV = "PHYSLAB_JOB_DIR"  # set in a job's command: where its status.json lives
DEFAULT_JOBS_DIR = Path("results") / "jobs"
_KIND = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_POLL_S = 0.25  # how often a queued runner looks at the queue, and wait()/cancel() poll


# --------------------------------------------------------------------------- files


def read_status_file(folder: Path) -> dict[str, Any]:
    """status.json as written (no liveness check); {} when missing or unreadable."""
    try:
        data = json.loads((Path(folder) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


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


def proc_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), Linux only.

    Recorded next to the pid so a later process that reuses the pid is not taken for the job.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    return fields[19] if len(fields) > 19 else None


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2:].split()[0]


def process_alive(pid: int | None, start_time: str | None = None) -> bool:
    """Is `pid` a running process (not a zombie), and the same one when start_time is given?"""
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    if _proc_state(int(pid)) == "Z":
        return False  # exited; its parent has not collected it yet
    if start_time is not None:
        now = proc_start_time(int(pid))
        if now is not None and now != str(start_time):
            return False
    return True


def group_alive(pgid: int | None) -> bool:
    """Does any live (non-zombie) process remain in process group `pgid`?"""
    if not pgid:
        return False
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
                return True
        return False
    try:
        os.killpg(int(pgid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int | None, pid: int | None, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if pgid:
            os.killpg(int(pgid), sig)
        elif pid:
            os.kill(int(pid), sig)


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
        """status.json with the state checked against the process: a queued or running job whose
        process is gone is reported "failed" (and recorded so, once)."""
        status = self.raw_status()
        if status.get("state") not in ACTIVE_STATES:
            return status
        pid = status.get("pid")
        if not pid:
            # submit() records the pid right after the start; allow it a moment before judging.
            if time.time() - float(status.get("created_at_s") or 0) < 30:
                return status
        elif process_alive(pid, status.get("proc_start")):
            return status
        # Re-read under the lock: the process may have recorded its end just now.
        latest = self.raw_status()
        if latest.get("state") in ACTIVE_STATES:
            how = "cancelled" if latest.get("cancel_requested") else "failed"
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

        A job that already finished keeps its state. Returns the final status.
        """
        status = self.status()
        if status.get("state") not in ACTIVE_STATES:
            return status
        update_status(self.folder, cancel_requested=True)
        pid, pgid = status.get("pid"), status.get("pgid")

        def gone() -> bool:
            return not (group_alive(pgid) if pgid else process_alive(pid, status.get("proc_start")))

        _signal_group(pgid, pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while not gone() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not gone():
            _signal_group(pgid, pid, signal.SIGKILL)
            deadline = time.monotonic() + 5.0
            while not gone() and time.monotonic() < deadline:
                time.sleep(0.05)
        latest = self.raw_status()
        if latest.get("state") in ACTIVE_STATES:
            update_status(self.folder, state="cancelled", ended_at=now_iso(), error=None)
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
    jobs_dir: Path | str = DEFAULT_JOBS_DIR,
    outputs: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    job_id: str | None = None,
) -> Job:
    """Queue `argv` (e.g. [sys.executable, "-m", "physlab", "train", ...]) as a background job.

    kind: a short word for listings ("train", "evaluate"); outputs: what the job will write
    (e.g. {"run_dir": ...}); env: extra environment variables for the command.
    Returns at once with the job "queued"; it starts when no older job holds the queue.
    """
    if isinstance(argv, (str, bytes)) or not argv or not all(isinstance(a, str) for a in argv):
        raise ValueError("argv: must be a non-empty list of strings (an argument list, never a shell string)")
    if not _KIND.match(kind):
        raise ValueError(f"kind: must be a short lowercase word (letters, digits, - or _), got {kind!r}")
    jobs_dir = Path(jobs_dir)
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
    update_status(folder, pid=runner.pid, pgid=runner.pid, **({"proc_start": start} if start else {}))
    return Job(folder)


def list_jobs(jobs_dir: Path | str = DEFAULT_JOBS_DIR) -> list[Job]:
    """Every job folder under jobs_dir, newest first."""
    jobs_dir = Path(jobs_dir)
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
    update_status(folder, state=state, ended_at=now_iso(), exit_code=code, error=error)
    return 0 if state == "done" else (130 if state == "cancelled" else 1)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 2 and args[0] == "run":
        return run_job(Path(args[1]))
    print("usage: python -m physlab.jobs run JOB_FOLDER   (started by physlab.jobs.submit)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
