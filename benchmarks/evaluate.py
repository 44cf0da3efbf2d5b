"""Measure the rules on real mail fetched from a public-inbox archive.

Two parts, each optional:

- **labelled corpus** (``benchmarks/corpus/*.toml``, see its README): every
  case names one patch mail by Message-ID; the series it belongs to is
  fetched and reviewed, and the findings on that patch are compared with the
  case's label.  Prints, per rule, the recall over the wrong cases that
  expect it and the false alarms of the C rules (ids ``RP3xx``) on the
  correct cases.
- **random sample** (``--random N --seed S --list NAME``): N patch series
  drawn at random from the archive's search index, each reviewed whole;
  prints how many warnings and errors the rules raise per 10 patches.

Not a test: it asserts nothing.  Run ``python benchmarks/evaluate.py --help``.
"""

from __future__ import annotations

__all__ = [
    "Archives",
    "Case",
    "CaseResult",
    "CorpusError",
    "CorpusSummary",
    "Hit",
    "RuleCount",
    "RuleRecall",
    "Reviewed",
    "SampleSummary",
    "SeriesResult",
    "build_parser",
    "evaluate_corpus",
    "evaluate_sample",
    "load_corpus",
    "main",
    "render_json",
    "render_markdown",
    "render_text",
    "review_case",
    "review_mail",
    "review_series",
]

import argparse
import json
import random
import re
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree

import requests

from reviewpatch import __version__
from reviewpatch.api import review, review_mails
from reviewpatch.errors import FetchError, NotFoundError, ReviewpatchError
from reviewpatch.fetch import ArchiveClient, Cache, message_url, normalize_msgid, user_agent
from reviewpatch.findings import Finding, Report, Severity
from reviewpatch.mail import read_mails
from reviewpatch.model import Mail, Patch, Series, Subject
from reviewpatch.rules import all_rules
from reviewpatch.series import is_patch_mail
from reviewpatch.settings import Settings
from reviewpatch.subject import parse_subject

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
C_RULE_PREFIX = "RP3"
SPLITS = ("tune", "holdout")
CLASSES = ("wrong", "correct")
DEFAULT_QUERY = "s:PATCH"
JSON_FORMAT = 1
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FETCH = 3
# Draws of search results per wanted series before the sample gives up.
DRAWS_PER_SERIES = 50
_CASE_KEYS = frozenset(
    {"id", "list", "msgid", "class", "shape", "expect", "split", "evidence", "fixed_by"}
)
_REQUIRED_KEYS = ("id", "list", "msgid", "class", "shape", "split")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LIST_PAIR = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$")
_RESULTS = re.compile(r"Results \d+-\d+ of ~?(\d+)|No more results, only ~?(\d+)")
_ATOM = "{http://www.w3.org/2005/Atom}"
_THREAD = "{http://purl.org/syndication/thread/1.0}"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class CorpusError(Exception):
    """A corpus file cannot be read or a case is malformed (one line)."""


# -- data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One labelled case of the corpus (see benchmarks/corpus/README.md)."""

    id: str
    list: str
    msgid: str
    klass: str
    shape: str
    expect: tuple[str, ...]
    split: str
    evidence: str = ""
    fixed_by: str | None = None
    file: str = ""


@dataclass(frozen=True)
class Hit:
    """One warning or error finding, flattened for people to judge."""

    msgid: str | None
    subject: str
    patch_index: int | None
    rule_id: str
    rule_name: str
    severity: str
    message: str
    file: str | None
    line: int | None

    @property
    def where(self) -> str:
        if not self.file:
            return "-"
        return f"{self.file}:{self.line}" if self.line else self.file

    def as_json(self) -> dict[str, Any]:
        return {
            "msgid": self.msgid,
            "subject": self.subject,
            "patch_index": self.patch_index,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class CaseResult:
    """What the rules said on one case.  ``status``: ``ok`` (reviewed),
    ``unavailable`` (the mail could not be fetched), ``error`` (the review
    failed) or ``not-a-patch`` (the mail is no patch of its series).
    ``hits`` are the warning/error findings on the case's patch; ``fired``
    the expected rules among them, ``missed`` the others;
    ``false_alarms`` the C-rule hits on a correct case."""

    case: Case
    status: str
    detail: str = ""
    patch_index: int | None = None
    series_version: int | None = None
    hits: tuple[Hit, ...] = ()
    fired: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()
    false_alarms: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class RuleRecall:
    """Recall and false alarms of one rule over the corpus.  ``rule`` is
    the name as the corpus spells it (or the name of a rule that only
    raised false alarms); ``rule_id`` is empty when no rule has that name
    (any more)."""

    rule: str
    rule_id: str
    expected: int
    hits: int
    false_alarms: int

    @property
    def recall(self) -> float | None:
        return self.hits / self.expected if self.expected else None


@dataclass(frozen=True)
class CorpusSummary:
    """Every case's result (sorted by id) and the per-rule numbers."""

    directory: str
    split: str
    results: tuple[CaseResult, ...]
    rules: tuple[RuleRecall, ...]

    def with_status(self, klass: str, status: str) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if r.case.klass == klass and r.status == status)

    @property
    def wrong_reviewed(self) -> tuple[CaseResult, ...]:
        return self.with_status("wrong", "ok")

    @property
    def correct_reviewed(self) -> tuple[CaseResult, ...]:
        return self.with_status("correct", "ok")

    @property
    def detected(self) -> int:
        return sum(1 for r in self.wrong_reviewed if r.fired)

    @property
    def alarmed(self) -> int:
        return sum(1 for r in self.correct_reviewed if r.false_alarms)


