"""The rule catalogue as the engine and the pages see it: each rule's spec (from
`screening.rules.registry`) with the office's settings in force (`RuleSetting`).

A rule's parameters are its spec's defaults, overlaid with the newest `RuleSetting` version the
office saved for it; a rule runs unless that version switched it off. The rules' own modules are
imported lazily, so that the warnings half of the app works (and is tested) on its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from tenderwatch.core.errors import DomainError
from tenderwatch.screening.models import RuleSetting

EVENT = "event"
SWEEP = "sweep"


def specs() -> dict[str, Any]:
    """{rule id: RuleSpec} of the statutory rules, in catalogue order."""
    try:
        from tenderwatch.screening.rules import registry
    except ImportError:  # the rules package has not landed: no rules, the plumbing still works
        return {}
    return {spec.id: spec for spec in registry.all_rules()}


def load_states(project_ids: list[int]) -> list[Any]:
    from tenderwatch.screening.rules import state

    return list(state.load_states(project_ids))


def run_rules(
    states: list[Any], params_by_rule: Mapping[str, Mapping[str, Any]], today: dt.date | None
) -> list[Any]:
    from tenderwatch.screening.rules import state

    return list(state.run_rules(states, dict(params_by_rule), today=today))


APPROVED_PROJECT = "approved_project"


def subject_of(spec: Any) -> str:
    """What a rule looks at: "project" (a ProjectState), or "approved_project" (a row of the
    approved-project list with no project in the ledger, 应进必进)."""
    return str(getattr(spec, "subject", "project") or "project")


def check_approved_list(rules: list[RuleInForce], today: dt.date) -> list[Any]:
    """Findings of the rules that look at the approved-project list (MUST-10): as `Finding`s
    without a project, naming the approved project in `data["approved_project_id"]`."""
    if not rules:
        return []
    from tenderwatch.screening.findings import Finding
    from tenderwatch.screening.rules import must

    rows = must.load_not_entered()
    out = []
    for rule in rules:
        for found in must.check_not_entered(rows, rule.params, today=today):
            if found.rule_id != rule.id:
                continue
            out.append(
                Finding(
                    rule_id=found.rule_id,
                    project_id=0,
                    explanation=found.explanation,
                    legal_basis=tuple(found.legal_basis),
                    facts=tuple(found.facts),
                    severity=found.severity,
                    key=f"approved:{found.approved_project_id}:{found.key}",
                    data={"approved_project_id": found.approved_project_id},
                )
            )
    return out


def spec_of(rule_id: str) -> Any | None:
    return specs().get(rule_id)


# -- parameter values ----------------------------------------------------------------------------


def _default_of(param: Any) -> Any:
    return getattr(param, "default", param)


def coerce(default: Any, value: Any) -> Any:
    """`value` (from JSON or a form) as the type of the parameter's default; ValueError if not.
    A table or list parameter (dict or list default) is given as JSON text or as the object."""
    if isinstance(default, dict | list | tuple):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(value) from None
        if isinstance(default, dict) and not isinstance(value, dict):
            raise ValueError(value)
        if isinstance(default, list | tuple) and not isinstance(value, list | tuple):
            raise ValueError(value)
        return type(default)(value) if isinstance(default, tuple) else value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "on", "yes", "是"):
            return True
        if text in ("0", "false", "off", "no", "否", ""):
            return False
        raise ValueError(value)
    if isinstance(default, int):
        if isinstance(value, bool):
            raise ValueError(value)
        number = Decimal(str(value).strip())
        if number != number.to_integral_value():
            raise ValueError(value)
        return int(number)
    if isinstance(default, Decimal):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(value) from None
    if isinstance(default, float):
        return float(str(value).strip())
    return str(value)


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def validate_params(spec: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The full parameter set from `raw` (names of the spec; others refused), typed like the
    defaults; a DomainError naming each bad value, in Chinese."""
    params: Mapping[str, Any] = getattr(spec, "params", {}) or {}
    unknown = sorted(set(raw) - set(params))
    if unknown:
        raise DomainError(
            _("Rule %(rule)s has no parameter %(names)s.")
            % {"rule": spec.id, "names": "、".join(unknown)},
            code="unknown_param",
        )
    out: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name, param in params.items():
        default = _default_of(param)
        if name not in raw:
            out[name] = default
            continue
        label = str(getattr(param, "label", name))
        try:
            value = coerce(default, raw[name])
        except (ValueError, ArithmeticError):
            problems.append(
                {"field": name, "message": _("%(label)s: not a valid value.") % {"label": label}}
            )
            continue
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value < 0:
            problems.append(
                {
                    "field": name,
                    "message": _("%(label)s: must not be negative.") % {"label": label},
                }
            )
            continue
        check = getattr(param, "validate", None)
        if check is not None:
            try:
                check(value)
            except ValueError as exc:
                problems.append({"field": name, "message": f"{label}：{exc}"})
                continue
        out[name] = value
    if problems:
        raise DomainError(
            "；".join(p["message"] for p in problems), code="invalid_params", details=problems
        )
    return out


# -- settings in force ---------------------------------------------------------------------------


def current_settings(rule_ids: Iterable[str] | None = None) -> dict[str, RuleSetting]:
    """The newest `RuleSetting` of each rule (one query; the table is small)."""
    qs = RuleSetting.objects.select_related("changed_by").order_by("rule_id", "-version")
    if rule_ids is not None:
        qs = qs.filter(rule_id__in=list(rule_ids))
    out: dict[str, RuleSetting] = {}
    for setting in qs:
        out.setdefault(setting.rule_id, setting)
    return out


@dataclass(frozen=True)
class RuleInForce:
    spec: Any
    enabled: bool
    params: dict[str, Any]
    setting: RuleSetting | None

    @property
    def id(self) -> str:
        return str(self.spec.id)

    @property
    def timing(self) -> str:
        return str(getattr(self.spec, "timing", EVENT) or EVENT)


def params_in_force(spec: Any, setting: RuleSetting | None) -> dict[str, Any]:
    params: Mapping[str, Any] = getattr(spec, "params", {}) or {}
    stored = setting.params if setting is not None else {}
    out = {}
    for name, param in params.items():
        default = _default_of(param)
        if name in stored:
            try:
                out[name] = coerce(default, stored[name])
            except (ValueError, ArithmeticError):
                out[name] = default
        else:
            out[name] = default
    return out


def rules_in_force(
    *, timing: str | None = None, rule_id: str | None = None, enabled_only: bool = True
) -> list[RuleInForce]:
    catalogue = specs()
    if rule_id is not None:
        if rule_id not in catalogue:
            raise DomainError(_("There is no rule %(rule)s.") % {"rule": rule_id}, code="no_rule")
        catalogue = {rule_id: catalogue[rule_id]}
    settings_by_rule = current_settings(catalogue)
    out = []
    for rid, spec in catalogue.items():
        setting = settings_by_rule.get(rid)
        rule = RuleInForce(
            spec=spec,
            enabled=setting.enabled if setting is not None else True,
            params=params_in_force(spec, setting),
            setting=setting,
        )
        if timing is not None and rule.timing != timing:
            continue
        if enabled_only and not rule.enabled:
            continue
        out.append(rule)
    return out
