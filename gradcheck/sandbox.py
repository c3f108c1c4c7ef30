"""Grader side of the trust boundary: one worker process per submission, with limits.

``Worker(submission, ...)`` copies the submission into a fresh temporary folder and starts
``python -I gradcheck/worker.py`` there:

- in a new session (its own process group), so that on any limit the grader kills the whole
  group with SIGKILL, which no homework can ignore;
- as the unprivileged user ``nobody`` when the grader runs as root and that user can reach the
  interpreter (checked once by starting ``python -c pass`` as nobody); otherwise as the
  grader's own user, and the report says so;
- with a scrubbed environment (HOME, TMPDIR and matplotlib's folder inside the work folder, one
  BLAS thread), stdin from /dev/null, stdout and stderr on pipes that threads here drain into
  a capped buffer (``OUTPUT_CAP`` characters each; the rest is counted, not kept);
- with the limits the worker sets on itself before loading anything: address space
  (``memory``), CPU seconds, file size, no core files, no new processes when unprivileged.

``request`` sends one message and waits for the answer until the submission's wall-clock
deadline.  Every way the worker can fail to answer (time limit, exit, signal, a broken or
oversized message) raises ``WorkerEnded`` with the reason in words; the worker's group is
killed and its folder removed by ``close``.

``Tripwire`` fingerprints the grader's own files (gradcheck, nnlayers) so that a change made
while a submission ran is caught and named.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from . import protocol

__all__ = ["Worker", "WorkerEnded", "Tripwire", "GraderTampered", "OUTPUT_CAP", "isolation_note"]

OUTPUT_CAP = 8000
# An answer's arrays may hold this many times the request's bytes (an upsampling layer's output
# is 4 to 9 times its input), and at least ANSWER_FLOOR bytes: a homework returning 900 MB
# would otherwise cost the grader several GB while it reads, loads and compares the copies.
ANSWER_FACTOR, ANSWER_FLOOR = 16, 16 << 20
WORKER_SCRIPT = Path(__file__).with_name("worker.py")
NOBODY = 65534
FOLDER_PREFIX = "gradcheck-"     # each worker's temporary folder; none may read another's
_copy_limits = {"files": 500, "bytes": 20 << 20}


class WorkerEnded(BaseException):
    """The worker can no longer answer; ``reason`` says why (a limit, an exit, a signal...).

    A BaseException so that checks catching a layer's ``Exception`` do not mistake the end
    of the whole submission for one failed call.
    """

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class GraderTampered(Exception):
    """The grader's own files changed while a submission ran."""


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_unprivileged = None


def _can_run_as_nobody():
    """True when we are root and ``nobody`` can start this interpreter (checked once)."""
    global _unprivileged
    if _unprivileged is None:
        _unprivileged = False
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            try:
                done = subprocess.run([sys.executable, "-I", "-c", "import numpy"],
                                      user=NOBODY, group=NOBODY, extra_groups=[],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, cwd="/", timeout=60)
                _unprivileged = done.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _unprivileged = False
    return _unprivileged


def isolation_note():
    """One line on what the worker runs as, for reports."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if _can_run_as_nobody():
            return "worker runs as the unprivileged user nobody, confined by audit hooks"
        return ("worker runs as root (nobody cannot reach this Python interpreter); "
                "confined by audit hooks only")
    return "worker runs as the grader's user, confined by audit hooks"


class _Drain(threading.Thread):
    """Reads a pipe to its end, keeping its first and last characters (``OUTPUT_CAP`` in all)."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.head, self.tail, self.total = stream, bytearray(), bytearray(), 0

    def run(self):
        head_cap, tail_cap = OUTPUT_CAP * 3 // 4, OUTPUT_CAP // 4
        try:
            while True:
                chunk = self.stream.read1(65536)
                if not chunk:
                    break
                self.total += len(chunk)
                room = head_cap - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail = (self.tail + chunk)[-tail_cap:]
        except (OSError, ValueError):
            pass

    def text(self):
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        left_out = self.total - len(self.head) - len(self.tail)
        if left_out > 0:
            return f"{head}\n[... {left_out} bytes not kept ...]\n{tail}"
        return head + tail


def _copy_submission(source, target):
    """Copy a .py file or a folder's files (within limits) into ``target``; return the copy."""
    source = Path(source)
    if source.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)
        return target / source.name
    count, size = 0, 0
    destination = target / source.name
    for path in sorted(source.rglob("*")):
        if path.is_symlink() or not path.is_file() or "__pycache__" in path.parts:
            continue
        count, size = count + 1, size + path.stat().st_size
        if count > _copy_limits["files"] or size > _copy_limits["bytes"]:
            raise ValueError(f"{source.name} holds more than {_copy_limits['files']} files "
                             f"or {_copy_limits['bytes'] >> 20} MiB")
        out = destination / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, out)
    return destination


def _kit_paths():
    """The folder holding the nnlayers package, so homework may use the kit in any install."""
    try:
        import nnlayers
    except ImportError:
        return []
    return [str(Path(nnlayers.__file__).resolve().parent.parent)]


