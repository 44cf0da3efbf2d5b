"""Review requests and the author's answers, from the replies to vN-1.

A *request* is a reviewer's own words under lines they quote from the
patch: a quoted line counts when it is, whitespace aside, a line of the
commit message or of the diff (with its ``+``/``-`` sign).  The words under
one quote block are split into paragraphs; a paragraph without prose (a
list of files, a code snippet) stays with the one before it.  Its kind is
read from its words (see ``classify``).

A *response* is the author's own words under a quote of a request's words,
in a reply below the reviewer's mail.  Its stance is read sentence by
sentence: a promise ("will fix", "I'll split it out", "Agreed", "fixed in
v3"), a deferral ("in a cleanup series", "when I remove ..."), a decline
("No, because ...", "I'd rather not", "keep it as is"; never for a
question), or else a plain answer.  A blanket promise ("will fix all of the
above") answers every request of the mails it replies to that got no
answer of its own in that reply.
"""

from __future__ import annotations

__all__ = [
    "extract_requests",
    "extract_responses",
    "classify",
    "stance_of",
    "is_author",
    "aspects_of",
]

import re
from collections.abc import Sequence

from reviewpatch.model import LineKind, Mail, Patch, Person, Series
from reviewpatch.versions.mapping import patch_ref
from reviewpatch.versions.model import (
    QuotedLine,
    QuoteSource,
    Request,
    RequestKind,
    Response,
    Stance,
)
from reviewpatch.versions.quotes import Segment, split_reply
from reviewpatch.versions.text import key_terms, sentences, squeeze

_MIN_KEY = 6
_WORD = re.compile(r"^[A-Za-z][A-Za-z']{0,30}[,.;:!?]?$")
_SPLIT = re.compile(
    r"\b(?:split(?:ting)?|separate (?:patch|commit)|(?:its|their) own (?:patch|commit)"
    r"|standalone (?:patch|commit)|extract\w{0,3}\b.{0,60}\binto\b)",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"\bcomments?\b", re.IGNORECASE)
_MESSAGE = re.compile(
    r"\b(?:commit (?:message|log|description)s?|changelogs?|change ?logs?|mention\w{0,3}"
    r"|describe\w{0,2}|explain\w{0,3}|spell\w{0,3} out|in the (?:message|description|log))\b",
    re.IGNORECASE,
)
_ELSEWHERE = re.compile(
    r"\b(?:more|other) (?:places|callers|users|files|instances|spots|drivers)\b|\belsewhere\b",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"\b(?:please|should|shouldn't|could you|can you|would you|would be (?:better|nicer|good|great|cleaner)"
    r"|better to|instead|why not|need(?:s|ed)? to|must|nit|typo|missing|drop|remove|rename|use|move"
    r"|add|fix|avoid|prefer)\b",
    re.IGNORECASE,
)
_CODEISH = re.compile(r"[()\[\]=<>&|;{}]|->|\w_\w")
_PROMISE = re.compile(
    r"\b(?:I|we) ?(?:'ll|will|shall|am going to|'m going to|are going to|plan to|intend to)\b"
    r"|^(?:will|ok(?:ay)?,? will|sure,? will)\b"
    r"|\bwill (?:do|fix|update|change|add|send|address|rework|split|drop|remove|rename|move|extract)\b"
    r"|\b(?:fixed|done|addressed|updated|changed|reworded|added) in (?:v\d{1,3}|the next|next)\b"
    r"|^(?:agreed|agree|ack|sure|good (?:point|catch)|right|makes sense|will do)\b",
    re.IGNORECASE,
)
_DEFER = re.compile(
    r"\b(?:in|with|as|via) (?:a |an |the |my )?(?:separate|follow-?up|later|future|subsequent|another"
    r"|clean-?up|different)\b.{0,20}\b(?:patch(?:es|set)?|series|set|cycle|release)\b"
    r"|\bwhen (?:I|we) (?:remove|drop|rework|get to|convert)\b|\bin the future\b",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"^no\b[,.!]|\bI(?:'d| would) (?:rather not|prefer not|prefer to keep|rather keep)\b"
    r"|\bI don't think (?:so|it(?:'s| is) (?:needed|necessary|worth)|we need|that's needed)\b"
    r"|\b(?:keep|leave) (?:it|this|that|them) (?:as is|as it is|this way|unchanged)\b"
    r"|\bI disagree\b|\bnot (?:going|planning) to (?:change|do)\b|\bwon't (?:change|do|fix)\b"
    r"|\b(?:I|we) ?(?:will not|shall not|won't|'ll not|am not going to|'m not going to)\b",
    re.IGNORECASE,
)
# "I will not change that": the words of a promise, negated
_NEGATED = re.compile(
    r"\b(?:I|we) ?(?:will not|shall not|won't|'ll not|am not going to|'m not going to)\b",
    re.IGNORECASE,
)
_BLANKET = re.compile(
    r"\ball (?:of )?(?:the above|these|those|them|your (?:comments|suggestions|points|feedback))\b"
    r"|\b(?:fix|address|update|handle) (?:them )?all\b|\bthe above\b",
    re.IGNORECASE,
)
_DOCS = re.compile(r"\b(?:docs?|documentation)\b", re.IGNORECASE)


