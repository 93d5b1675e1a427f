"""The spec cache of a process is bounded by versions and by the size of their specs; a version it let go
is restored again when a case of it is read, and a shared spec is kept without the JSON it came from."""

from __future__ import annotations

from sqlalchemy import select

from engine.cases.instances import SpecCache
from engine.store import ProcessDefinition
from tests.bpmn_util import one_task
from tests.conftest import deploy_xml
from tests.engine.cases.test_multi_instance_cases import CARDINALITY


def _versions(ctx, count: int) -> list[ProcessDefinition]:
    for n in range(count):
        deploy_xml(ctx, one_task("p", task_attrs=f'camunda:candidateGroups="clerks{n}"'))
    with ctx.db.session() as session:
        found = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "p")
                                     .order_by(ProcessDefinition.version)))
        for definition in found:
            definition.spec_json  # noqa: B018 - loaded while the session is open (a deferred column)
        session.expunge_all()
    return found


def _get(cache: SpecCache, definition: ProcessDefinition, loads: list[int]):
    def load() -> ProcessDefinition:
        loads.append(definition.version)
        return definition
    return cache.get(definition.id, load)


def test_the_cache_keeps_the_recent_versions_within_its_size_in_characters(ctx):
    versions = _versions(ctx, 4)
    chars = max(len(d.spec_json) for d in versions)
    cache, loads = SpecCache(size=64, max_chars=2 * chars), []
    for definition in versions:
        spec, _ = _get(cache, definition, loads)
        assert "work" in spec.task_specs
    assert loads == [1, 2, 3, 4]
    assert list(cache._entries) == [versions[2].id, versions[3].id]  # the two newest fit
    _get(cache, versions[3], loads)
    assert loads == [1, 2, 3, 4]  # cached: not read again
    spec, _ = _get(cache, versions[0], loads)  # let go: restored again, and still a working spec
    assert loads == [1, 2, 3, 4, 1] and "work" in spec.task_specs
    assert list(cache._entries) == [versions[3].id, versions[0].id]


def test_the_cache_holds_at_most_its_number_of_versions(ctx):
    versions = _versions(ctx, 3)
    cache, loads = SpecCache(size=2), []
    for definition in versions:
        _get(cache, definition, loads)
    assert list(cache._entries) == [versions[1].id, versions[2].id]


def test_a_shared_spec_is_kept_without_its_json_and_a_rebuilt_one_with_it(ctx):
    deploy_xml(ctx, one_task("p"))
    deploy_xml(ctx, CARDINALITY)
    with ctx.db.session() as session:
        shared = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "p"))
        rebuilt = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "rounds"))
        shared.spec_json, rebuilt.spec_json  # noqa: B018
        session.expunge_all()
    cache, loads = SpecCache(), []
    first, _ = _get(cache, shared, loads)
    assert _get(cache, shared, loads)[0] is first  # one spec object serves every case
    assert cache._entries[shared.id][0] is None  # the parsed JSON is not kept beside it
    one, _ = _get(cache, rebuilt, loads)
    assert _get(cache, rebuilt, loads)[0] is not one  # a fresh spec per load, from the JSON kept for it
    assert cache._entries[rebuilt.id][0] is not None
    assert loads == [1, 1]
