"""The registry of source kinds: a new kind is one new module in watcher/extract/kinds/.

A kind declares its options as a pydantic model (validated from sources.toml
and printed by `watcher kinds`) and turns a fetched response into Items.
Modules here import their parsers lazily so that loading the registry is cheap.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from watcher.core.models import Fetched, Item, SourceView


class KindOptions(BaseModel):
    """Options of a kind; unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind:
    """Base of every kind. Subclasses set `name` and `Options`, and implement `extract`."""

    name: ClassVar[str]
    Options: ClassVar[type[KindOptions]] = KindOptions
    #: whether the kind yields a list of entries (detail pages apply) or a single document
    is_list: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _REGISTRY[cls.name] = cls

    def extract(self, fetched: Fetched, source: SourceView) -> list[Item]:
        raise NotImplementedError

    @classmethod
    def describe(cls) -> str:
        return (cls.__doc__ or "").strip()


_REGISTRY: dict[str, type[Kind]] = {}
_loaded = False


def _load_all() -> None:
    global _loaded
    if not _loaded:
        from watcher.extract import kinds

        for module in pkgutil.iter_modules(kinds.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{kinds.__name__}.{module.name}")
        _loaded = True


def get_kind(name: str) -> type[Kind] | None:
    _load_all()
    return _REGISTRY.get(name)


def kind_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def make_extractor(name: str) -> Kind:
    """An instance of the named kind (callers validated the name through config)."""
    kind = get_kind(name)
    if kind is None:
        raise KeyError(name)
    return kind()
