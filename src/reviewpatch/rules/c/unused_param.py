"""RP317 unused-parameter: a new function that never uses one of its
parameters, while every caller has to pass it."""

from __future__ import annotations

__all__ = ["unused_parameter"]

import re
from collections.abc import Iterator

from reviewpatch.csource import NEW, SeriesCode
from reviewpatch.csource.model import FunctionBody
from reviewpatch.csource.prepare import mask_comments
from reviewpatch.findings import Confidence, Severity
from reviewpatch.rules.c.common import code_evidence
from reviewpatch.rules.registry import Hit, RuleContext, Scope, rule

_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_UNUSED_MARKS = ("unused", "__maybe_unused", "__always_unused")
# a body that only returns a constant or nothing: a stub, which ignores its
# parameters on purpose
_STUB_RE = re.compile(r"^\{\s*(?:return\s*[-\w()]*\s*;\s*)?\}$")


def _body_text(body: FunctionBody) -> str | None:
    """The masked text of the body, from its opening brace."""
    text = "\n".join(mask_comments([ln.text for ln in body.lines]))
    sig = body.function.signature
    at = text.find("{", text.find(")", text.find(sig.split("(", 1)[0]) if sig else 0))
    return text[at:] if at >= 0 else None


def _mentions(code: SeriesCode, name: str, upto: int) -> tuple[int, int]:
    """(calls in a body, mentions that are no call) of ``name`` on the added
    lines of patches up to ``upto``; the definition and prototypes, at
    column 0, are neither."""
    call_re = re.compile(rf"\b{re.escape(name)}\s*\(")
    word_re = re.compile(rf"\b{re.escape(name)}\b")
    calls = other = 0
    for pc in code.patches:
        if pc.index > upto:
            continue
        for fc in pc.files:
            for fr in fc.fragments(NEW):
                for ln in fr.view.lines:
                    if ln.kind != "+" or name not in ln.text:
                        continue
                    n_calls = len(call_re.findall(ln.text))
                    n_words = len(word_re.findall(ln.text))
                    if ln.text[:1].isspace():  # in a body: a call
                        calls += n_calls
                    other += n_words - n_calls
    return calls, other


@rule(
    id="RP317",
    name="unused-parameter",
    severity=Severity.NOTE,
    confidence=Confidence.MEDIUM,
    scope=Scope.PATCH,
    needs_code=True,
)
def unused_parameter(ctx: RuleContext) -> Iterator[Hit]:
    """A new function never uses one of its parameters.

    What it does
        For every function the patch adds whole (head, body and closing
        brace on added lines), lists the parameters its body never names.
        Left alone: stubs (an empty body or a lone ``return`` of a
        constant), ``__weak`` defaults, parameters marked unused, and
        functions whose name the series uses other than in a call (a
        callback, an ops member, a function pointer): their signature is
        fixed by whoever calls them.  Only functions that the series calls
        directly are looked at.
    Why it matters
        A parameter nothing reads is either a leftover of an earlier
        version or a sign that the function ignores something it was meant
        to honour (a flag, a size, a lock class); every caller still has
        to compute it.
    Example
        +static int foo_set_rate(struct foo *foo, unsigned long rate, bool force)
        +{
        +	return foo_write(foo, FOO_RATE, rate);
        +}
    Use instead
        Drop the parameter, or use it (here: honour ``force``).
    """
    assert ctx.patch is not None
    code = ctx.code
    if not isinstance(code, SeriesCode):
        return
    pc = next((p for p in code.patches if p.index == ctx.patch.index), None)
    if pc is None:
        return
    for fc in pc.files:
        for fr in fc.fragments(NEW):
            for body in fr.bodies:
                hit = _judge(code, pc.index, fc.path, body)
                if hit is not None:
                    yield hit


def _judge(code: SeriesCode, index: int, path: str, body: FunctionBody) -> Hit | None:
    fn = body.function
    if not fn.complete or fn.name is None or not body.lines:
        return None
    if any(ln.kind != "+" for ln in body.lines):
        return None  # not a new function
    if "__weak" in body.lines[0].text or any(m in fn.signature for m in _UNUSED_MARKS):
        return None
    text = _body_text(body)
    if text is None or _STUB_RE.match(" ".join(text.split())):
        return None
    used = set(_IDENT_RE.findall(text))
    unused = [p for p in fn.params if p and p not in used and not p.startswith("_")]
    if not unused:
        return None
    calls, other = _mentions(code, fn.name, max(p.index for p in code.patches))
    if calls == 0 or other:
        return None
    shown = ", ".join(f"'{p}'" for p in unused)
    return Hit(
        message=(
            f"{fn.name}() never uses its parameter{'s' if len(unused) > 1 else ''} {shown}; "
            f"its callers still pass {'them' if len(unused) > 1 else 'it'}"
        ),
        file=path,
        line=fn.start.new_no,
        mail_line=fn.start.mail_line,
        symbol=fn.name,
        evidence=(code_evidence(fn.start, path, "defined here"),),
    )
