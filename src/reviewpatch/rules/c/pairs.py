"""Kernel acquire/release pairs: locks, references, allocations, enables.

``releases(acquire, release)`` says whether a call of ``release`` undoes one
of ``acquire``: a pair known by name (``mutex_lock_interruptible`` and
``mutex_unlock``, ``kzalloc`` and ``kfree``, ``clk_prepare_enable`` and
``clk_disable_unprepare``, ``of_find_node_by_name`` and ``of_node_put``), or
two names that differ only by a pair word (``foo_get``/``foo_put``,
``bar_lock``/``bar_unlock``, ``baz_enable``/``baz_disable``).
``by_result(acquire)`` tells the acquisitions whose object is the returned
value (allocations, lookups) from those whose object is the first argument
(locks, ``get_device(dev)``).
"""

from __future__ import annotations

__all__ = [
    "PAIR_WORDS",
    "by_result",
    "is_acquire",
    "is_lock",
    "known_pair",
    "lock_of",
    "releases",
]

import re
from functools import lru_cache

PAIR_WORDS: tuple[tuple[str, str], ...] = (
    ("get", "put"),
    ("lock", "unlock"),
    ("enable", "disable"),
    ("alloc", "free"),
    ("register", "unregister"),
    ("create", "destroy"),
    ("prepare", "unprepare"),
    ("map", "unmap"),
    ("acquire", "release"),
    ("request", "release"),
    ("request", "free"),
    ("start", "stop"),
    ("claim", "release"),
    ("pin", "unpin"),
    ("grab", "release"),
    ("hold", "release"),
    ("open", "close"),
    ("open", "release"),
    ("init", "free"),
    ("init", "exit"),
    ("init", "deinit"),
    ("init", "cleanup"),
    ("add", "remove"),
    ("add", "del"),
    ("create", "remove"),
    ("attach", "detach"),
    ("setup", "teardown"),
    ("setup", "cleanup"),
)
_ALLOC = frozenset(
    {
        "kmalloc",
        "kzalloc",
        "kcalloc",
        "kmalloc_array",
        "kvmalloc",
        "kvzalloc",
        "kvcalloc",
        "kvmalloc_array",
        "kstrdup",
        "kstrndup",
        "kmemdup",
        "kasprintf",
        "vmalloc",
        "vzalloc",
        "krealloc",
        "kmalloc_node",
        "kzalloc_node",
        "nvmem_cell_read",
        "kobject_get_path",
    }
)
_LOCKS = (
    "mutex_lock",
    "spin_lock",
    "raw_spin_lock",
    "read_lock",
    "write_lock",
    "down_read",
    "down_write",
    "rcu_read_lock",
    "srcu_read_lock",
    "preempt_disable",
    "local_irq_save",
    "local_irq_disable",
    "local_bh_disable",
)
_FREE = frozenset({"kfree", "kvfree", "vfree", "kfree_sensitive", "kfree_const"})
# acquire prefixes -> release names, where the words differ
_NAMED: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("mutex_lock", "mutex_trylock"), ("mutex_unlock",)),
    (("spin_lock", "spin_trylock"), ("spin_unlock",)),
    (("raw_spin_lock", "raw_spin_trylock"), ("raw_spin_unlock",)),
    (("read_lock",), ("read_unlock",)),
    (("write_lock",), ("write_unlock",)),
    (("down_read",), ("up_read",)),
    (("down_write",), ("up_write",)),
    (("down", "down_interruptible", "down_killable", "down_trylock", "down_timeout"), ("up",)),
    (("rcu_read_lock",), ("rcu_read_unlock",)),
    (("srcu_read_lock",), ("srcu_read_unlock",)),
    (("preempt_disable",), ("preempt_enable",)),
    (("local_irq_save",), ("local_irq_restore",)),
    (("local_irq_disable",), ("local_irq_enable",)),
    (("local_bh_disable",), ("local_bh_enable",)),
    (("clk_prepare_enable",), ("clk_disable_unprepare",)),
    (("clk_bulk_prepare_enable",), ("clk_bulk_disable_unprepare",)),
    (("request_irq", "request_threaded_irq", "request_any_context_irq"), ("free_irq",)),
    (("request_percpu_irq",), ("free_percpu_irq",)),
    (("pm_runtime_get", "pm_runtime_resume_and_get"), ("pm_runtime_put",)),
    (("get_device",), ("put_device",)),
    (("try_module_get", "__module_get"), ("module_put",)),
    (
        (
            "of_node_get",
            "of_find_",
            "of_get_",
            "of_parse_phandle",
            "of_cpu_device_node_get",
            "of_graph_get_",
        ),
        ("of_node_put",),
    ),
    (("fwnode_handle_get", "fwnode_get_", "device_get_named_child_node"), ("fwnode_handle_put",)),
    (("ioremap",), ("iounmap",)),
    (("dma_alloc_coherent",), ("dma_free_coherent",)),
    (("request_mem_region",), ("release_mem_region",)),
    (("cpufreq_cpu_get",), ("cpufreq_cpu_put",)),
    (("kobject_get",), ("kobject_put",)),
    (("regulator_enable",), ("regulator_disable",)),
    (("pm_runtime_enable",), ("pm_runtime_disable",)),
    (("enable_irq_wake",), ("disable_irq_wake",)),
    (("enable_irq",), ("disable_irq",)),
    (("napi_enable",), ("napi_disable",)),
    (("clk_enable",), ("clk_disable",)),
    (("clk_prepare",), ("clk_unprepare",)),
    (("ida_alloc", "ida_simple_get"), ("ida_free", "ida_simple_remove")),
    (("idr_alloc",), ("idr_remove",)),
)
_RESULT_PREFIXES = ("of_find_", "of_get_", "of_parse_phandle", "of_graph_get_", "fwnode_get_")
_RESULT = frozenset(
    {
        "ioremap",
        "dma_alloc_coherent",
        "cpufreq_cpu_get",
        "clk_get",
        "of_cpu_device_node_get",
        "device_get_named_child_node",
        "ida_alloc",
        "idr_alloc",
    }
)
_SPLIT_RE = re.compile(r"_+")