@dataclass(frozen=True)
class SeriesResult:
    """One series of the random sample.  ``status``: ``ok`` or ``error``
    (``detail`` says why, one line)."""

    msgid: str
    subject: str
    date: str
    version: int
    status: str
    detail: str = ""
    patches: int = 0
    hits: tuple[Hit, ...] = ()

    @property
    def warnings(self) -> int:
        return sum(1 for h in self.hits if h.severity == Severity.WARNING.value)

    @property
    def errors(self) -> int:
        return sum(1 for h in self.hits if h.severity == Severity.ERROR.value)


@dataclass(frozen=True)
class RuleCount:
    """How often one rule fired over the random sample."""

    rule_id: str
    rule_name: str
    warnings: int
    errors: int
    series: int


@dataclass(frozen=True)
class SampleSummary:
    """The random sample: the series in draw order and the totals.
    ``drawn`` counts the search results looked at, ``skipped`` the series
    left out because listed in ``--exclude`` or drawn twice."""

    archive: str
    query: str
    seed: int
    requested: int
    matches: int
    drawn: int
    skipped: int
    series: tuple[SeriesResult, ...]

    @property
    def reviewed(self) -> tuple[SeriesResult, ...]:
        return tuple(s for s in self.series if s.status == "ok")

    @property
    def patches(self) -> int:
        return sum(s.patches for s in self.reviewed)

    @property
    def warnings(self) -> int:
        return sum(s.warnings for s in self.reviewed)

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.reviewed)

    @property
    def per_10_patches(self) -> float | None:
        if not self.patches:
            return None
        return 10.0 * (self.warnings + self.errors) / self.patches

    @property
    def rules(self) -> tuple[RuleCount, ...]:
        counts: dict[tuple[str, str], list[int]] = {}
        for result in self.reviewed:
            seen: set[tuple[str, str]] = set()
            for hit in result.hits:
                key = (hit.rule_id, hit.rule_name)
                row = counts.setdefault(key, [0, 0, 0])
                row[0 if hit.severity == Severity.WARNING.value else 1] += 1
                if key not in seen:
                    seen.add(key)
                    row[2] += 1
        return tuple(
            RuleCount(rid, name, w, e, s) for (rid, name), (w, e, s) in sorted(counts.items())
        )


@dataclass(frozen=True)
class Archives:
    """Where each list's archive is: ``pairs`` from ``--archive LIST=URL``,
    ``default`` from a plain ``--archive URL``.  A default that is a
    server root (no path) gets the list name appended."""

    default: str | None
    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, values: Sequence[str]) -> Archives:
        default: str | None = None
        pairs: dict[str, str] = {}
        for value in values:
            text = value.strip()
            match = _LIST_PAIR.match(text)
            if match and "://" not in match.group(1):
                _check_url(match.group(2))
                pairs[match.group(1)] = match.group(2).strip().rstrip("/")
                continue
            _check_url(text)
            if default is not None:
                raise CorpusError(f"--archive {text}: a second archive without a list name")
            default = text.rstrip("/")
        return cls(default, tuple(sorted(pairs.items())))

    def base_for(self, name: str) -> str:
        """The public-inbox base URL of list ``name`` (no trailing slash)."""
        for key, url in self.pairs:
            if key == name:
                return url
        if self.default is None:
            raise CorpusError(f"no --archive URL for list {name!r}")
        if urlsplit(self.default).path.strip("/") == "":
            return f"{self.default}/{quote(name, safe='')}"
        return self.default


def _check_url(url: str) -> None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CorpusError(f"--archive {url}: not an http(s) URL")


# -- the corpus ---------------------------------------------------------------


