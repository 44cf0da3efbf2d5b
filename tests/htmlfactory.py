"""Small factories of hand-built Reports for the HTML report tests: a sample
series that exercises every place a finding can go, and a synthetic large
series for the size bound.  Nothing here parses mail."""

from __future__ import annotations

__all__ = [
    "ARCHIVE",
    "SAMPLE_DOCS",
    "person",
    "file_diff",
    "make_patch",
    "sample_report",
    "large_report",
]

from reviewpatch.findings import (
    Confidence,
    EvidenceLine,
    Finding,
    Location,
    Report,
    Severity,
    sort_findings,
)
from reviewpatch.model import (
    DiffLine,
    FileDiff,
    Hunk,
    LineKind,
    Mail,
    Patch,
    Person,
    Series,
    Subject,
    Trailer,
)
from reviewpatch.rules.registry import RuleDoc

ARCHIVE = "https://lore.example.org/all"

SAMPLE_DOCS = {
    "RP301": RuleDoc(
        summary="A call moved out of a conditional block.",
        what="Compares the conditions around a call before and after the change.",
        why="A call that now runs on every path may change behaviour.",
        example="-\tif (x)\n-\t\tfoo();\n+\tfoo();",
        instead="Say why the call is now unconditional.",
    ),
    "RP101": RuleDoc(
        summary="The author has not signed off the patch.",
        what="Looks for the author's Signed-off-by.",
        why="The DCO requires it.",
        example="(no Signed-off-by)",
        instead="Signed-off-by: Author <a@example.org>",
    ),
}

_KINDS = {"+": LineKind.ADDED, "-": LineKind.REMOVED, " ": LineKind.CONTEXT}


def person(name: str, email: str) -> Person:
    return Person(name, email)


def file_diff(path: str, old_start: int, lines: tuple[str, ...], *, section: str = "") -> FileDiff:
    """One file with one hunk; each line starts with its diff marker."""
    old_no, new_no = old_start, old_start
    out = []
    for n, raw in enumerate(lines, 1):
        kind = _KINDS[raw[0]]
        out.append(
            DiffLine(
                kind=kind,
                text=raw[1:],
                old_no=None if kind is LineKind.ADDED else old_no,
                new_no=None if kind is LineKind.REMOVED else new_no,
                mail_line=20 + n,
            )
        )
        old_no += kind is not LineKind.ADDED
        new_no += kind is not LineKind.REMOVED
    old_len = sum(1 for d in out if d.kind is not LineKind.ADDED)
    new_len = sum(1 for d in out if d.kind is not LineKind.REMOVED)
    hunk = Hunk(old_start, old_len, old_start, new_len, section, tuple(out), 20)
    return FileDiff(old_path=path, new_path=path, hunks=(hunk,), mail_line=15)


def make_patch(
    index: int,
    total: int,
    title: str,
    *,
    author: Person,
    files: tuple[FileDiff, ...] = (),
    message: str = "",
    trailers: tuple[Trailer, ...] = (),
    followups: tuple[Trailer, ...] = (),
    version: int = 3,
) -> Patch:
    raw = f"[PATCH v{version} {index}/{total}] {title}"
    msgid = f"20260101000000.{index}-1-dev@example.org"
    mail = Mail(
        msgid=msgid,
        subject=raw,
        sender=author,
        date="Thu, 01 Jan 2026 00:00:00 +0000",
        in_reply_to=None if index == 0 else "20260101000000.0-1-dev@example.org",
        references=(),
        body=message,
    )
    subject = Subject(
        raw=raw,
        title=title,
        version=version,
        version_explicit=True,
        counter=index,
        total=total,
        counter_explicit=True,
        is_patch=True,
    )
    return Patch(
        mail=mail,
        subject=subject,
        index=index,
        author=author,
        message=message,
        trailers=trailers,
        files=files,
        followup_trailers=followups,
    )


def _trailer(name: str, who: Person, origin: str, given_by: Person | None = None) -> Trailer:
    return Trailer(name, str(who), who, origin, 30, given_by=given_by)


def _finding(rule: tuple[str, str], sev: Severity, msg: str, **loc: object) -> Finding:
    evidence = loc.pop("evidence", ())
    return Finding(
        rule_id=rule[0],
        rule_name=rule[1],
        severity=sev,
        confidence=Confidence.MEDIUM,
        message=msg,
        location=Location(**loc),  # type: ignore[arg-type]
        evidence=evidence,  # type: ignore[arg-type]
    )


MOVED = ("RP301", "call-moved-out-of-condition")
SOB = ("RP101", "missing-author-signoff")
MISC = ("RP299", "undocumented-rule")


