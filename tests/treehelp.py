"""Build real git repositories from the fixture trees and make patch mails
from them with ``git format-patch``, for tests and benchmarks.

Commits use a fixed author, committer and date, so the same fixture always
gives the same commit ids: a series formatted in one repository names a
``base-commit:`` that a second repository built from the same fixture has.

``series_from_mbox`` is a deliberately small reader (headers, subject
counter, ``diff --git``/``index`` lines, ``base-commit:``) so that tree-mode
tests do not depend on the full mail parser.
"""

from __future__ import annotations

__all__ = [
    "MINI_ARM64",
    "VARIANTS",
    "git",
    "build_repo",
    "edit",
    "commit",
    "format_series",
    "seed_series",
    "series_from_mbox",
]

import email
import email.policy
import os
import re
import shutil
import subprocess
from pathlib import Path

from reviewpatch.model import FileDiff, Mail, Patch, Person, Series, Subject

MINI_ARM64 = Path(__file__).resolve().parents[1] / "fixtures" / "trees" / "mini-arm64"

VARIANTS = ("seed", "no-singlestep", "no-include-move", "not-applying")

_WHO = "Tree Fixture"
_MAIL = "fixture@example.org"
_DATE = "1700000000 +0000"
_FROM_RE = re.compile(r"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$", re.M)
_COUNTER_RE = re.compile(r"\[PATCH[^\]]*?(\d+)/(\d+)\]")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_AUTHOR_NAME": _WHO,
            "GIT_AUTHOR_EMAIL": _MAIL,
            "GIT_AUTHOR_DATE": _DATE,
            "GIT_COMMITTER_NAME": _WHO,
            "GIT_COMMITTER_EMAIL": _MAIL,
            "GIT_COMMITTER_DATE": _DATE,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "LC_ALL": "C",
        }
    )
    return env


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with the fixed identity; stdout, stripped of the
    final newline.  Fails the caller with CalledProcessError."""
    res = subprocess.run(
        ["git", *args], cwd=repo, env=_env(), capture_output=True, text=True, check=True
    )
    return res.stdout.rstrip("\n")


def build_repo(dest: Path, source: Path = MINI_ARM64) -> str:
    """Copy the fixture tree to ``dest``, make it a git repository with one
    commit and return that commit's id."""
    shutil.copytree(source, dest)
    git(dest, "init", "-q", "-b", "master")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "mini-arm64: initial tree")
    return git(dest, "rev-parse", "HEAD")


