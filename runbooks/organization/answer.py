"""Organization mode: the handlers of the revert runbook's steps that read the reverter's answer.

Synth appends this file to runbooks/invoke.py in the Script of the organization runbook's steps
(infra/runbooks.ts), so every call, its timeouts and its failures are invoke.py's own: these
handlers only lift a few fields of the answer into the step's outputs, where aws:branch and
aws:approve can read them (an output selector cannot look inside the JSON text of the answer).
`invoke`, `json` and `FunctionFailed` come from runbooks/invoke.py, which precedes this text.
"""

# The response modes of handlers/policy/scope.ts.
MODES = ("enforce", "approve", "observe")
# aws:approve's Message holds 4,096 characters: the fields it quotes are cut to fit together.
FIELD_MAX = 600
PLAN_MAX = 1800


class ApprovalNotGiven(Exception):
    """The approvers rejected the revert, or gave no decision: the runbook must end failed."""


def _cut(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _answer_of(events, context):
    """Invokes the function (failing as invoke.py fails) and returns its answer, parsed."""
    answer = invoke(events, context)
    parsed = json.loads(answer["result"]) if answer["result"] else None
    if not isinstance(parsed, dict):
        raise FunctionFailed(
            f"{events['FunctionName']} answered {answer['result'][:FIELD_MAX]!r}, not an object"
        )
    return answer, parsed


def _place(item):
    if isinstance(item, dict):
        where = "/".join(str(item[k]) for k in ("account", "region") if item.get(k))
        return f"{where} ({item['mode']})" if item.get("mode") else where or json.dumps(item)
    return str(item)


def _places_of(arns):
    """ "222222222222/us-east-1" for each account and region among the resources' ARNs."""
    places = []
    for arn in arns if isinstance(arns, list) else []:
        parts = str(arn).split(":")
        if len(parts) >= 6 and parts[4] and parts[3]:
            place = f"{parts[4]}/{parts[3]}"
            if place not in places:
                places.append(place)
    return places


def scope(events, context):
    """Asks the reverter which mode applies to the incident's accounts; it changes nothing."""
    answer, parsed = _answer_of(events, context)
    mode = parsed.get("mode")
    if mode not in MODES:
        raise FunctionFailed(
            f"{events['FunctionName']} answered the scope request without a response mode "
            f"(mode: {mode!r}; expected one of {', '.join(MODES)}); nothing was changed"
        )
    accounts = parsed.get("accounts") if isinstance(parsed.get("accounts"), list) else []
    # The answer's accounts, each with its regions as the groups' ARNs name them.
    from_arns = _places_of(events["Payload"].get("involvedResources"))
    places = []
    for item in accounts:
        if isinstance(item, dict):
            places.append(_place(item))
            continue
        regions = [p for p in from_arns if p.split("/")[0] == str(item)]
        places.extend(regions or [str(item)])
    places = places or from_arns
    return {
        **answer,
        "mode": mode,
        "reason": _cut(str(parsed.get("reason") or "no reason given"), FIELD_MAX),
        "accounts": _cut(", ".join(places) or "the incident's account", FIELD_MAX),
    }


def plan(events, context):
    """Runs the reverter in dry run (it records the plan on the incident) and summarizes it."""
    answer, parsed = _answer_of(events, context)
    lines = [str(n) for n in parsed.get("notes") or []]
    for result in parsed.get("results") or []:
        if isinstance(result, dict):
            lines.append(f"{result.get('groupId', '?')}: {result.get('status', '?')}")
    return {**answer, "plan": _cut("; ".join(lines) or "nothing to change", PLAN_MAX)}


def not_approved(events, context):
    """Ends the runbook failed: the revert was not approved, so nothing was changed."""
    raise ApprovalNotGiven(
        f"The revert for {events.get('IncidentRecordArn') or 'the incident'} was not approved "
        f"(approval status: {events.get('ApprovalStatus') or 'none'}); nothing was changed. "
        "Run the runbook again to ask again."
    )
