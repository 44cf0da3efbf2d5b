"""benchmarks/evaluate.py against a real public-inbox-httpd on 127.0.0.1.

The inbox is built from fixture threads; what the rules say on each patch
is first learnt by reviewing the same fixture files offline, so the test
holds whatever the rules are called or find today: a wrong case expecting a
rule that fires is a hit, a correct case on the same patch is a false
alarm, a Message-ID the archive lacks is unavailable, and an older version
of a thread is reviewed as that version.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from publicinbox import PublicInbox, free_port, msgid_of, public_inbox_missing, serve_inbox

from reviewpatch.api import review
from reviewpatch.findings import Report, Severity
from reviewpatch.settings import Settings
from reviewpatch.subject import parse_subject

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "evaluate.py"
INBOX = "evalinbox"
V1V2 = ROOT / "fixtures" / "threads" / "v1-v2-replies.mbox"
# A single patch sent in answer to the cover letter of another series.
ANSWER = "evaluate-answering-patch@example.org"
ANSWER_SOURCE = (
    ROOT / "fixtures" / "rules" / "moved-call-conditional" / "bad-moved-into-branch.mbox"
)
COVER_FILE = ROOT / "fixtures" / "rules" / "unreadable-mail" / "good-cover-3.mbox"
COVER = "20260302101500.44120-1-marek.vasut@example.org"


def _load(name: str = "reviewpatch_evaluate", script: Path = SCRIPT) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


evaluate = _load()


def _threads() -> tuple[Path, ...]:
    """Fixture threads whose Message-IDs no earlier file used and whose
    subjects no other file shares (public-inbox threads equal subjects
    together), so the archive serves each file as its own thread."""
    from publicinbox import split_mbox

    files = sorted((ROOT / "fixtures" / "rules").glob("*/*.mbox")) + [V1V2]
    seen_ids: set[str] = set()
    subjects: dict[str, int] = {}
    parsed: list[tuple[Path, list[bytes]]] = []
    for path in files:
        mails = list(split_mbox(path.read_bytes()))
        parsed.append((path, mails))
        for title in {_title(m) for m in mails}:
            subjects[title] = subjects.get(title, 0) + 1
    chosen: list[Path] = []
    for path, mails in parsed:
        ids = {msgid_of(m) for m in mails}
        if None in ids or ids & seen_ids:
            continue
        if any(subjects[_title(m)] > 1 for m in mails):
            continue
        seen_ids |= {i for i in ids if i}
        chosen.append(path)
    return tuple(chosen)


def _title(mail: bytes) -> str:
    for line in mail.split(b"\n\n", 1)[0].decode("utf-8", "replace").splitlines():
        if line.lower().startswith("subject:"):
            return parse_subject(line.split(":", 1)[1]).title
    return ""


def _serious(report: Report, index: int) -> list[tuple[str, str]]:
    return [
        (f.rule_id, f.rule_name)
        for f in report.findings
        if f.location.patch_index == index and f.severity.rank >= Severity.WARNING.rank
    ]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PublicInbox, dict]]:
    reason = public_inbox_missing()
    if reason:
        pytest.skip(reason)
    files = _threads()
    assert COVER_FILE in files, f"{COVER_FILE.name} is no longer a thread of its own"
    truth: dict[str, dict] = {}
    for path in files:
        report = review(str(path), Settings(offline=True))
        for patch in report.series.patches:
            truth[patch.msgid] = {
                "c": [h for h in _serious(report, patch.index) if h[0].startswith("RP3")],
                "all": _serious(report, patch.index),
                "version": report.series.version,
                "file": path,
            }
    root = tmp_path_factory.mktemp("evaluate-archive")
    answer = _answering_patch(_split(ANSWER_SOURCE)[0], COVER)
    (root / "answer.eml").write_bytes(answer)
    report = review(str(root / "answer.eml"), Settings(offline=True))
    truth[ANSWER] = {"all": _serious(report, 1), "c": [], "version": 1, "file": None}
    mails = tuple(m for path in files for m in _split(path)) + (answer,)
    with serve_inbox(root, INBOX, mails) as inbox:
        yield inbox, truth


def _answering_patch(mail: bytes, parent: str) -> bytes:
    """``mail`` as a single patch sent in answer to another series' cover
    letter (new Message-ID and subject)."""
    head, body = mail.split(b"\n\n", 1)
    drop = (b"message-id:", b"subject:", b"in-reply-to:", b"references:")
    lines = [line for line in head.split(b"\n") if not line.lower().startswith(drop)]
    lines += [
        b"Subject: [PATCH] evaluate: a patch sent in answer to another series",
        f"Message-ID: <{ANSWER}>".encode(),
        f"In-Reply-To: <{parent}>".encode(),
        f"References: <{parent}>".encode(),
    ]
    return b"\n".join(lines) + b"\n\n" + body


def _split(path: Path) -> tuple[bytes, ...]:
    from publicinbox import split_mbox

    return split_mbox(path.read_bytes())


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = evaluate.main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _corpus(directory: Path, cases: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for case in cases:
        lines.append("[[case]]")
        for key, value in case.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append('evidence = """\ntest case\n"""')
        lines.append("")
    (directory / "sample.toml").write_text("\n".join(lines), encoding="utf-8")
    return directory


def _case(cid: str, msgid: str, klass: str, expect: list[str], split: str = "tune") -> dict:
    return {
        "id": cid,
        "list": INBOX,
        "msgid": msgid,
        "class": klass,
        "shape": "gate",
        "expect": expect,
        "split": split,
    }


def test_corpus_recall_false_alarms_unavailable_and_old_versions(
    archive: tuple[PublicInbox, dict], tmp_path: Path
) -> None:
    inbox, truth = archive
    flagged = sorted(m for m, t in truth.items() if t["c"])
    clean = sorted(m for m, t in truth.items() if not t["c"] and t["version"] == 1)
    assert flagged and clean, "the fixtures give no C finding (or no clean patch) any more"
    hit_msgid, clean_msgid = flagged[0], clean[0]
    rule_id, rule_name = truth[hit_msgid]["c"][0]
    v1 = review(str(V1V2), Settings(offline=True, version=1)).series.patches[0]
    assert review(str(V1V2), Settings(offline=True)).series.version == 2
    cases = [
        _case("hit", hit_msgid, "wrong", [rule_name]),
        _case("miss", clean_msgid, "wrong", [rule_name, "no-such-rule"]),
        _case("alarm", hit_msgid, "correct", []),
        _case("clean", clean_msgid, "correct", []),
        _case("gone", "absent-from-archive@example.org", "wrong", [rule_name]),
        _case("old-version", v1.msgid, "correct", []),
        _case("held-out", hit_msgid, "wrong", [rule_name], split="holdout"),
        _case("answering", ANSWER, "correct", []),
        _case("cover", COVER, "correct", []),
    ]
    corpus = _corpus(tmp_path / "corpus", cases)
    server_root = inbox.base_url.rsplit("/", 1)[0]
    out_json = tmp_path / "out.json"
    out_md = tmp_path / "out.md"
    argv = ["--archive", server_root, "--corpus", str(corpus), "--cache-dir", str(tmp_path / "c")]
    code, text, err = _run([*argv, "--json", str(out_json), "--markdown", str(out_md), "-q"])
    assert code == 0, err
    assert err == ""
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert doc["random"] is None
    result = {r["id"]: r for r in doc["corpus"]["results"]}
    assert sorted(result) == [
        "alarm",
        "answering",
        "clean",
        "cover",
        "gone",
        "hit",
        "miss",
        "old-version",
    ]
    assert result["cover"]["status"] == "not-a-patch"
    answering = result["answering"]
    assert answering["status"] == "ok" and answering["patch_index"] == 1
    # the patch that answers another series' cover letter is its own series:
    # the review leaves the other series out by itself
    assert "reviewed without" not in answering["detail"]
    assert result["hit"]["status"] == "ok" and result["hit"]["fired"] == [rule_name]
    assert result["miss"]["missed"] == [rule_name, "no-such-rule"]
    assert result["gone"]["status"] == "unavailable"
    assert "absent-from-archive@example.org" in result["gone"]["detail"]
    assert result["old-version"]["status"] == "ok"
    assert result["old-version"]["series_version"] == 1
    alarms = result["alarm"]["false_alarms"]
    assert alarms and all(a["rule_id"].startswith("RP3") for a in alarms)
    assert alarms[0]["msgid"] == hit_msgid and alarms[0]["message"]
    assert result["clean"]["false_alarms"] == []
    for cid, msgid in (("hit", hit_msgid), ("clean", clean_msgid), ("answering", ANSWER)):
        got = [(f["rule_id"], f["rule_name"]) for f in result[cid]["findings"]]
        assert sorted(got) == sorted(truth[msgid]["all"])
    rules = {r["rule"]: r for r in doc["corpus"]["rules"]}
    assert rules[rule_name]["expected"] == 2 and rules[rule_name]["fired"] == 1
    assert rules[rule_name]["recall"] == 0.5 and rules[rule_name]["rule_id"] == rule_id
    assert rules["no-such-rule"]["rule_id"] is None and rules["no-such-rule"]["recall"] == 0
    assert rules[rule_name]["false_alarms"] >= 1
    assert doc["corpus"]["wrong_detected"] == 1 and doc["corpus"]["wrong_reviewed"] == 2
    assert doc["corpus"]["correct_with_false_alarm"] == 1 + bool(
        result["answering"]["false_alarms"]
    )
    assert doc["corpus"]["correct_reviewed"] == 4
    assert "(no such rule)" in text and "50%" in text and "unavailable" in text
    assert rule_name in out_md.read_text(encoding="utf-8")

    # the same numbers with LIST=URL, split holdout only, and deterministic output
    pair = ["--archive", f"{INBOX}={inbox.base_url}/", "--corpus", str(corpus), "-q"]
    code, again, _ = _run([*pair, "--split", "holdout"])
    assert code == 0 and "1 case(s) of split 'holdout'" in again
    _, first, _ = _run([*pair, "--split", "all"])
    _, second, _ = _run([*pair, "--split", "all"])
    assert first == second and "9 case(s)" in first


def test_dead_archive_is_unavailable(tmp_path: Path) -> None:
    corpus = _corpus(
        tmp_path / "corpus",
        [
            _case("a", "x1@example.org", "wrong", ["any"]),
            _case("b", "x2@example.org", "correct", []),
        ],
    )
    dead = f"http://127.0.0.1:{free_port()}"
    code, text, _ = _run(["--archive", dead, "--corpus", str(corpus), "-q"])
    assert code == 0
    assert text.count("unavailable: archive") == 2
    code, _, err = _run(["--archive", dead, "--random", "2", "--list", "x", "-q"])
    assert code == 3 and len(err.strip().splitlines()) == 1 and "unreachable" in err


def test_malformed_corpus_is_one_line_exit_2(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", [_case("Bad_Id", "x@example.org", "wrong", [])])
    code, out, err = _run(["--archive", "http://127.0.0.1:9", "--corpus", str(corpus)])
    assert code == 2 and out == ""
    assert "sample.toml" in err and len(err.strip().splitlines()) == 1


def test_random_sample_is_deterministic_and_reviews_series_heads(
    archive: tuple[PublicInbox, dict], tmp_path: Path
) -> None:
    inbox, truth = archive
    server_root = inbox.base_url.rsplit("/", 1)[0]
    argv = ["--archive", server_root, "--list", INBOX, "--random", "4", "--seed", "3", "-q"]
    code, text, err = _run([*argv, "--json", str(tmp_path / "a.json")])
    assert code == 0, err
    _run([*argv, "--json", str(tmp_path / "b.json"), "--markdown", str(tmp_path / "b.md")])
    a = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert a == b and a["corpus"] is None
    sample = a["random"]
    assert sample["series_count"] == 4 and sample["reviewed"] == 4
    heads = [s["msgid"] for s in sample["series"]]
    assert len(set(heads)) == 4
    for series in sample["series"]:
        subject = parse_subject(series["subject"])
        assert subject.is_patch and not subject.is_reply
        assert subject.counter in (0, 1)
        assert series["warnings"] + series["errors"] == len(series["findings"])
    assert sample["patches"] == sum(s["patches"] for s in sample["series"])
    total = sample["warnings"] + sample["errors"]
    if sample["patches"]:
        assert sample["per_10_patches"] == pytest.approx(10 * total / sample["patches"])
    assert sum(r["warnings"] + r["errors"] for r in sample["rules"]) == total
    assert "per 10 patches" in text and "Random sample" in (tmp_path / "b.md").read_text()

    # --exclude leaves the first drawn series out; the others keep their order
    (tmp_path / "exclude").write_text(f"<{heads[0]}>  # looked at\n", encoding="utf-8")
    _, _, _ = _run(
        [*argv, "--exclude", str(tmp_path / "exclude"), "--json", str(tmp_path / "c.json")]
    )
    c = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["random"]
    others = [s["msgid"] for s in c["series"]]
    assert heads[0] not in others and others[:3] == heads[1:]
    assert c["skipped"] >= 1


def test_detection_document_from_corpus_numbers_and_judgements(tmp_path: Path) -> None:
    detection = _load("reviewpatch_detection", ROOT / "benchmarks" / "detection.py")
    judged = tmp_path / "judged.toml"
    judged.write_text(
        "[[sample]]\nseed = 7\nlists = ['linux-pm']\npatches = 40\n[sample.rules]\n"
        "RP310 = { right = 3, wrong = 1 }\nRP203 = { right = 2, wrong = 0 }\n"
    )
    per_rule, samples, patches = detection.read_judged(judged)
    assert per_rule["RP310"].precision == 0.75 and samples == ["seed 7 (linux-pm)"]
    tune = evaluate.CorpusSummary(
        "corpus", "tune", (), (evaluate.RuleRecall("early-exit-skips-release", "RP310", 4, 3, 1),)
    )
    holdout = evaluate.CorpusSummary("corpus", "holdout", (), ())
    text = detection.render(tune, holdout, per_rule, samples, patches)
    assert "| RP310 | early-exit-skips-release | 3/4 | - | 1 | 3/4 | 75 % |" in text
    assert "| RP203 | no-changelog | - | - | - | 2/2 | 100 % |" in text
    assert "5 of 6 judged warnings and errors right (83 %), 1.50 per 10 patches" in text
    assert text == detection.render(tune, holdout, per_rule, samples, patches)  # no date
