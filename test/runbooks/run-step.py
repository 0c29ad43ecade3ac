"""Runs one aws:executeScript step the way Automation does, for the jest tests: reads the step's
Script, Handler and InputPayload (already substituted) as JSON on stdin, calls the handler, and
prints the outcome as JSON. An exception fails the step, as it fails an Automation step."""

import json
import sys

step = json.load(sys.stdin)
scope = {"__name__": "automation_step"}
exec(compile(step["Script"], "invoke.py", "exec"), scope)
try:
    payload = scope[step["Handler"]](step["InputPayload"], None)
except Exception as err:  # Automation fails the step on any exception; so does this runner.
    print(json.dumps({"status": "Failed", "error": type(err).__name__, "message": str(err)}))
    sys.exit(1)
print(json.dumps({"status": "Success", "Payload": payload}))