@lru_cache(maxsize=256)
def _forms(prefixes: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The names ``prefixes`` match exactly, and the starts of their
    variants (``spin_lock_``) and families (``of_find_``)."""
    starts = tuple(p if p.endswith("_") else p + "_" for p in prefixes)
    return frozenset(prefixes), starts


def _named_as(name: str, prefixes: tuple[str, ...]) -> bool:
    """``name`` is one of ``prefixes`` or a variant of one (``_irq``,
    ``_nested``); a prefix ending in ``_`` names a family (``of_find_``)."""
    exact, starts = _forms(prefixes)
    return name in exact or name.startswith(starts)


# words that make a member of a reference-taking family (``of_get_``,
# ``of_find_``, ``fwnode_get_``) a getter of a plain value instead:
# of_get_available_child_count(), of_find_property(), of_get_mac_address()
_VALUE_WORDS = frozenset(
    {"count", "property", "address", "gpio", "mode", "nr", "index", "flags", "id", "string"}
)


# getters whose memory the device's resources (devres) own: the matching
# put is optional, the device frees it when it goes
_DEVRES_BACKED = frozenset({"power_supply_get_battery_info"})


def _value_getter(name: str) -> bool:
    """A family member that returns a value, not a reference, or a getter
    whose result the device's resources own."""
    if name in _DEVRES_BACKED:
        return True
    return name.startswith(_RESULT_PREFIXES) and bool(set(name.split("_")) & _VALUE_WORDS)


@lru_cache(maxsize=8192)  # pure, called for every call site
def known_pair(acquire: str) -> bool:
    """Whether ``acquire`` is the taking half of a pair known by name (not
    an initialiser of one: ``spin_lock_init``; not a family member that
    returns a plain value: ``of_get_child_count``)."""
    if "init" in acquire.split("_") or _value_getter(acquire):
        return False
    return any(_named_as(acquire, acq) for acq, _ in _NAMED)


def _named(acquire: str, release: str) -> bool:
    return any(_named_as(acquire, acq) and _named_as(release, rel) for acq, rel in _NAMED)


def _by_words(acquire: str, release: str) -> bool:
    """Names equal but for one pair word (``foo_get``/``foo_put``)."""
    a, r = _SPLIT_RE.split(acquire), _SPLIT_RE.split(release)
    if len(a) != len(r) or len(a) < 2:
        return False
    diff = [(x, y) for x, y in zip(a, r) if x != y]
    return len(diff) == 1 and diff[0] in PAIR_WORDS


@lru_cache(maxsize=8192)  # pure, called for every call site
def releases(acquire: str, release: str) -> bool:
    """Whether a call of ``release`` undoes one of ``acquire``."""
    if acquire in _ALLOC or acquire.startswith(("kmem_cache_alloc", "kmalloc_")):
        return release in _FREE or release.startswith("kmem_cache_free")
    return _named(acquire, release) or _by_words(acquire, release)


@lru_cache(maxsize=8192)  # pure, called for every call site
def is_acquire(name: str) -> bool:
    """Whether ``name`` looks like an acquisition (worth looking for its
    release): not an initialiser (``spin_lock_init``), nor the releasing
    half of a pair named by name (``local_irq_enable``, ``preempt_enable``)."""
    if name.endswith("_init") or any(_named_as(name, rel) for _, rel in _NAMED):
        return False
    if _value_getter(name):
        return False
    if name in _ALLOC or name.startswith(("kmem_cache_alloc", "kmalloc_", "devm_")):
        return not name.startswith("devm_")
    if any(_named_as(name, acq) for acq, _ in _NAMED):
        return True
    words = _SPLIT_RE.split(name)
    return any(w in {a for a, _ in PAIR_WORDS} for w in words[1:] or words)


@lru_cache(maxsize=8192)  # pure, called for every call site
def is_lock(name: str) -> bool:
    """A lock (or a scope such as preemption or interrupts off) that a
    function takes and releases itself, unconditionally (not a trylock)."""
    return (
        _named_as(name, _LOCKS)
        and "trylock" not in name
        and not name.endswith(("_interruptible", "_killable"))
    )


def lock_of(release: str) -> str | None:
    """The lock call that ``release`` undoes (``mutex_lock`` for
    ``mutex_unlock``), when it is the releasing half of a lock pair."""
    for acquires, rels in _NAMED:
        if acquires[0] in _LOCKS and release in rels:
            return acquires[0]
    for lock in _LOCKS:
        if release.startswith(lock.replace("_lock", "_unlock", 1) + "_") and "_lock" in lock:
            return lock
    return None


@lru_cache(maxsize=8192)  # pure, called for every call site
def by_result(acquire: str) -> bool:
    """Whether the object an acquisition takes is the value it returns."""
    if _value_getter(acquire):
        return False
    return (
        acquire in _ALLOC
        or acquire in _RESULT
        or acquire.startswith(_RESULT_PREFIXES)
        or acquire.startswith(("kmem_cache_alloc", "kmalloc_"))
    )
