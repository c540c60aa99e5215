"""Reading and checking a district configuration file (districts/README.md describes it).

`load(name_or_path)` returns a `DistrictConfig` or raises `ConfigInvalid` listing every problem
found, each with where it is in the file; nothing is written here. `services.district_setup`
applies a valid configuration.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from tenderwatch import districts
from tenderwatch.core.errors import DomainError
from tenderwatch.org.models import DepartmentKind, GroupPosition, Industry, MatterType

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
REGION_CODE = re.compile(r"^\d{6}(\d{3}|\d{6})?$")  # GB/T 2260 (6 digits), or to township level

TOP_KEYS = {"district", "plan", "departments", "leading_group", "authority", "approval_routes"}
DISTRICT_KEYS = {"code", "name", "region_code"}
PLAN_KEYS = {"ref", "title", "date"}
DEPARTMENT_KEYS = {"code", "name", "short_name", "kind", "active"}
GROUP_KEYS = {"name", "office", "established_by", "established_on", "posts", "members"}
POST_KEYS = {
    "key",
    "position",
    "department",
    "title",
    "person_name",
    "person_title",
    "valid_from",
    "valid_to",
}
MEMBERS_KEYS = {"title", "units"}
RULE_KEYS = {
    "industry",
    "matter_type",
    "department",
    "legal_basis",
    "note",
    "valid_from",
    "valid_to",
    "active",
}


class ConfigInvalid(DomainError):
    """The district file has problems; `problems` lists each one with where it is."""

    def __init__(self, problems: Sequence[str], *, source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        message = _("The district configuration %(source)s has %(count)s problem(s):") % {
            "source": source,
            "count": len(self.problems),
        }
        super().__init__(message, code="invalid_district_config", details=self.problems)

    def __str__(self) -> str:
        return "\n".join([str(self.message), *(f"  - {p}" for p in self.problems)])


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    short_name: str
    kind: str
    active: bool | None = None  # None: leave as it is


@dataclass(frozen=True)
class PostSpec:
    key: str
    position: str
    department: str | None
    title: str
    # Empty / None: not set by the file; whatever the office entered stays.
    person_name: str = ""
    person_title: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass(frozen=True)
class GroupSpec:
    name: str
    office: str
    established_by: str
    established_on: dt.date | None
    posts: tuple[PostSpec, ...]


@dataclass(frozen=True)
class RuleSpec:
    industry: str
    matter_type: str
    department: str
    legal_basis: str
    note: str = ""
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    active: bool | None = None  # None: leave as it is (an office may have switched it off)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.industry, self.matter_type, self.department)


@dataclass(frozen=True)
class DistrictConfig:
    code: str
    name: str
    region_code: str
    plan_ref: str
    plan_title: str
    plan_date: dt.date | None
    departments: tuple[DepartmentSpec, ...]
    group: GroupSpec | None
    rules: tuple[RuleSpec, ...]
    approval_routes: list[dict[str, Any]] | None = None  # None: approvals' defaults
    source: str = ""
    department_codes: frozenset[str] = field(default=frozenset())


# -- reading -----------------------------------------------------------------------------------


def resolve(name_or_path: str) -> Path:
    """A packaged district name (`huangzhou`) or a path to a file."""
    packaged = districts.find(name_or_path) if SLUG.match(name_or_path) else None
    if packaged is not None:
        return packaged
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise DomainError(
        _("No district configuration “%(name)s”: give a packaged district (%(names)s) or a file.")
        % {"name": name_or_path, "names": ", ".join(districts.packaged()) or "—"},
        code="district_not_found",
    )


def read(path: Path) -> Mapping[str, Any]:
    """The raw content of a TOML or YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid(
            [_("The file cannot be read as UTF-8 text: %s") % exc], source=str(path)
        ) from None
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:  # PyYAML is optional; TOML needs nothing
            raise ConfigInvalid(
                [_("YAML files need the PyYAML package; use TOML or install PyYAML.")],
                source=str(path),
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigInvalid([_("Not valid YAML: %s") % exc], source=str(path)) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigInvalid([_("Not valid TOML: %s") % exc], source=str(path)) from None
    if not isinstance(data, Mapping):
        raise ConfigInvalid([_("The file must hold a table of settings.")], source=str(path))
    return data


def load(name_or_path: str) -> DistrictConfig:
    path = resolve(name_or_path)
    return parse(read(path), source=path.name)


# -- checking ----------------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.add(where, _("must be a table."))
            return {}
        return value

    def tables(self, value: Any, where: str) -> list[Mapping[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(where, _("must be a list of tables."))
            return []
        out = []
        for i, item in enumerate(value, start=1):
            if isinstance(item, Mapping):
                out.append(item)
            else:
                self.add(f"{where}[{i}]", _("must be a table."))
        return out

    def keys(self, raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(str(k) for k in set(raw) - allowed)
        if unknown:
            self.add(
                where,
                _("unknown keys %(keys)s (allowed: %(allowed)s).")
                % {"keys": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
            )

    def text(
        self, raw: Mapping[str, Any], key: str, where: str, *, required: bool, max_length: int
    ) -> str:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(where, _("“%(key)s” is required.") % {"key": key})
            return ""
        if not isinstance(value, str):
            self.add(where, _("“%(key)s” must be text.") % {"key": key})
            return ""
        value = value.strip()
        if len(value) > max_length:
            self.add(
                where,
                _("“%(key)s” is longer than %(max)s characters.") % {"key": key, "max": max_length},
            )
        return value

    def date(self, raw: Mapping[str, Any], key: str, where: str) -> dt.date | None:
        value = raw.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.add(where, _("“%(key)s” must be a date such as 2023-01-30.") % {"key": key})
        return None

    def flag(self, raw: Mapping[str, Any], key: str, where: str) -> bool | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.add(where, _("“%(key)s” must be true or false.") % {"key": key})
            return None
        return value

    def choice(self, value: str, choices: Any, key: str, where: str, *, blank: bool = False) -> str:
        if blank and not value:
            return ""
        if value not in choices.values:
            self.add(
                where,
                _("unknown %(key)s “%(value)s” (one of: %(choices)s).")
                % {"key": key, "value": value, "choices": ", ".join(choices.values)},
            )
        return value

    def ordered(self, start: dt.date | None, end: dt.date | None, where: str) -> None:
        if start and end and end < start:
            self.add(where, _("“valid_to” is before “valid_from”."))


def parse(data: Mapping[str, Any], *, source: str = "") -> DistrictConfig:
    """Check every part of `data` and return the configuration, or raise ConfigInvalid."""
    c = _Checker()
    c.keys(data, TOP_KEYS, "")

    district = c.table(data.get("district"), "[district]")
    if "district" not in data:
        c.add("[district]", _("the section is missing."))
    c.keys(district, DISTRICT_KEYS, "[district]")
    code = c.text(district, "code", "[district]", required=True, max_length=40)
    if code and not SLUG.match(code):
        c.add("[district]", _("“code” may hold only lower-case letters, digits, - and _."))
    name = c.text(district, "name", "[district]", required=True, max_length=60)
    region_code = c.text(district, "region_code", "[district]", required=True, max_length=12)
    if region_code and not REGION_CODE.match(region_code):
        c.add("[district]", _("“region_code” must be a 6-digit administrative division code."))

    plan = c.table(data.get("plan"), "[plan]")
    c.keys(plan, PLAN_KEYS, "[plan]")
    plan_ref = c.text(plan, "ref", "[plan]", required=False, max_length=60)
    plan_title = c.text(plan, "title", "[plan]", required=False, max_length=200)
    plan_date = c.date(plan, "date", "[plan]")

    departments = _departments(c, data)
    codes = frozenset(d.code for d in departments)
    group = _group(c, data, codes, departments, plan_ref, plan_date)
    rules = _rules(c, data, codes)

    routes_raw = data.get("approval_routes")
    routes: list[dict[str, Any]] | None = None
    if routes_raw is not None:
        routes = [dict(r) for r in c.tables(routes_raw, "[[approval_routes]]")]

    if c.problems:
        raise ConfigInvalid(c.problems, source=source)
    return DistrictConfig(
        code=code,
        name=name,
        region_code=region_code,
        plan_ref=plan_ref,
        plan_title=plan_title,
        plan_date=plan_date,
        departments=tuple(departments),
        group=group,
        rules=tuple(rules),
        approval_routes=routes,
        source=source,
        department_codes=codes,
    )


def _departments(c: _Checker, data: Mapping[str, Any]) -> list[DepartmentSpec]:
    raw_list = c.tables(data.get("departments"), "[[departments]]")
    if not raw_list:
        c.add("[[departments]]", _("at least the office must be listed."))
    out: list[DepartmentSpec] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, raw in enumerate(raw_list, start=1):
        where = f"[[departments]] #{i}"
        c.keys(raw, DEPARTMENT_KEYS, where)
        code = c.text(raw, "code", where, required=True, max_length=40)
        if code:
            where = f"[[departments]] #{i} ({code})"
            if not SLUG.match(code):
                c.add(where, _("“code” may hold only lower-case letters, digits, - and _."))
            if code in seen_codes:
                c.add(
                    where,
                    _("duplicate code “%(code)s” (also #%(other)s).")
                    % {"code": code, "other": seen_codes[code]},
                )
            seen_codes.setdefault(code, i)
        name = c.text(raw, "name", where, required=True, max_length=100)
        if name:
            if name in seen_names:
                c.add(
                    where,
                    _("duplicate name “%(name)s” (also #%(other)s).")
                    % {"name": name, "other": seen_names[name]},
                )
            seen_names.setdefault(name, i)
        short_name = c.text(raw, "short_name", where, required=False, max_length=40) or name[:40]
        kind = c.choice(
            c.text(raw, "kind", where, required=True, max_length=20), DepartmentKind, "kind", where
        )
        active = c.flag(raw, "active", where)
        out.append(DepartmentSpec(code, name, short_name, kind, active))
    offices = [d.code for d in out if d.kind == DepartmentKind.OFFICE]
    if raw_list and len(offices) != 1:
        c.add(
            "[[departments]]",
            _("exactly one department must be of kind “office” (found %(n)s).")
            % {"n": len(offices)},
        )
    return out


def _group(
    c: _Checker,
    data: Mapping[str, Any],
    codes: frozenset[str],
    departments: list[DepartmentSpec],
    plan_ref: str,
    plan_date: dt.date | None,
) -> GroupSpec | None:
    if "leading_group" not in data:
        return None
    where = "[leading_group]"
    raw = c.table(data.get("leading_group"), where)
    c.keys(raw, GROUP_KEYS, where)
    name = c.text(raw, "name", where, required=True, max_length=200)
    office = c.text(raw, "office", where, required=True, max_length=40)
    kinds = {d.code: d.kind for d in departments}
    if office and office not in codes:
        c.add(where, _("unknown department code “%(code)s”.") % {"code": office})
    elif office and kinds.get(office) != DepartmentKind.OFFICE:
        c.add(where, _("“office” must name the department of kind “office”."))
    established_by = c.text(raw, "established_by", where, required=False, max_length=60)
    established_on = c.date(raw, "established_on", where)

    posts: list[PostSpec] = []
    seen: dict[str, str] = {}
    for i, post in enumerate(c.tables(raw.get("posts"), "[[leading_group.posts]]"), start=1):
        pwhere = f"[[leading_group.posts]] #{i}"
        c.keys(post, POST_KEYS, pwhere)
        key = c.text(post, "key", pwhere, required=True, max_length=60)
        if key:
            pwhere = f"[[leading_group.posts]] #{i} ({key})"
            if not SLUG.match(key):
                c.add(pwhere, _("“key” may hold only lower-case letters, digits, - and _."))
        position = c.choice(
            c.text(post, "position", pwhere, required=True, max_length=20),
            GroupPosition,
            "position",
            pwhere,
        )
        department = c.text(post, "department", pwhere, required=False, max_length=40) or None
        if department and department not in codes:
            c.add(pwhere, _("unknown department code “%(code)s”.") % {"code": department})
        title = c.text(post, "title", pwhere, required=True, max_length=100)
        valid_from = c.date(post, "valid_from", pwhere)
        valid_to = c.date(post, "valid_to", pwhere)
        c.ordered(valid_from, valid_to, pwhere)
        spec = PostSpec(
            key=key,
            position=position,
            department=department,
            title=title,
            person_name=c.text(post, "person_name", pwhere, required=False, max_length=60),
            person_title=c.text(post, "person_title", pwhere, required=False, max_length=100),
            valid_from=valid_from,
            valid_to=valid_to,
        )
        _add_post(c, posts, seen, spec, pwhere)

    members = c.table(raw.get("members"), "[leading_group.members]")
    if members:
        mwhere = "[leading_group.members]"
        c.keys(members, MEMBERS_KEYS, mwhere)
        title = c.text(members, "title", mwhere, required=True, max_length=100)
        units = members.get("units") or []
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            c.add(mwhere, _("“units” must be a list of department codes."))
            units = []
        for unit in units:
            if unit not in codes:
                c.add(mwhere, _("unknown department code “%(code)s”.") % {"code": unit})
                continue
            spec = PostSpec(
                key=f"member-{unit}".replace("_", "-"),
                position=GroupPosition.MEMBER,
                department=unit,
                title=title,
            )
            _add_post(c, posts, seen, spec, f"{mwhere} ({unit})")
    return GroupSpec(
        name=name,
        office=office,
        established_by=established_by or plan_ref,
        established_on=established_on or plan_date,
        posts=tuple(posts),
    )


def _add_post(
    c: _Checker, posts: list[PostSpec], seen: dict[str, str], spec: PostSpec, where: str
) -> None:
    if spec.key and spec.key in seen:
        c.add(
            where,
            _("duplicate post key “%(key)s” (also %(other)s).")
            % {"key": spec.key, "other": seen[spec.key]},
        )
        return
    seen[spec.key] = where
    posts.append(spec)


def _rules(c: _Checker, data: Mapping[str, Any], codes: frozenset[str]) -> list[RuleSpec]:
    out: list[RuleSpec] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i, raw in enumerate(c.tables(data.get("authority"), "[[authority]]"), start=1):
        where = f"[[authority]] #{i}"
        c.keys(raw, RULE_KEYS, where)
        industry = c.choice(
            c.text(raw, "industry", where, required=True, max_length=30),
            Industry,
            "industry",
            where,
        )
        matter_type = c.choice(
            c.text(raw, "matter_type", where, required=False, max_length=20),
            MatterType,
            "matter_type",
            where,
            blank=True,
        )
        department = c.text(raw, "department", where, required=True, max_length=40)
        if department and department not in codes:
            c.add(
                where,
                _("unknown department code “%(code)s” (not among [[departments]]).")
                % {"code": department},
            )
        legal_basis = c.text(raw, "legal_basis", where, required=True, max_length=4000)
        valid_from = c.date(raw, "valid_from", where)
        valid_to = c.date(raw, "valid_to", where)
        c.ordered(valid_from, valid_to, where)
        spec = RuleSpec(
            industry=industry,
            matter_type=matter_type,
            department=department,
            legal_basis=legal_basis,
            note=c.text(raw, "note", where, required=False, max_length=200),
            valid_from=valid_from,
            valid_to=valid_to,
            active=c.flag(raw, "active", where),
        )
        if spec.key in seen:
            c.add(
                where,
                _("the same industry, matter type and department are listed twice (also #%(n)s).")
                % {"n": seen[spec.key]},
            )
        seen.setdefault(spec.key, i)
        out.append(spec)
    return out
