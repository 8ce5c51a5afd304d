"""A lifecycle's moves as one table: which states each state may move to. Domains declare
theirs (`Transitions({...})`) and ask `allows(current, target)`; the table must name every
state, so a state added without its moves fails at import."""
from __future__ import annotations

import enum
from typing import Generic, Iterator, TypeVar

S = TypeVar("S", bound=enum.Enum)


class Transitions(Generic[S]):
    def __init__(self, moves: dict[S, frozenset[S]]):
        states = type(next(iter(moves)))
        missing = [s.value for s in states if s not in moves]
        if missing:
            raise ValueError(f"the transitions of {states.__name__} leave out {missing}")
        self._moves = moves

    def allows(self, current: S, target: S) -> bool:
        return target in self._moves[current]

    def __getitem__(self, state: S) -> frozenset[S]:
        return self._moves[state]

    def items(self) -> Iterator[tuple[S, frozenset[S]]]:
        return iter(self._moves.items())