def edit(repo: Path, path: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``path`` by ``new``."""
    file = repo / path
    text = file.read_text()
    if text.count(old) != 1:
        raise AssertionError(f"{path}: expected one {old!r}, found {text.count(old)}")
    file.write_text(text.replace(old, new))


def commit(repo: Path, subject: str, body: str = "") -> str:
    """Commit every change with a Signed-off-by; return the commit id."""
    message = f"{subject}\n\n{body}\n\nSigned-off-by: {_WHO} <{_MAIL}>\n"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def format_series(
    repo: Path,
    base: str,
    head: str = "HEAD",
    *,
    start: str | None = None,
    cover: str | None = "mini-arm64 changes",
) -> str:
    """``git format-patch --stdout --base=base [--cover-letter] start..head``
    (``start`` defaults to ``base``).  ``cover`` is the cover letter's
    title (None: no cover letter)."""
    args = [
        "format-patch",
        "--stdout",
        "--signature=treehelp",
        "--thread=shallow",
        f"--base={base}",
    ]
    if cover is not None:
        args.append("--cover-letter")
    text = _stable_msgids(git(repo, *args, f"{start or base}..{head}") + "\n")
    if cover is not None:
        text = text.replace("*** SUBJECT HERE ***", cover, 1)
        text = text.replace("*** BLURB HERE ***", f"{cover}, made by the test helper.", 1)
    return text


def _stable_msgids(text: str) -> str:
    """Replace git's time-based Message-IDs by ones derived from the mail
    order and the commit ids, so that the same commits give the same mbox."""
    ids = re.findall(r"^Message-ID: <([^>]+)>$", text, re.M | re.I)
    commits = re.findall(r"^From ([0-9a-f]{40}) ", text, re.M)
    for n, (old, sha) in enumerate(zip(ids, commits)):
        text = text.replace(f"<{old}>", f"<fixture-{n}-{sha[:12]}@example.org>")
    return text


_EXIT_OLD = "\tsyscall_exit_work(regs, flags);\n}\n\n#endif"
_EXIT_NEW = (
    "\trseq_syscall(regs);\n\n"
    "\tif (unlikely(flags & _TIF_SYSCALL_EXIT_WORK){extra})\n"
    "\t\tsyscall_exit_work(regs, flags);\n}}\n\n#endif"
)
_MASK_AFTER = "\t\t\t\t _TIF_SYSCALL_EMU)\n"
_MASK = (
    "\n#define _TIF_SYSCALL_EXIT_WORK\t(_TIF_SYSCALL_TRACE | _TIF_SYSCALL_AUDIT | \\\n"
    "\t\t\t\t _TIF_SYSCALL_TRACEPOINT)\n"
)
_PTRACE = "arch/arm64/kernel/ptrace.c"
_SYSCALL = "arch/arm64/include/asm/syscall.h"


def _seed_edits(repo: Path, variant: str) -> None:
    """The edits of the seed change (moving rseq_syscall() out of
    syscall_exit_work() and gating the call with a new mask)."""
    extra = "" if variant == "no-singlestep" else " || flags & _TIF_SINGLESTEP"
    edit(repo, _SYSCALL, _EXIT_OLD, _EXIT_NEW.format(extra=extra))
    edit(repo, "arch/arm64/include/asm/thread_info.h", _MASK_AFTER, _MASK_AFTER + _MASK)
    rseq = (
        "\trseq_syscall(regs);\t/* first */\n\n"
        if variant == "not-applying"
        else ("\trseq_syscall(regs);\n\n")
    )
    edit(repo, _PTRACE, "{\n" + rseq + "\taudit_syscall_exit", "{\n\taudit_syscall_exit")
    if variant != "no-include-move":
        include = "#include <linux/rseq.h>\n"
        edit(repo, _SYSCALL, "#include <linux/err.h>\n", "#include <linux/err.h>\n" + include)
        edit(repo, _PTRACE, "#include <linux/elf.h>\n" + include, "#include <linux/elf.h>\n")


def _step_edits(repo: Path) -> None:
    """Second patch: single-step state also sets a syscall-exit trap."""
    path = "arch/arm64/kernel/debug-monitors.c"
    edit(
        repo,
        path,
        "\t\tset_regs_spsr_ss(task_pt_regs(task));\n}\nNOKPROBE_SYMBOL(user_enable",
        "\t\tset_regs_spsr_ss(task_pt_regs(task));\n\n"
        "\t/* Trap on the way out of a system call too. */\n"
        "\tset_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n}\n"
        "NOKPROBE_SYMBOL(user_enable",
    )
    edit(
        repo,
        path,
        "\tclear_ti_thread_flag(task_thread_info(task), TIF_SINGLESTEP);\n",
        "\tclear_ti_thread_flag(task_thread_info(task), TIF_SINGLESTEP);\n"
        "\tclear_task_syscall_work(task, SYSCALL_EXIT_TRAP);\n",
    )


def seed_series(work: Path, variant: str = "seed") -> str:
    """A two-patch series (the seed change, then a debug-monitors change)
    as an mbox with a cover letter, made in a fresh repository under
    ``work``.  ``variant`` is one of VARIANTS; "not-applying" makes patch 1
    on top of a local change that is not in the series nor in the fixture
    tree (its base-commit is still the fixture's commit)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    repo = work / f"author-{variant}"
    base = build_repo(repo)
    start = base
    if variant == "not-applying":
        edit(repo, _PTRACE, "{\n\trseq_syscall(regs);\n", "{\n\trseq_syscall(regs);\t/* first */\n")
        start = commit(repo, "arm64: ptrace: note the rseq order")
    _seed_edits(repo, variant)
    commit(
        repo,
        "arm64: ptrace: gate syscall exit work with a mask",
        "Call rseq_syscall() before any exit work and only call\n"
        "syscall_exit_work() when one of the exit flags is set.",
    )
    _step_edits(repo)
    commit(repo, "arm64: debug: trap on syscall exit while stepping", "Set the exit trap.")
    return format_series(repo, base, start=start)


def _files(body: str) -> tuple[FileDiff, ...]:
    files: list[FileDiff] = []
    lines = body.splitlines()
    for no, line in enumerate(lines, 1):
        m = re.match(r"^diff --git a/(\S+) b/(\S+)$", line)
        if not m:
            continue
        old_blob = new_blob = None
        for follow in lines[no : no + 4]:
            im = re.match(r"^index ([0-9a-f]+)\.\.([0-9a-f]+)", follow)
            if im:
                old_blob, new_blob = im.group(1), im.group(2)
        is_new = any(x.startswith("new file mode") for x in lines[no : no + 3])
        files.append(
            FileDiff(
                m.group(1),
                m.group(2),
                old_blob=old_blob,
                new_blob=new_blob,
                is_new=is_new,
                mail_line=no,
            )
        )
    return tuple(files)


def series_from_mbox(text: str) -> Series:
    """A minimal Series from a ``git format-patch --stdout`` mbox."""
    chunks = [c for c in _FROM_RE.split(text) if c.strip()]
    patches: list[Patch] = []
    cover = None
    base = None
    for n, chunk in enumerate(chunks):
        msg = email.message_from_string(chunk.lstrip("\n"), policy=email.policy.default)
        subject_text = " ".join(str(msg["Subject"]).split())
        body = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        m = _COUNTER_RE.search(subject_text)
        counter, total = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        bm = re.search(r"^base-commit: ([0-9a-f]+)$", body, re.M)
        base = bm.group(1) if bm else base
        mail = Mail(
            f"<fixture-{n}@example.org>",
            subject_text,
            Person(_WHO, _MAIL),
            "",
            None,
            (),
            body,
            origin=f"mbox:{n}",
        )
        subject = Subject(
            subject_text,
            subject_text,
            counter=counter,
            total=total,
            counter_explicit=bool(m),
            is_patch=True,
        )
        patch = Patch(
            mail,
            subject,
            counter,
            Person(_WHO, _MAIL),
            "",
            files=_files(body),
            base_commit=bm.group(1) if bm else None,
        )
        if counter == 0:
            cover = patch
        else:
            patches.append(patch)
    total = max((p.subject.total for p in patches), default=0)
    title = cover.subject.title if cover else ""
    return Series(1, total, title, cover, tuple(patches), base_commit=base)
