"""The registry of source kinds: a new kind is one new module in watcher/extract/kinds/.

A kind is a `Kind` subclass with a `name`, defined in a module of the `watcher.extract.kinds`
package: a file in watcher/extract/kinds/, or in a directory appended to that package's
`__path__` (a plugin directory; the tests add a kind that way). It describes itself as class
data, and everything else reads that data instead of naming kinds:

- `Options`: a pydantic model of its keys in sources.toml, each with a description (validated by
  watcher.config, printed by `watcher kinds`);
- `is_list`: a list of entries (detail pages apply, changes are per entry) or one document;
- `empty_ok`: whether finding nothing is legal (a search with no hits today) or the sign of a
  page that changed shape (the pipeline then reports the source broken);
- `fits` and `trial`: how `watcher sources try` tells whether a response is for this kind, and
  what it shows and suggests for it (see watcher.extract.trial);
- `try_order`: where its section comes among those that fit one response.

Modules here import their parsers lazily so that loading the registry is cheap.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from watcher.core.models import Fetched, Item, SourceView
    from watcher.extract.trial import Hints, Sample, Trial


class KindOptions(BaseModel):
    """Options of a kind; unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind:
    """Base of every kind. Subclasses set `name` and `Options`, and implement `extract`."""

    name: ClassVar[str]
    Options: ClassVar[type[KindOptions]] = KindOptions
    #: whether the kind yields a list of entries (detail pages apply) or a single document
    is_list: ClassVar[bool] = True
    #: whether an empty result is legal rather than a broken source (a feed or an API search may be empty)
    empty_ok: ClassVar[bool] = False
    #: where `watcher sources try` shows this kind among those that fit one response (lower first)
    try_order: ClassVar[int] = 50

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        raise NotImplementedError

    @classmethod
    def describe(cls) -> str:
        return (cls.__doc__ or "").strip()

    @classmethod
    def fits(cls, sample: Sample, hints: Hints) -> bool:
        """Whether `watcher sources try` without --kind reads this response as this kind (by default: never)."""
        return False

    @classmethod
    def trial(cls, sample: Sample, hints: Hints) -> Trial:
        """What `watcher sources try` shows for this kind: by default the items read with no options."""
        from watcher.extract.trial import Trial

        items = sample.extract(cls, {})
        return Trial(cls.name, f"{cls.name}: entries", {}, items[: hints.limit], len(items))

    @classmethod
    def reference(cls) -> list[str]:
        """The kind as `watcher kinds` prints it: what it reads, what an empty result means, its options."""
        read = "a list of entries, one item each" if cls.is_list else "one document, watched as text"
        if cls.empty_ok:
            empty = "finding nothing is legal (nothing published yet)"
        else:
            empty = "finding nothing is an error: the page changed shape or the selector is wrong"
        fits = " ".join((cls.fits.__doc__ or "").split()) if cls.fits.__doc__ != Kind.fits.__doc__ else ""
        tried = f"when {fits[0].lower()}{fits[1:]}" if fits else f"only when given --kind {cls.name}"
        lines = [
            f"{cls.name}: {' '.join(cls.describe().split())}",
            f"  reads {read}; {empty}",
            f"  `watcher sources try` tries it {tried.rstrip('.')}",
        ]
        for option, field in cls.Options.model_fields.items():
            if field.is_required():
                lines.append(f"  {option} (required): {field.description or ''}")
                continue
            default = field.get_default(call_default_factory=True)
            shown = f" [default: {default!r}]" if default not in (None, (), [], {}, "") else ""
            lines.append(f"  {option}: {field.description or ''}{shown}")
        return lines


_registry: tuple[tuple[str, ...], dict[str, type[Kind]]] = ((), {})


def _kinds() -> dict[str, type[Kind]]:
    """Every kind defined in a module of watcher.extract.kinds, found again when that package's path changes."""
    global _registry
    from watcher.extract import kinds

    path = tuple(kinds.__path__)
    if _registry[0] != path or not _registry[1]:
        found: dict[str, type[Kind]] = {}
        for module_info in sorted(pkgutil.iter_modules(kinds.__path__), key=lambda info: info.name):
            if module_info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{kinds.__name__}.{module_info.name}")
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, Kind)
                    and value.__module__ == module.__name__
                    and "name" in value.__dict__
                ):
                    if value.name in found:
                        raise RuntimeError(f"two kinds are named {value.name!r}: {found[value.name]} and {value}")
                    found[value.name] = value
        _registry = (path, found)  # one assignment: a thread reading the registry sees the old or the new one
    return _registry[1]


def get_kind(name: str) -> type[Kind] | None:
    return _kinds().get(name)


def kind_names() -> list[str]:
    return sorted(_kinds())


def all_kinds() -> list[type[Kind]]:
    """Every kind, in the order `watcher sources try` shows them."""
    return sorted(_kinds().values(), key=lambda kind: (kind.try_order, kind.name))


def plain_kind() -> str:
    """The kind that reads any page without options (one document as text): what `watcher sources try`
    validates a URL with, and suggests when no kind found anything."""
    for kind in all_kinds():
        if not kind.is_list and not any(field.is_required() for field in kind.Options.model_fields.values()):
            return kind.name
    raise RuntimeError("no kind reads a page without options")


def make_extractor(name: str) -> Kind:
    """An instance of the named kind (callers validated the name through config)."""
    kind = get_kind(name)
    if kind is None:
        raise KeyError(name)
    return kind()
