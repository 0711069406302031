"""Label selectors, field selectors, and the field labels each kind exposes.

Behaviour follows Kubernetes 1.33 (apimachinery ``labels``/``fields`` packages and
the per-kind field-label conversion functions), because clients see the results
directly:

* ``labelSelector`` strings are lexed and parsed the way ``labels.Parse`` does it:
  the same operators (``=``, ``==``, ``!=``, ``in``, ``notin``, ``key``, ``!key``,
  and the rarely used ``>``/``<``), the same whitespace rules and the same error
  text (``unable to parse requirement: found '', expected: ',' or ')'``). The API
  server answers 400 BadRequest with that text verbatim.
* ``fieldSelector`` strings follow ``fields.ParseSelector``: ``=``/``==``/``!=``
  terms joined by commas, with ``\\``-escapes for ``\\``, ``,`` and ``=`` in values.
  Terms are sorted, like upstream.
* Which field labels a list may select on is per kind, and so is the wording of
  the rejection (``field label not supported: spec.foo`` for pods, a different
  sentence for kinds with no registered conversion, yet another for batch Jobs).
  :func:`convert_field_selector` does what the API server's ``Transform`` with
  ``ConvertFieldLabel`` does: validate, and rename aliases (``spec.host`` on pods,
  ``regarding.*`` on events.k8s.io Events).

Selectors are evaluated against thousands of objects per list, so ``matches`` is
a closure compiled when the selector is built: equality-only selectors become one
``dict.items() >= frozenset`` test; anything else a loop over per-requirement
closures. Parsing is cached, and parsed selectors are immutable.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Sequence

from kybernetes.api.errors import APIError
from kybernetes.api.gofmt import go_quote
from kybernetes.api.names import byte_len, label_value_errors, qualified_name_errors

__all__ = [
    "SelectorError",
    "Requirement",
    "LabelSelector",
    "FieldSelector",
    "EVERYTHING",
    "NOTHING",
    "parse_label_selector",
    "label_selector_from_dict",
    "selector_from_set",
    "parse_field_selector",
    "escape_field_value",
    "field_attributes",
    "supported_fields",
    "validate_field_selector",
    "convert_field_selector",
    "go_quote",
]


class SelectorError(APIError, ValueError):
    """A selector that cannot be parsed or is not supported: 400 BadRequest.

    ``message`` is upstream's error text; it is what a client sees.
    """

    def __init__(self, message: str) -> None:
        APIError.__init__(self, 400, "BadRequest", message)


# --------------------------------------------------------------------------
# Go-compatible rendering helpers (%#v of []string; go_quote lives in gofmt)
# --------------------------------------------------------------------------

def _go_string_slice(values: Sequence[str]) -> str:
    """``%#v`` of a ``[]string``; an empty one is the nil slice upstream builds."""
    if not values:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def _aggregate(messages: list[str]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: de-duplicated, bracketed if several."""
    seen: list[str] = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


# --------------------------------------------------------------------------
# Label key / value validation (k8s.io/apimachinery/pkg/util/validation)
# --------------------------------------------------------------------------

def is_qualified_name(value: str) -> list[str]:
    """Upstream ``validation.IsQualifiedName``: the rules for label keys (length in UTF-8 bytes)."""
    return qualified_name_errors(value, byte_len)


def is_valid_label_value(value: str) -> list[str]:
    """Upstream ``validation.IsValidLabelValue`` (length in UTF-8 bytes)."""
    return label_value_errors(value, byte_len)


_INT64_RE = re.compile(r"[+-]?[0-9]+")
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _parse_int64(s: str) -> int | None:
    """``strconv.ParseInt(s, 10, 64)``, or None where Go returns an error."""
    if not _INT64_RE.fullmatch(s):
        return None
    v = int(s)
    if v < _INT64_MIN or v > _INT64_MAX:
        return None
    return v


# --------------------------------------------------------------------------
# Label selector requirements
# --------------------------------------------------------------------------

# selection.Operator values, as upstream spells them.
IN = "in"
NOT_IN = "notin"
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
GREATER_THAN = "gt"
LESS_THAN = "lt"
EXISTS = "exists"
DOES_NOT_EXIST = "!"

_VALID_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN, EXISTS, DOES_NOT_EXIST)
_BINARY_OPERATORS_TEXT = "in, notin, =, ==, !=, gt, lt"

_EMPTY: dict[str, str] = {}


class Requirement:
    """One ``key op values`` term. Immutable; ``values`` keeps the given order."""

    __slots__ = ("key", "operator", "values")

    key: str
    operator: str
    values: tuple[str, ...]

    def __init__(self, key: str, operator: str, values: Iterable[str] = ()) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "operator", operator)
        object.__setattr__(self, "values", tuple(values))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Requirement is immutable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Requirement):
            return NotImplemented
        return self.key == other.key and self.operator == other.operator and self.values == other.values

    def __hash__(self) -> int:
        return hash((self.key, self.operator, self.values))

    def __repr__(self) -> str:
        return f"Requirement({self.key!r}, {self.operator!r}, {self.values!r})"

    def __str__(self) -> str:
        op = self.operator
        if op == DOES_NOT_EXIST:
            return "!" + self.key
        if op == EXISTS:
            return self.key
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op == IN:
            return f"{self.key} in ({vals})"
        if op == NOT_IN:
            return f"{self.key} notin ({vals})"
        sym = {EQUALS: "=", DOUBLE_EQUALS: "==", NOT_EQUALS: "!=", GREATER_THAN: ">", LESS_THAN: "<"}.get(op, "")
        return self.key + sym + vals

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        return _requirement_fn(self)(labels if labels is not None else _EMPTY)


def _validation_errors(key: str, operator: str, values: Sequence[str]) -> list[str]:
    """``labels.NewRequirement``'s checks, as field-error strings (nil root path)."""
    errs = []
    key_errs = is_qualified_name(key)
    if key_errs:
        errs.append(f"key: Invalid value: {go_quote(key)}: {'; '.join(key_errs)}")
    if operator in (IN, NOT_IN):
        if not values:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "for 'in', 'notin' operators, values set can't be empty"
            )
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: exact-match compatibility requires one single value"
            )
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if values:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "values set must be empty for exists and does not exist"
            )
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(
                f"values: Invalid value: {_go_string_slice(values)}: "
                "for 'Gt', 'Lt' operators, exactly one value is required"
            )
        for i, v in enumerate(values):
            if _parse_int64(v) is None:
                errs.append(
                    f"values[{i}]: Invalid value: {go_quote(v)}: "
                    "for 'Gt', 'Lt' operators, the value must be an integer"
                )
    else:
        supported = ", ".join(go_quote(o) for o in _VALID_OPERATORS)
        errs.append(f"operator: Unsupported value: {go_quote(operator)}: supported values: {supported}")
    for i, v in enumerate(values):
        value_errs = is_valid_label_value(v)
        if value_errs:
            errs.append(f"values[{i}][{key}]: Invalid value: {go_quote(v)}: {'; '.join(value_errs)}")
    return errs