def load_corpus(directory: Path) -> tuple[Case, ...]:
    """Every case of ``directory/*.toml``, sorted by id; CorpusError
    naming the file and case when one is malformed."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise CorpusError(f"{path}: {exc}") from exc
        extra = sorted(set(data) - {"case"})
        if extra:
            raise CorpusError(f"{path}: unknown top-level key(s) {', '.join(extra)}")
        tables = data.get("case", [])
        if not isinstance(tables, list):
            raise CorpusError(f"{path}: 'case' must be an array of tables ([[case]])")
        for number, table in enumerate(tables, 1):
            cases.append(_case(table, f"{path.name}: case {number}", path.name))
    seen: dict[str, str] = {}
    for case in cases:
        if case.id in seen:
            raise CorpusError(f"{case.file}: case id {case.id!r} is also in {seen[case.id]}")
        seen[case.id] = case.file
    return tuple(sorted(cases, key=lambda c: c.id))


def _case(table: Any, where: str, file: str) -> Case:
    if not isinstance(table, dict):
        raise CorpusError(f"{where}: not a table")
    unknown = sorted(set(table) - _CASE_KEYS)
    if unknown:
        raise CorpusError(f"{where}: unknown key(s) {', '.join(unknown)}")
    for key in _REQUIRED_KEYS:
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise CorpusError(f"{where}: '{key}' must be a non-empty string")
    where = f"{file}: case {table['id']!r}"
    if not _SLUG.match(table["id"]):
        raise CorpusError(f"{where}: the id must be a kebab-case slug")
    if table["class"] not in CLASSES:
        raise CorpusError(f"{where}: class must be one of {', '.join(CLASSES)}")
    if table["split"] not in SPLITS:
        raise CorpusError(f"{where}: split must be one of {', '.join(SPLITS)}")
    expect = table.get("expect", [])
    if not isinstance(expect, list) or not all(isinstance(e, str) and e for e in expect):
        raise CorpusError(f"{where}: expect must be a list of rule names")
    if table["class"] == "wrong" and not expect:
        raise CorpusError(f"{where}: a wrong case must expect at least one rule")
    if table["class"] == "correct" and expect:
        raise CorpusError(f"{where}: a correct case expects no rule (expect = [])")
    for key in ("evidence", "fixed_by"):
        if key in table and not isinstance(table[key], str):
            raise CorpusError(f"{where}: '{key}' must be a string")
    msgid = normalize_msgid(table["msgid"])
    if any(ch.isspace() for ch in msgid) or not msgid:
        raise CorpusError(f"{where}: msgid {table['msgid']!r} is not a Message-ID")
    fixed_by = table.get("fixed_by")
    return Case(
        id=table["id"],
        list=table["list"].strip(),
        msgid=msgid,
        klass=table["class"],
        shape=table["shape"].strip(),
        expect=tuple(dict.fromkeys(e.strip() for e in expect)),
        split=table["split"],
        evidence=table.get("evidence", "").strip(),
        fixed_by=normalize_msgid(fixed_by) if fixed_by else None,
        file=file,
    )


def evaluate_corpus(
    cases: Sequence[Case],
    archives: Archives,
    settings: Settings,
    *,
    split: str,
    directory: str,
    session: requests.Session,
    say: Callable[[str], None],
) -> CorpusSummary:
    """Review every case of ``split`` (``all``: every case)."""
    chosen = [c for c in cases if split == "all" or c.split == split]
    reachable: dict[str, str | None] = {}
    results: list[CaseResult] = []
    for number, case in enumerate(chosen, 1):
        try:
            base = archives.base_for(case.list)
        except CorpusError as exc:
            results.append(CaseResult(case, "unavailable", str(exc)))
            continue
        if base not in reachable:
            reachable[base] = _unreachable(session, base, settings.timeout)
        say(f"[{number}/{len(chosen)}] {case.id} <{case.msgid}>")
        problem = reachable[base]
        if problem is not None:
            results.append(CaseResult(case, "unavailable", problem))
            continue
        results.append(review_case(case, base, settings, session))
    return CorpusSummary(directory, split, tuple(results), _recalls(results))


@dataclass(frozen=True)
class Reviewed:
    """The review of the series a mail belongs to: the report, the patch
    (or cover letter) sent as that mail (None when the mail is no patch of
    the series) and a note on how it was found (empty, or one line)."""

    report: Report
    patch: Patch | None
    note: str = ""


def review_mail(
    base: str,
    msgid: str,
    settings: Settings,
    session: requests.Session,
    version: int | None = None,
) -> Reviewed:
    """Review the series that the mail ``msgid`` of the archive at ``base``
    belongs to, in the version of that mail.

    ``reviewpatch.review`` reviews the series the Message-ID belongs to
    and leaves the thread's other series out; within it, the later of two
    mails with the same counter wins.  So a patch that another mail
    superseded (a RESEND, or a mail with the same subject that the archive
    threaded with it), or whose series still got mixed with other patches
    of its numbering, is reviewed without those other patch mails.  Raises
    ReviewpatchError as ``review`` does."""
    mine = replace(settings, archive=base, version=version)
    source = message_url(base, msgid)
    report = review(source, mine, session=session)
    patch = _patch_of(report.series, msgid)
    if patch is not None and not _mixed(report.series, patch):
        return Reviewed(report, patch)
    wanted = report.series.version if patch is not None else _version_of(report.series, msgid)
    if wanted is None:
        return Reviewed(report, None)
    if patch is None and wanted != report.series.version:
        report = review(source, replace(mine, version=wanted), session=session)
        patch = _patch_of(report.series, msgid)
        if patch is not None and not _mixed(report.series, patch):
            return Reviewed(report, patch)
    if patch is None and not any(m.msgid == msgid for m in report.series.duplicates):
        return Reviewed(report, None)
    return _review_alone(base, msgid, replace(mine, version=wanted), session)


def _numbering(mail: Mail) -> tuple[bool, int]:
    subject = parse_subject(mail.subject)
    return subject.counter_explicit, subject.total


def _mixed(series: Series, patch: Patch) -> bool:
    """Whether ``series`` holds patches numbered as another series (other
    ``/N``) than ``patch``.  A cover letter that is no ``0/N`` mail (one
    the series found in its stead) says nothing."""
    if patch.index == 0 and parse_subject(patch.mail.subject).counter != 0:
        return False
    mine = _numbering(patch.mail)
    return any(_numbering(p.mail) != mine for p in series.patches)


def _review_alone(base: str, msgid: str, settings: Settings, session: requests.Session) -> Reviewed:
    """Review the thread of ``msgid`` without the patch mails of its
    version that would take its place (same counter) or belong to another
    series (other ``/N``)."""
    client = ArchiveClient(
        session=session,
        base_url=base,
        cache=Cache.from_settings(settings),
        timeout=settings.timeout,
        retries=settings.retries,
        max_age=settings.cache_max_age,
    )
    origin = message_url(base, msgid)
    mails, problems = read_mails(client.thread_mbox(msgid), origin)
    target = next((m for m in mails if m.msgid == msgid), None)
    if target is None:
        raise NotFoundError(f"{origin}: the thread does not hold <{msgid}>")
    mine = parse_subject(target.subject)
    others = tuple(m.msgid for m in mails if m.msgid != msgid and _other(m, mine))
    report = review_mails(
        tuple(m for m in mails if m.msgid not in others),
        replace(settings, version=mine.version),
        problems=problems,
        archive_url=client.base,
        msgid=msgid,
    )
    shown = ", ".join(f"<{o}>" for o in others[:3])
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    note = f"reviewed without {shown}{more} (same counter or another series in the thread)"
    return Reviewed(report, _patch_of(report.series, msgid), note)


def _other(mail: Mail, target: Subject) -> bool:
    """Whether ``mail`` is a patch mail of the target's version that is not
    part of the target's series as sent: the same counter, or another
    numbering."""
    subject = parse_subject(mail.subject)
    if not is_patch_mail(mail, subject) or subject.version != target.version:
        return False
    if (subject.counter_explicit, subject.total) != (target.counter_explicit, target.total):
        return True
    return bool(subject.counter == target.counter)


def review_case(case: Case, base: str, settings: Settings, session: requests.Session) -> CaseResult:
    """Review the series holding the case's patch (the version that patch
    belongs to) and judge the findings on that patch."""
    try:
        done = review_mail(base, case.msgid, settings, session)
    except FetchError as exc:
        return CaseResult(case, "unavailable", _one_line(str(exc)))
    except ReviewpatchError as exc:
        return CaseResult(case, "error", _one_line(str(exc)))
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the run
        return CaseResult(case, "error", _exception_line(exc))
    series, patch = done.report.series, done.patch
    if patch is None or not patch.index:
        what = "the cover letter" if patch is not None else "not a patch mail"
        detail = f"<{case.msgid}> is {what} of {series.subject!r}"
        return CaseResult(case, "not-a-patch", detail, series_version=series.version)
    hits = tuple(
        _hit(f, series)
        for f in done.report.findings
        if f.location.patch_index == patch.index and _serious(f)
    )
    fired = tuple(e for e in case.expect if any(_names(h, e) for h in hits))
    missed = tuple(e for e in case.expect if e not in fired)
    alarms = (
        tuple(h for h in hits if h.rule_id.startswith(C_RULE_PREFIX))
        if case.klass == "correct"
        else ()
    )
    return CaseResult(
        case,
        "ok",
        done.note,
        patch_index=patch.index,
        series_version=series.version,
        hits=hits,
        fired=fired,
        missed=missed,
        false_alarms=alarms,
    )


def _names(hit: Hit, rule: str) -> bool:
    """Whether the hit is of the rule the corpus names (name or id)."""
    low = rule.strip().lower()
    return hit.rule_name.lower() == low or hit.rule_id.lower() == low


def _patch_of(series: Series, msgid: str) -> Patch | None:
    """The patch (or cover letter) of ``series`` sent as ``msgid``."""
    for patch in series.all_patches:
        if patch.msgid == msgid:
            return patch
    return None


def _version_of(series: Series, msgid: str) -> int | None:
    """The version of a mail of the thread that is not in the chosen
    series (an older version, or superseded), None for a reply."""
    for mail in series.other_mails + series.duplicates:
        if mail.msgid == msgid:
            subject = parse_subject(mail.subject)
            return None if subject.is_reply else subject.version
    return None


def _recalls(results: Sequence[CaseResult]) -> tuple[RuleRecall, ...]:
    """Per rule: wrong cases expecting it, those where it fired, and the
    correct cases on which it raised a false alarm."""
    known = {spec.name: spec.id for spec in all_rules()}
    known_ids = {spec.id: spec.name for spec in all_rules()}
    expected: dict[str, int] = {}
    fired: dict[str, int] = {}
    alarms: dict[str, int] = {}
    ids: dict[str, str] = {}
    for result in results:
        if result.status != "ok":
            continue
        for rule in result.case.expect:
            expected[rule] = expected.get(rule, 0) + 1
            fired[rule] = fired.get(rule, 0) + (rule in result.fired)
        for name, rule_id in sorted({(h.rule_name, h.rule_id) for h in result.false_alarms}):
            alarms[name] = alarms.get(name, 0) + 1
            ids[name] = rule_id
    rows: list[RuleRecall] = []
    for rule in sorted(set(expected) | set(alarms)):
        rule_id = ids.get(rule) or known.get(rule) or ("" if rule not in known_ids else rule)
        rows.append(
            RuleRecall(
                rule, rule_id, expected.get(rule, 0), fired.get(rule, 0), alarms.get(rule, 0)
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.rule_id or "~", r.rule)))


# -- the random sample ----------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """One search result: the mail's Message-ID, subject, date and whether
    it answers another mail."""

    msgid: str
    subject: str
    date: str
    has_parent: bool


def evaluate_sample(
    base: str,
    settings: Settings,
    *,
    count: int,
    seed: int,
    query: str,
    exclude: frozenset[str],
    session: requests.Session,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> SampleSummary:
    """Draw ``count`` series at random (deterministic for ``seed`` and the
    archive's content) among the results of ``query`` and review each.

    Search results are drawn at random offsets of the date-sorted result
    list; a draw counts when it is the head of a series: a cover letter
    (``0/N``), a single patch, or a ``1/N`` patch that answers no mail (a
    series without a cover letter).  Replies and the other patches of a
    series are drawn again.  FetchError when the search fails."""
    search = _Search(_Getter(session, settings.timeout, settings.retries, sleep), base, query)
    matches = search.total()
    rng = random.Random(seed)
    budget = min(matches, DRAWS_PER_SERIES * count + 100)
    tried: set[int] = set()
    seen_series: set[tuple[str, ...]] = set()
    results: list[SeriesResult] = []
    skipped = 0
    while len(results) < count and len(tried) < budget:
        offset = rng.randrange(matches)
        if offset in tried:
            continue
        tried.add(offset)
        entry = search.entry(offset)
        if entry is None or not _is_series_head(entry):
            continue
        if entry.msgid in exclude:
            skipped += 1
            continue
        say(f"[{len(results) + 1}/{count}] {entry.subject} <{entry.msgid}>")
        result, members = review_series(base, entry, settings, session)
        if members and (members in seen_series or exclude.intersection(members)):
            skipped += 1
            continue
        if members:
            seen_series.add(members)
        results.append(result)
    return SampleSummary(
        archive=base,
        query=query,
        seed=seed,
        requested=count,
        matches=matches,
        drawn=len(tried),
        skipped=skipped,
        series=tuple(results),
    )


def _is_series_head(entry: _Entry) -> bool:
    subject = parse_subject(entry.subject)
    if not entry.msgid or not subject.is_patch or subject.is_reply:
        return False
    if subject.counter == 0 or subject.total <= 1:
        return True
    return subject.counter == 1 and not entry.has_parent


def review_series(
    base: str, entry: _Entry, settings: Settings, session: requests.Session
) -> tuple[SeriesResult, tuple[str, ...]]:
    """Review the series whose head is ``entry`` (in its version); the
    result and the Message-IDs of the series' cover letter and patches
    (empty when it failed)."""
    version = parse_subject(entry.subject).version
    head = SeriesResult(entry.msgid, entry.subject, entry.date, version, "error")
    try:
        done = review_mail(base, entry.msgid, settings, session, version=version)
    except ReviewpatchError as exc:
        return replace(head, detail=_one_line(str(exc))), ()
    except Exception as exc:  # noqa: BLE001 - one bad series never stops the run
        return replace(head, detail=_exception_line(exc)), ()
    series = done.report.series
    note = done.note
    if done.patch is None:
        note = f"<{entry.msgid}> is not in the series reviewed ({series.subject!r})"
    hits = tuple(_hit(f, series) for f in done.report.findings if _serious(f))
    members = tuple(sorted(p.msgid for p in series.all_patches))
    result = replace(
        head,
        status="ok",
        detail=note,
        version=series.version,
        patches=len(series.patches),
        hits=hits,
    )
    return result, members


@dataclass(frozen=True)
class _Getter:
    """GET with a timeout and retries on connection errors and 5xx."""

    session: requests.Session
    timeout: float
    retries: int
    sleep: Callable[[float], None]

    def __call__(self, url: str) -> tuple[int, bytes]:
        problem = "no attempt made"
        attempts = max(0, self.retries) + 1
        for attempt in range(attempts):
            if attempt:
                self.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            try:
                response = self.session.get(
                    url, timeout=self.timeout, headers={"User-Agent": user_agent()}
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                continue
            except requests.RequestException as exc:
                raise FetchError(f"{url}: {_exception_line(exc)}") from exc
            if response.status_code in _RETRY_STATUS:
                problem = f"HTTP {response.status_code}"
                continue
            return response.status_code, response.content
        raise FetchError(f"{url}: archive unreachable ({problem}; {attempts} attempt(s))")


def _search_url(base: str, query: str, **params: str | int) -> str:
    parts = [f"q={quote(query, safe='')}"]
    parts.extend(f"{key}={quote(str(value), safe='')}" for key, value in params.items())
    return f"{base}/?{'&'.join(parts)}"


@dataclass(frozen=True)
class _Search:
    """One search query of one archive, result by result (newest first);
    ``seen`` remembers the results already fetched, by offset."""

    get: _Getter
    base: str
    query: str
    seen: dict[int, _Entry | None] = field(default_factory=dict)

    def estimate(self) -> int:
        """public-inbox's (Xapian's estimated) count of matching mails."""
        url = _search_url(self.base, self.query, l=1)
        status, body = self.get(url)
        if status == 404 and b"No results found" in body:
            return 0
        if status != 200:
            raise FetchError(f"{url}: the archive answered HTTP {status} (is search enabled?)")
        match = _RESULTS.search(body.decode("utf-8", "replace"))
        if match is None:
            raise FetchError(f"{url}: no result count in the search page (not a public-inbox?)")
        return int(match.group(1) or match.group(2))

    def total(self) -> int:
        """The exact number of results: the estimate, checked (and
        corrected by a binary search) on the results themselves."""
        estimate = self.estimate()
        if estimate == 0:
            return 0
        if self.entry(estimate - 1) is not None:
            found, step = estimate - 1, max(1, estimate // 16)
            while self.entry(found + step) is not None:
                found, step = found + step, step * 2
            missing = found + step
        else:
            found, missing = -1, estimate - 1
        while missing - found > 1:
            middle = (found + missing) // 2
            if self.entry(middle) is not None:
                found = middle
            else:
                missing = middle
        return found + 1

    def entry(self, offset: int) -> _Entry | None:
        """The result at ``offset`` (from the Atom feed of that one result),
        None past the end."""
        if offset not in self.seen:
            self.seen[offset] = self._fetch(offset)
        return self.seen[offset]

    def _fetch(self, offset: int) -> _Entry | None:
        url = _search_url(self.base, self.query, x="A", o=offset, l=1)
        status, body = self.get(url)
        if status == 404:
            return None
        if status != 200:
            raise FetchError(f"{url}: the archive answered HTTP {status}")
        if b"<entry" not in body:
            return None  # past the end: public-inbox sends a feed without a header
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError as exc:
            raise FetchError(f"{url}: the Atom feed does not parse ({exc})") from exc
        entry = root.find(f"{_ATOM}entry")
        if entry is None:
            return None
        link = entry.find(f"{_ATOM}link")
        href = link.get("href", "") if link is not None else ""
        segments = [s for s in urlsplit(href).path.split("/") if s]
        return _Entry(
            msgid=normalize_msgid(unquote(segments[-1])) if segments else "",
            subject=" ".join((entry.findtext(f"{_ATOM}title") or "").split()),
            date=entry.findtext(f"{_ATOM}updated") or "",
            has_parent=entry.find(f"{_THREAD}in-reply-to") is not None,
        )


# -- shared helpers -------------------------------------------------------------


def _serious(finding: Finding) -> bool:
    return bool(finding.severity.rank >= Severity.WARNING.rank)


def _hit(finding: Finding, series: Series) -> Hit:
    index = finding.location.patch_index
    patch = series.patch(index) if index is not None else None
    return Hit(
        msgid=patch.msgid if patch is not None else None,
        subject=patch.mail.subject if patch is not None else series.subject,
        patch_index=index,
        rule_id=finding.rule_id,
        rule_name=finding.rule_name,
        severity=finding.severity.value,
        message=_one_line(finding.message),
        file=finding.location.file,
        line=finding.location.line,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _exception_line(exc: BaseException) -> str:
    text = _one_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _unreachable(session: requests.Session, base: str, timeout: float) -> str | None:
    """Why the archive at ``base`` cannot be reached (one quick request),
    or None when it answers at all."""
    try:
        session.get(
            f"{base}/_/text/help/", timeout=timeout, headers={"User-Agent": user_agent()}
        ).close()
    except requests.Timeout:
        return f"archive {base} is unreachable (timed out)"
    except requests.RequestException as exc:
        return f"archive {base} is unreachable ({type(exc).__name__})"
    return None


def _read_exclude(path: Path) -> frozenset[str]:
    """Message-IDs, one a line (``<>`` optional, ``#`` comments)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"--exclude {path}: {exc}") from exc
    ids = (normalize_msgid(line.split("#", 1)[0]) for line in text.splitlines())
    return frozenset(i for i in ids if i)


def _percent(num: int, den: int) -> str:
    return f"{100.0 * num / den:.0f}%" if den else "-"


# -- output ---------------------------------------------------------------------


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: str) -> list[str]:
    """Aligned columns; columns whose letter in ``right`` is "r" are
    right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def fmt(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if right[i : i + 1] == "r" else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(out).rstrip()

    return [fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: str) -> list[str]:
    align = ["---:" if right[i : i + 1] == "r" else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |", "|" + "|".join(align) + "|"]
    lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows)
    return lines


def _recall_rows(summary: CorpusSummary) -> list[list[str]]:
    rows = []
    for r in summary.rules:
        recall = "-" if r.recall is None else f"{100.0 * r.recall:.0f}%"
        rows.append(
            [
                r.rule,
                r.rule_id or "(no such rule)",
                str(r.expected),
                str(r.hits),
                recall,
                str(r.false_alarms),
            ]
        )
    return rows


_RECALL_HEADERS = ("rule", "id", "expected", "fired", "recall", "false alarms")


def _corpus_headline(s: CorpusSummary) -> list[str]:
    counts = []
    for klass in CLASSES:
        mine = [r for r in s.results if r.case.klass == klass]
        parts = [f"{sum(1 for r in mine if r.status == st)} {st}" for st in _STATUSES]
        shown = ", ".join(p for p in parts if p[0] != "0")
        counts.append(f"{klass} {len(mine)} ({shown})" if shown else f"{klass} 0")
    wrong, correct = len(s.wrong_reviewed), len(s.correct_reviewed)
    return [
        f"{len(s.results)} case(s) of split {s.split!r} from {s.directory}: {'; '.join(counts)}",
        f"wrong cases detected (an expected rule fired at warning or error): "
        f"{s.detected}/{wrong} ({_percent(s.detected, wrong)})",
        f"correct cases with a C-rule ({C_RULE_PREFIX}xx) false alarm: "
        f"{s.alarmed}/{correct} ({_percent(s.alarmed, correct)})",
    ]


_STATUSES = ("ok", "unavailable", "error", "not-a-patch")


def _corpus_lists(s: CorpusSummary, md: bool) -> list[tuple[str, list[str]]]:
    """(title, lines) of the case lists below the table."""
    code = (lambda t: f"`{t}`") if md else (lambda t: t)
    missed = [
        f"{code(r.case.id)} <{r.case.msgid}>: missed {', '.join(r.missed)}"
        + (f"; fired: {', '.join(sorted({h.rule_name for h in r.hits}))}" if r.hits else "")
        for r in s.wrong_reviewed
        if r.missed
    ]
    alarms = [
        f"{code(r.case.id)} <{r.case.msgid}> {h.rule_id} {h.rule_name} ({h.severity}) "
        f"{h.where}: {h.message}"
        for r in s.correct_reviewed
        for h in r.false_alarms
    ]
    other = [
        f"{code(r.case.id)} <{r.case.msgid}> {r.status}: {r.detail}"
        for r in s.results
        if r.status != "ok"
    ]
    return [
        ("Wrong cases where an expected rule did not fire", missed),
        ("False alarms on correct cases", alarms),
        ("Cases not measured", other),
    ]


def _sample_headline(s: SampleSummary) -> list[str]:
    per10 = "-" if s.per_10_patches is None else f"{s.per_10_patches:.2f}"
    errs = len(s.series) - len(s.reviewed)
    return [
        f"{len(s.series)} of {s.requested} series drawn from {s.archive} "
        f"(query {s.query!r}, seed {s.seed}, {s.matches} matching mails, {s.drawn} drawn, "
        f"{s.skipped} skipped): {len(s.reviewed)} reviewed, {errs} error(s)",
        f"patches {s.patches}, warnings {s.warnings}, errors {s.errors}, "
        f"warnings+errors {s.warnings + s.errors}, per 10 patches {per10}",
    ]


_SERIES_HEADERS = ("#", "msgid", "date", "patches", "warn", "err", "subject / status")
_RULE_HEADERS = ("id", "rule", "warnings", "errors", "series")


def _series_rows(s: SampleSummary) -> list[list[str]]:
    rows = []
    for number, r in enumerate(s.series, 1):
        if r.status != "ok":
            note = f"ERROR {r.detail} ({r.subject})"
        else:
            note = f"{r.subject} [{r.detail}]" if r.detail else r.subject
        patches, warn, err = (
            (str(r.patches), str(r.warnings), str(r.errors)) if r.status == "ok" else ("-",) * 3
        )
        rows.append([str(number), r.msgid, r.date[:10], patches, warn, err, note])
    return rows


def _rule_rows(s: SampleSummary) -> list[list[str]]:
    return [
        [r.rule_id, r.rule_name, str(r.warnings), str(r.errors), str(r.series)] for r in s.rules
    ]


def render_text(corpus: CorpusSummary | None, sample: SampleSummary | None) -> str:
    lines: list[str] = []
    if corpus is not None:
        lines += ["== Labelled corpus ==", *_corpus_headline(corpus), ""]
        rows = _recall_rows(corpus)
        lines += _text_table(_RECALL_HEADERS, rows, "llrrrr") if rows else ["(no rule measured)"]
        for title, items in _corpus_lists(corpus, md=False):
            if items:
                lines += ["", f"{title}:", *(f"  {item}" for item in items)]
        lines.append("")
    if sample is not None:
        lines += ["== Random sample ==", *_sample_headline(sample), ""]
        lines += _text_table(_SERIES_HEADERS, _series_rows(sample), "rllrrrl")
        rows = _rule_rows(sample)
        table = _text_table(_RULE_HEADERS, rows, "llrrr") if rows else ["(no warning or error)"]
        lines += ["", *table, ""]
    return "\n".join(lines)


def render_markdown(corpus: CorpusSummary | None, sample: SampleSummary | None) -> str:
    lines = [f"# reviewpatch evaluation (reviewpatch {__version__})", ""]
    if corpus is not None:
        lines += ["## Labelled corpus", "", *(f"- {h}" for h in _corpus_headline(corpus)), ""]
        rows = _recall_rows(corpus)
        lines += [*_md_table(_RECALL_HEADERS, rows, "llrrrr"), ""] if rows else ["None.", ""]
        for title, items in _corpus_lists(corpus, md=True):
            lines += [f"### {title}", ""]
            lines += [*(f"- {_md_cell(i)}" for i in items), ""] if items else ["None.", ""]
        lines += ["### Warnings and errors per case", ""]
        rows = [
            [r.case.id, r.case.klass, r.case.shape, h.rule_id, h.rule_name, h.severity]
            + [h.where, h.message]
            for r in corpus.results
            for h in r.hits
        ]
        headers = ("case", "class", "shape", "id", "rule", "severity", "where", "message")
        lines += [*_md_table(headers, rows, ""), ""] if rows else ["None.", ""]
    if sample is not None:
        lines += ["## Random sample", "", *(f"- {h}" for h in _sample_headline(sample)), ""]
        lines += [*_md_table(_SERIES_HEADERS, _series_rows(sample), "rllrrrl"), ""]
        rows = _rule_rows(sample)
        lines += [*_md_table(_RULE_HEADERS, rows, "llrrr"), ""] if rows else ["None.", ""]
        lines += ["### Warnings and errors", ""]
        rows = [
            [str(number), f"{h.patch_index if h.patch_index is not None else '-'}"]
            + [h.rule_id, h.rule_name, h.severity, h.where, h.message, h.subject]
            for number, r in enumerate(sample.series, 1)
            for h in r.hits
        ]
        headers = ("#", "patch", "id", "rule", "severity", "where", "message", "subject")
        lines += [*_md_table(headers, rows, "rr"), ""] if rows else ["None.", ""]
    return "\n".join(lines)


def _case_json(r: CaseResult) -> dict[str, Any]:
    c = r.case
    return {
        "id": c.id,
        "file": c.file,
        "list": c.list,
        "msgid": c.msgid,
        "class": c.klass,
        "shape": c.shape,
        "split": c.split,
        "expect": list(c.expect),
        "status": r.status,
        "detail": r.detail,
        "series_version": r.series_version,
        "patch_index": r.patch_index,
        "fired": list(r.fired),
        "missed": list(r.missed),
        "false_alarms": [h.as_json() for h in r.false_alarms],
        "findings": [h.as_json() for h in r.hits],
    }


def render_json(corpus: CorpusSummary | None, sample: SampleSummary | None) -> str:
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "tool": f"reviewpatch {__version__}",
        "corpus": None,
        "random": None,
    }
    if corpus is not None:
        doc["corpus"] = {
            "directory": corpus.directory,
            "split": corpus.split,
            "cases": len(corpus.results),
            "status": {
                klass: {st: len(corpus.with_status(klass, st)) for st in _STATUSES}
                for klass in CLASSES
            },
            "wrong_detected": corpus.detected,
            "wrong_reviewed": len(corpus.wrong_reviewed),
            "correct_with_false_alarm": corpus.alarmed,
            "correct_reviewed": len(corpus.correct_reviewed),
            "rules": [
                {
                    "rule": r.rule,
                    "rule_id": r.rule_id or None,
                    "expected": r.expected,
                    "fired": r.hits,
                    "recall": r.recall,
                    "false_alarms": r.false_alarms,
                }
                for r in corpus.rules
            ],
            "results": [_case_json(r) for r in corpus.results],
        }
    if sample is not None:
        doc["random"] = {
            "archive": sample.archive,
            "query": sample.query,
            "seed": sample.seed,
            "requested": sample.requested,
            "matches": sample.matches,
            "drawn": sample.drawn,
            "skipped": sample.skipped,
            "series_count": len(sample.series),
            "reviewed": len(sample.reviewed),
            "errors_count": len(sample.series) - len(sample.reviewed),
            "patches": sample.patches,
            "warnings": sample.warnings,
            "errors": sample.errors,
            "per_10_patches": sample.per_10_patches,
            "rules": [
                {
                    "rule_id": r.rule_id,
                    "rule_name": r.rule_name,
                    "warnings": r.warnings,
                    "errors": r.errors,
                    "series": r.series,
                }
                for r in sample.rules
            ],
            "series": [
                {
                    "msgid": r.msgid,
                    "subject": r.subject,
                    "date": r.date,
                    "version": r.version,
                    "status": r.status,
                    "detail": r.detail,
                    "patches": r.patches,
                    "warnings": r.warnings,
                    "errors": r.errors,
                    "findings": [h.as_json() for h in r.hits],
                }
                for r in sample.series
            ],
        }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- command line -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Measure reviewpatch's rules on real mail: the labelled corpus "
        "(benchmarks/corpus) and/or a random sample of an archive's patch series.",
        epilog="The corpus part runs unless only --random is given; give --corpus to "
        "run both.  Exit codes: 0 done, 2 usage or corpus error, 3 the random "
        "sample's search failed.",
    )
    p.add_argument(
        "--archive",
        action="append",
        default=[],
        metavar="URL|LIST=URL",
        help="public-inbox base URL; a server root (http://host:port) gets the list "
        "name appended; LIST=URL names one list's archive (repeatable)",
    )
    p.add_argument(
        "--corpus",
        nargs="?",
        const=str(CORPUS_DIR),
        default=None,
        metavar="DIR",
        help=f"run the labelled corpus of DIR/*.toml (default {CORPUS_DIR.name}/ next to this script)",
    )
    p.add_argument("--split", choices=("tune", "holdout", "all"), default="tune")
    p.add_argument(
        "--case", action="append", default=[], metavar="ID", help="only these cases (repeatable)"
    )
    p.add_argument("--tree", metavar="PATH", help="a git checkout: review in tree mode")
    p.add_argument("--random", type=int, metavar="N", help="review N random series")
    p.add_argument("--seed", type=int, default=0, help="seed of the random sample (default 0)")
    p.add_argument("--list", metavar="NAME", help="the list the random sample is drawn from")
    p.add_argument(
        "--query",
        default=DEFAULT_QUERY,
        help=f"public-inbox search query of the random sample (default {DEFAULT_QUERY!r}; "
        "e.g. 's:PATCH d:20230101..20231231')",
    )
    p.add_argument("--exclude", metavar="FILE", help="Message-IDs (one a line) to leave out")
    p.add_argument("--json", metavar="FILE", help="write every number and finding as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the report as markdown")
    p.add_argument("--cache-dir", metavar="DIR", help="fetch cache (default: a temporary dir)")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per request (15)")
    p.add_argument("--retries", type=int, default=1, help="retries per request (1)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    session: requests.Session | None = None,
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        if not args.quiet:
            print(message, file=err, flush=True)

    try:
        if args.random is not None and args.random < 1:
            raise CorpusError("--random N needs N >= 1")
        if not args.archive:
            raise CorpusError("--archive URL is required")
        archives = Archives.parse(args.archive)
        run_corpus = args.corpus is not None or args.random is None
        cases: tuple[Case, ...] = ()
        directory = Path(args.corpus or CORPUS_DIR)
        if run_corpus:
            cases = load_corpus(directory)
            if args.case:
                unknown = sorted(set(args.case) - {c.id for c in cases})
                if unknown:
                    raise CorpusError(f"--case: no case {', '.join(unknown)}")
                cases = tuple(c for c in cases if c.id in args.case)
        sample_base = None
        if args.random is not None:
            if args.list is None and archives.default is None:
                raise CorpusError("--random needs --list NAME or a plain --archive URL")
            sample_base = archives.base_for(args.list) if args.list else archives.default or ""
        exclude = _read_exclude(Path(args.exclude)) if args.exclude else frozenset()
    except CorpusError as exc:
        print(f"evaluate.py: error: {exc}", file=err)
        return EXIT_USAGE

    corpus: CorpusSummary | None = None
    sample: SampleSummary | None = None
    code = EXIT_OK
    own = session is None
    http = requests.Session() if session is None else session
    with tempfile.TemporaryDirectory(prefix="reviewpatch-evaluate-") as tmp:
        settings = Settings(
            cache_dir=args.cache_dir or tmp,
            timeout=args.timeout,
            retries=max(0, args.retries),
            tree=args.tree,
        )
        try:
            if run_corpus:
                corpus = evaluate_corpus(
                    cases,
                    archives,
                    settings,
                    split=args.split,
                    directory=str(directory),
                    session=http,
                    say=say,
                )
            if sample_base is not None:
                try:
                    sample = evaluate_sample(
                        sample_base,
                        settings,
                        count=args.random,
                        seed=args.seed,
                        query=args.query,
                        exclude=exclude,
                        session=http,
                        say=say,
                    )
                except FetchError as exc:
                    print(f"evaluate.py: random sample: {_one_line(str(exc))}", file=err)
                    code = EXIT_FETCH
        finally:
            if own:
                http.close()
    out.write(render_text(corpus, sample))
    if args.json:
        _write(args.json, render_json(corpus, sample))
    if args.markdown:
        _write(args.markdown, render_markdown(corpus, sample))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
