"""PII tags on features and feature sources count in the sensitive-data queries as PII tags on columns do
(issue 15, point 5): a model using a feature tagged ``PII.Sensitive``, or a feature whose feature source is
tagged so, is reported with that feature (or source) as the sensitive input, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from tests.queries.conftest import CatalogFactory
from tests.queries.test_impact_queries import FRAUD, rows

from mlkg.store.base import Store

PII = "PII.Sensitive"
SCORING = "sagemaker_prod.credit_scoring"
#: A model whose columns carry no tags at all: the PII marks are on a feature and on a feature source, as
#: OpenMetadata lets a data steward tag an MlFeature (``mlFeatures[].tags``) and its feature sources.
FEATURE_PII: list[dict[str, Any]] = [
    {
        "type": "table",
        "name": "applicants",
        "fullyQualifiedName": "postgres_prod.credit.public.applicants",
        "columns": [{"name": "postcode", "dataType": "VARCHAR"}, {"name": "income", "dataType": "DECIMAL"}],
    },
    {
        "type": "mlmodel",
        "name": "credit_scoring",
        "fullyQualifiedName": SCORING,
        "algorithm": "LightGBM",
        "mlFeatures": [
            {
                "name": "postcode_region",
                "dataType": "categorical",
                "tags": [{"tagFQN": PII, "source": "Classification", "labelType": "Manual"}],
                "featureSources": [
                    {
                        "name": "postcode",
                        "dataSource": {
                            "type": "column",
                            "fullyQualifiedName": "postgres_prod.credit.public.applicants.postcode",
                        },
                    }
                ],
            },
            {
                "name": "income_band",
                "dataType": "numerical",
                "featureSources": [
                    {
                        "name": "income",
                        "dataType": "DECIMAL",
                        "tags": [PII],
                        "dataSource": {
                            "type": "column",
                            "fullyQualifiedName": "postgres_prod.credit.public.applicants.income",
                        },
                    }
                ],
            },
            {"name": "loan_amount", "dataType": "numerical"},
        ],
    },
    {
        "type": "modelVersion",
        "name": "v3",
        "fullyQualifiedName": f"{SCORING}.v3",
        "versionOf": {"type": "mlmodel", "fullyQualifiedName": SCORING},
    },
    {
        "type": "deployment",
        "name": "credit_scoring_api",
        "fullyQualifiedName": "sagemaker_prod.credit_scoring_api",
        "servesVersion": {"type": "modelVersion", "fullyQualifiedName": f"{SCORING}.v3"},
    },
]
#: The sensitive inputs as the queries name them: the tagged feature by {model FQN}.{feature name}, the
#: tagged feature source by its name (OpenMetadata gives it no FQN of its own here).
FEATURE = f"{SCORING}.postcode_region"
SOURCE = "income"


@pytest.fixture(scope="module")
def feature_pii_store(catalog_factory: CatalogFactory) -> Store:
    return catalog_factory(FEATURE_PII)


def test_a_model_using_a_pii_feature_or_feature_source_uses_sensitive_data(feature_pii_store: Store) -> None:
    got = rows(feature_pii_store, "models-using-sensitive-data", ["kind", "name", "columnName", "tagName"])
    assert [row for row in got if row[1] != FRAUD] == [
        ("model", SCORING, SOURCE, PII),
        ("model", SCORING, FEATURE, PII),
        ("version", f"{SCORING}.v3", SOURCE, PII),
        ("version", f"{SCORING}.v3", FEATURE, PII),
    ]


def test_sensitive_assets_of_a_pii_feature_and_feature_source(feature_pii_store: Store) -> None:
    every = rows(feature_pii_store, "sensitive-assets", ["kind", "name", "columnName", "tagName"])
    got = [row for row in every if row[2] in (FEATURE, SOURCE)]
    assert got == sorted(
        [
            # the feature reading the tagged source is affected; the tagged feature is the input itself
            ("feature", f"{SCORING}.income_band", SOURCE, PII),
            *[
                (kind, name, column, PII)
                for kind, name in [
                    ("model", SCORING),
                    ("version", f"{SCORING}.v3"),
                    ("deployment", "sagemaker_prod.credit_scoring_api"),
                ]
                for column in (FEATURE, SOURCE)
            ],
        ]
    )
    names = {name for _, name, _, _ in every}
    assert f"{SCORING}.loan_amount" not in names  # an untagged feature of the same model is not sensitive
    assert (
        rows(feature_pii_store, "sensitive-assets", ["name"], kind="feature").count(
            (f"{SCORING}.income_band",)
        )
        == 1
    )
