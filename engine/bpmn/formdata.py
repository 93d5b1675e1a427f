"""camunda:formData read into the JSON-ready field dicts that forms.validate, the web forms and the API use.

Shared by user tasks (engine.bpmn.parser) and start forms (engine.cases.startforms).
"""

from __future__ import annotations

from SpiffWorkflow.camunda.parser.CamundaParser import NSMAP
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, Form, FormField

BPMN_NS = NSMAP['bpmn']
CAMUNDA = f'{{{CAMUNDA_MODEL_NS}}}'
FLAG_CONSTRAINTS = ('required', 'readonly')
NUMERIC_CONSTRAINTS = ('minlength', 'maxlength', 'min', 'max')


def form_field_dict(ff: FormField) -> dict:
    """JSON-ready description of one camunda:formField."""
    constraints, flags = {}, dict.fromkeys(FLAG_CONSTRAINTS, False)
    for v in ff.validation:
        if v.name in FLAG_CONSTRAINTS:
            flags[v.name] = (v.config or 'true').strip().lower() != 'false'
        else:
            constraints[v.name] = _number(v.config) if v.name in NUMERIC_CONSTRAINTS else v.config
    return {
        'id': ff.id, 'label': ff.label, 'type': ff.type, 'default': ff.default_value,
        'required': flags['required'], 'readonly': flags['readonly'], 'constraints': constraints,
        'options': [{'id': o.id, 'name': o.name} for o in getattr(ff, 'options', [])],
        'properties': {p.id: p.value for p in ff.properties},
    }


def read_form(node) -> Form:
    """The camunda:formData of one element (a user task, or a start event's start form).

    Own reading of the form: the key is '' (not None) without camunda:formKey, as Camunda Modeler
    writes generated forms, and only this element's own formData is read (not a nested one's)."""
    form = Form()
    form.key = node.get(CAMUNDA + 'formKey') or ''
    for xml_field in node.xpath('./bpmn:extensionElements/camunda:formData/camunda:formField',
                                namespaces={'bpmn': BPMN_NS, 'camunda': CAMUNDA_MODEL_NS}):
        ff = EnumFormField() if xml_field.get('type') == 'enum' else FormField()
        ff.id = xml_field.get('id')
        ff.type = xml_field.get('type')
        ff.label = xml_field.get('label')
        ff.default_value = xml_field.get('defaultValue')
        for child in xml_field:
            if child.tag == CAMUNDA + 'value' and isinstance(ff, EnumFormField):
                ff.add_option(child.get('id'), child.get('name'))
            elif child.tag == CAMUNDA + 'properties':
                for prop in child.iterchildren(CAMUNDA + 'property'):
                    ff.add_property(prop.get('id'), prop.get('value'))
            elif child.tag == CAMUNDA + 'validation':
                for constraint in child.iterchildren(CAMUNDA + 'constraint'):
                    ff.add_validation(constraint.get('name'), constraint.get('config'))
        form.add_field(ff)
    return form


def _number(raw):
    """'10' -> 10, '2.5' -> 2.5; anything else (a date bound, a typo) stays as written."""
    for conv in (int, float):
        try:
            return conv(raw)
        except (TypeError, ValueError):
            pass
    return raw
