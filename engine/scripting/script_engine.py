"""The SpiffWorkflow script engine of Casework: every condition, timer and script goes through the sandbox.

SpiffWorkflow's PythonScriptEngine runs BPMN text with plain ``eval``/``exec``. This subclass routes
``evaluate`` to :mod:`engine.scripting.expressions` (simpleeval, JUEL), ``execute`` to :mod:`engine.scripting.sandbox`
(RestrictedPython, line budget) and ``call_service`` to handlers registered by name. SpiffWorkflow
also calls ``script_engine.environment.evaluate`` directly (process completion conditions, message
correlations), so the environment is replaced too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.scripting import durations, expressions, sandbox
from engine.scripting.expressions import ExpressionError
from engine.scripting.sandbox import ScriptError

# A service handler gets a copy of the task data and the call's parameters; the dict it returns is
# merged into the task data.
ServiceHandler = Callable[..., "dict[str, Any] | None"]


class _SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """What SpiffWorkflow reaches through ``script_engine.environment`` without a task."""

    def __init__(self, engine: SandboxedScriptEngine):
        super().__init__()
        self.engine = engine

    def evaluate(self, expression, context, external_context=None):
        return self.engine.evaluate_in(expression, {**context, **(external_context or {})})

    def execute(self, script, context, external_context=None):
        functions = {**(external_context or {}), **self.engine.functions}
        sandbox.run_script(script, context, functions, line_budget=self.engine.line_budget)
        return True

    def call_service(self, context, **kwargs):
        raise NotImplementedError("service calls need a task; use SandboxedScriptEngine.call_service")


class SandboxedScriptEngine(PythonScriptEngine):
    """Shared by threads: it holds only the registered names and the budget, no per-run state."""

    def __init__(self, functions: dict | None = None, services: dict | None = None, line_budget: int = 100_000):
        super().__init__(environment=_SandboxedEnvironment(self))
        self.functions: dict[str, Callable] = dict(functions or {})
        self.services: dict[str, ServiceHandler] = dict(services or {})
        self.line_budget = line_budget
        self.zone = None  # the business calendar's zone (set by EngineContext): a timer's bare date means it

    def register_function(self, name: str, fn: Callable) -> None:
        """Make ``fn`` callable by name from expressions and scripts (e.g. add_working_days)."""
        self.functions[name] = fn

    def register_service(self, name: str, fn: ServiceHandler) -> None:
        """Make ``fn`` the handler of service tasks with camunda:topic (or delegate name) ``name``."""
        self.services[name] = fn

    def evaluate_in(self, expression: str, context: dict) -> Any:
        """Evaluate against plain data (no task); registered functions run under the line budget."""
        budget = self.line_budget if self.functions else None
        return expressions.evaluate(expression, context, self.functions, line_budget=budget)

    def validate(self, expression):
        if expressions.is_iso8601_timer(expression):
            return
        expressions.parse(expression)

    def evaluate(self, task, expression, external_context=None):
        context = {**task.data, **(external_context or {})}
        try:
            timer = _is_timer_expression(task, expression)
            if timer or expressions.is_iso8601_timer(expression):
                text = expressions.evaluate_timer(expression, context, self.functions, zone=self.zone) if timer \
                    else expression.strip()
                problem = durations.timer_text_problem(text)
                if problem:  # SpiffWorkflow would loop for ever on P99999999999Y, or raise a bare Exception
                    raise ExpressionError(f"Timer refused: {problem}", expression)
                return text
            return self.evaluate_in(expression, context)
        except ExpressionError as err:
            wte = WorkflowTaskException(str(err), task=task, exception=err)
            suggestion = _did_you_mean(err.name, context) if err.name else ""
            if suggestion:
                wte.add_note(suggestion.strip())
            raise wte from err

    def execute(self, task, script, external_context=None):
        functions = {**(external_context or {}), **self.functions}
        try:
            sandbox.run_script(script, task.data, functions, line_budget=self.line_budget)
        except ScriptError as err:
            lines, line = (script or "").splitlines(), err.line_number
            error_line = lines[line - 1].strip() if line and line <= len(lines) else ""
            raise WorkflowTaskException(str(err), task=task, exception=err, line_number=line,
                                        error_line=error_line) from err
        return True

    def call_service(self, task, **kwargs):
        topic, operation = kwargs.pop("topic", None), kwargs.pop("operation_name", None)
        name = topic or operation
        handler = self.services.get(name)
        if handler is None:
            raise WorkflowTaskException(f"no service handler named {name!r} is registered", task=task)
        # SpiffWorkflow's own service tasks pass {'param': {'value': v, 'type': t}}
        params = {key: value.get("value") if isinstance(value, dict) else value
                  for key, value in (kwargs.pop("operation_params", None) or {}).items()}
        params.update(kwargs)
        try:
            result = handler(copy.deepcopy(task.data), **params)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise WorkflowTaskException(f"service handler {name!r} failed: {type(err).__name__}: {err}",
                                        task=task, exception=err) from err
        if result is None:
            return {}
        if not isinstance(result, dict):
            raise WorkflowTaskException(f"service handler {name!r} returned a {type(result).__name__}, "
                                        "not a dict of task data", task=task)
        problem = sandbox.json_problem(result)
        if problem:
            raise WorkflowTaskException(f"service handler {name!r} returned data that {problem}", task=task)
        task.data.update(result)
        return result


def _is_timer_expression(task, expression) -> bool:
    """Timer event definitions evaluate through the same call; their result must be ISO 8601 text."""
    definition = getattr(task.task_spec, "event_definition", None)
    for candidate in getattr(definition, "event_definitions", None) or [definition]:
        if isinstance(candidate, TimerEventDefinition) and candidate.expression == expression:
            return True
    return False


def _did_you_mean(name: str, context: dict) -> str:
    return WorkflowTaskException.did_you_mean_from_name_error(
        NameError(f"name '{name}' is not defined"), list(context)) or ""
