"""The worker: the only process in which homework code runs.

The grader (``sandbox.Worker``) starts one worker per submission as

    python -I worker.py SETTINGS_JSON

with the protocol's two pipe ends, a fresh temporary working folder holding a copy of the
submission, a scrubbed environment and, when the grader runs as root and the interpreter is
reachable, an unprivileged user.  The worker then, before any homework code runs:

1. sets its own resource limits (address space, CPU seconds, file size, no core files; no new
   processes when unprivileged), so a limit holds even if the homework never returns;
2. imports NumPy (and scikit-image's window view, which homework uses) and the kit while
   still trusted, and notes the kit's definitions (a layer built from them is refused);
3. installs an audit hook (PEP 578) that refuses, and records, what homework has no business
   doing: writing, renaming or deleting files outside the working folder, reading the class
   folder the submission came from, starting processes, sending signals, opening sockets,
   loading native code through ctypes, changing resource limits.

It then answers the grader's requests (``load``, ``build``, ``forward``, ``backward``, ``bye``)
with plain arrays.  Everything a request runs is wrapped: an exception, ``SystemExit`` or
``KeyboardInterrupt`` from the homework becomes an error answer.  Nothing here decides a
verdict: the grader draws every input and judges every answer in its own process.

This file imports only the standard library and NumPy, and loads its two siblings
(``protocol.py``, ``styles.py``) by path: ``-I`` keeps the worker's ``sys.path`` free of the
grader's folders, the current folder and PYTHON* variables.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path


def _load_sibling(name):
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_gradcheck_worker_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _set_limits(settings):
    import resource

    def cap(limit, value):
        try:
            _, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value if limit != resource.RLIMIT_CPU else hard))
        except (ValueError, OSError):
            pass

    if settings.get("memory"):
        cap(resource.RLIMIT_AS, int(settings["memory"]))
    if settings.get("cpu"):
        cap(resource.RLIMIT_CPU, int(settings["cpu"]))
    cap(resource.RLIMIT_FSIZE, int(settings.get("file_size", MAX_FILE_BYTES)))
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() != 0:
        cap(resource.RLIMIT_NPROC, int(settings.get("nproc", 64)))
    try:    # when memory runs out, the kernel ends a worker first, never the grader
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass


# -- the audit hook -------------------------------------------------------------------------

_DENIED_EVENTS = {
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "os.startfile", "os.kill", "os.killpg", "signal.pthread_kill",
    "resource.setrlimit", "resource.prlimit", "sys.addaudithook", "webbrowser.open",
    "urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect",
    "poplib.connect", "imaplib.open", "telnetlib.Telnet.open", "nntplib.connect",
    "os.setuid", "os.setgid",
}
_DENIED_PREFIXES = ("socket.", "_posixsubprocess", "winreg.")
_PATH_EVENTS = {  # event -> indices of its path arguments that must lie in the work folder
    "os.remove": (0,), "os.rename": (0, 1), "os.rmdir": (0,), "os.mkdir": (0,),
    "os.chmod": (0,), "os.chown": (0,), "os.link": (0, 1), "os.symlink": (1,),
    "os.truncate": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.move": (0, 1),
    "shutil.copyfile": (1,), "shutil.copytree": (1,), "shutil.chown": (0,),
    "os.chflags": (0,), "os.lchflags": (0,), "os.setxattr": (0,), "os.removexattr": (0,),
    "os.mkfifo": (0,), "os.mknod": (0,), "sqlite3.connect": (0,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# Modules that would reach around the hook (native calls, unaudited process creation):
# a fresh import of them is refused (those already loaded are disarmed in ``_disarm``).
_DENIED_IMPORTS = frozenset({"_posixsubprocess", "_ctypes", "ctypes", "_gdbm", "_dbm",
                             "_multiprocessing", "_signal", "posix"})
# What a homework may write in its own folder: at most MAX_FILES files of at most
# MAX_FILE_BYTES each (RLIMIT_FSIZE), so a worker cannot fill the disk the class shares
# (matplotlib's font cache, a few saved arrays fit easily).
MAX_FILES = 64
MAX_FILE_BYTES = 16 << 20

_GC_EVENTS = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})


def make_confinement(work_dir, forbidden_reads, siblings=None):
    """``(hook, denied)``: an audit hook enforcing the worker's policy, and the list it
    appends a line to for every refused action.  ``siblings``: the path prefix of the other
    workers' folders (``/tmp/gradcheck-``), which may not be read.

    The policy lives in the hook's closure (immutable values) and, once installed, nothing
    but the interpreter refers to the hook; the gc events that could find it are refused.
    """
    root = os.path.realpath(work_dir)
    forbidden = tuple(os.path.realpath(p) for p in forbidden_reads)
    # Not readable either: other workers' folders (their copies of other students' homework:
    # a classmate's answer loaded at grading time) and other processes' /proc entries (the
    # grader's pipes to the other workers are under /proc/<grader>/fd).
    siblings = os.path.realpath(siblings) if siblings else None
    own_proc = f"/proc/{os.getpid()}"
    denied = []
    written = set()     # the files opened for writing so far (at most MAX_FILES)
    libraries = tuple(sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix,
                                                             sys.exec_prefix)}))

    def inside(path, top):
        return path == top or path.startswith(top.rstrip(os.sep) + os.sep)

    def resolve(path):
        if isinstance(path, int) or path is None:
            return None
        # relative to the current folder, which the homework may change (os.chdir is allowed)
        return os.path.realpath(os.fsdecode(path))

    def writable(path):
        return path is None or path == os.devnull or inside(path, root)

    def deny(what):
        if len(denied) < 50:
            denied.append(what)
        raise PermissionError(f"gradcheck's worker refused: {what} (homework code may not "
                              f"do this while it is graded)")

    def hook(event, args):
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            resolved = resolve(path)
            if resolved is None:
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS)
            if writing and not writable(resolved):
                deny(f"writing {resolved}")
            if writing and resolved != os.devnull and resolved not in written:
                if len(written) >= MAX_FILES:
                    deny(f"writing {resolved} (more than {MAX_FILES} files)")
                written.add(resolved)
            if mode is None and os.path.isdir(resolved):
                # os.open of a folder: its descriptor as dir_fd would make every later path
                # relative to it, and the event does not carry dir_fd (a write anywhere)
                deny(f"opening the folder {resolved} as a descriptor")
            if any(inside(resolved, top) for top in forbidden) or (
                    siblings and resolved.startswith(siblings) and not inside(resolved, root)):
                deny(f"reading {resolved} (outside the submission's own copy)")
            if resolved.startswith("/proc/") and resolved.split("/")[2].isdigit() \
                    and not inside(resolved, own_proc):
                deny(f"reading {resolved} (another process)")
        elif event.startswith("ctypes."):
            # Installed libraries (torch, scipy) load their own native code through ctypes
            # when imported; a library path outside the installation is refused.  Nothing
            # else of ctypes is used once NumPy and torch are imported (measured), and the
            # caller cannot be told from its frames (ctypes' own code looks symbols up; a
            # function compiled under a library's file name looks like the library): every
            # other ctypes action (dlsym: ``ctypes.pythonapi.kill``, cdata...) is refused.
            if event == "ctypes.dlopen":
                name = args[0] if args else None
                path = os.path.realpath(os.fsdecode(name)) if isinstance(name, (str, bytes)) and \
                    os.path.isabs(os.fsdecode(name)) else None
                if path is None or not any(inside(path, top) for top in libraries):
                    deny(f"{event} {_short(args)}")
            else:
                deny(f"{event} {_short(args)}")
        elif event == "import":
            if args and str(args[0]).split(".")[0] in _DENIED_IMPORTS:
                if len(denied) < 50:
                    denied.append(f"importing {args[0]}")
                raise ImportError(f"gradcheck's worker refused to import {args[0]} (homework "
                                  f"code may not do this while it is graded)")
        elif event in _DENIED_EVENTS or event in _GC_EVENTS or event.startswith(_DENIED_PREFIXES):
            deny(f"{event} {_short(args)}")
        elif event in _PATH_EVENTS:
            for index in _PATH_EVENTS[event]:
                if index < len(args) and isinstance(args[index], (str, bytes, os.PathLike)):
                    resolved = resolve(args[index])
                    if resolved is not None and not writable(resolved):
                        deny(f"{event} on {resolved}")

    return hook, denied


def _disarm():
    """Replace the unaudited entry points of modules already loaded: process creation
    (``_posixsubprocess.fork_exec``, which subprocess also keeps as ``_fork_exec``), signals
    through a pidfd (``signal.pidfd_send_signal``: a SIGSTOP to the grader would hang it) and
    scheduling of any process (``os.setpriority(PRIO_PROCESS, pid, 19)`` starves a classmate's
    worker into its time limit); their modules may not be imported afresh (``_DENIED_IMPORTS``)."""
    def refuser(what):
        def refused(*args, **kwargs):
            raise PermissionError(f"gradcheck's worker refused: {what}")
        return refused
    entries = (("_posixsubprocess", "fork_exec", "starting a process"),
               ("subprocess", "_fork_exec", "starting a process"),
               ("_signal", "pidfd_send_signal", "sending a signal"),
               ("signal", "pidfd_send_signal", "sending a signal"))
    entries += tuple((module, name, "changing a process's scheduling") for module in ("os", "posix")
                     for name in ("setpriority", "sched_setaffinity", "sched_setscheduler",
                                  "sched_setparam"))
    for module_name, attribute, what in entries:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attribute):
            setattr(module, attribute, refuser(what))


def _short(args):
    text = repr(args)
    return text if len(text) <= 120 else text[:117] + "..."


# -- serving requests -----------------------------------------------------------------------

def _describe(error):
    name = type(error).__name__
    text = str(error)
    if len(text) > 2000:
        text = text[:2000] + " ..."
    return f"{name}: {text}" if text else name


def serve(read_fd, write_fd, denied, protocol, styles, kit):
    session = styles.Session(kit)
    while True:
        try:
            header, arrays = protocol.read_message(read_fd)
        except protocol.ChannelClosed:
            return
        op = header.get("op")
        if op == "bye":
            return
        reply, out = {"ok": True}, {}
        try:
            reply_extra, out = session.handle(op, header, arrays)
            reply.update(reply_extra)
        except BaseException as error:  # noqa: BLE001 - homework may raise anything, even SystemExit
            reply = {"ok": False, "error": _describe(error)}
            out = {}
        reply["denied"], denied[:] = list(denied), []
        try:
            protocol.write_message(write_fd, reply, out)
        except (TypeError, ValueError) as error:  # e.g. an array NumPy cannot save plainly
            protocol.write_message(write_fd, {"ok": False, "error": _describe(error),
                                              "denied": reply["denied"]})


def main():
    settings = json.loads(sys.argv[1])
    _set_limits(settings)
    sys.dont_write_bytecode = True
    sys.path += [p for p in settings.get("paths", []) if p not in sys.path]
    protocol = _load_sibling("protocol")
    styles = _load_sibling("styles")
    preload = ["numpy", "subprocess", "skimage.util", "skimage.util.shape", "nnlayers"]
    for name in preload + list(settings.get("preload", [])):  # imported while trusted
        try:
            __import__(name)
        except ImportError:
            pass
    kit = styles.kit_definitions()      # before any homework runs (it may patch the kit)
    read_fd, write_fd = settings["read_fd"], settings["write_fd"]
    os.chdir(settings["work_dir"])
    hook, denied = make_confinement(settings["work_dir"], settings.get("forbidden_reads", []),
                                    settings.get("siblings"))
    _disarm()
    sys.addaudithook(hook)
    del hook   # from here on only the interpreter refers to it
    serve(read_fd, write_fd, denied, protocol, styles, kit)
    sys.stdout.flush()
    os._exit(0)  # no atexit handler or thread of the homework's runs after the last answer


if __name__ == "__main__":
    main()