def is_author(mail: Mail, patch: Patch, series: Series) -> bool:
    """Whether ``mail`` was sent by the patch's author (or the series')."""
    people = [patch.author, patch.mail.sender] + ([series.author] if series.author else [])
    keys = {p.key for p in people if p.email}
    names = {" ".join(p.name.lower().split()) for p in people if p.name}
    sender = mail.sender
    return sender.key in keys or (
        bool(sender.name) and " ".join(sender.name.lower().split()) in names
    )


def _patch_lines(patch: Patch) -> dict[str, QuotedLine]:
    """The lines of a patch a reply may quote, by whitespace-free key."""
    out: dict[str, QuotedLine] = {}
    for line in patch.message.split("\n") + [
        t.raw or f"{t.name}: {t.value}" for t in patch.trailers
    ]:
        key = squeeze(line)
        if len(key) >= _MIN_KEY:
            out.setdefault(key, QuotedLine(QuoteSource.MESSAGE, line))
    for fdiff in patch.files:
        for hunk in fdiff.hunks:
            for dline in hunk.lines:
                sign = "" if dline.kind is LineKind.CONTEXT else dline.kind.value
                key = sign + squeeze(dline.text)
                if len(key) >= _MIN_KEY:
                    out.setdefault(
                        key, QuotedLine(QuoteSource.DIFF, dline.text, fdiff.path, dline.kind)
                    )
    return out


def _is_prose(para: Sequence[tuple[int, str]]) -> bool:
    return any(sum(1 for w in text.split() if _WORD.match(w)) >= 4 for _, text in para)


def _groups(segment: Segment) -> list[list[tuple[int, str]]]:
    """The paragraphs of a segment's words, lists and code kept with the
    paragraph before them."""
    paras: list[list[tuple[int, str]]] = [[]]
    for number, text in segment.words:
        if text.strip():
            paras[-1].append((number, text))
        elif paras[-1]:
            paras.append([])
    out: list[list[tuple[int, str]]] = []
    for para in (p for p in paras if p):
        if out and not _is_prose(para):
            out[-1].extend(para)
        else:
            out.append(list(para))
    return out


def classify(text: str, quoted: Sequence[QuotedLine]) -> RequestKind:
    """The kind of a request from its words and the lines it quotes."""
    diff = any(q.source is QuoteSource.DIFF for q in quoted)
    terms = key_terms(text)
    if _SPLIT.search(text):
        return RequestKind.SPLIT
    if diff and _COMMENT.search(text):
        return RequestKind.COMMENT
    if _MESSAGE.search(text):
        return RequestKind.MESSAGE
    quoted_paths = {q.path for q in quoted if q.path}
    named = [t for t in terms if "/" in t or t.endswith((".c", ".h", ".rst", ".txt"))]
    if _ELSEWHERE.search(text) or any(t not in quoted_paths for t in named):
        return RequestKind.ELSEWHERE
    if "?" in text and not _ASK.search(text):
        return RequestKind.QUESTION
    if any(_CODEISH.search(t) for t in terms) or (diff and _ASK.search(text)):
        return RequestKind.CODE
    if _ASK.search(text):
        return RequestKind.CODE if diff else RequestKind.MESSAGE
    return RequestKind.REMARK


def _requests_of(
    series: Series, patch: Patch, reply: Mail, lines: dict[str, QuotedLine]
) -> list[Request]:
    out: list[Request] = []
    for segment in split_reply(reply):
        quoted = [lines[k] for k in (squeeze(q.text) for q in segment.quote) if k in lines]
        if not quoted:
            continue
        for group in _groups(segment):
            text = "\n".join(t for _, t in group).strip()
            out.append(
                Request(
                    ident=f"{reply.msgid}#{len(out) + 1}",
                    patch=patch_ref(series, patch),
                    reviewer=reply.sender,
                    msgid=reply.msgid,
                    line=group[0][0],
                    quoted=tuple(dict.fromkeys(quoted)),
                    text=text,
                    kind=classify(text, quoted),
                    terms=key_terms(text),
                )
            )
    return out


def extract_requests(series: Series) -> tuple[Request, ...]:
    """Every request made in replies to the patches (and the cover letter)
    of ``series``, by patch then reply order."""
    out: list[Request] = []
    for patch in series.all_patches:
        lines = _patch_lines(patch)
        for reply in patch.replies:
            if not is_author(reply, patch, series) and not _from_a_bot(reply):
                out.extend(_requests_of(series, patch, reply, lines))
    return tuple(out)


