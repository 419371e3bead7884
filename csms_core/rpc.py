"""OCPP-J 1.6 framing and schema validation.

Schemas come from the `ocpp` package and are compiled once with fastjsonschema:
validation runs inline on the event loop and costs microseconds, not a thread hop.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import fastjsonschema
from fastjsonschema.draft2019 import CodeGeneratorDraft2019
from fastjsonschema.ref_resolver import RefResolver

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_MESSAGE_ID_LENGTH = 36

# The 1.6 spellings, typos included: the errata keep them ("will not be fixed").
NOT_IMPLEMENTED = "NotImplemented"
NOT_SUPPORTED = "NotSupported"
INTERNAL_ERROR = "InternalError"
PROTOCOL_ERROR = "ProtocolError"
SECURITY_ERROR = "SecurityError"
FORMATION_VIOLATION = "FormationViolation"
PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
GENERIC_ERROR = "GenericError"
ERROR_CODES = frozenset(
    {
        NOT_IMPLEMENTED,
        NOT_SUPPORTED,
        INTERNAL_ERROR,
        PROTOCOL_ERROR,
        SECURITY_ERROR,
        FORMATION_VIOLATION,
        PROPERTY_CONSTRAINT_VIOLATION,
        OCCURENCE_CONSTRAINT_VIOLATION,
        TYPE_CONSTRAINT_VIOLATION,
        GENERIC_ERROR,
    }
)


class OcppError(Exception):
    """An error that becomes a CALLERROR frame."""

    def __init__(self, code: str, description: str = "", details: dict | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details or {}


@dataclass(slots=True)
class Call:
    message_id: str
    action: str
    payload: dict


@dataclass(slots=True)
class CallResult:
    message_id: str
    payload: dict


@dataclass(slots=True)
class CallError:
    message_id: str
    code: str
    description: str
    details: dict = field(default_factory=dict)


Frame = Call | CallResult | CallError


class FrameError(OcppError):
    """A frame we cannot process; `message_id` is set when we could read one."""

    def __init__(self, code: str, description: str, message_id: str | None = None) -> None:
        super().__init__(code, description)
        self.message_id = message_id


def parse_frame(raw: str | bytes) -> Frame:
    """Parse one OCPP-J frame, raising FrameError with the code to answer."""
    try:
        msg = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FrameError(FORMATION_VIOLATION, "Message is not valid JSON") from None
    except RecursionError:  # [[[[... nested deeper than the parser's stack allows
        raise FrameError(FORMATION_VIOLATION, "Message is nested too deeply") from None
    if not isinstance(msg, list) or len(msg) < 3:
        raise FrameError(FORMATION_VIOLATION, "Message is not a JSON array of 3 to 5 elements")
    type_id, message_id = msg[0], msg[1]
    if not isinstance(message_id, str):
        raise FrameError(FORMATION_VIOLATION, "Message id must be a string")
    if len(message_id) > MAX_MESSAGE_ID_LENGTH:
        raise FrameError(
            PROTOCOL_ERROR, f"Message id longer than {MAX_MESSAGE_ID_LENGTH} characters", message_id
        )
    if type_id == CALL:
        if len(msg) != 4 or not isinstance(msg[2], str):
            raise FrameError(
                FORMATION_VIOLATION, "CALL must be [2, id, action, payload]", message_id
            )
        payload = msg[3] if msg[3] is not None else {}
        if not isinstance(payload, dict):
            raise FrameError(FORMATION_VIOLATION, "CALL payload must be a JSON object", message_id)
        return Call(message_id, msg[2], payload)
    if type_id == CALLRESULT:
        payload = msg[2] if msg[2] is not None else {}
        if len(msg) != 3 or not isinstance(payload, dict):
            raise FrameError(FORMATION_VIOLATION, "CALLRESULT must be [3, id, payload]", message_id)
        return CallResult(message_id, payload)
    if type_id == CALLERROR:
        if len(msg) not in (4, 5):
            raise FrameError(
                FORMATION_VIOLATION, "CALLERROR must be [4, id, code, description, details]"
            )
        details = msg[4] if len(msg) == 5 and isinstance(msg[4], dict) else {}
        return CallError(message_id, str(msg[2]), str(msg[3]), details)
    raise FrameError(PROPERTY_CONSTRAINT_VIOLATION, f"Unknown message type {type_id!r}", message_id)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_call(message_id: str, action: str, payload: dict) -> str:
    return _dumps([CALL, message_id, action, payload])


def encode_result(message_id: str, payload: dict) -> str:
    return _dumps([CALLRESULT, message_id, payload])


def encode_error(
    message_id: str, code: str, description: str = "", details: dict | None = None
) -> str:
    return _dumps([CALLERROR, message_id, code, description, details or {}])


def utc_now_iso() -> str:
    """Current time as OCPP likes it: UTC with milliseconds and a Z."""
    return format_timestamp(datetime.now(UTC))


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Accept any ISO 8601 form (fractions, offsets, Z, or none: taken as UTC)."""
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _is_timestamp(text: str) -> bool:
    try:
        parse_timestamp(text)
    except ValueError:
        return False
    return True


