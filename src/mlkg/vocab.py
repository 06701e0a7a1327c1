"""Terms of the mlkg ontology (``ontology/mlkg.ttl``) as Python constants.

This module is the only place mlkg code names ontology terms: ``MLKG.Model``, ``MLKG.usesFeature``.
``MLKG`` is an rdflib ``DefinedNamespace``, so a misspelt term raises at import time of the caller, and
``tests/test_vocab.py`` checks that this list and the ontology file declare exactly the same terms.
"""

from __future__ import annotations

from typing import Final

from rdflib import RDF, URIRef
from rdflib.namespace import DefinedNamespace, Namespace

__all__ = [
    "ALIGNMENT_IRI",
    "AUDIT_GRAPH",
    "CONTEXT_IRI",
    "FORMATS",
    "INFERRED_GRAPH",
    "MLKG",
    "NS",
    "ONTOLOGY_GRAPH",
    "ONTOLOGY_IRI",
    "PENDING_GRAPH",
    "PRINCIPALS_GRAPH",
    "REFERENCE_PREDICATES",
    "SD",
    "SUBSCRIPTIONS_GRAPH",
]

NS: Final = "https://w3id.org/mlkg#"
#: The ontology's own IRI.
ONTOLOGY_IRI: Final = URIRef("https://w3id.org/mlkg")
#: The alignment module's IRI (ontology/alignment.ttl).
ALIGNMENT_IRI: Final = URIRef("https://w3id.org/mlkg/alignment")
#: The named graph holding inferred triples (docs/architecture.md, section 1): the only graph mlkg:upstream /
#: downstream live in.
INFERRED_GRAPH: Final = URIRef("https://w3id.org/mlkg/graph/inferred")
#: The named graph holding ontology/mlkg.ttl in a store (the alignment is published, not stored).
ONTOLOGY_GRAPH: Final = URIRef("https://w3id.org/mlkg/graph/ontology")
#: The named graph recording writes whose inferred-graph change may not be committed yet
#: (:mod:`mlkg.reasoning.journal`): empty except while a write runs, or after a process died during one.
PENDING_GRAPH: Final = URIRef("https://w3id.org/mlkg/graph/pending")
#: The append-only named graph of write attempts, granted or denied, as PROV-O (docs/architecture.md,
#: section 10).
AUDIT_GRAPH: Final = URIRef("https://w3id.org/mlkg/graph/audit")
#: The named graph of principals, their roles and token hashes (docs/architecture.md, section 10).
PRINCIPALS_GRAPH: Final = URIRef("https://w3id.org/mlkg/graph/principals")
#: The named graph holding webhook subscriptions to change events (:mod:`mlkg.events`); maintained by mlkg,
#: never written by uploads, the Graph Store protocol or SPARQL Update. Secrets are never stored in it.
SUBSCRIPTIONS_GRAPH: Final = URIRef("https://w3id.org/mlkg/graph/subscriptions")
#: The IRI under which contexts/mlkg.jsonld is published; always resolved from the package, never fetched.
CONTEXT_IRI: Final = "https://w3id.org/mlkg/context.jsonld"
#: SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/).
SD: Final = Namespace("http://www.w3.org/ns/sparql-service-description#")
#: W3C unique URIs for file formats (https://www.w3.org/ns/formats/), used in service descriptions.
FORMATS: Final = Namespace("http://www.w3.org/ns/formats/")