def new_requirement(key: str, operator: str, values: Sequence[str] = ()) -> Requirement:
    """Validated constructor (``labels.NewRequirement``); raises :class:`SelectorError`."""
    errs = _validation_errors(key, operator, values)
    if errs:
        raise SelectorError(_aggregate(errs))
    return Requirement(key, operator, values)


def _requirement_fn(r: Requirement) -> Callable[[Mapping[str, str]], bool]:
    """A closure testing one requirement against a (non-None) label mapping."""
    key, op, values = r.key, r.operator, r.values
    if op in (IN, EQUALS, DOUBLE_EQUALS):
        if len(values) == 1:
            v = values[0]
            return lambda labels: labels.get(key) == v
        vs = frozenset(values)
        return lambda labels: labels.get(key) in vs
    if op in (NOT_IN, NOT_EQUALS):
        if len(values) == 1:
            v = values[0]
            return lambda labels: labels.get(key, None) != v
        vs = frozenset(values)
        return lambda labels: labels.get(key) not in vs
    if op == EXISTS:
        return lambda labels: key in labels
    if op == DOES_NOT_EXIST:
        return lambda labels: key not in labels
    if op in (GREATER_THAN, LESS_THAN):
        bound = _parse_int64(values[0]) if len(values) == 1 else None
        if bound is None:
            return lambda labels: False
        greater = op == GREATER_THAN

        def compare(labels: Mapping[str, str]) -> bool:
            raw = labels.get(key)
            if raw is None:
                return False
            n = _parse_int64(raw)
            if n is None:
                return False
            return n > bound if greater else n < bound

        return compare
    return lambda labels: False


def _match_everything(labels: Mapping[str, str] | None) -> bool:
    return True


def _match_nothing(labels: Mapping[str, str] | None) -> bool:
    return False


def _compile_label_matcher(reqs: tuple[Requirement, ...]) -> Callable[[Mapping[str, str] | None], bool]:
    if not reqs:
        return _match_everything
    if all(r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1 for r in reqs):
        pairs = frozenset((r.key, r.values[0]) for r in reqs)

        def match_pairs(labels: Mapping[str, str] | None) -> bool:
            return labels is not None and labels.items() >= pairs

        return match_pairs
    fns = tuple(_requirement_fn(r) for r in reqs)
    if len(fns) == 1:
        only = fns[0]

        def match_one(labels: Mapping[str, str] | None) -> bool:
            return only(labels if labels is not None else _EMPTY)

        return match_one

    def match_all(labels: Mapping[str, str] | None) -> bool:
        if labels is None:
            labels = _EMPTY
        for fn in fns:
            if not fn(labels):
                return False
        return True

    return match_all