# fastjsonschema rule -> OCPP-J error code (spec 4.2.3).
_RULE_CODES = {
    "type": TYPE_CONSTRAINT_VIOLATION,
    "required": OCCURENCE_CONSTRAINT_VIOLATION,
    "minItems": OCCURENCE_CONSTRAINT_VIOLATION,
    "maxItems": OCCURENCE_CONSTRAINT_VIOLATION,
    "additionalProperties": FORMATION_VIOLATION,
}


Validator = Callable[[dict], Any]


class SchemaSet:
    """Compiled request and response validators per action."""

    def __init__(self) -> None:
        self._requests: dict[str, Validator] = {}
        self._responses: dict[str, Validator] = {}

    @classmethod
    def ocpp16(cls) -> SchemaSet:
        """The OCPP 1.6 set; compiled once per process, copied per caller."""
        base = _compiled_ocpp16()
        schemas = cls()
        schemas._requests.update(base._requests)
        schemas._responses.update(base._responses)
        return schemas

    @classmethod
    def _load_ocpp16(cls) -> SchemaSet:
        schemas = cls()
        folder = resources.files("ocpp") / "v16" / "schemas"
        for entry in folder.iterdir():
            name = entry.name
            if not name.endswith(".json"):
                continue
            schema = json.loads(entry.read_text(encoding="utf-8"))
            if name.endswith("Response.json"):
                schemas.add(name.removesuffix("Response.json"), response_schema=schema)
            else:
                schemas.add(name.removesuffix(".json"), request_schema=schema)
        return schemas

    def add(
        self,
        action: str,
        request_schema: dict | None = None,
        response_schema: dict | None = None,
    ) -> None:
        if request_schema is not None:
            self._requests[action] = _compile(request_schema)
        if response_schema is not None:
            self._responses[action] = _compile(response_schema)

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._requests)

    def knows(self, action: str) -> bool:
        return action in self._requests

    def validate_request(self, action: str, payload: dict) -> None:
        _run(self._requests, action, payload)

    def validate_response(self, action: str, payload: dict) -> None:
        _run(self._responses, action, payload)


@functools.cache
def _compiled_ocpp16() -> SchemaSet:
    return SchemaSet._load_ocpp16()


def _strip_multiple_of(node: Any) -> Any:
    # The 1.6 schemas ask for multipleOf 0.1 on decimals; binary floats make
    # 21.4 fail that check, so (like most implementations) we do not enforce it.
    if isinstance(node, dict):
        return {k: _strip_multiple_of(v) for k, v in node.items() if k != "multipleOf"}
    if isinstance(node, list):
        return [_strip_multiple_of(v) for v in node]
    return node


class _CodeGenerator(CodeGeneratorDraft2019):
    """fastjsonschema's own (what ``fastjsonschema.compile`` picks for a schema without
    ``$schema``), except that an enum of strings is one set lookup. fastjsonschema >= 2.19
    compiles an enum to one ``isinstance(x, str) and x == value`` per value: ~20 for a
    measurand, and a MeterValues with six sampled values took ~35 us to validate."""

    def generate_enum(self) -> None:
        enum = self._definition["enum"]
        if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
            # A set display of constants: CPython compiles the `in` test to a frozenset.
            with self.l(
                "if not (isinstance({variable}, str) and {variable} in {}):", repr(set(enum))
            ):
                self.exc("{name} must be one of {}", self.e(enum), rule="enum")
            return
        super().generate_enum()


def _compile(schema: dict) -> Validator:
    schema = _strip_multiple_of(schema)
    schema.pop("$schema", None)  # compile as draft-04 semantics without fetching anything
    formats = {"date-time": _is_timestamp}
    # fastjsonschema.compile, with our code generator.
    resolver = RefResolver.from_schema(schema, handlers={}, store={})
    generator = _CodeGenerator(schema, resolver=resolver, formats=formats)
    state = generator.global_state
    exec(generator.func_code, state)  # code generated from the schemas, as compile() does
    return functools.partial(state[resolver.get_scope_name()], custom_formats=formats)


def _run(validators: dict[str, Validator], action: str, payload: dict) -> None:
    validator = validators.get(action)
    if validator is None:
        return
    try:
        validator(payload)
    except fastjsonschema.JsonSchemaValueException as exc:
        code = _RULE_CODES.get(exc.rule or "", PROPERTY_CONSTRAINT_VIOLATION)
        raise OcppError(code, exc.message.replace("data.", "", 1)) from None