class MLKG(DefinedNamespace):
    """The ``https://w3id.org/mlkg#`` namespace: every class and property of ``ontology/mlkg.ttl``."""

    _NS = Namespace(NS)
    _fail = True

    # Classes
    Asset: URIRef
    Classification: URIRef
    Column: URIRef
    CustomProperty: URIRef
    Dashboard: URIRef
    DashboardService: URIRef
    DatabaseService: URIRef
    DataProduct: URIRef
    Dataset: URIRef
    Deployment: URIRef
    Domain: URIRef
    EntityVersion: URIRef
    Principal: URIRef
    WriteAttempt: URIRef
    Experiment: URIRef
    Feature: URIRef
    FeatureSource: URIRef
    FeatureTable: URIRef
    HyperParameter: URIRef
    LineageEdge: URIRef
    Metric: URIRef
    ModelCard: URIRef
    MetricPoint: URIRef
    LoggedModel: URIRef
    SourceTag: URIRef
    Model: URIRef
    Subscription: URIRef
    ModelService: URIRef
    ModelStore: URIRef
    ModelVersion: URIRef
    Owner: URIRef
    Pipeline: URIRef
    PipelineService: URIRef
    PipelineRun: URIRef
    PredictionTable: URIRef
    RegisteredModel: URIRef
    Service: URIRef
    Table: URIRef
    Tag: URIRef
    Team: URIRef
    TrainingRun: URIRef
    User: URIRef

    # Object properties
    classification: URIRef
    columnLineage: URIRef
    columnOf: URIRef
    customProperty: URIRef
    dataProduct: URIRef
    dataSource: URIRef
    derivedFrom: URIRef
    derivedFromColumn: URIRef
    domain: URIRef
    downstream: URIRef
    experiment: URIRef
    featureOf: URIRef
    follower: URIRef
    fromEntity: URIRef
    hasColumn: URIRef
    hasFeatureSource: URIRef
    hasVersion: URIRef
    history: URIRef
    hyperParameter: URIRef
    lineagePipeline: URIRef
    loggedModel: URIRef
    measuredOn: URIRef
    memberOf: URIRef
    metric: URIRef
    modelCard: URIRef
    modelStore: URIRef
    monitors: URIRef
    owner: URIRef
    performanceDashboard: URIRef
    predictionsFrom: URIRef
    producedBy: URIRef
    producedByRun: URIRef
    producedVersion: URIRef
    restoredFrom: URIRef
    readsFrom: URIRef
    runOf: URIRef
    servesModel: URIRef
    servesVersion: URIRef
    service: URIRef
    sourceTag: URIRef
    tableDerivedFrom: URIRef
    tag: URIRef
    toEntity: URIRef
    trainedOn: URIRef
    upstream: URIRef
    usedDataset: URIRef
    usesFeature: URIRef
    versionOf: URIRef
    writesPredictions: URIRef
    writesTo: URIRef

    # Datatype properties
    algorithm: URIRef
    alias: URIRef
    archiveExistingVersions: URIRef
    bias: URIRef
    changeComment: URIRef
    webhookUrl: URIRef
    changeDescription: URIRef
    changeType: URIRef
    principalName: URIRef
    role: URIRef
    tokenHash: URIRef
    tokenSalt: URIRef
    principalsGeneration: URIRef
    action: URIRef
    permission: URIRef
    outcome: URIRef
    outcomeDetail: URIRef
    requestId: URIRef
    attemptTarget: URIRef
    createdAt: URIRef
    dataType: URIRef
    datasetSource: URIRef
    deleted: URIRef
    dependency: URIRef
    description: URIRef
    digest: URIRef
    displayName: URIRef
    email: URIRef
    eventKind: URIRef
    filterTag: URIRef
    filterType: URIRef
    filterUpstreamOf: URIRef
    endTime: URIRef
    entityVersion: URIRef
    evaluationDataDescription: URIRef
    environment: URIRef
    ethicalConsideration: URIRef
    externalId: URIRef
    featureAlgorithm: URIRef
    fullyQualifiedName: URIRef
    imageRepository: URIRef
    limitation: URIRef
    intendedUse: URIRef
    metricValue: URIRef
    name: URIRef
    overview: URIRef
    outOfScopeUse: URIRef
    schema: URIRef
    sensitive: URIRef
    serverUrl: URIRef
    serviceType: URIRef
    signature: URIRef
    snapshot: URIRef
    sourceType: URIRef
    sourceUrl: URIRef
    stage: URIRef
    startTime: URIRef
    status: URIRef
    step: URIRef
    storageUri: URIRef
    tagFQN: URIRef
    target: URIRef
    timestamp: URIRef
    trainingDataDescription: URIRef
    updatedAt: URIRef
    updatedBy: URIRef
    value: URIRef
    version: URIRef

    # Annotation properties
    iriSegment: URIRef
    jsonType: URIRef
    kindName: URIRef
    kindOrder: URIRef
    kindPrecedence: URIRef
    majorChange: URIRef


#: What an entity reference carries about the entity it names (OpenMetadata ``type/entityReference.json``:
#: type, name, fullyQualifiedName, displayName, description, id): a node a document gives only these is
#: referenced, not described, by it.
REFERENCE_PREDICATES: Final = frozenset(
    {RDF.type, MLKG.name, MLKG.fullyQualifiedName, MLKG.displayName, MLKG.description, MLKG.externalId}
)