class LabelSelector:
    """A parsed label selector: requirements ANDed together, sorted by key.

    ``matches(labels)`` is precompiled; ``labels`` may be None (no labels).
    ``str(sel)`` is upstream's canonical ``String()`` form.
    """

    __slots__ = ("requirements", "nothing", "matches", "_string")

    requirements: tuple[Requirement, ...]
    nothing: bool
    matches: Callable[[Mapping[str, str] | None], bool]

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False) -> None:
        reqs = tuple(sorted(requirements, key=lambda r: r.key))  # stable, like upstream's Add
        object.__setattr__(self, "requirements", () if nothing else reqs)
        object.__setattr__(self, "nothing", nothing)
        object.__setattr__(self, "matches", _match_nothing if nothing else _compile_label_matcher(reqs))
        object.__setattr__(self, "_string", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LabelSelector is immutable")

    @property
    def empty(self) -> bool:
        """True when the selector selects everything (no requirements)."""
        return not self.nothing and not self.requirements

    def __bool__(self) -> bool:  # a selector object is always truthy; use .empty
        return True

    def __str__(self) -> str:
        s = self._string
        if s is None:
            s = "" if self.nothing else ",".join(str(r) for r in self.requirements)
            object.__setattr__(self, "_string", s)
        return s

    def __repr__(self) -> str:
        if self.nothing:
            return "LabelSelector(<nothing>)"
        return f"LabelSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LabelSelector):
            return NotImplemented
        return self.nothing == other.nothing and self.requirements == other.requirements

    def __hash__(self) -> int:
        return hash((self.nothing, self.requirements))

    def requires_exact_match(self, key: str) -> str | None:
        """The one value ``key`` must have (``=``, ``==``, single-valued ``in``), else None."""
        for r in self.requirements:
            if r.key == key:
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def add(self, *requirements: Requirement) -> LabelSelector:
        """A new selector with more requirements (upstream ``Add``)."""
        if self.nothing:
            return self
        return LabelSelector(self.requirements + tuple(requirements))


EVERYTHING = LabelSelector()
NOTHING = LabelSelector(nothing=True)


# --------------------------------------------------------------------------
# labels.Parse: lexer and parser
# --------------------------------------------------------------------------

(
    _T_ERROR,
    _T_EOS,
    _T_CLOSE,
    _T_COMMA,
    _T_NOT,
    _T_DEQ,
    _T_EQ,
    _T_GT,
    _T_ID,
    _T_IN,
    _T_LT,
    _T_NEQ,
    _T_NOTIN,
    _T_OPEN,
) = range(14)

_STRING2TOKEN = {
    ")": _T_CLOSE,
    ",": _T_COMMA,
    "!": _T_NOT,
    "==": _T_DEQ,
    "=": _T_EQ,
    ">": _T_GT,
    "in": _T_IN,
    "<": _T_LT,
    "!=": _T_NEQ,
    "notin": _T_NOTIN,
    "(": _T_OPEN,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_NUL = "\0"


def _lex(s: str) -> list[tuple[int, str]]:
    """All tokens up to and including the end-of-string token.

    Mirrors upstream's byte lexer; a NUL character reads as end of input, as it
    does there.
    """
    items: list[tuple[int, str]] = []
    n = len(s)
    pos = 0
    while True:
        # skip whitespace, reading like Lexer.read (no advance at end of input)
        while True:
            if pos < n:
                ch = s[pos]
                pos += 1
            else:
                ch = _NUL
            if ch not in _WHITESPACE:
                break
        if ch == _NUL:
            items.append((_T_EOS, ""))
            return items
        pos -= 1  # unread
        if ch in _SPECIAL:
            start = pos
            last: tuple[int, str] | None = None
            while True:
                if pos < n:
                    ch = s[pos]
                    pos += 1
                else:
                    break
                if ch == _NUL:
                    break
                if ch in _SPECIAL:
                    buf = s[start:pos]
                    tok = _STRING2TOKEN.get(buf)
                    if tok is not None:
                        last = (tok, buf)
                    elif last is not None:
                        pos -= 1
                        break
                else:
                    pos -= 1
                    break
            if last is None:
                items.append((_T_ERROR, f"error expected: keyword found '{s[start:pos]}'"))
            else:
                items.append(last)
        else:
            start = pos
            end = n
            while pos < n:
                ch = s[pos]
                if ch == _NUL:
                    end = pos
                    pos += 1
                    break
                if ch in _SPECIAL or ch in _WHITESPACE:
                    end = pos
                    break
                pos += 1
            else:
                end = n
            lit = s[start:end]
            items.append((_STRING2TOKEN.get(lit, _T_ID), lit))


class _RequirementError(Exception):
    pass


class _Parser:
    __slots__ = ("items", "pos")

    def __init__(self, s: str) -> None:
        self.items = _lex(s)
        self.pos = 0

    def _item(self, i: int, values: bool) -> tuple[int, str]:
        tok, lit = self.items[i] if i < len(self.items) else self.items[-1]
        if values and (tok == _T_IN or tok == _T_NOTIN):
            tok = _T_ID
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[int, str]:
        return self._item(self.pos, values)

    def consume(self, values: bool = True) -> tuple[int, str]:
        self.pos += 1
        return self._item(self.pos - 1, values)

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok == _T_ID or tok == _T_NOT:
                try:
                    reqs.append(self.parse_requirement())
                except _RequirementError as e:
                    raise SelectorError(f"unable to parse requirement: {e}") from None
                t, lit = self.consume()
                if t == _T_EOS:
                    return reqs
                if t == _T_COMMA:
                    t2, lit2 = self.lookahead()
                    if t2 != _T_ID and t2 != _T_NOT:
                        raise SelectorError(f"found '{lit2}', expected: identifier after ','")
                else:
                    raise SelectorError(f"found '{lit}', expected: ',' or 'end of string'")
            elif tok == _T_EOS:
                return reqs
            else:
                raise SelectorError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator == EXISTS or operator == DOES_NOT_EXIST:
            return self._new(key, operator, [])
        operator = self.parse_operator()
        if operator == IN or operator == NOT_IN:
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return self._new(key, operator, sorted(values))

    @staticmethod
    def _new(key: str, operator: str, values: list[str]) -> Requirement:
        errs = _validation_errors(key, operator, values)
        if errs:
            raise _RequirementError(_aggregate(errs))
        return Requirement(key, operator, values)

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        operator = ""
        tok, lit = self.consume()
        if tok == _T_NOT:
            operator = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _T_ID:
            raise _RequirementError(f"found '{lit}', expected: identifier")
        key_errs = is_qualified_name(lit)
        if key_errs:
            # upstream validates against a nil *field.Path, which prints as "<nil>"
            raise _RequirementError(f"<nil>: Invalid value: {go_quote(lit)}: {'; '.join(key_errs)}")
        t, _ = self.lookahead()
        if (t == _T_EOS or t == _T_COMMA) and operator != DOES_NOT_EXIST:
            operator = EXISTS
        return lit, operator

    def parse_operator(self) -> str:
        tok, lit = self.consume(values=False)
        op = {
            _T_IN: IN,
            _T_EQ: EQUALS,
            _T_DEQ: DOUBLE_EQUALS,
            _T_GT: GREATER_THAN,
            _T_LT: LESS_THAN,
            _T_NOTIN: NOT_IN,
            _T_NEQ: NOT_EQUALS,
        }.get(tok)
        if op is None:
            raise _RequirementError(f"found '{lit}', expected: {_BINARY_OPERATORS_TEXT}")
        return op

    def parse_values(self) -> set[str]:
        tok, lit = self.consume()
        if tok != _T_OPEN:
            raise _RequirementError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok == _T_ID or tok == _T_COMMA:
            s = self.parse_identifiers_list()
            tok2, _ = self.consume()
            if tok2 != _T_CLOSE:
                raise _RequirementError(f"found '{lit}', expected: ')'")
            return s
        if tok == _T_CLOSE:
            self.consume()
            return {""}
        raise _RequirementError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        s: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _T_ID:
                s.add(lit)
                tok2, lit2 = self.lookahead()
                if tok2 == _T_COMMA:
                    continue
                if tok2 == _T_CLOSE:
                    return s
                raise _RequirementError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _T_COMMA:
                if not s:
                    s.add("")  # "(,"
                tok2, _ = self.lookahead()
                if tok2 == _T_CLOSE:
                    s.add("")  # ",)"
                    return s
                if tok2 == _T_COMMA:
                    self.consume()
                    s.add("")  # ",,"
                continue
            raise _RequirementError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        tok, _ = self.lookahead()
        if tok == _T_EOS or tok == _T_COMMA:
            return {""}
        tok, lit = self.consume()
        if tok == _T_ID:
            return {lit}
        raise _RequirementError(f"found '{lit}', expected: identifier")


@lru_cache(maxsize=2048)
def _parse_label_selector_cached(s: str) -> LabelSelector:
    reqs = _Parser(s).parse()
    if not reqs:
        return EVERYTHING
    return LabelSelector(reqs)


def parse_label_selector(s: str) -> LabelSelector:
    """Parse a ``labelSelector`` string like ``labels.Parse``; raises :class:`SelectorError`."""
    if not s:
        return EVERYTHING
    return _parse_label_selector_cached(s)


_METAV1_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def label_selector_from_dict(sel: Mapping[str, Any] | None) -> LabelSelector:
    """A ``metav1.LabelSelector`` object as a selector (``LabelSelectorAsSelector``).

    ``None`` selects nothing; an empty selector (no matchLabels, no
    matchExpressions) selects everything. Invalid keys, values or operators raise
    :class:`SelectorError` with upstream's message.
    """
    if sel is None:
        return NOTHING
    match_labels = sel.get("matchLabels") or {}
    match_expressions = sel.get("matchExpressions") or []
    if not match_labels and not match_expressions:
        return EVERYTHING
    reqs: list[Requirement] = []
    for k, v in match_labels.items():
        reqs.append(new_requirement(k, EQUALS, [v if v is not None else ""]))
    for expr in match_expressions:
        expr = expr or {}
        raw_op = expr.get("operator")
        op = _METAV1_OPERATORS.get(raw_op) if isinstance(raw_op, str) else None
        if op is None:
            shown = raw_op if isinstance(raw_op, str) else ("" if raw_op is None else str(raw_op))
            raise SelectorError(f"{go_quote(shown)} is not a valid label selector operator")
        values = [v if v is not None else "" for v in (expr.get("values") or [])]
        reqs.append(new_requirement(expr.get("key") or "", op, values))
    return LabelSelector(reqs)


def selector_from_set(labels: Mapping[str, str] | None) -> LabelSelector:
    """Equality selector for a label map (``SelectorFromSet``; not validated)."""
    if not labels:
        return EVERYTHING
    return LabelSelector(Requirement(k, EQUALS, (v,)) for k, v in labels.items())


# --------------------------------------------------------------------------
# Field selectors (k8s.io/apimachinery/pkg/fields)
# --------------------------------------------------------------------------

_FIELD_EQ = "="
_FIELD_NEQ = "!="


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: backslash-escape ``\\``, ``,`` and ``=``."""
    if "\\" not in value and "," not in value and "=" not in value:
        return value
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(s: str) -> str:
    if "\\" not in s and "," not in s and "=" not in s:
        return s
    out = []
    in_slash = False
    for c in s:
        if in_slash:
            if c in "\\,=":
                out.append(c)
            else:
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{c}")
            in_slash = False
            continue
        if c == "\\":
            in_slash = True
        elif c == "," or c == "=":
            # upstream prints the rune with %v: its code point
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(s: str) -> list[str]:
    terms = []
    start = 0
    in_slash = False
    for i, c in enumerate(s):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(s[start:i])
            start = i + 1
    terms.append(s[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        if term.startswith("!=", i):
            return term[:i], "!=", term[i + 2 :]
        if term.startswith("==", i):
            return term[:i], "==", term[i + 2 :]
        if term.startswith("=", i):
            return term[:i], "=", term[i + 1 :]
    return None


def _compile_field_matcher(reqs: tuple[tuple[str, str, str], ...]) -> Callable[[Mapping[str, str]], bool]:
    if not reqs:
        return _match_everything
    # "=" with a non-empty value needs the key present with that value: one
    # C-level subset test. Everything else compares against .get(field, "")
    # (upstream's fields.Set.Get returns "" for absent fields).
    pairs = frozenset((f, v) for f, op, v in reqs if op == _FIELD_EQ and v)
    rest = tuple((f, op == _FIELD_EQ, v) for f, op, v in reqs if not (op == _FIELD_EQ and v))
    if not rest:

        def match_pairs(attrs: Mapping[str, str]) -> bool:
            return attrs.items() >= pairs

        return match_pairs

    def match(attrs: Mapping[str, str]) -> bool:
        if pairs and not attrs.items() >= pairs:
            return False
        for f, want_equal, v in rest:
            if (attrs.get(f, "") == v) is not want_equal:
                return False
        return True

    return match


class FieldSelector:
    """A parsed field selector: ``(field, op, value)`` terms ANDed, op ``=`` or ``!=``."""

    __slots__ = ("_reqs", "matches", "_string")

    matches: Callable[[Mapping[str, str]], bool]

    def __init__(self, requirements: Iterable[tuple[str, str, str]] = ()) -> None:
        reqs = []
        for f, op, v in requirements:
            if op == "==":
                op = _FIELD_EQ
            if op not in (_FIELD_EQ, _FIELD_NEQ):
                raise ValueError(f"unsupported field selector operator {op!r}")
            reqs.append((f, op, v))
        t = tuple(reqs)
        object.__setattr__(self, "_reqs", t)
        object.__setattr__(self, "matches", _compile_field_matcher(t))
        object.__setattr__(self, "_string", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FieldSelector is immutable")

    @property
    def requirements(self) -> list[tuple[str, str, str]]:
        """The terms as ``(field, op, value)``; ``op`` is ``"="`` or ``"!="``."""
        return list(self._reqs)

    @property
    def fields(self) -> frozenset[str]:
        """Field labels the selector mentions."""
        return frozenset(f for f, _, _ in self._reqs)

    @property
    def empty(self) -> bool:
        return not self._reqs

    def single_value(self, field: str) -> str | None:
        """The value ``field`` must equal (upstream ``RequiresExactMatch``), else None."""
        for f, op, v in self._reqs:
            if f == field and op == _FIELD_EQ:
                return v
        return None

    def __str__(self) -> str:
        s = self._string
        if s is None:
            s = ",".join(f"{f}{op}{escape_field_value(v)}" for f, op, v in self._reqs)
            object.__setattr__(self, "_string", s)
        return s

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return self._reqs == other._reqs

    def __hash__(self) -> int:
        return hash(self._reqs)


FIELD_EVERYTHING = FieldSelector()


@lru_cache(maxsize=2048)
def _parse_field_selector_cached(s: str) -> FieldSelector:
    parts = sorted(_split_terms(s))
    reqs = []
    for part in parts:
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{s}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = _unescape_field_value(rhs)
        if not lhs and not value:
            continue  # upstream's Transform turns an empty term into "everything"
        reqs.append((lhs, _FIELD_NEQ if op == "!=" else _FIELD_EQ, value))
    if not reqs:
        return FIELD_EVERYTHING
    return FieldSelector(reqs)


def parse_field_selector(s: str) -> FieldSelector:
    """Parse a ``fieldSelector`` string like ``fields.ParseSelector``; raises :class:`SelectorError`."""
    if not s:
        return FIELD_EVERYTHING
    return _parse_field_selector_cached(s)


# --------------------------------------------------------------------------
# Per-kind selectable fields
# --------------------------------------------------------------------------


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _meta_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    md = obj.get("metadata") or {}
    return {"metadata.name": _s(md.get("name")), "metadata.namespace": _s(md.get("namespace"))}


def _int_str(v: Any) -> str:
    if v is None or v is False:
        return "0"
    try:
        return str(int(v))
    except (TypeError, ValueError):
        return "0"


def _pod_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    a = _meta_fields(obj)
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    node = _s(spec.get("nodeName"))
    a["spec.nodeName"] = node
    a["spec.host"] = node  # old clients' alias; upstream converts it to spec.nodeName
    a["spec.restartPolicy"] = _s(spec.get("restartPolicy"))
    a["spec.schedulerName"] = _s(spec.get("schedulerName"))
    # v1 serviceAccount is a deprecated alias; serviceAccountName wins
    a["spec.serviceAccountName"] = _s(spec.get("serviceAccountName") or spec.get("serviceAccount"))
    a["spec.hostNetwork"] = "true" if spec.get("hostNetwork") else "false"
    a["status.phase"] = _s(status.get("phase"))
    # internally only podIPs exist; v1 podIP wins when set (v1 -> core conversion)
    ip = _s(status.get("podIP"))
    if not ip:
        ips = status.get("podIPs") or []
        if ips and isinstance(ips[0], Mapping):
            ip = _s(ips[0].get("ip"))
    a["status.podIP"] = ip
    a["status.nominatedNodeName"] = _s(status.get("nominatedNodeName"))
    return a


def _event_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    """Event field set, for either API's Event shape.

    Holds core/v1's labels (upstream's ToSelectableFields) and, under the
    events.k8s.io/v1 spellings (``regarding.kind``, ``reportingController``), the
    same values: both APIs share one storage, so one attribute set serves both.
    Each API's validation admits only its own spellings.
    """
    a = _meta_fields(obj)
    io = obj.get("involvedObject") or obj.get("regarding") or {}
    reporting = _s(obj.get("reportingComponent") or obj.get("reportingController"))
    src = obj.get("source") or obj.get("deprecatedSource") or {}
    source = _s(src.get("component")) if isinstance(src, Mapping) else ""
    if not source:
        source = reporting
    a["involvedObject.kind"] = _s(io.get("kind"))
    a["involvedObject.namespace"] = _s(io.get("namespace"))
    a["involvedObject.name"] = _s(io.get("name"))
    a["involvedObject.uid"] = _s(io.get("uid"))
    a["involvedObject.apiVersion"] = _s(io.get("apiVersion"))
    a["involvedObject.resourceVersion"] = _s(io.get("resourceVersion"))
    a["involvedObject.fieldPath"] = _s(io.get("fieldPath"))
    a["reason"] = _s(obj.get("reason"))
    a["reportingComponent"] = reporting
    a["source"] = source
    a["type"] = _s(obj.get("type"))
    for label, core in _EVENTS_V1_MAPPING.items():
        if label != core:
            a[label] = a[core]
    return a


# events.k8s.io/v1 label -> core field-set label (pkg/apis/events/v1 conversion)
_EVENTS_V1_MAPPING = {
    "reason": "reason",
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
    "source": "source",
    "type": "type",
    "metadata.namespace": "metadata.namespace",
    "metadata.name": "metadata.name",
}


def _fields_with(extra: Callable[[Mapping[str, Any]], dict[str, str]]) -> Callable[[Mapping[str, Any]], dict[str, str]]:
    def extract(obj: Mapping[str, Any]) -> dict[str, str]:
        a = _meta_fields(obj)
        a.update(extra(obj))
        return a

    return extract


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("status") or {}


_node_fields = _fields_with(lambda o: {"spec.unschedulable": "true" if _spec(o).get("unschedulable") else "false"})
_namespace_fields = _fields_with(lambda o: {"status.phase": _s(_status(o).get("phase"))})
_secret_fields = _fields_with(lambda o: {"type": _s(o.get("type"))})
_service_fields = _fields_with(
    lambda o: {"spec.clusterIP": _s(_spec(o).get("clusterIP")), "spec.type": _s(_spec(o).get("type"))}
)
_replicas_fields = _fields_with(lambda o: {"status.replicas": _int_str(_status(o).get("replicas"))})
_job_fields = _fields_with(lambda o: {"status.successful": _int_str(_status(o).get("succeeded"))})
_signer_fields = _fields_with(lambda o: {"spec.signerName": _s(_spec(o).get("signerName"))})
_resource_slice_fields = _fields_with(
    lambda o: {"spec.nodeName": _s(_spec(o).get("nodeName")), "spec.driver": _s(_spec(o).get("driver"))}
)


def _not_supported(label: str, version: str) -> str:
    return f"field label not supported: {label}"


def _default_not_known(label: str, version: str) -> str:
    return f'{go_quote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"'


def _job_not_supported(label: str, version: str) -> str:
    return f"field label {go_quote(label)} not supported for batchv1.Job"


def _resource_slice_not_supported(label: str, version: str) -> str:
    return f"field label not supported for resource.k8s.io/{version or 'v1beta1'}, Kind=ResourceSlice: {label}"


class _KindFields:
    __slots__ = ("labels", "rename", "error", "extract")

    def __init__(
        self,
        labels: Iterable[str],
        extract: Callable[[Mapping[str, Any]], dict[str, str]],
        error: Callable[[str, str], str] = _not_supported,
        rename: Mapping[str, str] | None = None,
    ) -> None:
        self.labels = frozenset(labels)
        self.rename = dict(rename or {})
        self.error = error
        self.extract = extract


_NAME = "metadata.name"
_NAMESPACE = "metadata.namespace"
_META_LABELS = frozenset({_NAME, _NAMESPACE})

# (group, kind) -> what ConvertFieldLabel accepts and what ToSelectableFields exposes.
# Kinds not listed use runtime.DefaultMetaV1FieldSelectorConversion (built-in) or
# the custom-resource converter (everything else).
_KINDS: dict[tuple[str, str], _KindFields] = {
    ("", "Pod"): _KindFields(
        {
            _NAME,
            _NAMESPACE,
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",  # accepted, but not in the field set: matches as ""
            "status.nominatedNodeName",
            "spec.host",
        },
        _pod_fields,
        rename={"spec.host": "spec.nodeName"},
    ),
    ("", "Node"): _KindFields({_NAME, "spec.unschedulable"}, _node_fields),
    ("", "ReplicationController"): _KindFields({_NAME, _NAMESPACE, "status.replicas"}, _replicas_fields),
    ("", "Event"): _KindFields(
        {
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            _NAMESPACE,
            _NAME,
        },
        _event_fields,
    ),
    ("", "Namespace"): _KindFields({"status.phase", _NAME}, _namespace_fields),
    ("", "Secret"): _KindFields({"type", _NAMESPACE, _NAME}, _secret_fields),
    ("", "Service"): _KindFields({_NAMESPACE, _NAME, "spec.clusterIP", "spec.type"}, _service_fields),
    ("events.k8s.io", "Event"): _KindFields(
        _EVENTS_V1_MAPPING,
        _event_fields,
        rename={k: v for k, v in _EVENTS_V1_MAPPING.items() if k != v},
    ),
    ("batch", "Job"): _KindFields({_NAME, _NAMESPACE, "status.successful"}, _job_fields, _job_not_supported),
    ("certificates.k8s.io", "CertificateSigningRequest"): _KindFields({_NAME, "spec.signerName"}, _signer_fields),
    ("certificates.k8s.io", "ClusterTrustBundle"): _KindFields({_NAME, "spec.signerName"}, _signer_fields),
    ("resource.k8s.io", "ResourceSlice"): _KindFields(
        {_NAME, "spec.nodeName", "spec.driver"}, _resource_slice_fields, _resource_slice_not_supported
    ),
}

# apps/v1 ReplicaSet has status.replicas in its field set, but no conversion
# function is registered for apps/v1, so the API server rejects selecting on it
# (kubernetes/kubernetes#135136). The field set is still exposed here.
_EXTRA_FIELD_SETS: dict[tuple[str, str], Callable[[Mapping[str, Any]], dict[str, str]]] = {
    ("apps", "ReplicaSet"): _replicas_fields,
}

# API groups the kube-apiserver itself serves; any other group is a custom resource.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)


def _selectable_labels(selectable_fields: Iterable[str]) -> list[str]:
    """CRD ``selectableFields`` JSON paths (``.spec.color``) as field labels (``spec.color``)."""
    out = []
    for sf in selectable_fields:
        path = sf.get("jsonPath", "") if isinstance(sf, Mapping) else sf
        out.append(path[1:] if path.startswith(".") else path)
    return out


def _json_path_value(obj: Mapping[str, Any], label: str) -> str:
    cur: Any = obj
    for part in label.split("."):
        if not isinstance(cur, Mapping):
            return ""
        cur = cur.get(part)
        if cur is None:
            return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    if isinstance(cur, float) and cur.is_integer():
        return str(int(cur))
    if isinstance(cur, (str, int, float)):
        return str(cur)
    return ""


def field_attributes(
    group: str,
    kind: str,
    obj: Mapping[str, Any],
    *,
    selectable_fields: Iterable[str] = (),
) -> dict[str, str]:
    """The field-label set a field selector is matched against, for one object.

    Always has ``metadata.name`` and ``metadata.namespace`` ("" for cluster-scoped
    objects, which is what upstream's lookup of an absent field yields). For a
    custom resource, pass the CRD version's ``selectableFields`` (JSON paths or
    ``{"jsonPath": ...}`` entries); absent fields read as "".
    """
    kf = _KINDS.get((group, kind))
    if kf is not None:
        return kf.extract(obj)
    extra = _EXTRA_FIELD_SETS.get((group, kind))
    if extra is not None:
        return extra(obj)
    attrs = _meta_fields(obj)
    if group not in BUILTIN_GROUPS:
        for label in _selectable_labels(selectable_fields):
            attrs[label] = _json_path_value(obj, label)
    return attrs


def supported_fields(
    group: str,
    kind: str,
    *,
    namespaced: bool = True,
    selectable_fields: Iterable[str] = (),
) -> frozenset[str]:
    """Field labels a ``fieldSelector`` may use for this kind.

    ``namespaced`` and ``selectable_fields`` only matter for custom resources:
    a cluster-scoped custom resource does not accept ``metadata.namespace``.
    """
    kf = _KINDS.get((group, kind))
    if kf is not None:
        return kf.labels
    if group in BUILTIN_GROUPS:
        return _META_LABELS
    labels = {_NAME}
    if namespaced:
        labels.add(_NAMESPACE)
    labels.update(_selectable_labels(selectable_fields))
    return frozenset(labels)


def convert_field_selector(
    group: str,
    kind: str,
    sel: FieldSelector,
    *,
    namespaced: bool = True,
    selectable_fields: Iterable[str] = (),
    version: str = "",
) -> FieldSelector:
    """Validate ``sel`` for a kind and rename alias labels, as the API server does.

    Raises :class:`SelectorError` for the first unsupported label (in the
    selector's sorted term order), with that kind's upstream message. The result
    matches against :func:`field_attributes` of the same kind.
    """
    if sel.empty:
        return sel
    kf = _KINDS.get((group, kind))
    if kf is not None:
        labels, rename, error = kf.labels, kf.rename, kf.error
    elif group in BUILTIN_GROUPS:
        labels, rename, error = _META_LABELS, {}, _default_not_known
    else:
        labels = supported_fields(group, kind, namespaced=namespaced, selectable_fields=selectable_fields)
        rename, error = {}, _not_supported
    changed = False
    out = []
    for f, op, v in sel._reqs:
        if f not in labels:
            raise SelectorError(error(f, version))
        nf = rename.get(f, f)
        if nf != f:
            changed = True
        out.append((nf, op, v))
    return FieldSelector(out) if changed else sel


def validate_field_selector(
    group: str,
    kind: str,
    sel: FieldSelector,
    *,
    namespaced: bool = True,
    selectable_fields: Iterable[str] = (),
    version: str = "",
) -> None:
    """Raise :class:`SelectorError` if ``sel`` uses a label this kind does not support."""
    convert_field_selector(
        group, kind, sel, namespaced=namespaced, selectable_fields=selectable_fields, version=version
    )
