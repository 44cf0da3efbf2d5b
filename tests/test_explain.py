from reviewpatch.rules.explain import explaining_sentence, is_explained

SEED_MESSAGE = """Streamline syscall_exit_to_user_mode_work().

   Gating audit_syscall_exit() behind this exit-time check introduces
   no functional changes. The `SYSCALL_AUDIT` flag and its context are
   statically allocated. Since the flag remains persistent, checking
   `_TIF_SYSCALL_AUDIT` in the mask is fully equivalent.

- Relocate rseq_syscall() to run unconditionally on the outermost layer.
"""


def test_named_with_reason_is_explained():
    assert is_explained(SEED_MESSAGE, "audit_syscall_exit")
    assert is_explained(SEED_MESSAGE, "audit_syscall_exit()")
    assert "equivalent" in explaining_sentence(SEED_MESSAGE, "_TIF_SYSCALL_AUDIT")


def test_named_without_reason_or_not_named_is_not():
    assert not is_explained(SEED_MESSAGE, "rseq_syscall")
    assert not is_explained(SEED_MESSAGE, "trace_sys_exit")
    assert not is_explained(SEED_MESSAGE, None)
    assert not is_explained("", "x")


def test_whole_identifier_match_only():
    msg = "Drop foo_bar because it is unused."
    assert is_explained(msg, "foo_bar")
    assert not is_explained(msg, "foo")
