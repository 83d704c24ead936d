"""What to do with each entity type: tokenize, redact or keep; thresholds; allow- and deny-lists.

One file (YAML or TOML) holds a whole policy; it may extend a built-in preset (default, strict,
hipaa). Types a policy does not name are kept. Errors name the bad key, e.g.
``policy.yaml: entities.PERSON.action: expected one of keep, redact, tokenize, got 'mask'``.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from masking.errors import PolicyError
from masking.tokens import TokenScope

PRESETS = ("default", "strict", "hipaa")
TOP_LEVEL_KEYS = {"name", "extends", "scope", "strict", "default_threshold", "propagate", "entities",
                  "allow_list", "deny_list"}  # fmt: skip
RULE_KEYS = {"action", "threshold"}


class Action(StrEnum):
    TOKENIZE = "tokenize"
    REDACT = "redact"
    KEEP = "keep"


@dataclass(frozen=True)
class EntityRule:
    action: Action
    threshold: float


@dataclass(frozen=True)
class Policy:
    """A resolved policy. ``version`` is a content hash, recorded in every masking report."""

    name: str = "default"
    rules: dict[str, EntityRule] = field(default_factory=dict)
    default_threshold: float = 0.5
    allow_list: frozenset[str] = frozenset()
    deny_list: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scope: TokenScope = TokenScope.DOCUMENT
    strict: bool = False
    propagate: bool = True

    def rule(self, entity_type: str) -> EntityRule:
        return self.rules.get(entity_type, EntityRule(Action.KEEP, self.default_threshold))

    @property
    def masked_types(self) -> frozenset[str]:
        """Entity types the detector must look for (every type whose action is not keep)."""
        masked = {t for t, r in self.rules.items() if r.action is not Action.KEEP}
        return frozenset(masked | set(self.deny_list))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope.value,
            "strict": self.strict,
            "propagate": self.propagate,
            "default_threshold": self.default_threshold,
            "entities": {
                t: {"action": r.action.value, "threshold": r.threshold} for t, r in sorted(self.rules.items())
            },
            # Allow/deny terms may themselves be personal data: only their hashes enter the version.
            "allow_list": sorted(hashlib.sha256(v.encode()).hexdigest() for v in self.allow_list),
            "deny_list": {
                t: sorted(hashlib.sha256(v.encode()).hexdigest() for v in vs)
                for t, vs in sorted(self.deny_list.items())
            },
        }

    @property
    def version(self) -> str:
        canonical = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(canonical).hexdigest()[:12]

    def is_allowed(self, value: str) -> bool:
        return value.strip().casefold() in self.allow_list


def _fail(source: str, key: str, message: str) -> PolicyError:
    return PolicyError(f"{source}: {key}: {message}")


def _parse_rule(source: str, entity: str, raw: Any, default_threshold: float) -> EntityRule:
    key = f"entities.{entity}"
    if isinstance(raw, str):
        raw = {"action": raw}
    if not isinstance(raw, dict):
        raise _fail(source, key, "expected an action name or a mapping with action/threshold")
    unknown = set(raw) - RULE_KEYS
    if unknown:
        raise _fail(
            source, f"{key}.{sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(RULE_KEYS))})"
        )
    action_raw = raw.get("action", Action.TOKENIZE.value)
    try:
        action = Action(action_raw)
    except ValueError:
        choices = ", ".join(sorted(a.value for a in Action))
        raise _fail(source, f"{key}.action", f"expected one of {choices}, got {action_raw!r}") from None
    return EntityRule(action, _threshold(source, f"{key}.threshold", raw.get("threshold", default_threshold)))


def _threshold(source: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise _fail(source, key, f"expected a number between 0 and 1, got {value!r}")
    return float(value)


def _string_list(source: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(source, key, "expected a list of non-empty strings")
    return tuple(value)


def _entity_name(source: str, key: str, name: Any) -> str:
    if not isinstance(name, str) or not name.isupper() or not name.replace("_", "").isalnum():
        raise _fail(source, key, f"entity type names are UPPER_SNAKE_CASE, got {name!r}")
    return name


def policy_from_mapping(data: Any, source: str = "policy", base: Policy | None = None) -> Policy:
    """Build a policy from parsed YAML/TOML, on top of ``base`` or of the preset it ``extends``."""
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: expected a mapping at the top level")
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        raise _fail(source, sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    if "extends" in data:
        base = preset(str(data["extends"]))
    base = base or Policy(name="empty")
    threshold = _threshold(source, "default_threshold", data.get("default_threshold", base.default_threshold))
    rules = dict(base.rules)
    entities = data.get("entities", {})
    if not isinstance(entities, dict):
        raise _fail(source, "entities", "expected a mapping of entity type to rule")
    for entity, raw in entities.items():
        name = _entity_name(source, f"entities.{entity}", entity)
        rules[name] = _parse_rule(source, name, raw, threshold)
    deny = dict(base.deny_list)
    raw_deny = data.get("deny_list", {})
    if isinstance(raw_deny, list):
        raw_deny = {"CUSTOM": raw_deny}
    if not isinstance(raw_deny, dict):
        raise _fail(source, "deny_list", "expected a list of terms or a mapping of entity type to terms")
    for entity, terms in raw_deny.items():
        name = _entity_name(source, f"deny_list.{entity}", entity)
        deny[name] = _string_list(source, f"deny_list.{entity}", terms)
        rules.setdefault(name, EntityRule(Action.TOKENIZE, threshold))
    allow = base.allow_list | {
        v.strip().casefold() for v in _string_list(source, "allow_list", data.get("allow_list", []))
    }
    try:
        scope = TokenScope(data.get("scope", base.scope.value))
    except ValueError:
        raise _fail(source, "scope", f"expected document or corpus, got {data.get('scope')!r}") from None
    flags = {}
    for flag in ("strict", "propagate"):
        value = data.get(flag, getattr(base, flag))
        if not isinstance(value, bool):
            raise _fail(source, flag, f"expected true or false, got {value!r}")
        flags[flag] = value
    return Policy(
        name=str(data.get("name", base.name)),
        rules=rules,
        default_threshold=threshold,
        allow_list=frozenset(allow),
        deny_list=deny,
        scope=scope,
        strict=flags["strict"],
        propagate=flags["propagate"],
    )


def preset(name: str) -> Policy:
    """A built-in policy by name: default, strict or hipaa."""
    if name not in PRESETS:
        raise PolicyError(f"unknown preset {name!r} (available: {', '.join(PRESETS)})")
    text = resources.files("masking.presets").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return policy_from_mapping(yaml.safe_load(text), source=f"preset {name}")


def load_policy(spec: str | Path | None = None) -> Policy:
    """A preset name, or a YAML/TOML policy file; None gives the default preset."""
    if spec is None:
        return preset("default")
    if isinstance(spec, str) and spec in PRESETS:
        return preset(spec)
    path = Path(spec)
    if not path.is_file():
        raise PolicyError(f"policy {spec}: no such preset or file (presets: {', '.join(PRESETS)})")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"{path}: cannot parse policy file ({type(error).__name__})") from None
    return policy_from_mapping(data, source=str(path))