def sample_report(archive_url: str | None = ARCHIVE) -> Report:
    """A v3 series of a cover letter and three patches with findings
    series-wide, on the cover, on new and old diff lines, on a file
    without a line, on a line the diff does not show, and one clean
    patch."""
    dev = person("Dev Eloper", "dev@example.org")
    rev = person("Re Viewer", "rev@example.org")
    c_file = file_diff(
        "arch/arm64/include/asm/syscall.h",
        127,
        (
            " {",
            " \tunsigned long flags = read_thread_flags(); /* flags */",
            " ",
            "-\tsyscall_exit_work(regs, flags);",
            "+\trseq_syscall(regs);",
            "+",
            "+\tif (unlikely(flags & _TIF_SYSCALL_EXIT_WORK))",
            "+\t\tsyscall_exit_work(regs, 0x1f);",
            " }",
        ),
        section="static __always_inline void syscall_exit_to_user_mode_work(struct pt_regs *regs)",
    )
    text_file = file_diff(
        "Documentation/arm64/entry.rst", 10, (" Exit work", "-old text", "+new text")
    )
    cover = make_patch(
        0,
        3,
        "arm64: entry: tidy exit work",
        author=dev,
        message="This series tidies the exit work.\n\nThanks.",
    )
    p1 = make_patch(
        1,
        3,
        "arm64: ptrace: align syscall exit work",
        author=dev,
        files=(c_file,),
        message="Move rseq_syscall() to the top.\n\nNo functional change intended.",
        trailers=(_trailer("Signed-off-by", dev, cover.msgid.replace(".0-", ".1-")),),
        followups=(_trailer("Reviewed-by", rev, "reply-1@example.org", rev),),
    )
    p2 = make_patch(
        2,
        3,
        "docs: arm64: describe exit work",
        author=dev,
        files=(text_file,),
        message="Describe it.",
    )
    p3 = make_patch(
        3,
        3,
        "arm64: entry: clean patch",
        author=dev,
        message="Nothing to see.",
        trailers=(_trailer("Signed-off-by", dev, "x@example.org"),),
    )
    evidence = (
        EvidenceLine(
            "\tsyscall_exit_work(regs, flags);", "-", "arch/arm64/include/asm/syscall.h", old_no=130
        ),
        EvidenceLine(
            "\trseq_syscall(regs);",
            "+",
            "arch/arm64/include/asm/syscall.h",
            new_no=130,
            label="moved here",
        ),
    )
    hfile = "arch/arm64/include/asm/syscall.h"
    findings = (
        _finding(MISC, Severity.WARNING, "Patch 4/4 never arrived."),
        _finding(
            SOB, Severity.NOTE, "The cover letter has no sign-off (not needed).", patch_index=0
        ),
        _finding(
            MOVED,
            Severity.ERROR,
            "rseq_syscall() now runs on every exit.",
            patch_index=1,
            file=hfile,
            line=130,
            symbol="rseq_syscall",
            evidence=evidence,
        ),
        _finding(
            MISC,
            Severity.NOTE,
            "The old call was gated.",
            patch_index=1,
            file=hfile,
            line=130,
            side="old",
        ),
        _finding(SOB, Severity.ERROR, "Dev Eloper did not sign off.", patch_index=2),
        _finding(
            MISC,
            Severity.WARNING,
            "A line outside the hunk.",
            patch_index=2,
            file="Documentation/arm64/entry.rst",
            line=99,
        ),
        _finding(
            MISC,
            Severity.NOTE,
            "A whole-file note.",
            patch_index=2,
            file="Documentation/arm64/entry.rst",
        ),
    )
    series = Series(
        version=3,
        total=3,
        subject=cover.mail.subject,
        cover=cover,
        patches=(p1, p2, p3),
        versions=(1, 2, 3),
        base_commit="0123456789abcdef0123456789abcdef01234567",
        archive_url=archive_url,
        author=dev,
    )
    return Report(
        series=series,
        findings=sort_findings(findings),
        rules_run=("RP101", "RP301"),
        meta=(("tool", "reviewpatch test"), ("mode", "mail")),
    )


def large_report(patches: int = 18, files: int = 3, lines: int = 60) -> Report:
    """A synthetic series of ``patches`` patches, each touching ``files``
    C files with one hunk of ``lines`` lines, and five findings per patch
    (with evidence) spread over the diff."""
    dev = person("Dev Eloper", "dev@example.org")
    body = tuple(
        ("+" if n % 3 == 0 else "-" if n % 3 == 1 else " ")
        + f'\tif (unlikely(flags & _TIF_WORK_{n})) /* step {n} */ ret = do_work(regs, "x{n}");'
        for n in range(lines)
    )
    out_patches, findings = [], []
    for i in range(1, patches + 1):
        fds = tuple(file_diff(f"arch/arm64/kernel/file{i}_{k}.c", 100, body) for k in range(files))
        out_patches.append(
            make_patch(
                i,
                patches,
                f"arm64: step {i}",
                author=dev,
                files=fds,
                message="A commit message.\n" * 12,
            )
        )
        for k in range(5):
            path = fds[k % files].path
            ev = tuple(
                EvidenceLine(body[j][1:], body[j][0], path, new_no=100 + j) for j in range(4)
            )
            findings.append(
                _finding(
                    MOVED if k % 2 else MISC,
                    tuple(Severity)[k % 3],
                    f"Finding {k} of patch {i}.",
                    patch_index=i,
                    file=path,
                    line=100 + 3 * k,
                    evidence=ev,
                )
            )
    series = Series(
        version=2,
        total=patches,
        subject=f"[PATCH v2 0/{patches}] big",
        cover=None,
        patches=tuple(out_patches),
        archive_url=ARCHIVE,
        author=dev,
    )
    return Report(series=series, findings=sort_findings(findings))
