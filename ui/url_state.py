"""The one way pages keep a view in the URL (``?period=2025-Q4&unit_type=镇&unit_type=乡&cadre=C0001``):
a shared link restores the view, and filters travel along to the next page.

The URL is the source of truth. Each run, :func:`bind` reads the parameter, keeps only values
among the widget's options and seeds the widget's state with it (or with the default when the
parameter is absent); the widget's ``on_change`` writes the choice back, dropping the parameter
when it equals the default so a plain link stays plain. A list cleared on purpose is written as
one empty value (``?severity=``), so it is not mistaken for "absent, use the default".
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import streamlit as st

from ui import format as fmt


def _raw(param: str, sep: str | None = None) -> list[str]:
    values = [str(v) for v in st.query_params.get_all(param)]
    if sep:
        values = [p.strip() for v in values for p in v.split(sep)]
    return values


def read(param: str, options: Iterable | None = None, *, many: bool = False, default: Any = None,
         sep: str | None = None, legacy: str | None = None):
    """The value of ``?param`` among ``options`` (all values when ``options`` is None).

    One value (``many=False``): the first valid one, else ``default``. A list (``many=True``): the
    valid values in URL order without repeats; ``default`` when the parameter is absent or holds
    only unknown values, ``[]`` when it was cleared on purpose (``?param=``). ``sep`` splits
    joined ids (``units=T01,D03``); ``legacy`` also reads an older repeated name (``unit=T01``).
    """
    raw = _raw(param, sep) + (_raw(legacy) if legacy else [])
    allowed = None if options is None else set(options)
    valid = list(dict.fromkeys(v for v in raw if v and (allowed is None or v in allowed)))
    if not many:
        return valid[0] if valid else default
    if valid:
        return valid
    if raw and all(v == "" for v in raw):
        return []
    return list(default) if default is not None else []


def write(param: str, value: Any, default: Any = None, *, sep: str | None = None) -> None:
    """Put ``value`` in the URL; the default (or nothing) removes the parameter."""
    many = isinstance(value, (list, tuple))
    if value is None or (many and list(value) == list(default or [])) or (not many and value == default):
        st.query_params.pop(param, None)
    elif many and not value:
        st.query_params[param] = ""  # cleared on purpose, not absent
    elif many and sep:
        st.query_params[param] = sep.join(str(v) for v in value)
    else:
        st.query_params[param] = [str(v) for v in value] if many else str(value)


def bind(key: str, param: str, options: Sequence, *, many: bool = False, default: Any = None) -> Callable[[], None]:
    """Seed the widget ``key`` from ``?param`` and return its ``on_change`` that writes it back."""
    st.session_state[key] = read(param, options, many=many, default=default)

    def _sync() -> None:
        write(param, st.session_state[key], default)
    return _sync


def choice(param: str, labels: dict, not_found: str, key: str | None = None) -> str | None:
    """The id in ``?param=`` if it is one of ``labels``; an unknown id is warned about (as inert
    text, never markdown) and dropped. Seeds the picker ``key`` (``<param>_pick``)."""
    value = read(param, labels)
    asked = st.query_params.get(param)
    if value is None and asked:
        st.warning(not_found.format(fmt.md(asked)))
    st.session_state[key or f"{param}_pick"] = value
    return value


def sync(param: str, key: str | None = None) -> Callable[[], None]:
    """An ``on_change`` that mirrors the picker ``key`` (``<param>_pick``) into ``?param``."""
    def _sync() -> None:
        write(param, st.session_state[key or f"{param}_pick"])
    return _sync


def carry(params: Iterable[str]) -> dict[str, list[str]]:
    """The URL's values of ``params``, to hand to ``st.page_link``/``st.switch_page`` so filters
    travel to the next page (and back)."""
    return {p: v for p in params if (v := st.query_params.get_all(p))}


def keep_only(params: dict[str, Any], drop: Iterable[str] = ()) -> None:
    """Replace ``drop``'s parameters by ``params`` in one go (e.g. an older link's names)."""
    for name in drop:
        st.query_params.pop(name, None)
    st.query_params.update({k: v for k, v in params.items() if v})