class Worker:
    """One submission's worker process (see the module docstring).

    Parameters
    ----------
    submission : path of the .py file or folder to copy into the worker's folder
    timeout : wall-clock seconds for everything this worker does
    memory : address-space limit in bytes (None: no limit)
    forbidden_reads : folders the worker may not read (the class folder)
    extra_files : more files to copy beside a single-file submission (its sibling modules)
    preload : modules the worker imports while still trusted (torch for the torch edition)
    """

    def __init__(self, submission, *, timeout=60.0, memory=4 << 30, forbidden_reads=(),
                 extra_files=(), preload=()):
        self.preload = list(preload)
        self.timeout = float(timeout)
        self.memory = memory
        self.started = time.monotonic()
        self.deadline = self.started + self.timeout
        self.denied = []
        self.ended = None
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        self.unprivileged = _can_run_as_nobody()
        try:
            self.copy = _copy_submission(submission, self.folder / "submission")
            for extra in extra_files:
                if Path(extra).is_file():
                    shutil.copy2(extra, self.copy.parent / Path(extra).name)
            if self.unprivileged:
                for path in [self.folder, *self.folder.rglob("*")]:
                    os.chown(path, NOBODY, NOBODY)
            self._start(forbidden_reads)
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _start(self, forbidden_reads):
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        settings = {
            "read_fd": to_worker_r, "write_fd": from_worker_w, "work_dir": str(self.folder),
            "memory": self.memory, "cpu": int(self.timeout) + 5,
            "forbidden_reads": [str(p) for p in forbidden_reads],
            "siblings": str(self.folder.parent / FOLDER_PREFIX),
            "paths": _kit_paths(), "preload": self.preload,
        }
        folder = str(self.folder)
        env = {"PATH": "/usr/bin:/bin", "HOME": folder, "TMPDIR": folder, "MPLCONFIGDIR": folder,
               "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
        extra = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if self.unprivileged else {}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-B", str(WORKER_SCRIPT), json.dumps(settings)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=folder, env=env, pass_fds=(to_worker_r, from_worker_w),
                start_new_session=True, **extra)
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        self.send_fd, self.receive_fd = to_worker_w, from_worker_r
        self.stdout, self.stderr = _Drain(self.process.stdout), _Drain(self.process.stderr)
        self.stdout.start()
        self.stderr.start()

    # -- talking to the worker ------------------------------------------------------------
    def request(self, header, arrays=None, what="a request"):
        """Send one request; return the answer ``(header, arrays)``.

        Raises ``WorkerEnded`` when the worker cannot answer (and kills it); an answer with
        ``ok: false`` (the homework raised) is returned for the caller to report.
        """
        if self.ended is not None:
            raise WorkerEnded(self.ended)
        try:
            protocol.write_message(self.send_fd, header, arrays)
            sent = sum(np.asarray(a).nbytes for a in (arrays or {}).values())
            answer, out = protocol.read_message(self.receive_fd, self.deadline,
                                                max(ANSWER_FLOOR, ANSWER_FACTOR * sent))
            protocol.check_answer(answer, out)
        except protocol.ChannelTimeout:
            self._end(f"time limit: no answer within {self.timeout:g} s of wall clock "
                      f"(during {what}); the worker's process group was killed")
        except (protocol.ChannelClosed, BrokenPipeError):
            self._end(self._exit_reason(what))
        except protocol.ProtocolError as error:
            self._end(f"the worker sent a malformed answer during {what} ({error}); "
                      f"it was killed")
        denied = answer.get("denied", [])
        if isinstance(denied, list):
            self.denied += [str(d) for d in denied][:50]
        return answer, out

    def _exit_reason(self, what):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return f"the worker closed its channel during {what} without exiting; it was killed"
        if code < 0:
            name = _signal_name(-code)
            extra = {"SIGXCPU": " (CPU time limit)", "SIGXFSZ": " (file size limit)",
                     "SIGKILL": " (killed: out of memory?)", "SIGSEGV": " (crashed)"}.get(name, "")
            return f"the worker was ended by {name}{extra} during {what}"
        return (f"the worker exited with status {code} during {what} (the homework ended its "
                f"own process: sys.exit or os._exit?)")

    def _end(self, reason):
        self.ended = reason
        self.kill()
        raise WorkerEnded(reason)

    def kill(self):
        """SIGKILL the worker's whole process group (idempotent)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    @property
    def elapsed(self):
        return time.monotonic() - self.started

    def close(self):
        """End the worker (politely, then by SIGKILL to its group) and remove its folder."""
        if self.ended is None and self.process.poll() is None:
            try:
                protocol.write_message(self.send_fd, {"op": "bye"})
                self.process.wait(timeout=min(2.0, max(0.1, self.deadline - time.monotonic())))
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
        for fd in (self.send_fd, self.receive_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.stdout.join(timeout=2)
        self.stderr.join(timeout=2)
        for stream in (self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def output(self):
        """The captured ``{"stdout": text, "stderr": text}``, capped."""
        return {"stdout": self.stdout.text(), "stderr": self.stderr.text()}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Tripwire:
    """SHA-256 of every file under the given folders; ``check`` names what changed."""

    def __init__(self, folders):
        self.folders = [Path(f) for f in folders]
        self.baseline = self._fingerprint()

    def _fingerprint(self):
        """SHA-256 of the code: every .py file and marker (caches and editors' temporary files
        come and go on their own and prove nothing)."""
        prints = {}
        for folder in self.folders:
            for path in sorted(folder.rglob("*")):
                if path.suffix in (".py", ".typed") and "__pycache__" not in path.parts:
                    try:
                        prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                    except OSError:
                        prints[str(path)] = "unreadable"
        return prints

    def check(self, submission):
        now = self._fingerprint()
        if now != self.baseline:
            changed = sorted(set(now.items()) ^ set(self.baseline.items()))
            names = sorted({path for path, _ in changed})
            raise GraderTampered(
                f"the grader's own files changed while {submission} was graded: "
                f"{', '.join(names[:5])}{' ...' if len(names) > 5 else ''}; grading stopped")


def grader_folders():
    """The folders of the installed gradcheck and nnlayers packages."""
    folders = [Path(__file__).resolve().parent]
    try:
        import nnlayers
        folders.append(Path(nnlayers.__file__).resolve().parent)
    except ImportError:
        pass
    return folders