# a build or check bot's report ("My bot found errors running 'make
# dt_binding_check'", the kernel test robot): its findings are for the
# author to fix, not review requests with quoted lines to follow
_BOT_TEXT = ("My bot found errors", "kernel test robot", "This is a semi-automated message")


def _from_a_bot(reply: Mail) -> bool:
    name = reply.sender.name.casefold() if reply.sender else ""
    if "robot" in name.split() or name.endswith(" bot") or "-bot" in name:
        return True
    head = reply.body[:4000]
    return any(marker in head for marker in _BOT_TEXT)


def stance_of(text: str, question: bool) -> tuple[Stance, str, RequestKind | None, bool]:
    """The stance of an answer, the sentence that decided it, what a
    promise is about (None when its words do not say) and whether it is a
    blanket promise.  A question is answered, never declined."""
    promises: list[str] = []
    defer = decline = None
    for sentence in sentences(text):
        if _DEFER.search(sentence):
            defer = defer or sentence
        elif _PROMISE.search(sentence) and not _NEGATED.search(sentence):
            promises.append(sentence)
        elif _DECLINE.search(sentence) and not question:
            decline = decline or sentence
    if promises:
        aspect = next((a for a in map(_aspect, promises) if a is not None), None)
        blanket = any(_BLANKET.search(s) for s in promises)
        return Stance.PROMISE, promises[0], aspect, blanket
    if defer is not None:
        return Stance.DEFER, defer, None, False
    if decline is not None:
        return Stance.DECLINE, decline, None, False
    first = next(iter(sentences(text)), text.strip())
    return Stance.ANSWER, first, None, False


def _aspect(sentence: str) -> RequestKind | None:
    if _SPLIT.search(sentence):
        return RequestKind.SPLIT
    if _COMMENT.search(sentence):
        return RequestKind.COMMENT
    if re.search(r"\b(?:commit (?:message|log)|changelog|description)\b", sentence, re.IGNORECASE):
        return RequestKind.MESSAGE
    if _DOCS.search(sentence):
        return RequestKind.CODE
    return None


def aspects_of(text: str) -> tuple[RequestKind, ...]:
    """What the promises in ``text`` are about (a split, the message, a
    comment, the code or docs), each once, in order."""
    found = [_aspect(s) for s in sentences(text) if _PROMISE.search(s) and not _DEFER.search(s)]
    return tuple(dict.fromkeys(a for a in found if a is not None))


def _answered(segment: Segment, candidates: Sequence[Request]) -> Request | None:
    """The request whose words the segment quotes nearest to its end."""
    best: tuple[int, int, Request] | None = None
    for order, request in enumerate(candidates):
        keys = {squeeze(line) for line in request.text.split("\n")}
        keys = {k for k in keys if len(k) >= _MIN_KEY}
        hits = [i for i, q in enumerate(segment.quote) if squeeze(q.text) in keys]
        if hits and (best is None or (hits[-1], order) > best[:2]):
            best = (hits[-1], order, request)
    return best[2] if best else None


def _response(request: Request, reply: Mail, segment: Segment, author: Person) -> Response:
    stance, sentence, aspect, blanket = stance_of(
        segment.text, request.kind is RequestKind.QUESTION
    )
    return Response(
        request=request.ident,
        msgid=reply.msgid,
        line=segment.first_line,
        author=author,
        stance=stance,
        text=segment.text,
        sentence=sentence,
        aspect=aspect,
        blanket=blanket,
    )


def _responses_in(reply: Mail, candidates: Sequence[Request]) -> list[Response]:
    out: list[Response] = []
    blankets: list[Segment] = []
    answered: set[str] = set()
    for segment in split_reply(reply):
        request = _answered(segment, candidates)
        if request is not None:
            response = _response(request, reply, segment, reply.sender)
            out.append(response)
            answered.add(request.ident)
            if response.blanket:
                blankets.append(segment)
        elif stance_of(segment.text, False)[3]:
            blankets.append(segment)
    for segment in blankets:
        for request in candidates:
            if request.ident not in answered:
                out.append(_response(request, reply, segment, reply.sender))
    return out


def extract_responses(series: Series, requests: Sequence[Request]) -> tuple[Response, ...]:
    """The author's answers to ``requests`` in the replies of ``series``."""
    out: list[Response] = []
    for patch in series.all_patches:
        mine = [r for r in requests if r.patch.msgid == patch.msgid]
        for reply in patch.replies:
            if not mine or not is_author(reply, patch, series):
                continue
            above = {reply.in_reply_to, *reply.references}
            candidates = [r for r in mine if r.msgid in above]
            out.extend(_responses_in(reply, candidates))
    return tuple(out)
