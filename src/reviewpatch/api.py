"""The one public entry point: ``review(source, settings) -> Report``.

source -> fetch -> mail -> thread/series -> patch -> C views -> rules -> Report.
Fetching and the tree are the only edges that touch the outside world; they
are injected (HTTP session, stdin, progress callback) so front ends and tests
control them.
"""

from __future__ import annotations

__all__ = ["review", "review_mails", "build_selector"]

import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from reviewpatch import __version__
from reviewpatch.engine import check_codes, run_rules
from reviewpatch.errors import NoPatchError, ReviewpatchError
from reviewpatch.findings import Report
from reviewpatch.model import InputProblem, Mail, OtherSeries, Series
from reviewpatch.rules import all_rules
from reviewpatch.selection import RuleSelector
from reviewpatch.settings import Settings

if TYPE_CHECKING:
    import requests

    from reviewpatch.csource.code import SeriesCode
    from reviewpatch.fetch import ArchiveClient
    from reviewpatch.kernel.protocol import KernelTree
    from reviewpatch.versions.model import PreviousSearch, VersionReport

Progress = Callable[[str], None]


def build_selector(settings: Settings) -> RuleSelector:
    """The rule selector of ``settings``, after checking that every code and
    every rule-options table names a known rule."""
    selector = RuleSelector(
        select=settings.select,
        ignore=settings.ignore,
        extend_select=settings.extend_select,
        per_file_ignores=settings.per_file_ignores,
        severity_overrides=settings.severity_overrides,
    )
    check_codes(
        selector,
        all_rules(),
        [name for name, _ in settings.rule_options],
        settings.rule_options,
    )
    return selector


def review(
    source: str,
    settings: Settings | None = None,
    *,
    stdin: BinaryIO | None = None,
    session: requests.Session | None = None,
    progress: Progress | None = None,
) -> Report:
    """Review the series named by ``source`` (a Message-ID, an archive URL,
    a file or directory, or ``-`` for ``stdin``)."""
    from reviewpatch.mail import read_mails
    from reviewpatch.source import load_source

    settings = settings or Settings()
    build_selector(settings)  # configuration errors before any network
    data = load_source(source, settings, stdin=stdin, session=session, progress=progress)
    mails: list[Mail] = []
    problems: list[InputProblem] = []
    shown = _display_source(source, data.kind)
    for blob in data.blobs:
        origin = blob.origin
        if data.kind not in ("msgid", "url", "stdin") and origin.startswith(source):
            origin = shown + origin[len(source) :]
        got, bad = read_mails(blob.data, origin, settings.limits.mail_bytes)
        mails.extend(got)
        problems.extend(bad)
    for problem in data.problems:  # files of a directory that could not be read
        problems.append(_shown_problem(problem, source, shown, data.kind))
    if not mails:
        detail = f": {problems[0].message}" if problems else ""
        raise NoPatchError(f"{source}: no mail could be read{detail}")
    meta = (("source", shown), ("kind", data.kind))
    previous = None
    history = None
    if settings.compare_with and not _VERSION_RE.fullmatch(settings.compare_with):
        previous = _load_previous(settings.compare_with, settings, session, progress)
    elif settings.compare_with is None and data.msgid and data.archive_url:
        previous, history = _search_previous(
            tuple(mails), data.msgid, data.archive_url, settings, session, progress
        )
    return review_mails(
        tuple(mails),
        settings,
        problems=tuple(problems),
        archive_url=data.archive_url or _posted_archive(tuple(mails), settings),
        progress=progress,
        meta=meta,
        msgid=data.msgid,
        previous=previous,
        history=history,
    )


_VERSION_RE = re.compile(r"[vV]?\d{1,4}")


def _search_previous(
    mails: tuple[Mail, ...],
    msgid: str,
    base: str,
    settings: Settings,
    session: requests.Session | None,
    progress: Progress | None = None,
) -> tuple[Series | None, PreviousSearch | None]:
    """The previous version of the series ``msgid`` belongs to, found by
    searching the archive (change-id, title and author, patch-ids) when
    the thread holds no earlier version, and how the search went (None
    when no search was due: a first version, or one whose thread holds
    the earlier one).  Nothing here fails the review."""
    from reviewpatch.fetch import message_url
    from reviewpatch.isolate import isolate_series
    from reviewpatch.mail import read_mails
    from reviewpatch.series import assemble_series
    from reviewpatch.subject import parse_subject
    from reviewpatch.versions import find_previous
    from reviewpatch.versions.model import PreviousSearch

    iso = isolate_series(mails, msgid)
    if iso.version is None or iso.version < 2:
        return None, None
    if any((s := parse_subject(m.subject)).is_patch and s.version < iso.version for m in mails):
        return None, None  # the thread holds it
    shown = _shown_archive(base)
    if settings.offline:
        return None, PreviousSearch((), None, "the archive was not searched (--offline)", shown)
    try:
        series = assemble_series(iso.mails, version=iso.version)
    except ReviewpatchError:
        return None, None
    client = _client(base, settings, session, progress)
    outcome = replace(find_previous(series, client.search), archive=shown)
    best = outcome.found
    if best is None:
        return None, outcome
    try:
        thread, _ = read_mails(client.thread_mbox(best.msgid), message_url(base, best.msgid))
        old = isolate_series(thread, best.msgid)
        return assemble_series(old.mails, version=old.version or best.version), outcome
    except ReviewpatchError as exc:
        why = " ".join(str(exc).split())[:200]
        return None, replace(
            outcome, problem=f"the thread of v{best.version} could not be read: {why}"
        )


