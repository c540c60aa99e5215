"""Bulk ingest of whole contracting processes: files (OCDS, spreadsheets) and generated data.

The feed API writes record by record through `ledger.services`; files arrive by the thousand and
go through this package instead, with the same meaning (idempotent by source, external id and
version; each process stored whole or refused with its reason) and one audit entry per batch.

- `bundle`: `ProcessBundle`, the interchange of every bulk path;
- `writer`: `bundles_write`, the bulk writer (and `prepare`, `Refusal`, `IngestReport`);
- `ocds`: OCDS files in (`import_files`) and out (`bundle_to_release`, `export_projects`);
- `permissions`: `ledger.import`.
"""
