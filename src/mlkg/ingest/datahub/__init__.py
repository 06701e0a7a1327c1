"""DataHub intake (issue 16, point 4): metadata change proposals (MCPs, and MCEs) as DataHub's Python
emitter writes them with its file sink or posts them to ``/aspects?action=ingestProposal``, mapped to mlkg's
own entity documents and merged into the store through the one ingest path (validation, reasoning, history).

- :mod:`.urns`: DataHub URNs to fully qualified names, with configured platforms;
- :mod:`.proposals`: MCPs and MCEs to aspect changes;
- :mod:`.mapping`: one aspect change to pieces of entity documents, pure (:mod:`.reader` the references and
  values it reads);
- :mod:`.intake`: batches of proposals folded per entity, merged with the stored entities, validated, written;
- :mod:`.reading`: proposals read from a file or a request body.
"""

from mlkg.ingest.datahub.intake import CheckedProposals, DataHubIntake, ProposalItem, ProposalOutcome
from mlkg.ingest.datahub.proposals import Proposal, is_datahub_proposal, proposals_of
from mlkg.ingest.datahub.reading import read_proposals
from mlkg.ingest.datahub.urns import PlatformMap, parse_urn

__all__ = [
    "CheckedProposals",
    "DataHubIntake",
    "PlatformMap",
    "Proposal",
    "ProposalItem",
    "ProposalOutcome",
    "is_datahub_proposal",
    "parse_urn",
    "proposals_of",
    "read_proposals",
]