def _shown_archive(base: str) -> str:
    """The archive as reports name it: its URL without credentials."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _client(
    base: str,
    settings: Settings,
    session: requests.Session | None,
    progress: Progress | None = None,
) -> ArchiveClient:
    import requests

    from reviewpatch.fetch import ArchiveClient, Cache

    client = ArchiveClient(
        session=session or requests.Session(),
        base_url=base,
        cache=Cache.from_settings(settings),
        timeout=settings.timeout,
        retries=settings.retries,
        offline=settings.offline,
        refresh=settings.refresh,
        max_age=settings.cache_max_age,
    )
    return client if progress is None else replace(client, progress=progress)


def _load_previous(
    source: str,
    settings: Settings,
    session: requests.Session | None,
    progress: Progress | None,
) -> Series:
    """The series named by ``--compare-with`` (a Message-ID, URL or file),
    in the version of that Message-ID when it names one."""
    from reviewpatch.isolate import isolate_series
    from reviewpatch.mail import read_mails
    from reviewpatch.series import assemble_series
    from reviewpatch.source import load_source

    data = load_source(source, replace(settings, version=None), session=session, progress=progress)
    mails: list[Mail] = []
    for blob in data.blobs:
        mails.extend(read_mails(blob.data, blob.origin)[0])
    if not mails:
        raise NoPatchError(f"{source}: no mail could be read (--compare-with)")
    if data.msgid:
        iso = isolate_series(tuple(mails), data.msgid)
        if iso.version is not None:
            return assemble_series(iso.mails, version=iso.version)
    return assemble_series(tuple(mails))


def _shown_problem(problem: InputProblem, source: str, shown: str, kind: str) -> InputProblem:
    """``problem`` naming its file as reports show it (never a local path)."""
    if kind in ("msgid", "url", "stdin"):
        return problem
    return replace(
        problem,
        origin=problem.origin.replace(source, shown, 1),
        message=problem.message.replace(source, shown, 1),
    )


_LIST_HEADERS = ("list-id", "archived-at", "x-mailing-list", "mailing-list")


def _posted_archive(mails: tuple[Mail, ...], settings: Settings) -> str | None:
    """The archive to link local mails to, when they went through a mailing
    list (a list header shows it); None for mails never posted, such as
    fresh ``git format-patch`` output, whose links would lead nowhere."""
    for mail in mails:
        if any(mail.header(name) for name in _LIST_HEADERS):
            return settings.archive
    return None


def _display_source(source: str, kind: str) -> str:
    """The source as shown in reports: never an absolute local path."""
    if kind in ("msgid", "url", "stdin"):
        return source
    from pathlib import PurePath

    return PurePath(source.rstrip("/")).name or source


def review_mails(
    mails: tuple[Mail, ...],
    settings: Settings,
    *,
    problems: tuple[InputProblem, ...] = (),
    archive_url: str | None = None,
    progress: Progress | None = None,
    meta: tuple[tuple[str, str], ...] = (),
    msgid: str | None = None,
    previous: Series | None = None,
    history: PreviousSearch | None = None,
) -> Report:
    """Review already-decoded mails (the pure part of the pipeline).
    ``previous`` is the version to compare with (default: the newest
    earlier version among ``mails``, or ``vN`` of ``settings.compare_with``);
    ``history`` says how the archive was searched for it."""
    from reviewpatch.isolate import isolate_series
    from reviewpatch.series import assemble_series
    from reviewpatch.thread import limit_mails

    say = progress or (lambda _msg: None)
    selector = build_selector(settings)
    mails, over = limit_mails(mails, settings.limits.mails)
    problems += over
    say(f"assembling the series from {len(mails)} mail(s)")
    version = settings.version
    others: tuple[OtherSeries, ...] = ()
    thread = mails
    if msgid:
        # the requested Message-ID decides the series; the thread's other
        # series are left out and listed (unless another version is asked
        # for: then the thread is taken whole, as for a file)
        iso = isolate_series(mails, msgid)
        if iso.version is not None and version in (None, iso.version):
            mails, version, others = iso.mails, iso.version, iso.others
    series = assemble_series(
        mails,
        version=version,
        problems=problems,
        archive_url=archive_url,
        others=others,
        limits=settings.limits,
    )
    since = _since(thread, series, say, previous, settings.compare_with)
    say(f"checking {len(series.patches)} patch(es) of v{series.version}")
    with ExitStack() as stack:
        tree, seen = _open_tree(settings, series, stack, say)
        findings = run_rules(
            series,
            all_rules(),
            selector,
            options=settings.options_for,
            code_factory=lambda: _analyse(series, tree),
            since=since,
            history=history,
        )
    rules_run = tuple(r.id for r in all_rules() if selector.is_selected(r.id, r.name))
    mode = f"tree ({seen})" if seen else "hunk"
    full_meta = (("tool", f"reviewpatch {__version__}"), ("mode", mode)) + meta
    if msgid:
        full_meta += (("msgid", msgid),)
    return Report(
        series=series, findings=findings, rules_run=rules_run, meta=full_meta, since=since
    )


def _since(
    thread: tuple[Mail, ...],
    series: Series,
    say: Progress,
    previous: Series | None = None,
    asked: str | None = None,
) -> VersionReport | None:
    """``series`` against ``previous``, or version ``asked`` ("v3") of the
    thread, or the newest earlier version the thread holds (a new version
    is often posted in answer to the old one); None when there is none."""
    from reviewpatch.series import assemble_series
    from reviewpatch.subject import parse_subject
    from reviewpatch.versions import compare_versions

    old = previous
    if old is None:
        if asked and _VERSION_RE.fullmatch(asked):
            wanted = int(asked.lstrip("vV"))
        else:
            earlier = {
                s.version
                for m in thread
                if (s := parse_subject(m.subject)).is_patch
                and not s.is_reply
                and s.version < series.version
            }
            if not earlier:
                return None
            wanted = max(earlier)
        try:
            old = assemble_series(thread, version=wanted)
        except ReviewpatchError:
            if asked:
                raise
            return None
    say(f"comparing with v{old.version}")
    return compare_versions(old, series, older=_older_versions(thread, old.version))


def _older_versions(thread: tuple[Mail, ...], below: int) -> tuple[Series, ...]:
    """The versions of the thread before ``below`` (reviews given on them
    carry to an unchanged patch, as b4 carries them), each assembled from
    the mails of that version; one that cannot be is left out."""
    from reviewpatch.series import assemble_series
    from reviewpatch.subject import parse_subject

    versions = {
        s.version
        for m in thread
        if (s := parse_subject(m.subject)).is_patch and not s.is_reply and s.version < below
    }
    out: list[Series] = []
    for version in sorted(versions, reverse=True)[:8]:
        try:
            out.append(assemble_series(thread, version=version))
        except ReviewpatchError:
            continue
    return tuple(out)


def _open_tree(
    settings: Settings, series: Series, stack: ExitStack, say: Progress
) -> tuple[KernelTree | None, str]:
    """The ``--tree`` checkout with the series applied, closed with
    ``stack`` (its symbol index lives in the cache directory), and one
    line for the report header: where the pre-images come from and which
    files were seen whole."""
    if not settings.tree:
        return None, ""
    from reviewpatch.fetch import default_cache_dir
    from reviewpatch.kernel.tree import TreeSource

    cache = Path(settings.cache_dir) if settings.cache_dir else default_cache_dir()
    tree = TreeSource.open(settings.tree, series, cache=cache, progress=_index_bar(say))
    stack.callback(tree.close)
    say(f"tree: {tree.base_note}; {tree.index_note}")
    return tree, f"{tree.base_note}; {_seen_whole(tree.whole_files(series))}"


def _seen_whole(files: tuple[tuple[int, str, bool], ...]) -> str:
    """How many C file changes were seen whole, with per-patch counts for
    the patches that were not: "C file changes seen whole: 2 of 11
    (patch 2: 0 of 7, patch 3: 0 of 2)"."""
    whole = sum(1 for _i, _p, ok in files if ok)
    text = f"C file changes seen whole: {whole} of {len(files)}"
    per: dict[int, list[bool]] = {}
    for index, _path, ok in files:
        per.setdefault(index, []).append(ok)
    short = [f"patch {i}: {sum(v)} of {len(v)}" for i, v in sorted(per.items()) if not all(v)]
    return text + (f" ({', '.join(short)})" if short else "")


def _index_bar(say: Progress) -> Callable[[int, int], None]:
    """Progress of a symbol index build, as a bar of 20 marks."""

    def show(done: int, total: int) -> None:
        if done == 0:
            say("building the symbol index of the tree (once per tree, about a minute)")
            return
        marks = 20 * done // max(total, 1)
        say(f"indexing [{'#' * marks}{'.' * (20 - marks)}] {done}/{total}")

    return show


def _analyse(series: Series, tree: KernelTree | None) -> SeriesCode:
    from reviewpatch.csource import analyse_series

    return analyse_series(series, tree)
