"""A hot query compiled by Django once per process and then only executed.

Compiling a `select_related` lookup costs more than running it: the bearer-token lookup behind
every authenticated request (three tables, ~30 columns) takes ~0.5–1 ms of CPU to compile and
~0.2 ms to run (bench/README.md, issue 17). `FirstByValue` compiles the queryset once with a marker
in place of the one value that varies, then runs the same SQL with the real value and builds the
instances exactly as Django's `ModelIterable` does (same converters, same `select_related` objects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

M = TypeVar("M", bound=Model)

_MARKER = "\x00precompiled-value\x00"


class FirstByValue(Generic[M]):
    """`make(value).first()`, with `make(marker)` compiled once. `make` must use the value exactly once
    as a query parameter, and the queryset must be a plain model query (no annotations, no `values()`)."""

    def __init__(self, make: Callable[[Any], QuerySet[M]]) -> None:
        self._make = make
        self._compiled: dict[str, tuple[Any, ...]] = {}  # per database alias

    def _compile(self, alias: str) -> tuple[Any, ...]:
        queryset = self._make(_MARKER)
        queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]  # as `.first()` does
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if list(params).count(_MARKER) != 1 or compiler.annotation_col_map:
            raise ValueError("FirstByValue needs a plain model query using its value exactly once")
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)  # type: ignore[call-arg]  # 5.2: no fetch_mode
        compiled = (compiler, sql, list(params), list(params).index(_MARKER), klass_info["model"], start, end,
                    init_list, populators)
        self._compiled[alias] = compiled
        return compiled

    def first(self, value: Any, *, using: str = "default") -> M | None:
        compiled = self._compiled.get(using) or self._compile(using)
        compiler, sql, params, index, model, start, end, init_list, populators = compiled
        params = params.copy()
        params[index] = value
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchmany(1)
        for row in compiler.results_iter([rows]):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            return obj
        return None
