"""Small BPMN documents written next to the tests that use them."""

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


def declarations(declared: dict[str, str] | None) -> str:
    """The process's camunda:properties (engine.bpmn.declarations), e.g. {"start:inputs": "wait"}."""
    if not declared:
        return ""
    props = "".join(f'<camunda:property name="{k}" value="{v}" />' for k, v in declared.items())
    return f"<bpmn:extensionElements><camunda:properties>{props}</camunda:properties></bpmn:extensionElements>"


def bpmn(body: str, process_id: str = "p", name: str = "Test process", process_attrs: str = "",
         declare: dict[str, str] | None = None) -> str:
    """Wrap process content in a Camunda Modeler-style definitions document; `declare` gives the process's
    declarations (roles, start inputs, message senders)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions {NAMESPACES} id="defs_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">\n'
            f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true" {process_attrs}>\n'
            f'{declarations(declare)}{body}\n'
            f'</bpmn:process>\n</bpmn:definitions>\n')


def one_task(process_id: str = "p", task_attrs: str = 'camunda:candidateGroups="clerks"', form: str = "",
             declare: dict[str, str] | None = None) -> str:
    """start -> user task -> end."""
    ext = f"<bpmn:extensionElements><camunda:formData>{form}</camunda:formData></bpmn:extensionElements>" if form else ""
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="work" name="Do the work" {task_attrs}>{ext}
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
  <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="done"/>""", process_id, declare=declare)


def scripted(script: str, process_id: str = "scripted", declare: dict[str, str] | None = None) -> str:
    """start -> user task `fill` -> script task `compute` running `script` -> end."""
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="fill" name="Fill in" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:scriptTask id="compute" name="Compute" scriptFormat="python">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:script><![CDATA[{script}]]></bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
  <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="compute"/>
  <bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="done"/>""", process_id, declare=declare)
